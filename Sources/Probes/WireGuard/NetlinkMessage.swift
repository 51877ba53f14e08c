import CLibMNL

/// One netlink message (header fields and payload), split out of a received datagram with
/// libmnl's mnl_nlmsg_ok / mnl_nlmsg_next. Pure, so it is tested on captured kernel replies.
struct NetlinkMessage: Equatable {
    /// nlmsg_type: NLMSG_ERROR, NLMSG_DONE, or a family id.
    let type: UInt16
    /// nlmsg_flags (NLM_F_MULTI, NLM_F_DUMP_INTR, …).
    let flags: UInt16
    /// nlmsg_seq: the sequence number of the request it answers.
    let sequence: UInt32
    /// The payload after the header.
    let payload: [UInt8]

    /// The messages in one datagram; throws if one is truncated or bytes are left over.
    static func split(_ datagram: [UInt8]) throws(WireGuardError) -> [NetlinkMessage] {
        var result: [NetlinkMessage] = []
        let leftover = datagram.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress, raw.count > 0 else { return 0 }
            var remaining = Int32(raw.count)
            var cursor = UnsafePointer(base.assumingMemoryBound(to: nlmsghdr.self))
            // mnl_nlmsg_ok compares nlmsg_len as a signed int: a length of 2^31 or more reads as
            // negative and passes. Check it against what is left ourselves.
            while mnl_nlmsg_ok(cursor, remaining), cursor.pointee.nlmsg_len <= UInt32(remaining) {
                let header = cursor.pointee
                let payload = UnsafeRawBufferPointer(start: mnl_nlmsg_get_payload(cursor),
                                                     count: Int(mnl_nlmsg_get_payload_len(cursor)))
                result.append(NetlinkMessage(type: header.nlmsg_type, flags: header.nlmsg_flags,
                                             sequence: header.nlmsg_seq, payload: Array(payload)))
                guard let next = mnl_nlmsg_next(cursor, &remaining) else { break }
                cursor = UnsafePointer(next)
            }
            return remaining
        }
        guard leftover <= 0 else { throw .malformed("netlink datagram has \(leftover) stray bytes") }
        return result
    }

    /// The attributes of a generic netlink message (after its 4-byte genlmsghdr).
    func genericAttributes() throws(WireGuardError) -> [NetlinkAttribute] {
        let header = MemoryLayout<genlmsghdr>.size
        guard payload.count >= header else { throw .malformed("generic netlink message without genlmsghdr") }
        return try NetlinkAttribute.list(in: Array(payload[header...]))
    }

    /// The errno (positive) of an NLMSG_ERROR or NLMSG_DONE message; 0 is an acknowledgement.
    func errorCode() throws(WireGuardError) -> Int32 {
        guard payload.count >= 4 else { throw .malformed("netlink error message too short") }
        let value = payload.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        return value == Int32.min ? Int32.max : -value
    }
}
