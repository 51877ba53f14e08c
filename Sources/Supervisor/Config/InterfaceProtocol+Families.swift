import SystemCalls

extension InterfaceProtocol {
    /// The families this interface discovers and publishes, in record order (IPv4 first, as
    /// stunmesh-go writes them).
    public var families: [IPFamily] {
        switch self {
        case .ipv4: [.ipv4]
        case .ipv6: [.ipv6]
        case .dualstack: [.ipv4, .ipv6]
        }
    }
}
