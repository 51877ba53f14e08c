import Probes
import Supervisor
import Testing

/// Noticing a re-created WireGuard device or a new listen port from successive readings.
@Suite struct OpsDeviceWatchTests {
    static func device(port: UInt16 = 51820, rx: UInt64, handshake: Double) -> WireGuardDeviceState {
        WireGuardDeviceState(privateKeyHex: "aa", listenPort: port,
                             peers: [WireGuardPeerState(publicKeyHex: "bb", lastHandshake: handshake, rxBytes: rx)])
    }

    @Test func steadyReadingsSayNothing() {
        var watch = DeviceWatch()
        #expect(watch.observe(Self.device(rx: 100, handshake: 10), interface: "wg0") == nil)
        #expect(watch.observe(Self.device(rx: 200, handshake: 10), interface: "wg0") == nil)
        #expect(watch.observe(Self.device(rx: 200, handshake: 130), interface: "wg0") == nil)
    }

    @Test func countersGoingBackMeanARecreatedDevice() {
        var watch = DeviceWatch()
        _ = watch.observe(Self.device(rx: 1000, handshake: 10), interface: "wg0")
        #expect(watch.observe(Self.device(rx: 0, handshake: 0), interface: "wg0") == "wg0 re-created")
        #expect(watch.observe(Self.device(rx: 0, handshake: 0), interface: "wg0") == nil, "said once")
    }

    @Test func aDeviceThatWasGoneIsBack() {
        var watch = DeviceWatch()
        #expect(watch.observe(nil, interface: "wg0") == nil, "never seen: nothing to compare")
        _ = watch.observe(Self.device(rx: 1000, handshake: 10), interface: "wg0")
        #expect(watch.observe(nil, interface: "wg0") == nil)
        #expect(watch.observe(nil, interface: "wg0") == nil)
        #expect(watch.observe(Self.device(rx: 0, handshake: 0), interface: "wg0") == "wg0 is back")
    }

    @Test func aNewListenPort() {
        var watch = DeviceWatch()
        _ = watch.observe(Self.device(rx: 1000, handshake: 10), interface: "wg0")
        #expect(watch.observe(Self.device(port: 51821, rx: 1100, handshake: 10), interface: "wg0")
                == "wg0 listen port 51820 -> 51821")
    }
}

extension OpsDeviceWatchTests {
    @Test func aDeviceBeingConfiguredIsBridged() {
        var watch = DeviceWatch()
        _ = watch.observe(Self.device(rx: 1000, handshake: 10), interface: "wg0")
        // wireguard-go restarted: first a device without port or peers, then the peer comes back.
        #expect(watch.observe(WireGuardDeviceState(), interface: "wg0") == nil)
        #expect(watch.observe(WireGuardDeviceState(privateKeyHex: "aa", listenPort: 51820), interface: "wg0") == nil)
        #expect(watch.observe(Self.device(rx: 0, handshake: 0), interface: "wg0") == "wg0 re-created")
    }
}
