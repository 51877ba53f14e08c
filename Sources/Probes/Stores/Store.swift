import EventLoop

/// Why a store operation failed, as one sentence for logs (a plugin's own error text, an
/// errno, a timeout). The supervisor only logs it and retries later, so it carries no cases.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// A key-value store two peers share: where each publishes its sealed endpoint record and reads
/// the other's. Completions run on the loop, never synchronously inside get/set.
public protocol Store: AnyObject {
    /// A short name for logs ("file /var/lib/stunmesh", "exec /usr/local/bin/plugin").
    var name: String { get }

    /// Reads the value under `key`; `nil` when there is no record under that key.
    func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void)

    /// Writes `value` under `key`, replacing what was there.
    func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void)
}
