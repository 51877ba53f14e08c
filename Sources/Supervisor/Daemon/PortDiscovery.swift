import EventLoop
import Stun
import SystemCalls

/// STUN discovery per WireGuard port, not per peer: every peer of an interface shares the one
/// mapping of WireGuard's port, so one exchange (every server raced, each family of the
/// interface) serves every peer that asks while it runs, and its answer serves peers that ask
/// within `reuseFor` seconds after it. A hub with a thousand peers sends one exchange, not a
/// thousand identical ones from the same port; a repair of many peers at once likewise.
/// Completions run on the loop, never inside `discover`, never after the request's `cancel`.
final class PortDiscovery {
    /// One peer's request; `cancel()` drops its completion (the exchange goes on for the others).
    final class Request {
        fileprivate var completion: ((DiscoveryResults) -> Void)?
        /// Drops the completion.
        func cancel() { completion = nil }
    }

    typealias DiscoveryResults = [IPFamily: Result<StunMappings, StunDiscoveryError>]

    /// Seconds an answer serves later requests for the same port and families (a burst of
    /// repairs, peers starting together).
    static let reuseFor = 1.0

    private let loop: EventLoop
    private var inFlight: (key: Key, discovery: DualStackDiscovery)?
    private var waiting: [Request] = []
    private var last: (key: Key, at: Double, results: DiscoveryResults)?
    /// Exchanges started so far (for tests and benchmarks).
    private(set) var exchanges = 0
    /// Loop time the last exchange finished (answered or not); nil before the first. The
    /// interface's `MappingCheck` waits its interval from here.
    private(set) var lastExchangeAt: Double?

    private struct Key: Equatable {
        var families: [IPFamily], port: UInt16, fwmark: UInt32, servers: [String]
    }

    init(loop: EventLoop) { self.loop = loop }

    /// Our mapping for `port` in `families`: shares the exchange in flight or a fresh answer.
    func discover(families: [IPFamily], port: UInt16, fwmark: UInt32, servers: [String],
                  completion: @escaping (DiscoveryResults) -> Void) -> Request {
        let key = Key(families: families, port: port, fwmark: fwmark, servers: servers)
        let request = Request()
        request.completion = completion
        if let last, last.key == key, loop.now - last.at <= Self.reuseFor {
            let results = last.results
            loop.soon { request.completion?(results); request.completion = nil }
            return request
        }
        waiting.append(request)
        if let inFlight, inFlight.key == key { return request }
        inFlight?.discovery.cancel()
        exchanges += 1
        let discovery = DualStackDiscovery(loop: loop, families: families, localPort: port, fwmark: fwmark,
                                           servers: servers) { [weak self] results in
            self?.finished(key, results)
        }
        inFlight = (key, discovery)
        discovery.start()
        return request
    }

    private func finished(_ key: Key, _ results: DiscoveryResults) {
        guard inFlight?.key == key else { return }
        inFlight = nil
        last = (key, loop.now, results)
        lastExchangeAt = loop.now
        let served = waiting
        waiting = []
        for request in served {
            request.completion?(results)
            request.completion = nil
        }
    }

    /// Forgets the last answer (the network changed: the mapping may have moved).
    func forget() { last = nil }

    /// Stops the exchange in flight; no completion runs.
    func stop() {
        inFlight?.discovery.cancel()
        inFlight = nil
        waiting = []
    }
}
