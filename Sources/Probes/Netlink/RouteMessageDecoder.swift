import CLibMNL
import Glibc
import SystemCalls

/// Turns one datagram read from a NETLINK_ROUTE socket into `RouteMessage`s, with libmnl doing
/// the framing (mnl_nlmsg_ok/next) and attribute walking (mnl_attr_parse, mnl_attr_validate).
/// It walks the messages itself rather than through mnl_cb_run because mnl_cb_run aborts the
/// whole buffer on NLM_F_DUMP_INTR, hiding the NLMSG_DONE the monitor needs to see to restart
/// an interrupted dump.
enum RouteMessageDecoder {
    /// Decodes every message in `buffer`. Throws `.malformed` if a message is too short for its
    /// type, an attribute the monitor reads has the wrong size, or bytes are left over that do
    /// not form a whole message.
    static func decode(_ buffer: UnsafeRawBufferPointer) throws(NetlinkError) -> [(NetlinkHeader, RouteMessage)] {
        guard buffer.count > 0 else { return [] }
        guard buffer.count <= Int(Int32.max) else { throw .malformed("buffer of \(buffer.count) bytes") }
        // Netlink headers and attributes are 4-byte aligned; a caller's bytes need not be. libmnl
        // walks a message's attributes up to its length rounded up to 4 (MNL_ALIGN), so a last
        // message whose length is not a multiple of 4 would be read past the datagram: the copy is
        // padded with zeros to the next multiple of 4 (found by fuzzing: a 1-byte over-read).
        let padded = (buffer.count + 3) & ~3
        let aligned = UnsafeMutableRawBufferPointer.allocate(byteCount: padded, alignment: 8)
        defer { aligned.deallocate() }
        aligned.initializeMemory(as: UInt8.self, repeating: 0)
        aligned.copyMemory(from: buffer)

        var messages: [(NetlinkHeader, RouteMessage)] = []
        var remaining = Int32(buffer.count)
        var nlh = UnsafePointer(aligned.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
        // mnl_nlmsg_ok compares the length as a signed int, so it passes a length of 2 GiB or
        // more: check that too, or a corrupted header would send the reads off the buffer.
        while mnl_nlmsg_ok(nlh, remaining), nlh.pointee.nlmsg_len <= UInt32(remaining) {
            let header = NetlinkHeader(type: nlh.pointee.nlmsg_type, flags: nlh.pointee.nlmsg_flags,
                                       sequence: nlh.pointee.nlmsg_seq, portID: nlh.pointee.nlmsg_pid)
            messages.append((header, try message(nlh)))
            nlh = UnsafePointer(mnl_nlmsg_next(nlh, &remaining))
        }
        guard remaining <= 0 else { throw .malformed("\(remaining) bytes after the last whole message") }
        return messages
    }

    /// Decodes one message that libmnl has checked fits in the buffer.
    static func message(_ nlh: UnsafePointer<nlmsghdr>) throws(NetlinkError) -> RouteMessage {
        let type = Int32(nlh.pointee.nlmsg_type)
        switch type {
        case NLMSG_DONE:
            return .done
        case NLMSG_ERROR:
            let code: Int32 = try fixedHeader(nlh)
            // The kernel sends -errno; INT32_MIN has no positive counterpart (found by fuzzing:
            // negating it trapped).
            return .error(code == Int32.min ? Int32.max : -code)
        case Int32(RTM_NEWLINK), Int32(RTM_DELLINK):
            return try link(nlh, removed: type == Int32(RTM_DELLINK))
        case Int32(RTM_NEWADDR), Int32(RTM_DELADDR):
            return try address(nlh, removed: type == Int32(RTM_DELADDR))
        case Int32(RTM_NEWROUTE), Int32(RTM_DELROUTE):
            return try route(nlh)
        default:
            return .ignored
        }
    }

    private static func link(_ nlh: UnsafePointer<nlmsghdr>, removed: Bool) throws(NetlinkError) -> RouteMessage {
        let info: ifinfomsg = try fixedHeader(nlh)
        // AF_BRIDGE link messages describe bridge ports, not devices coming and going.
        guard info.ifi_family == UInt8(AF_UNSPEC) else { return .ignored }
        let attributes = try Attributes(nlh, after: MemoryLayout<ifinfomsg>.size)
        guard let name = try attributes.string(Int(IFLA_IFNAME)) else { throw .malformed("link message without IFLA_IFNAME") }
        let up = UInt32(IFF_UP) | UInt32(IFF_RUNNING)
        return .link(LinkFacts(index: info.ifi_index, name: name, isUp: info.ifi_flags & up == up), removed: removed)
    }

    private static func address(_ nlh: UnsafePointer<nlmsghdr>, removed: Bool) throws(NetlinkError) -> RouteMessage {
        let info: ifaddrmsg = try fixedHeader(nlh)
        let family = Int32(info.ifa_family)
        guard family == AF_INET || family == AF_INET6 else { return .ignored }
        let attributes = try Attributes(nlh, after: MemoryLayout<ifaddrmsg>.size)
        guard let bytes = attributes.bytes(Int(IFA_LOCAL)) ?? attributes.bytes(Int(IFA_ADDRESS)),
              let address = IPAddress(bytes: bytes), address.family == family else {
            throw .malformed("address message without a \(family == AF_INET ? "4" : "16")-byte address")
        }
        let flags = try attributes.u32(Int(IFA_FLAGS)) ?? UInt32(info.ifa_flags)
        let unusable = UInt32(IFA_F_TENTATIVE) | UInt32(IFA_F_DADFAILED)
        return .address(AddressFacts(index: Int32(bitPattern: info.ifa_index), address: address,
                                     label: try attributes.string(Int(IFA_LABEL)), isUsable: flags & unusable == 0),
                        removed: removed)
    }

    private static func route(_ nlh: UnsafePointer<nlmsghdr>) throws(NetlinkError) -> RouteMessage {
        let info: rtmsg = try fixedHeader(nlh)
        let family = Int32(info.rtm_family)
        guard family == AF_INET || family == AF_INET6 else { return .ignored }
        let attributes = try Attributes(nlh, after: MemoryLayout<rtmsg>.size)
        let table = try attributes.u32(Int(RTA_TABLE.rawValue)) ?? UInt32(info.rtm_table)
        return .route(RouteFacts(family: family, destinationLength: info.rtm_dst_len, table: table,
                                 isCloned: info.rtm_flags & UInt32(RTM_F_CLONED) != 0))
    }

    /// The fixed-size struct at the start of the payload (ifinfomsg, ifaddrmsg, rtmsg, the
    /// errno of nlmsgerr), if the payload is long enough to hold it.
    private static func fixedHeader<T: BitwiseCopyable>(_ nlh: UnsafePointer<nlmsghdr>) throws(NetlinkError) -> T {
        guard mnl_nlmsg_get_payload_len(nlh) >= MemoryLayout<T>.size else {
            throw .malformed("message type \(nlh.pointee.nlmsg_type) shorter than its \(T.self)")
        }
        return UnsafeRawPointer(mnl_nlmsg_get_payload(nlh)).loadUnaligned(as: T.self)
    }
}

/// The attributes of one message by type (the last one wins), read with libmnl's validation.
private struct Attributes {
    private var byType: [UInt16: UnsafePointer<nlattr>] = [:]

