import CLibMNL

/// One netlink attribute (type and payload), copied out of a message so it outlives the
/// receive buffer. Walking and type extraction go through libmnl; the scalar readers check the
/// payload length first, so a short or oversized attribute is a typed error, never a bad read.
struct NetlinkAttribute: Equatable {
    /// The attribute type with the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits removed.
    let type: UInt16
    /// The payload, without header or padding.
    let payload: [UInt8]

    /// The attributes packed in `bytes` (a message's payload after its fixed header, or a nested
    /// attribute's payload), in order. Throws if an attribute runs past the end.
    static func list(in bytes: [UInt8]) throws(WireGuardError) -> [NetlinkAttribute] {
        var result: [NetlinkAttribute] = []
        let complete = bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress, raw.count > 0 else { return true }
            let end = base + raw.count
            var cursor = UnsafePointer(base.assumingMemoryBound(to: nlattr.self))
            while mnl_attr_ok(cursor, Int32(end - UnsafeRawPointer(cursor))) {
                let length = Int(mnl_attr_get_payload_len(cursor))
                let payload = UnsafeRawBufferPointer(start: mnl_attr_get_payload(cursor), count: length)
                result.append(NetlinkAttribute(type: mnl_attr_get_type(cursor), payload: Array(payload)))
                guard let next = mnl_attr_next(cursor) else { break }
                cursor = UnsafePointer(next)
            }
            // The last attribute's alignment padding may be missing at the very end.
            return end - UnsafeRawPointer(cursor) <= 0
        }
        guard complete else { throw .malformed("netlink attribute runs past the end of its container") }
        return result
    }

    /// The attributes nested in this one.
    func nested() throws(WireGuardError) -> [NetlinkAttribute] {
        try NetlinkAttribute.list(in: payload)
    }

    /// The payload as a host-order unsigned integer of exactly its size.
    func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ name: String) throws(WireGuardError) -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw .malformed("\(name) has \(payload.count) bytes, expected \(MemoryLayout<T>.size)")
        }
        return payload.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }

    /// The payload as exactly `count` bytes (keys).
    func bytes(count: Int, _ name: String) throws(WireGuardError) -> [UInt8] {
        guard payload.count == count else { throw .malformed("\(name) has \(payload.count) bytes, expected \(count)") }
        return payload
    }

    /// The payload as a NUL-terminated string.
    func string(_ name: String) throws(WireGuardError) -> String {
        guard let nul = payload.firstIndex(of: 0) else { throw .malformed("\(name) is not NUL-terminated") }
        return String(decoding: payload[..<nul], as: UTF8.self)
    }
}
