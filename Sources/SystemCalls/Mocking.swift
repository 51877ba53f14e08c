import Glibc

// Syscall mocking, in debug builds only (ENABLE_MOCKING, set by Package.swift), after
// swift-system's MockingDriver: a test scripts what the next calls of a syscall return, so that
// EINTR, EAGAIN and short-read paths are exercised without a kernel that misbehaves on cue.

#if ENABLE_MOCKING
// The driver is task-local, so tests that run concurrently each see their own; the daemon's
// targets do not import _Concurrency implicitly (Package.swift), and release builds do not need it.
import _Concurrency

/// What a mocked syscall does on one call.
public enum MockedResult: Sendable, Equatable {
    /// Fail with this errno (the call returns -1).
    case fail(Errno)
    /// Return this value without doing anything.
    case value(Int)
    /// Really make the call.
    case passthrough
}

/// Scripts the results of syscalls for the code running inside `withMocking`, and records the
/// calls that went through the funnel.
public final class MockingDriver: @unchecked Sendable {
    /// Results to hand out, per syscall name (e.g. "recvfrom"), first in first out. A call with
    /// nothing scripted passes through to the kernel.
    public var scripted: [String: [MockedResult]] = [:]
    /// Names of the syscalls made, in order.
    public private(set) var trace: [String] = []

    /// A driver with nothing scripted.
    public init() {}

    /// Appends results for the next calls of `name`.
    public func script(_ name: String, _ results: MockedResult...) {
        scripted[name, default: []].append(contentsOf: results)
    }

    /// Runs `body` with this driver answering the funnel's calls in the current task.
    public func withMocking<R>(_ body: () throws -> R) rethrows -> R {
        try MockingDriver.$current.withValue(self) { try body() }
    }

    @TaskLocal static var current: MockingDriver?

    func next(_ name: String) -> MockedResult {
        trace.append(name)
        guard var queue = scripted[name], !queue.isEmpty else { return .passthrough }
        let result = queue.removeFirst()
        scripted[name] = queue
        return result
    }
}
#endif

/// Routes one syscall through the mocking driver when a test installed one, else calls `real`.
/// The only place that knows about mocking: every wrapper in Syscalls.swift calls it.
@inline(__always)
func funnel<T: BinaryInteger>(_ name: String, _ real: () -> T) -> T {
    #if ENABLE_MOCKING
    if let driver = MockingDriver.current {
        switch driver.next(name) {
        case .fail(let e): errno = e.rawValue; return -1
        case .value(let v): return T(v)
        case .passthrough: break
        }
    }
    #endif
    return real()
}
