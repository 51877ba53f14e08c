import Probes
import SystemCalls
import Testing

/// A backend that answers from a script, recording what it was asked.
final class ScriptedBackend: WireGuardBackend {
    let interface = "wg0"
    var answer: Result<WireGuardDeviceState, WireGuardError>
    var setPeerError: WireGuardError?
    var sets = 0
    var reads = 0

    init(_ answer: Result<WireGuardDeviceState, WireGuardError>) { self.answer = answer }

    func device() throws(WireGuardError) -> WireGuardDeviceState {
        reads += 1
        return try answer.get()
    }

    func setPeer(publicKeyHex: String, endpoint: Endpoint, persistentKeepalive: Int?) throws(WireGuardError) {
        sets += 1
        if let setPeerError { throw setPeerError }
    }

    func setKeepalive(publicKeyHex: String, persistentKeepalive: Int) throws(WireGuardError) {
        sets += 1
        if let setPeerError { throw setPeerError }
    }
}

/// The `auto` choice between kernel and userspace WireGuard.
@Suite struct WireGuardBackendChooserTests {
    static let kernelState = WireGuardDeviceState(listenPort: 1)
    static let userState = WireGuardDeviceState(listenPort: 2)
    static let endpoint = Endpoint("203.0.113.1:1")!

    @Test func aKernelDeviceIsUsedThroughNetlink() throws {
        let kernel = ScriptedBackend(.success(Self.kernelState))
        let user = ScriptedBackend(.success(Self.userState))
        let chooser = WireGuardBackendChooser(interface: "wg0", kernel: kernel, userspace: user, userspaceAvailable: { true })
        var choices: [WireGuardBackendChoice] = []
        chooser.onChoice = { choices.append($0) }
        #expect(try chooser.device() == Self.kernelState)
        #expect(try chooser.device() == Self.kernelState)
        try chooser.setPeer(publicKeyHex: "aa", endpoint: Self.endpoint, persistentKeepalive: nil)
        #expect(chooser.chosen == .kernel)
        #expect(choices == [.kernel])
        #expect(kernel.sets == 1 && user.sets == 0 && user.reads == 0)
    }

    @Test func withoutAKernelDeviceTheUAPISocketIsUsed() throws {
        let kernel = ScriptedBackend(.failure(.noSuchInterface("wg0")))
        let user = ScriptedBackend(.success(Self.userState))
        let chooser = WireGuardBackendChooser(interface: "wg0", kernel: kernel, userspace: user, userspaceAvailable: { true })
        try chooser.setPeer(publicKeyHex: "aa", endpoint: Self.endpoint, persistentKeepalive: 5)
        #expect(chooser.chosen == .userspace)
        #expect(user.sets == 1 && kernel.sets == 0)
        #expect(try chooser.device() == Self.userState)
        #expect(kernel.reads == 1)
    }

    @Test func neitherIsNoSuchInterfaceUntilOneAppears() throws {
        let kernel = ScriptedBackend(.failure(.noSuchInterface("wg0")))
        let user = ScriptedBackend(.success(Self.userState))
        var socketExists = false
        let chooser = WireGuardBackendChooser(interface: "wg0", kernel: kernel, userspace: user,
                                              userspaceAvailable: { socketExists })
        #expect(throws: WireGuardError.noSuchInterface("wg0")) { try chooser.device() }
        #expect(throws: WireGuardError.noSuchInterface("wg0")) {
            try chooser.setPeer(publicKeyHex: "aa", endpoint: Self.endpoint, persistentKeepalive: nil)
        }
        #expect(chooser.chosen == nil)
        socketExists = true
        #expect(try chooser.device() == Self.userState)
    }

    @Test func aVanishedDeviceIsChosenAgain() throws {
        let kernel = ScriptedBackend(.success(Self.kernelState))
        let user = ScriptedBackend(.success(Self.userState))
        let chooser = WireGuardBackendChooser(interface: "wg0", kernel: kernel, userspace: user, userspaceAvailable: { true })
        var choices: [WireGuardBackendChoice] = []
        chooser.onChoice = { choices.append($0) }
        _ = try chooser.device()
        kernel.answer = .failure(.noSuchInterface("wg0"))
        #expect(try chooser.device() == Self.userState)
        #expect(choices == [.kernel, .userspace])

        user.setPeerError = .noSuchInterface("wg0")
        #expect(throws: WireGuardError.noSuchInterface("wg0")) {
            try chooser.setPeer(publicKeyHex: "aa", endpoint: Self.endpoint, persistentKeepalive: nil)
        }
        #expect(chooser.chosen == nil)
    }

    @Test func otherKernelErrorsSurfaceWhenThereIsNoSocket() {
        let kernel = ScriptedBackend(.failure(.refused(errno: 1)))
        let chooser = WireGuardBackendChooser(interface: "wg0", kernel: kernel, userspace: ScriptedBackend(.success(Self.userState)),
                                              userspaceAvailable: { false })
        #expect(throws: WireGuardError.refused(errno: 1)) { try chooser.device() }
    }

    @Test func forcedChoicesUseOneBackendDirectly() {
        #expect(WireGuardBackendChooser.backend(interface: "wg0", choice: .kernel) is NetlinkWireGuard)
        #expect(WireGuardBackendChooser.backend(interface: "wg0", choice: .userspace) is UAPIClient)
        #expect(WireGuardBackendChooser.backend(interface: "wg0", choice: .auto) is WireGuardBackendChooser)
    }
}
