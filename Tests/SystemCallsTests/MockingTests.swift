import Glibc
@testable import SystemCalls
import Testing

@Suite struct MockingTests {
    @Test func retriesInterruptedCalls() throws {
        let driver = MockingDriver()
        driver.script("read", .fail(.interrupted), .fail(.interrupted), .value(3))
        var buffer = [UInt8](repeating: 0, count: 8)
        let n = try driver.withMocking {
            try buffer.withUnsafeMutableBytes { try Sys.read(-1, $0) }
        }
        #expect(n == 3)
        #expect(driver.trace == ["read", "read", "read"])
    }

    @Test func surfacesWouldBlockAsTypedError() {
        let driver = MockingDriver()
        driver.script("recv", .fail(.wouldBlock))
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: Errno.wouldBlock) {
            try driver.withMocking { try buffer.withUnsafeMutableBytes { try Sys.recv(-1, $0) } }
        }
    }

    @Test func writeAllLoopsOverShortWrites() throws {
        let fds = try Sys.pipe()
        defer { Sys.close(fds.0); Sys.close(fds.1) }
        let driver = MockingDriver()
        driver.script("write", .fail(.interrupted))
        try driver.withMocking { try Sys.writeAll(fds.1, Array("hello".utf8)) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = try buffer.withUnsafeMutableBytes { try Sys.read(fds.0, $0) }
        #expect(Array(buffer[..<n]) == Array("hello".utf8))
    }
}
