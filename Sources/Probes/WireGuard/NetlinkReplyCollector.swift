import CLibMNL

/// Gathers the messages that answer one netlink request, datagram by datagram, until the
/// kernel's acknowledgement (NLMSG_ERROR 0) or NLMSG_DONE ends it. Pure: the socket code
/// feeds it what recv returned, and tests feed it captured datagrams.
struct NetlinkReplyCollector {
    /// The request's sequence number; messages with another one are ignored.
    let sequence: UInt32
    /// The data messages received so far, in order.
    private(set) var messages: [NetlinkMessage] = []
    /// Whether the reply is complete.
    private(set) var isFinished = false
    /// Whether a message carried NLM_F_DUMP_INTR: the dump changed under us and may be
    /// inconsistent, so the caller asks again.
    private(set) var wasInterrupted = false

    /// A collector for the reply to request `sequence`.
    init(sequence: UInt32) { self.sequence = sequence }

    /// Takes one received datagram. Throws `.refused(errno:)` when the kernel answers with an
    /// error, `.malformed` when the datagram cannot be split into messages.
    mutating func add(datagram: [UInt8]) throws(WireGuardError) {
        for message in try NetlinkMessage.split(datagram) where message.sequence == sequence && !isFinished {
            if message.flags & UInt16(NLM_F_DUMP_INTR) != 0 { wasInterrupted = true }
            switch Int32(message.type) {
            case NLMSG_NOOP:
                continue
            case NLMSG_ERROR, NLMSG_DONE:
                let code = try message.errorCode()
                guard code == 0 else { throw .refused(errno: code) }
                isFinished = true
            default:
                messages.append(message)
            }
        }
    }
}
