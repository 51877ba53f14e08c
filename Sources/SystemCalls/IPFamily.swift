import Glibc

/// IPv4 or IPv6, as a value the code can switch on: STUN runs once per family, records carry one
/// endpoint per family, and a dual-stack interface keeps per-family NAT observations.
public enum IPFamily: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// IPv4 (AF_INET).
    case ipv4
    /// IPv6 (AF_INET6).
    case ipv6

    /// The socket address family constant (AF_INET or AF_INET6).
    public var socketFamily: Int32 { self == .ipv4 ? AF_INET : AF_INET6 }

    /// "ipv4" or "ipv6", as stunmesh-go's records and config name the families.
    public var description: String { rawValue }
}

extension IPAddress {
    /// The family of this address.
    public var ipFamily: IPFamily { isIPv4 ? .ipv4 : .ipv6 }
}
