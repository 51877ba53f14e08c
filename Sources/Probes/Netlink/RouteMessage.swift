import SystemCalls

/// The header fields of one netlink message that say what it is and whom it answers: dump
/// replies carry the monitor's own port id and sequence number, notifications do not.
struct NetlinkHeader: Equatable, Sendable {
    /// nlmsg_type (RTM_NEWLINK, NLMSG_DONE, …).
    var type: UInt16
    /// nlmsg_flags (NLM_F_MULTI, NLM_F_DUMP_INTR, …).
    var flags: UInt16
    /// nlmsg_seq.
    var sequence: UInt32
    /// nlmsg_pid: the port id of the socket the message answers; 0 for the kernel's own events.
    var portID: UInt32
}

/// One rtnetlink message, reduced to the facts the route monitor tracks. Decoding
/// (`RouteMessageDecoder`) and deciding what changed (`NetworkView`) are separate so that each
/// is tested on its own.
enum RouteMessage: Equatable, Sendable {
    /// RTM_NEWLINK, or RTM_DELLINK when `removed`, of a network device (family AF_UNSPEC).
    case link(LinkFacts, removed: Bool)
    /// RTM_NEWADDR, or RTM_DELADDR when `removed`, of an IPv4 or IPv6 address.
    case address(AddressFacts, removed: Bool)
    /// RTM_NEWROUTE or RTM_DELROUTE of an IPv4 or IPv6 route.
    case route(RouteFacts)
    /// NLMSG_DONE: the end of a dump.
    case done
    /// NLMSG_ERROR: the errno (positive) a request failed with; 0 is an acknowledgement.
    case error(Int32)
    /// Anything else (other families, other message types).
    case ignored
}

/// What a link message says about a device.
struct LinkFacts: Equatable, Sendable {
    /// ifi_index.
    var index: Int32
    /// IFLA_IFNAME.
    var name: String
    /// IFF_UP and IFF_RUNNING are both set: up, with an operational state that passes traffic.
    var isUp: Bool
}

/// What an address message says.
struct AddressFacts: Equatable, Sendable {
    /// ifa_index: the interface the address is on.
    var index: Int32
    /// IFA_LOCAL, or IFA_ADDRESS when there is no IFA_LOCAL (IPv6).
    var address: IPAddress
    /// IFA_LABEL (IPv4 only): the interface name, or an alias like "eth0:1".
    var label: String?
    /// Neither tentative (duplicate address detection running) nor failed DAD.
    var isUsable: Bool
}

/// What a route message says, as far as telling a default route of the main table goes.
struct RouteFacts: Equatable, Sendable {
    /// rtm_family: AF_INET or AF_INET6.
    var family: Int32
    /// rtm_dst_len: 0 for a default route.
    var destinationLength: UInt8
    /// RTA_TABLE, or rtm_table when absent.
    var table: UInt32
    /// RTM_F_CLONED: a cached exception, not a configured route.
    var isCloned: Bool
}
