import Probes
import Testing
@testable import Supervisor

/// How a burst of netlink changes is read: which links it re-creates, which it only removes.
@Suite struct NetworkWatchTests {
    @Test func aLinkRemovedAndAddedIsRecreatedAndAdded() {
        let burst: [NetworkChange] = [.linkDown(name: "wg0", index: 7), .linkRemoved(name: "wg0", index: 7),
                                      .linkAdded(name: "wg0", index: 9), .linkUp(name: "wg0", index: 9)]
        #expect(Set(burst.compactMap(NetworkWatch.recreatedLink)) == ["wg0"])
        #expect(Set(burst.compactMap(NetworkWatch.addedLink)) == ["wg0"])
    }

    @Test func aLinkOnlyRemovedIsNotAdded() {
        let burst: [NetworkChange] = [.linkRemoved(name: "wg0", index: 7), .addressRemoved(interface: "wg0", address: .v4(10, 99, 0, 2))]
        #expect(Set(burst.compactMap(NetworkWatch.recreatedLink)) == ["wg0"])
        #expect(burst.compactMap(NetworkWatch.addedLink).isEmpty)
    }

    @Test func addressAndRouteChangesAreNeither() {
        let burst: [NetworkChange] = [.addressAdded(interface: "eth0", address: .v4(192, 0, 2, 1)),
                                      .defaultRouteChanged(family: 2), .overrun]
        #expect(burst.compactMap(NetworkWatch.recreatedLink).isEmpty)
        #expect(burst.compactMap(NetworkWatch.addedLink).isEmpty)
    }
}
