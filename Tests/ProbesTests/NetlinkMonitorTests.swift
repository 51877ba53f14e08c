import EventLoop
import Glibc
@testable import Probes
import SystemCalls
import Testing

/// NetworkMonitor against the real kernel, in a network namespace each test creates (and always
/// deletes), with its socket made inside the namespace. The host's interfaces are never touched.
/// This kernel has no dummy driver (no module loading), so links are veth pairs.
@Suite(.serialized) struct NetlinkMonitorTests {
    /// Whether `changes` holds each of `expected` (as many times as listed), in any order,
    /// and nothing else.
    func sameChanges(_ changes: [NetworkChange], _ expected: [NetworkChange]) -> Bool {
        var rest = changes
        for change in expected {
            guard let at = rest.firstIndex(of: change) else { return false }
            rest.remove(at: at)
        }
        return rest.isEmpty
    }

    /// Link-local IPv6 addresses come and go when duplicate address detection ends, a second or
    /// so after a link is up, so their timing is the kernel's; the tests leave them out.
    func isLinkLocal(_ change: NetworkChange) -> Bool {
        switch change {
        case .addressAdded(_, let address), .addressRemoved(_, let address):
            let bytes = address.bytes
            return bytes.count == 16 && bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80
        default: return false
        }
    }

    @Test func reportsEachKindOfChangeInANamespace() throws {
        let namespace = try TestNetworkNamespace(tag: "mon")
        defer { namespace.delete() }
        let loop = EventLoop()
        var batches: [[NetworkChange]] = []
        let monitor = try namespace.inside { try NetworkMonitor(loop: loop) { batches.append($0) } }
        defer { monitor.stop() }
        #expect(runLoop(loop) { monitor.view.dump == nil && monitor.view.plannedDumps.isEmpty })
        #expect(monitor.view.links.values.map(\.name) == ["lo"])

        var seen = 0
        /// Runs one step and waits (bounded) until exactly `expected` has been reported for it.
        func step(_ what: String, expect expected: @autoclosure () -> [NetworkChange], _ command: () throws -> Void) throws {
            try command()
            var changes: [NetworkChange] = []
            let arrived = runLoop(loop) {
                changes = batches.dropFirst(seen).joined().filter { !isLinkLocal($0) }
                return expected().allSatisfy(changes.contains)
            }
            seen = batches.count
            #expect(arrived && sameChanges(changes, expected()), "\(what): \(changes)")
        }

        var nlt0: Int32 = 0, nlt1: Int32 = 0
        try step("add", expect: [.linkAdded(name: "nlt0", index: nlt0), .linkAdded(name: "nlt1", index: nlt1)]) {
            try namespace.ip("link", "add", "nlt0", "type", "veth", "peer", "name", "nlt1")
            #expect(runLoop(loop) { monitor.view.links.count == 3 })
            nlt0 = monitor.view.links.first { $0.value.name == "nlt0" }?.key ?? -1
            nlt1 = monitor.view.links.first { $0.value.name == "nlt1" }?.key ?? -1
        }
        try step("up", expect: [.linkUp(name: "nlt0", index: nlt0), .linkUp(name: "nlt1", index: nlt1)]) {
            try namespace.ip("link", "set", "nlt1", "up")
            try namespace.ip("link", "set", "nlt0", "up")
        }
        try step("address v4", expect: [.addressAdded(interface: "nlt0", address: IPAddress("10.200.0.1")!)]) {
            try namespace.ip("address", "add", "10.200.0.1/24", "dev", "nlt0")
        }
        try step("address v6", expect: [.addressAdded(interface: "nlt0", address: IPAddress("fd00:200::1")!)]) {
            try namespace.ip("address", "add", "fd00:200::1/64", "dev", "nlt0", "nodad")
        }
        try step("default route v4", expect: [.defaultRouteChanged(family: AF_INET)]) {
            try namespace.ip("route", "add", "default", "via", "10.200.0.2", "dev", "nlt0")
        }
        try step("default route v6", expect: [.defaultRouteChanged(family: AF_INET6)]) {
            try namespace.ip("-6", "route", "add", "default", "via", "fd00:200::2", "dev", "nlt0")
        }
        try step("route elsewhere", expect: []) {
            try namespace.ip("route", "add", "10.201.0.0/16", "via", "10.200.0.2")
            try namespace.ip("route", "add", "default", "via", "10.200.0.2", "table", "100")
            _ = runLoop(loop, timeout: 0.3) { false }
        }
        try step("remove address", expect: [.addressRemoved(interface: "nlt0", address: IPAddress("10.200.0.1")!)]) {
            try namespace.ip("address", "del", "10.200.0.1/24", "dev", "nlt0")
        }
        // Down flushes nlt0's IPv6 addresses and its IPv6 default route; nlt1 loses carrier.
        try step("down", expect: [.linkDown(name: "nlt0", index: nlt0), .linkDown(name: "nlt1", index: nlt1),
                                  .addressRemoved(interface: "nlt0", address: IPAddress("fd00:200::1")!),
                                  .defaultRouteChanged(family: AF_INET6)]) {
            try namespace.ip("link", "set", "nlt0", "down")
        }
        try step("delete", expect: [.linkRemoved(name: "nlt0", index: nlt0), .linkRemoved(name: "nlt1", index: nlt1)]) {
            try namespace.ip("link", "del", "nlt0")
        }
        #expect(monitor.view.links.values.map(\.name) == ["lo"])
        #expect(!batches.joined().contains(.overrun))
    }

