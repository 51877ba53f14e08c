import CLibMNL

/// Builds one generic netlink request in a buffer with libmnl (mnl_nlmsg_put_header,
/// mnl_attr_put*, mnl_attr_nest_*). Callers only add attributes of bounded size, far below the
/// buffer's capacity, so the unchecked libmnl calls cannot overrun it.
struct NetlinkRequestBuilder {
    /// Room for every request stunmeshd builds (the largest is under 200 bytes).
    static let capacity = 1024

    /// The bytes of a request with `type` (a family id or GENL_ID_CTRL), `flags`, `sequence`,
    /// a genlmsghdr of `command` / `version`, and the attributes `body` adds.
    static func request(type: UInt16, flags: UInt16, sequence: UInt32, command: UInt8, version: UInt8,
                        _ body: (UnsafeMutablePointer<nlmsghdr>) -> Void) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let length = buffer.withUnsafeMutableBytes { raw -> Int in
            let message = mnl_nlmsg_put_header(raw.baseAddress)!
            message.pointee.nlmsg_type = type
            message.pointee.nlmsg_flags = flags
            message.pointee.nlmsg_seq = sequence
            let genl = mnl_nlmsg_put_extra_header(message, MemoryLayout<genlmsghdr>.size)!
                .assumingMemoryBound(to: genlmsghdr.self)
            genl.pointee.cmd = command
            genl.pointee.version = version
            body(message)
            return Int(message.pointee.nlmsg_len)
        }
        return Array(buffer[..<length])
    }
}

extension UnsafeMutablePointer where Pointee == nlmsghdr {
    /// Adds a NUL-terminated string attribute.
    func putString(_ type: UInt16, _ text: String) {
        mnl_attr_put_strz(self, type, text)
    }

    /// Adds an attribute with these payload bytes.
    func putBytes(_ type: UInt16, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { mnl_attr_put(self, type, $0.count, $0.baseAddress) }
    }

    /// Adds a nested attribute holding what `body` adds.
    func putNest(_ type: UInt16, _ body: () -> Void) {
        let nest = mnl_attr_nest_start(self, type)
        body()
        mnl_attr_nest_end(self, nest)
    }
}
