import Glibc
@testable import Probes
@testable import SystemCalls
import Testing

/// NetlinkWireGuard against this host's kernel, which has no kernel WireGuard device by that
/// name (with or without the module), and with scripted syscall failures. The kernel device
/// itself is exercised in the VM (tests/e2e/vm/selftest.sh, tests/e2e/test_kernel_wireguard.sh).
@Suite struct NetlinkWireGuardTests {
    @Test func anInterfaceTheKernelDoesNotHaveIsNoSuchInterface() {
        #expect(throws: WireGuardError.noSuchInterface("nosuchwg0")) { try NetlinkWireGuard(interface: "nosuchwg0").device() }
        #expect(throws: WireGuardError.noSuchInterface("nosuchwg0")) {
            try NetlinkWireGuard(interface: "nosuchwg0").setPeer(publicKeyHex: String(repeating: "a", count: 64),
                                                                  endpoint: Endpoint("203.0.113.1:1")!, persistentKeepalive: 5)
        }
    }

    @Test func aNonWireGuardDeviceIsNoSuchInterface() {
        #expect(throws: WireGuardError.noSuchInterface("lo")) { try NetlinkWireGuard(interface: "lo").device() }
    }

    @Test func badNamesAndKeysAreRefusedWithoutAnySyscall() {
        let driver = MockingDriver()
        driver.withMocking {
            #expect(throws: WireGuardError.noSuchInterface("a-name-far-too-long")) {
                try NetlinkWireGuard(interface: "a-name-far-too-long").device()
            }
            #expect(throws: WireGuardError.refused(errno: EINVAL)) {
                try NetlinkWireGuard(interface: "wg0").setPeer(publicKeyHex: "xyz", endpoint: Endpoint("203.0.113.1:1")!,
                                                               persistentKeepalive: nil)
            }
            #expect(throws: WireGuardError.refused(errno: EINVAL)) {
                try NetlinkWireGuard(interface: "wg0").setPeer(publicKeyHex: String(repeating: "a", count: 64),
                                                               endpoint: Endpoint("203.0.113.1:1")!, persistentKeepalive: 70000)
            }
        }
        #expect(driver.trace.isEmpty)
    }

    @Test func aFailingSocketIsASystemError() {
        let driver = MockingDriver()
        driver.script("socket", .fail(.notPermitted))
        #expect(throws: WireGuardError.system("socket(AF_NETLINK)", .notPermitted)) {
            try driver.withMocking { try NetlinkWireGuard(interface: "wg0").device() }
        }
    }

    @Test func anInterruptedReceiveIsRetried() {
        let driver = MockingDriver()
        driver.script("recvfrom", .fail(.interrupted))
        #expect(throws: WireGuardError.noSuchInterface("nosuchwg1")) {
            try driver.withMocking { try NetlinkWireGuard(interface: "nosuchwg1").device() }
        }
        #expect(driver.trace.filter { $0 == "recvfrom" }.count >= 2)
    }
}
