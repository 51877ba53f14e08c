import Stun
import SystemCalls

/// One discovery's results in every family the interface publishes, read for the daemon: the
/// endpoints to publish, the NAT behaviour per family, what failed, and the event for the
/// state machine. A pure value, so the dual-stack rules are testable without sockets: any
/// family that answered is published; only when none did has the discovery failed.
public struct DiscoveryOutcome: Sendable {
    /// The families asked, in record order.
    public let families: [IPFamily]
    /// The mappings of the families that answered.
    public let found: [IPFamily: StunMappings]
    /// Why the other families have none.
    public let failures: [IPFamily: StunDiscoveryError]

    /// Sorts `results` for `families`; a family missing from the results counts as failed.
    public init(families: [IPFamily], results: [IPFamily: Result<StunMappings, StunDiscoveryError>]) {
        self.families = families
        var found: [IPFamily: StunMappings] = [:]
        var failures: [IPFamily: StunDiscoveryError] = [:]
        for family in families {
            switch results[family] {
            case .success(let mappings)?: found[family] = mappings
            case .failure(let error)?: failures[family] = error
            case nil: failures[family] = .noServers
            }
        }
        self.found = found
        self.failures = failures
    }

    /// Our endpoint (the first server's answer) in each family that answered.
    public var endpoints: PublicEndpoints {
        var endpoints = PublicEndpoints()
        for (family, mappings) in found { endpoints[family] = mappings.first.mapped }
        return endpoints
    }

    /// The NAT behaviour each answering family showed.
    public var behaviours: [IPFamily: NatBehaviour] { found.mapValues(\.behaviour) }

    /// `discovered` with the endpoints, or `discoveryFailed` naming every family's reason.
    public var event: PeerStateMachine.Event {
        guard endpoints.isEmpty else { return .discovered(endpoints) }
        if families.count == 1, let error = failures[families[0]] { return .discoveryFailed("\(error)") }
        let reasons = families.compactMap { family in failures[family].map { "\(family): \($0)" } }
        return .discoveryFailed(reasons.joined(separator: "; "))
    }
}
