import SystemCalls

/// One thing that changed in the kernel's view of the network. The supervisor reacts to these
/// (re-STUN, re-read WireGuard) instead of polling; each case names what changed so that it can
/// tell a change of the WireGuard interface itself from a change of the path to the Internet.
public enum NetworkChange: Equatable, Sendable {
    /// A link appeared (RTM_NEWLINK for an index not known before, or a link renamed to `name`).
    case linkAdded(name: String, index: Int32)
    /// A link went away (RTM_DELLINK, or a link renamed away from `name`).
    case linkRemoved(name: String, index: Int32)
    /// A link became usable: it is administratively up (IFF_UP) and its operational state lets
    /// traffic through (IFF_RUNNING).
    case linkUp(name: String, index: Int32)
    /// A link stopped being usable: it lost IFF_UP or IFF_RUNNING.
    case linkDown(name: String, index: Int32)
    /// An address (v4 or v6) became usable on an interface (RTM_NEWADDR; IPv6 addresses once
    /// duplicate address detection has passed).
    case addressAdded(interface: String, address: IPAddress)
    /// An address was removed from an interface (RTM_DELADDR).
    case addressRemoved(interface: String, address: IPAddress)
    /// A default route (destination length 0) of the main table was added, replaced or removed;
    /// `family` is AF_INET or AF_INET6.
    case defaultRouteChanged(family: Int32)
    /// The kernel dropped messages meant for the monitor (ENOBUFS), or one could not be read:
    /// anything may have changed, so the supervisor should re-check everything.
    case overrun
}
