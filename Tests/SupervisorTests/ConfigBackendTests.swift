import Probes
import Supervisor
import Testing

/// `interfaces.<if>.backend`: auto (default), kernel, userspace; anything else names the key.
@Suite struct ConfigBackendTests {
    static func yaml(_ backendLine: String) -> String {
        """
        interfaces:
          wg0:
        \(backendLine)
            peers:
              p: { public_key: "\(ConfigTestKeys.a)", plugin: s }
        plugins:
          s: { type: shell, command: /bin/true }
        stun: { addresses: ["stun.example:3478"] }
        """
    }

    @Test func defaultsToAuto() throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml(""))
        #expect(config.interfaces.first?.backend == .auto)
        #expect(config.warnings.isEmpty)
    }

    @Test(arguments: [("auto", WireGuardBackendChoice.auto), ("kernel", .kernel), ("userspace", .userspace), ("\"\"", .auto)])
    func acceptsEachChoice(_ text: String, _ choice: WireGuardBackendChoice) throws {
        let config = try ConfigLoader.parse(yaml: Self.yaml("    backend: \(text)"))
        #expect(config.interfaces.first?.backend == choice)
        #expect(config.warnings.isEmpty)
    }

    @Test func anUnknownValueNamesTheKey() {
        do {
            _ = try ConfigLoader.parse(yaml: Self.yaml("    backend: netlink"))
            Issue.record("accepted backend: netlink")
        } catch {
            #expect(error.keyPath == "interfaces.wg0.backend")
            #expect(error.message == "must be one of auto, kernel, userspace, not \"netlink\"")
            #expect(error.line == 3)
        }
    }
}
