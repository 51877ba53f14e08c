import SystemCalls

/// The outcome of one discovery in one family: every answering server's mapping, in the order
/// the answers came, and the NAT behaviour they reveal together.
public struct StunMappings: Sendable, Equatable {
    /// IPv4 or IPv6.
    public var family: IPFamily
    /// One per answering server, first answer first; never empty.
    public var all: [StunMapping]

    /// A result from its mappings; nil when there are none.
    public init?(family: IPFamily, all: [StunMapping]) {
        guard !all.isEmpty else { return nil }
        self.family = family
        self.all = all
    }

    /// The first answer: the mapping to publish (with a symmetric NAT, no mapping is right).
    public var first: StunMapping { all[0] }

    /// What comparing the mappings says about the NAT.
    public var behaviour: NatBehaviour { NatBehaviour.judge(all) }
}
