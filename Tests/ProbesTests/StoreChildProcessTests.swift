import EventLoop
@testable import Probes
import Testing

@Suite struct StoreChildProcessTests {
    typealias F = StoreFixture

    func run(_ command: String, _ arguments: [String], input: String = "", timeout: Double = 10,
             limit: Int = 1 << 20) -> Result<ChildOutput, ChildFailure>? {
        let loop = EventLoop()
        var result: Result<ChildOutput, ChildFailure>?
        ChildProcess.run(loop: loop, command: command, arguments: arguments, input: Array(input.utf8),
                         timeout: timeout, outputLimit: limit) { result = $0 }
        #expect(result == nil)
        F.drive(loop, timeout: 20) { result != nil }
        return result
    }

    @Test func passesStdinAndCollectsBothStreams() throws {
        let output = try #require(try run("/bin/sh", ["-c", "cat; echo err >&2; exit 7"], input: "hello\n")?.get())
        #expect(output.stdout == Array("hello\n".utf8))
        #expect(output.stderr == Array("err\n".utf8))
        #expect(output.exit == .exited(7))
    }

    @Test func collectsMoreThanAPipeHolds() throws {
        let output = try #require(try run("/bin/sh", ["-c", "head -c 1000000 /dev/zero"])?.get())
        #expect(output.stdout.count == 1_000_000)
        #expect(output.exit.succeeded)
    }

    @Test func boundsWhatItKeeps() throws {
        let output = try #require(try run("/bin/sh", ["-c", "head -c 100000 /dev/zero"], limit: 1000)?.get())
        #expect(output.stdout.count == 1000)
        #expect(output.exit.succeeded)
    }

    @Test func reportsSignals() throws {
        let output = try #require(try run("/bin/sh", ["-c", "kill -TERM $$"])?.get())
        #expect(output.exit == .signaled(15))
    }

    @Test func searchesPath() throws {
        #expect(try run("true", [])?.get().exit == .exited(0))
    }

    @Test func doesNotWaitForDescendantsHoldingThePipes() throws {
        let start = F.now()
        let output = try #require(try run("/bin/sh", ["-c", "(sleep 3; echo late) & echo early"])?.get())
        #expect(output.stdout == Array("early\n".utf8))
        #expect(F.now() - start < 2.5)
    }

    @Test func inputLargerThanAPipeIsRefused() {
        guard case .failure(.inputTooLarge)? = run("/bin/cat", [], input: String(repeating: "x", count: 1 << 20)) else {
            Issue.record("expected inputTooLarge"); return
        }
    }
}