    /// Collects the attributes that follow the `offset`-byte fixed header of `nlh`.
    init(_ nlh: UnsafePointer<nlmsghdr>, after offset: Int) throws(NetlinkError) {
        let result = withUnsafeMutablePointer(to: &byType) { table in
            mnl_attr_parse(nlh, UInt32(offset), collectAttribute, table)
        }
        guard result >= MNL_CB_STOP else { throw .malformed("attributes of message type \(nlh.pointee.nlmsg_type)") }
    }

    /// A NUL-terminated string attribute.
    func string(_ type: Int) throws(NetlinkError) -> String? {
        guard let attr = try validated(type, MNL_TYPE_NUL_STRING) else { return nil }
        return String(cString: mnl_attr_get_str(attr))
    }

    /// A 32-bit attribute, host order.
    func u32(_ type: Int) throws(NetlinkError) -> UInt32? {
        guard let attr = try validated(type, MNL_TYPE_U32) else { return nil }
        return mnl_attr_get_u32(attr)
    }

    /// A binary attribute's bytes.
    func bytes(_ type: Int) -> [UInt8]? {
        guard let attr = byType[UInt16(type)] else { return nil }
        let payload = UnsafeRawBufferPointer(start: mnl_attr_get_payload(attr), count: Int(mnl_attr_get_payload_len(attr)))
        return Array(payload)
    }

    private func validated(_ type: Int, _ kind: mnl_attr_data_type) throws(NetlinkError) -> UnsafePointer<nlattr>? {
        guard let attr = byType[UInt16(type)] else { return nil }
        guard mnl_attr_validate(attr, kind) >= 0 else { throw .malformed("attribute \(type) of the wrong size") }
        return attr
    }
}

/// mnl_attr_parse's callback: files each attribute under its type.
private let collectAttribute: mnl_attr_cb_t = { attr, data in
    guard let attr, let data else { return MNL_CB_ERROR }
    data.assumingMemoryBound(to: [UInt16: UnsafePointer<nlattr>].self).pointee[mnl_attr_get_type(attr)] = attr
    return MNL_CB_OK
}
