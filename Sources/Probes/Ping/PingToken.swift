/// Names one ping sent by a `Pinger`, so its owner can cancel it. Tokens are never reused by a
/// `Pinger`, unlike ICMP sequence numbers, which wrap.
public struct PingToken: Hashable, Sendable {
    /// A serial number, unique within one `Pinger`.
    let serial: UInt64
}
