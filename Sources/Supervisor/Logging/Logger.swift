import Glibc

/// The daemon's logger: one line per message, logfmt or JSON (`Logger.LineFormat`), handed to a
/// sink (standard error in the daemon). The daemon's own rather than swift-log's, whose task-local
/// logger linked the Swift concurrency runtime and libdispatch into the binary (with swift-log
/// itself, 0.86 MB of the stripped static binary).
/// A value: a copy with metadata added (`logger[metadataKey: "peer"] = "peer_b"`) puts it on every
/// line it writes.
public struct Logger: Sendable {
    /// Severities, in increasing order; config `log.level` picks the lowest one written.
    public enum Level: Comparable, Sendable, CaseIterable {
        /// Finest detail.
        case trace
        /// Debugging detail.
        case debug
        /// Normal operation.
        case info
        /// Normal but noteworthy (written as `info`: stunmesh-go has no such level).
        case notice
        /// Something went wrong and the daemon works around it.
        case warning
        /// An operation failed.
        case error
        /// The daemon cannot go on (written as `fatal`).
        case critical
    }

    /// Key-value pairs of a line, written after the message with the keys sorted; string literals
    /// and interpolations (`["peer": "\(name)"]`) make the values.
    public typealias Metadata = [String: String]

    /// The level and format every copy of this logger follows: one object shared by the copies
    /// (each peer's, each store's), so that a reload changes them for all at once. The daemon
    /// runs on one thread (its loop); nothing else touches it.
    public final class Control: @unchecked Sendable {
        /// Messages below this level are dropped; nil drops every message (`log.level: disabled`).
        public var minimumLevel: Level?
        /// How a message becomes a line.
        public var format: LineFormat
        /// Per-peer lines that many peers repeat are summarised (`LogDigest`) when this is set
        /// (the daemon sets it, with `clock` and `scheduleSummary`); nil: every line is written.
        var digest: LogDigest?
        /// Loop time, for the digest's windows.
        var clock: (() -> Double)?
        /// Asks for `writeDueSummaries` at this loop time (a window began holding lines).
        var scheduleSummary: ((Double) -> Void)?

        init(format: LineFormat, minimumLevel: Level?) {
            self.format = format
            self.minimumLevel = minimumLevel
        }
    }

    /// The level and format, shared by every copy.
    public let control: Control
    /// Messages below this level are dropped; nil drops every message (`log.level: disabled`).
    public var minimumLevel: Level? { control.minimumLevel }
    /// How a message becomes a line.
    public var format: LineFormat { control.format }
    /// Where lines go.
    public let sink: @Sendable (String) -> Void
    /// Metadata written on every line of this logger; a message's own metadata wins on a clash.
    public var metadata: Metadata = [:]

    /// A logger writing `format` lines at or above `minimumLevel` (none when nil) to `sink`.
    public init(format: LineFormat, minimumLevel: Level?,
                sink: @escaping @Sendable (String) -> Void = Logger.standardError) {
        self.control = Control(format: format, minimumLevel: minimumLevel)
        self.sink = sink
    }

    /// A logger that writes nothing, for tests.
    public static let quiet = Logger(format: .logfmt, minimumLevel: nil, sink: { _ in })

    /// This logger's metadata by key.
    public subscript(metadataKey key: String) -> String? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `message` at `level` with `metadata`; below the minimum level neither is evaluated.
    public func log(level: Level, _ message: @autoclosure () -> String,
                    metadata messageMetadata: @autoclosure () -> Metadata = [:]) {
        guard let minimumLevel, level >= minimumLevel else { return }
        let merged = metadata.merging(messageMetadata()) { $1 }
        let text = message()
        if minimumLevel >= .info, (Level.info...Level.warning).contains(level), let peer = merged["peer"],
           control.digest != nil, let now = control.clock?() {
            let dueBefore = control.digest!.nextDue
            guard control.digest!.admit(level: level, message: text, peer: peer, now: now) else {
                if let due = control.digest!.nextDue, dueBefore.map({ due < $0 }) ?? true { control.scheduleSummary?(due) }
                return
            }
        }
        sink(format.line(level: level, message: text, metadata: merged))
    }

    /// Writes the summaries of the digest's windows that ended by `now` (one line each: the
    /// message, `repeated` lines held from `peers` peers, the first few as `examples`), and asks
    /// for the next call when more windows hold lines.
    public func writeDueSummaries(now: Double) {
        guard control.digest != nil else { return }
        for summary in control.digest!.due(now: now) {
            sink(format.line(level: summary.level, message: summary.message, metadata: [
                "repeated": "\(summary.lines)", "peers": "\(summary.peers)",
                "examples": summary.examples.joined(separator: ","), "within_s": "\(Int(LogDigest.window))",
            ]))
        }
        if let due = control.digest!.nextDue { control.scheduleSummary?(due) }
    }

    /// Writes `message` at `.trace`.
    public func trace(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .trace, message(), metadata: metadata())
    }

    /// Writes `message` at `.debug`.
    public func debug(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .debug, message(), metadata: metadata())
    }

    /// Writes `message` at `.info`.
    public func info(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .info, message(), metadata: metadata())
    }

    /// Writes `message` at `.notice`.
    public func notice(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .notice, message(), metadata: metadata())
    }

    /// Writes `message` at `.warning`.
    public func warning(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .warning, message(), metadata: metadata())
    }

    /// Writes `message` at `.error`.
    public func error(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .error, message(), metadata: metadata())
    }

    /// Writes `message` at `.critical`.
    public func critical(_ message: @autoclosure () -> String, metadata: @autoclosure () -> Metadata = [:]) {
        log(level: .critical, message(), metadata: metadata())
    }

    /// Writes a line to standard error with one write(2), so lines from one process never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
