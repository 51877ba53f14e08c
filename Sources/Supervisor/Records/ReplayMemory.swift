import JSON
import SystemCalls

/// The newest record timestamp (`ts`) accepted from each partner, kept across restarts in
/// `state_file`, so that after a restart an older record that is genuinely sealed by the partner —
/// anyone can add values under a key on OpenDHT, and a store may serve a stale copy — is still
/// refused (`RemoteRecordChoice`) instead of pointing WireGuard at a dead endpoint. Keyed by the
/// store key of the partner's record (`hex(sha1(partner‖us))`, which names the pair). Written
/// atomically whenever a newer `ts` is accepted (rare: the partner moved); a file that cannot be
/// read or written is logged once and the memory goes on in RAM only. Runs on the loop.
final class ReplayMemory {
    /// The file; nil keeps everything in memory.
    let path: String?
    private(set) var newest: [String: Int]
    private let logger: Logger
    private var failing = false

    /// Loads `path` (a missing file is an empty memory; an unreadable one is logged and ignored).
    init(path: String?, logger: Logger) {
        self.path = path.flatMap { $0.isEmpty ? nil : $0 }
        self.logger = logger
        newest = [:]
        guard let file = self.path, let bytes = try? ConfigLoader.readFile(file) else { return }
        if let text = String(validating: bytes, as: UTF8.self), let decoded = Self.decode(text) {
            newest = decoded
        } else {
            logger.warning("the replay state file is not valid, starting without it", metadata: ["file": "\(file)"])
        }
    }

    /// The newest `ts` accepted for the partner whose record is under `key`.
    func newest(for key: String) -> Int? { newest[key] }

    /// Notes that a record with `ts` was accepted under `key`; saves when it is news.
    func accepted(_ ts: Int, for key: String) {
        guard ts > newest[key] ?? Int.min else { return }
        newest[key] = ts
        guard let path else { return }
        do {
            try AtomicFile.write(Self.encode(newest), to: path, mode: 0o600)
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

    /// The file's text: `{"schema":1,"newest_accepted":{"<40 hex>":<unix seconds>,…}}`, keys sorted.
    static func encode(_ newest: [String: Int]) -> String {
        JSONValue.object([
            ("schema", .number(1)),
            ("newest_accepted", .object(newest.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
        ]).encoded() + "\n"
    }

    /// The map in `text`; nil when it is not such a file. Entries that are not a 40-hex key with a
    /// whole number of seconds in a plausible range are dropped.
    static func decode(_ text: String) -> [String: Int]? {
        guard let json = try? JSONValue(parsing: text), json["schema"]?.intValue == 1,
              let entries = json["newest_accepted"]?.objectValue else { return nil }
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
