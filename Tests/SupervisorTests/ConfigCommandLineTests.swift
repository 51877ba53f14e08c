@testable import Supervisor
import Testing

@Suite struct ConfigCommandLineTests {
    @Test func noArgumentsMeansDefaults() throws {
        #expect(try CommandLineOptions.parse([]) == CommandLineOptions())
    }

    @Test(arguments: [
        (["-c", "/etc/x.yaml"], CommandLineOptions(configFile: "/etc/x.yaml")),
        (["--config", "a.yaml"], CommandLineOptions(configFile: "a.yaml")),
        (["-config=a.yaml"], CommandLineOptions(configFile: "a.yaml")),
        (["--c=a=b.yaml"], CommandLineOptions(configFile: "a=b.yaml")),
        (["-c", "-oneshot"], CommandLineOptions(configFile: "-oneshot")),
        (["-c", "a", "-c", "b"], CommandLineOptions(configFile: "b")),
        (["-config-dir", "/etc/sm", "-oneshot"], CommandLineOptions(configDir: "/etc/sm", oneshot: true)),
        (["--config-dir=/d", "-c", "f"], CommandLineOptions(configFile: "f", configDir: "/d")),
        (["-oneshot=false", "-version"], CommandLineOptions(oneshot: false, version: true)),
        (["--oneshot=T"], CommandLineOptions(oneshot: true)),
        (["-h"], CommandLineOptions(help: true)),
        (["--help"], CommandLineOptions(help: true)),
        (["status"], CommandLineOptions(subcommand: "status")),
        (["-oneshot", "status"], CommandLineOptions(oneshot: true, subcommand: "status")),
        (["--", "-version"], CommandLineOptions(subcommand: "-version")),
        (["-"], CommandLineOptions(subcommand: "-")),
    ])
    func parsesLikeGoFlag(args: [String], expected: CommandLineOptions) throws {
        #expect(try CommandLineOptions.parse(args) == expected)
    }

    @Test(arguments: [
        (["-x"], "flag provided but not defined: -x"),
        (["--verbose=1"], "flag provided but not defined: -verbose"),
        (["-c"], "flag needs an argument: -c"),
        (["-oneshot", "-config-dir"], "flag needs an argument: -config-dir"),
        (["-oneshot=maybe"], "invalid boolean value \"maybe\" for -oneshot: parse error"),
        (["---c"], "bad flag syntax: ---c"),
        (["-=x"], "bad flag syntax: -=x"),
        (["status", "extra"], "unexpected argument: extra"),
    ])
    func refusesBadCommandLines(args: [String], message: String) {
        #expect(throws: UsageError(message)) { try CommandLineOptions.parse(args) }
    }

    @Test func usageNamesEveryFlag() {
        for flag in ["-c", "-config", "-config-dir", "-oneshot", "-version", "-help"] {
            #expect(CommandLineOptions.usage.contains(flag))
        }
    }
}