    @Test func aRealOverrunIsReportedAndRecoveredFrom() throws {
        let namespace = try TestNetworkNamespace(tag: "ovr")
        defer { namespace.delete() }
        let loop = EventLoop()
        var changes: [NetworkChange] = []
        // The smallest receive buffer the kernel allows holds only a few link messages.
        let monitor = try namespace.inside {
            try NetworkMonitor(loop: loop, receiveBufferSize: 1) { changes += $0 }
        }
        defer { monitor.stop() }
        #expect(runLoop(loop) { monitor.view.dump == nil && monitor.view.plannedDumps.isEmpty })

        // 40 links appear while the loop does not read: the kernel must drop messages.
        try namespace.ipBatch((0..<20).map { "link add ovr\($0)a type veth peer name ovr\($0)b" })
        let recovered = runLoop(loop) {
            changes.contains(.overrun) && monitor.view.dump == nil && monitor.view.plannedDumps.isEmpty
                && monitor.view.links.count == 41
        }
        #expect(recovered, "\(changes.count) changes, \(monitor.view.links.count) links known")
        #expect(changes.filter { $0 == .overrun }.count >= 1)

        // And it keeps going: deleting a pair is reported, by name or (the buffer being this
        // small, the kernel may drop one of its messages again) as another overrun and resync.
        let a = try #require(monitor.view.links.first { $0.value.name == "ovr7a" }?.key)
        let before = changes.count
        try namespace.ip("link", "del", "ovr7a")
        #expect(runLoop(loop) {
            monitor.view.links.count == 39 && monitor.view.dump == nil && monitor.view.plannedDumps.isEmpty
        })
        let after = changes[before...]
        #expect(after.contains(.linkRemoved(name: "ovr7a", index: a)) || after.contains(.overrun), "\(after)")
    }

    @Test func aScriptedENOBUFSIsAnOverrunAndAResync() throws {
        let namespace = try TestNetworkNamespace(tag: "nob")
        defer { namespace.delete() }
        let loop = EventLoop()
        var batches: [[NetworkChange]] = []
        let driver = MockingDriver()
        // The first read (the link dump's reply is waiting) fails as if messages were dropped.
        driver.script("mnl_socket_recvfrom", .fail(Errno(ENOBUFS)))
        try driver.withMocking {
            let monitor = try namespace.inside { try NetworkMonitor(loop: loop) { batches.append($0) } }
            defer { monitor.stop() }
            #expect(runLoop(loop) { !batches.isEmpty && monitor.view.dump == nil && monitor.view.plannedDumps.isEmpty })
            #expect(batches.first == [.overrun])
            #expect(monitor.view.links.values.map(\.name) == ["lo"])
            // The first link dump, then the resync's links and addresses (which replace the
            // address dump that was planned).
            #expect(driver.trace.filter { $0 == "mnl_socket_sendto" }.count == 3)

            try namespace.ip("link", "add", "nob0", "type", "veth", "peer", "name", "nob1")
            #expect(runLoop(loop) { batches.joined().filter { if case .linkAdded = $0 { true } else { false } }.count == 2 })
        }
    }

    @Test func stopIsIdempotentAndQuiet() throws {
        let namespace = try TestNetworkNamespace(tag: "stp")
        defer { namespace.delete() }
        let loop = EventLoop()
        var changes: [NetworkChange] = []
        let monitor = try namespace.inside { try NetworkMonitor(loop: loop) { changes += $0 } }
        monitor.stop()
        monitor.stop()
        try namespace.ip("link", "add", "stp0", "type", "veth", "peer", "name", "stp1")
        #expect(runLoop(loop, timeout: 0.3) { !changes.isEmpty } == false)
    }
}
