import EventLoop
import Glibc
import Probes
import Record
@testable import Supervisor

/// A store in memory whose answers the test scripts: immediate or delayed, failing, or never.
final class ScriptedStore: Store {
    enum Behaviour {
        /// Answers after `delay` seconds.
        case answer(after: Double)
        /// Fails (on the loop) with this message.
        case fail(String)
        /// Never answers.
        case hang
    }

    let name: String
    let loop: EventLoop
    var values: [String: String] = [:]
    var behaviour: Behaviour = .answer(after: 0)
    /// Whether `watch` gives a (free) watch; its `onChange` is never called.
    var watchable = false
    private(set) var gets = 0
    private(set) var sets = 0
    private var timers: [TimerWatcher] = []
    private var hung: [() -> Void] = []

    init(_ name: String, loop: EventLoop) {
        self.name = name
        self.loop = loop
    }

    func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        gets += 1
        respond(success: { [unowned self] in completion(.success(self.values[key])) },
                failure: { completion(.failure($0)) })
    }

    func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        sets += 1
        respond(success: { [unowned self] in
            self.values[key] = value
            completion(.success(()))
        }, failure: { completion(.failure($0)) })
    }

    final class Watch: StoreWatch {
        func cancel() {}
    }

    func watch(key: String, onChange: @escaping () -> Void) -> StoreWatch? {
        watchable ? Watch() : nil
    }

    private func respond(success: @escaping () -> Void, failure: @escaping (StoreError) -> Void) {
        switch behaviour {
        case .answer(let delay):
            let timer = TimerWatcher(loop: loop) { success() }
            timer.start(after: delay)
            timers.append(timer)
        case .fail(let message):
            let error = StoreError("\(name): \(message)")
            loop.soon { failure(error) }
        case .hang:
            hung.append(success)
        }
    }
}

enum LoopDriver {
    /// Runs `loop` until `done()` holds or `timeout` seconds pass; returns `done()`.
    @discardableResult
    static func drive(_ loop: EventLoop, timeout: Double = 10, until done: () -> Bool) -> Bool {
        let deadline = TimerWatcher(loop: loop) {}
        deadline.start(after: timeout)
        while !done() && deadline.isActive { loop.runOnce() }
        return done()
    }

    /// Runs `loop` for `seconds`.
    static func run(_ loop: EventLoop, for seconds: Double) {
        var over = false
        let timer = TimerWatcher(loop: loop) { over = true }
        timer.start(after: seconds)
        while !over { loop.runOnce() }
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// The worked example's two nodes: A publishes for B, B reads A's record.
enum TestNodes {
    static let aPrivate = WireGuardKey(base64: "ERERERERERERERERERERERERERERERERERERERERERE=")!
    static let bPrivate = WireGuardKey(base64: "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=")!
    static let a = InterfaceKeys(privateKey: aPrivate, publicKey: aPrivate.publicKey())
    static let b = InterfaceKeys(privateKey: bPrivate, publicKey: bPrivate.publicKey())
    static let quiet = Logger.quiet

    /// A lane over `store`.
    static func lane(_ plugin: String, _ store: Store, policy: StoreWritePolicy = .always, timeout: Double = 5,
                     loop: EventLoop, pacer: SharedReadPacer? = nil) -> StoreLane {
        StoreLane(plugin: plugin, store: store, policy: policy, timeout: timeout, loop: loop, logger: quiet,
                  wallClock: { 1_000_000 }, pacer: pacer)
    }

    /// A's exchange (publishing for B) over `lanes`.
    static func publisher(_ lanes: [StoreLane], loop: EventLoop, grace: Double = 0.3, clock: @escaping () -> Int = { 1_700_000_000 })
        -> RecordExchange {
        RecordExchange(peerKey: b.publicKey, lanes: lanes, loop: loop, logger: quiet, grace: grace,
                       wallClock: { 1_000_000 }, unixTime: clock)
    }

    /// B's exchange (reading A's record) over `lanes`.
    static func reader(_ lanes: [StoreLane], loop: EventLoop, grace: Double = 0.3) -> RecordExchange {
        RecordExchange(peerKey: a.publicKey, lanes: lanes, loop: loop, logger: quiet, grace: grace,
                       wallClock: { 1_000_000 })
    }
}

extension RecordExchange {
    /// Publishes and drives the loop until it answers.
    func publishNow(_ record: EndpointRecord, keys: InterfaceKeys, loop: EventLoop) -> Result<Published, StoreError>? {
        var result: Result<Published, StoreError>?
        publish(record, keys: keys) { result = $0 }
        LoopDriver.drive(loop, timeout: 20) { result != nil }
        return result
    }

    /// Reads and drives the loop until it answers.
    func readNow(keys: InterfaceKeys, loop: EventLoop) -> Read? {
        var result: Read?
        read(keys: keys) { result = $0 }
        LoopDriver.drive(loop, timeout: 20) { result != nil }
        return result
    }
}
