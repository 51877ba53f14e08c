import EventLoop
import JSON
import SystemCalls

/// The newest record timestamp (`ts`) accepted from each partner, and the last one we published
/// to each, kept across restarts in `state_file`, so that after a restart an older record that is genuinely sealed by the partner —
/// anyone can add values under a key on OpenDHT, and a store may serve a stale copy — is still
/// refused (`RemoteRecordChoice`) instead of pointing WireGuard at a dead endpoint; and so that
/// after a restart with a clock that went back (a router without a real-time clock, before NTP) we
/// never publish a `ts` below one the partner accepted. Keyed by the store key of the record
/// (`hex(sha1(sender‖receiver))`, which names the pair and the direction). Written atomically
/// whenever either moves up (a side moved; at start, every peer's first publish); a file that
/// cannot be read is reported and replaced, one that cannot be written is logged once and the
/// memory goes on in RAM only. Runs on the loop.
///
/// One write serves every change of a loop iteration: the file holds every peer, so a write per
/// change made a hub's start quadratic (5,000 peers publishing at once: 5,000 writes of a
/// 5,000-entry file, each with an fsync — 21 s before the first record reached the store, and as
/// many flash writes on a router). A published `ts` is still on disk before the record leaves:
/// `published(_:for:then:)` runs the store writes after the write that holds it.
final class ReplayMemory {
    /// The file; nil keeps everything in memory.
    let path: String?
    private(set) var newest: [String: Int]
    private(set) var lastPublished: [String: Int] = [:]
    private let loop: EventLoop
    private let logger: Logger
    private var failing = false
    /// Whatever must wait for the changes noted so far to be on disk; nil when nothing is pending.
    private var pending: [() -> Void]?
    /// File writes made (for tests).
    private(set) var writes = 0

    /// Loads `path` (a missing file is an empty memory; an unreadable one is logged and ignored).
    init(path: String?, loop: EventLoop, logger: Logger) {
        self.path = path.flatMap { $0.isEmpty ? nil : $0 }
        self.loop = loop
        self.logger = logger
        newest = [:]
        guard let file = self.path, let bytes = try? ConfigLoader.readFile(file) else { return }
        if let text = String(validating: bytes, as: UTF8.self), let decoded = Self.decode(text) {
            newest = decoded
            lastPublished = Self.decode(text, field: "last_published") ?? [:]
        } else {
            logger.warning("the replay state file is not valid, starting without it", metadata: ["file": "\(file)"])
        }
    }

    /// The newest `ts` accepted for the partner whose record is under `key`.
    func newest(for key: String) -> Int? { newest[key] }

    /// The last `ts` we published under `key`.
    func lastPublished(for key: String) -> Int? { lastPublished[key] }

    /// Notes that a record with `ts` was accepted under `key`; saved on the next loop iteration
    /// when it is news.
    func accepted(_ ts: Int, for key: String) {
        guard ts > newest[key] ?? Int.min else { return }
        newest[key] = ts
        saveSoon(then: nil)
    }

    /// Notes that we are about to publish `ts` under `key`, and runs `send` (the store writes)
    /// once the file holds it: on the next loop iteration when it is news, at once otherwise (or
    /// when there is no file), so the partner never holds a `ts` that a crash could make us forget.
    func published(_ ts: Int, for key: String, then send: @escaping () -> Void) {
        guard ts > lastPublished[key] ?? Int.min else {
            // Not news, but an earlier change may still be on its way to the file.
            return pending == nil ? send() : pending!.append(send)
        }
        lastPublished[key] = ts
        saveSoon(then: send)
    }

    /// Writes what is pending now (at shutdown), then runs what waited for it.
    func flush() {
        guard let waiting = pending else { return }
        pending = nil
        save()
        for body in waiting { body() }
    }

    private func saveSoon(then body: (() -> Void)?) {
        guard path != nil else { body?(); return }
        if pending == nil {
            pending = []
            loop.soon { [weak self] in self?.flush() }
        }
        if let body { pending!.append(body) }
    }

    private func save() {
        guard let path else { return }
        writes += 1
        do {
            try AtomicFile.write(Self.encode(newest, published: lastPublished), to: path, mode: 0o600)
            if failing {
                failing = false
                logger.info("writing the replay state works again", metadata: ["file": "\(path)"])
            }
        } catch {
            if !failing {
                logger.warning("cannot write the replay state (replay protection holds until a restart only): \(error)",
                               metadata: ["file": "\(path)"])
            }
            failing = true
        }
    }

    /// The file's text: `{"schema":1,"newest_accepted":{"<40 hex>":<unix seconds>,…},
    /// "last_published":{…}}`, keys sorted.
    static func encode(_ newest: [String: Int], published: [String: Int] = [:]) -> String {
        func map(_ entries: [String: Int]) -> JSONValue {
            .object(entries.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })
        }
        var members: [(String, JSONValue)] = [("schema", .number(1)), ("newest_accepted", map(newest))]
        if !published.isEmpty { members.append(("last_published", map(published))) }
        return JSONValue.object(members).encoded() + "\n"
    }

    /// The map under `field` in `text`; nil when it is not such a file. Entries that are not a
    /// 40-hex key with a whole number of seconds in a plausible range are dropped.
    static func decode(_ text: String, field: String = "newest_accepted") -> [String: Int]? {
        guard let json = try? JSONValue(parsing: text), json["schema"]?.intValue == 1,
              let entries = json[field]?.objectValue else { return nil }
        var map: [String: Int] = [:]
        for (key, value) in entries {
            guard key.utf8.count == 40, key.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }),
                  let number = value.numberValue, number.isFinite, number >= 0, number < 1e11,
                  number == number.rounded() else { continue }
            map[key] = Int(number)
        }
        return map
    }
}
