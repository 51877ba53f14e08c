import CLibMNL
import Glibc
import SystemCalls

/// What the route monitor knows of the kernel's links and addresses, and the pure function
/// (`apply`) that turns a netlink datagram into the `NetworkChange`s it means. Knowing each
/// link's name and state is what lets up/down be reported only on a real transition, a removed
/// link and an address be named, and a repeated RTM_NEWADDR (IPv6 lifetime refreshes) be
/// ignored. The table is filled by dumps (RTM_GETLINK, then RTM_GETADDR) whose replies update
/// it silently; the view plans them and the monitor sends them. An address on a link the view
/// does not know is named by its IPv4 label, or ignored.
struct NetworkView: Equatable, Sendable {
    /// A link's name and whether it is usable (IFF_UP and IFF_RUNNING).
    struct Link: Equatable, Sendable {
        var name: String
        var isUp: Bool
    }

    /// An address on an interface, by index.
    struct AddressKey: Hashable, Sendable {
        var index: Int32
        var address: IPAddress
    }

    /// What a dump lists.
    enum DumpKind: Equatable, Sendable {
        /// RTM_GETLINK: every link.
        case links
        /// RTM_GETADDR: every IPv4 and IPv6 address.
        case addresses
    }

    /// The dump being answered: its replies carry this sequence number and port id.
    struct Dump: Equatable, Sendable {
        var kind: DumpKind
        var sequence: UInt32
        var portID: UInt32
        var seenLinks: Set<Int32> = []
        var seenAddresses: Set<AddressKey> = []
        var interrupted = false
    }

    /// Links by index.
    private(set) var links: [Int32: Link] = [:]
    /// Usable addresses.
    private(set) var addresses: Set<AddressKey> = []
    /// The dump in progress, if any.
    private(set) var dump: Dump?
    /// Dumps still to make, in order.
    private(set) var plannedDumps: [DumpKind] = [.links, .addresses]

    /// A view that knows nothing yet and plans a dump of links, then addresses.
    init() {}

    /// Plans a fresh dump of links, then addresses (after an overrun); it replaces any planned
    /// dump, and follows the one in progress.
    mutating func planResync() {
        plannedDumps = [.links, .addresses]
    }

    /// Starts the next planned dump when none is in progress: returns what the monitor must
    /// now ask the kernel to dump with this sequence number, or nil.
    mutating func startNextDump(sequence: UInt32, portID: UInt32) -> DumpKind? {
        guard dump == nil, !plannedDumps.isEmpty else { return nil }
        let kind = plannedDumps.removeFirst()
        dump = Dump(kind: kind, sequence: sequence, portID: portID)
        return kind
    }

    /// Forgets the dump in progress (its request could not be sent).
    mutating func abandonDump() { dump = nil }

    /// Decodes one datagram and applies its messages in order.
    mutating func apply(_ buffer: UnsafeRawBufferPointer) throws(NetlinkError) -> [NetworkChange] {
        var changes: [NetworkChange] = []
        for (header, message) in try RouteMessageDecoder.decode(buffer) {
            changes += apply(header, message)
        }
        return changes
    }

    /// Applies one decoded message: a reply to the dump in progress updates the table silently;
    /// a notification reports what it changed.
    mutating func apply(_ header: NetlinkHeader, _ message: RouteMessage) -> [NetworkChange] {
        if var current = dump, header.sequence == current.sequence, header.portID == current.portID {
            if header.flags & UInt16(NLM_F_DUMP_INTR) != 0 { current.interrupted = true }
            dump = current
            return applyDumpReply(message)
        }
        switch message {
        case .link(let facts, removed: false): return linkChanged(facts)
        case .link(let facts, removed: true): return linkRemoved(facts)
        case .address(let facts, let removed): return addressChanged(facts, removed: removed)
        case .route(let facts):
            let isDefault = facts.destinationLength == 0 && facts.table == UInt32(RT_TABLE_MAIN.rawValue) && !facts.isCloned
            return isDefault ? [.defaultRouteChanged(family: facts.family)] : []
        case .done, .error, .ignored: return []
        }
    }

    private mutating func applyDumpReply(_ message: RouteMessage) -> [NetworkChange] {
        guard var current = dump else { return [] }
        switch message {
        case .link(let facts, removed: false) where current.kind == .links:
            links[facts.index] = Link(name: facts.name, isUp: facts.isUp)
            current.seenLinks.insert(facts.index)
        case .address(let facts, removed: false) where current.kind == .addresses && facts.isUsable:
            let key = AddressKey(index: facts.index, address: facts.address)
            addresses.insert(key)
            current.seenAddresses.insert(key)
        case .done:
            dump = nil
            if current.interrupted {
                // The kernel's tables changed while it dumped them: ask again.
                plannedDumps.insert(current.kind, at: 0)
                return []
            }
            switch current.kind {
            case .links:
                links = links.filter { current.seenLinks.contains($0.key) }
                addresses = addresses.filter { links[$0.index] != nil }
            case .addresses:
                addresses = addresses.filter { current.seenAddresses.contains($0) }
            }
            return []
        case .error(let code) where code != 0:
            // The kernel refused the dump: the table may be stale, and retrying at once could
            // loop, so say so and wait for the next overrun to try again.
            dump = nil
            return [.overrun]
        default:
            break
        }
        dump = current
        return []
    }

    private mutating func linkChanged(_ facts: LinkFacts) -> [NetworkChange] {
        // A link that appears while links are dumped is current, whether or not the dump lists it.
        if dump?.kind == .links { dump?.seenLinks.insert(facts.index) }
        guard let known = links[facts.index] else {
            links[facts.index] = Link(name: facts.name, isUp: facts.isUp)
            return [.linkAdded(name: facts.name, index: facts.index)]
                + (facts.isUp ? [.linkUp(name: facts.name, index: facts.index)] : [])
        }
        links[facts.index] = Link(name: facts.name, isUp: facts.isUp)
        if known.name != facts.name {
            // A rename is the old name going away and the new one appearing.
            return [.linkRemoved(name: known.name, index: facts.index), .linkAdded(name: facts.name, index: facts.index)]
                + (facts.isUp ? [.linkUp(name: facts.name, index: facts.index)] : [])
        }
        switch (known.isUp, facts.isUp) {
        case (false, true): return [.linkUp(name: facts.name, index: facts.index)]
        case (true, false): return [.linkDown(name: facts.name, index: facts.index)]
        default: return []
        }
    }

    private mutating func linkRemoved(_ facts: LinkFacts) -> [NetworkChange] {
        links[facts.index] = nil
        addresses = addresses.filter { $0.index != facts.index }
        return [.linkRemoved(name: facts.name, index: facts.index)]
    }

    private mutating func addressChanged(_ facts: AddressFacts, removed: Bool) -> [NetworkChange] {
        let key = AddressKey(index: facts.index, address: facts.address)
        guard let name = links[facts.index]?.name ?? facts.label else { return [] }
        if removed {
            guard addresses.remove(key) != nil else { return [] }
            return [.addressRemoved(interface: name, address: facts.address)]
        }
        guard facts.isUsable, !addresses.contains(key) else { return [] }
        addresses.insert(key)
        if dump?.kind == .addresses { dump?.seenAddresses.insert(key) }
        return [.addressAdded(interface: name, address: facts.address)]
    }
}
