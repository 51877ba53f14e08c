import Supervisor
import Testing

/// `ca_file` on the HTTP stores: an absolute PEM path, passed to the store; anything else names
/// the key.
@Suite struct ConfigCAFileTests {
    func yaml(_ plugin: String) -> String {
        """
        interfaces:
          wg0:
            peers:
              b: { public_key: "D6poTtKIZ7l/Smot7l34zpdOdrcBjj8iocTPJnhXDyA=", plugin: p }
        plugins:
          p: \(plugin)
        """
    }

    @Test func parsesForCloudflareAndOpenDHT() throws {
        let cf = try ConfigLoader.parse(yaml: yaml(#"{ type: builtin, name: cloudflare, zone: z, token: t, ca_file: /etc/ssl/mine.pem }"#))
        #expect(cf.plugins["p"] == .cloudflare(zone: "z", token: "t", subdomain: nil, apiURL: nil, dedup: false,
                                               caFile: "/etc/ssl/mine.pem"))
        let dht = try ConfigLoader.parse(yaml: yaml(#"{ type: builtin, name: opendht, endpoints: ["https://h"], ca_file: /ca.pem }"#))
        guard case .openDHT(_, _, _, _, let caFile)? = dht.plugins["p"] else { Issue.record("not opendht"); return }
        #expect(caFile == "/ca.pem")
        #expect(cf.warnings.allSatisfy { !$0.contains("ca_file") })
    }

    @Test func aRelativePathNamesTheKey() {
        #expect {
            try ConfigLoader.parse(yaml: yaml(#"{ type: builtin, name: cloudflare, zone: z, token: t, ca_file: mine.pem }"#))
        } throws: { error in
            (error as? ConfigError)?.keyPath == "plugins.p.ca_file"
        }
    }
}
