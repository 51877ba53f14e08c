import EventLoop
import SystemCalls

/// Discovery in several families at once, for a dual-stack interface: one `StunDiscovery` per
/// family, run in parallel from the same WireGuard port, and one completion when every family
/// has its answer (a mapping or why there is none). Same contract as `StunDiscovery`: called
/// once, on the loop, never inside `start()`, never after `cancel()`.
public final class DualStackDiscovery {
    private var discoveries: [StunDiscovery] = []
    private var results: [IPFamily: Result<StunMappings, StunDiscoveryError>] = [:]
    private let families: [IPFamily]
    private let completion: ([IPFamily: Result<StunMappings, StunDiscoveryError>]) -> Void
    private var finished = false

    /// A discovery in each of `families` (duplicates ignored); the other parameters are
    /// `StunDiscovery`'s.
    public init(loop: EventLoop, families: [IPFamily], localPort: UInt16, fwmark: UInt32, servers: [String],
                policy: StunRetransmitPolicy = .default, software: String? = "stunmeshd",
                completion: @escaping ([IPFamily: Result<StunMappings, StunDiscoveryError>]) -> Void) {
        var unique: [IPFamily] = []
        for family in families where !unique.contains(family) { unique.append(family) }
        self.families = unique
        self.completion = completion
        discoveries = unique.map { family in
            StunDiscovery(loop: loop, family: family, localPort: localPort, fwmark: fwmark, servers: servers,
                          policy: policy, software: software) { [weak self] result in
                self?.record(family, result)
            }
        }
    }

    /// Starts every family's discovery on the next loop iteration.
    public func start() {
        for discovery in discoveries { discovery.start() }
    }

    /// Stops everything; the completion will not be called.
    public func cancel() {
        finished = true
        for discovery in discoveries { discovery.cancel() }
    }

    private func record(_ family: IPFamily, _ result: Result<StunMappings, StunDiscoveryError>) {
        guard !finished else { return }
        results[family] = result
        guard results.count == families.count else { return }
        finished = true
        withExtendedLifetime(self) { completion(results) }
    }
}
