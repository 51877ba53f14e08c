import EventLoop
import JSON

/// A store run by an external program, once per operation, with one of stunmesh-go's two plugin
/// protocols (`PluginStore.Protocol`): the program gets the request on stdin and answers on
/// stdout; a run longer than the timeout is killed and fails. What the two protocols share —
/// running the program, its timeout, key checks, exit status and stderr in errors — is here
/// once; what differs is only how a request is written and a reply read.
public final class PluginStore: Store {
    /// The two plugin protocols.
    public enum PluginProtocol: String, Sendable {
        /// `type: exec`: one JSON request line on stdin (`{"action":"get","key":…}` /
        /// `{"action":"set","key":…,"value":…}`), a JSON reply `{"success":…,"value":…,"error":…}`
        /// on stdout. Lets users reach any store stunmesh-go's plugins reach.
        case exec
        /// `type: shell`: `STUNMESH_ACTION=get|set`, `STUNMESH_KEY=<hex>` and, for set,
        /// `STUNMESH_VALUE=<hex>` lines on stdin; exit 0 is success, and for get the trimmed stdout
        /// is the value. Simpler to write than an exec plugin (no JSON).
        case shell
    }

    /// Seconds a run may take before it is killed (stunmesh-go's plugin timeout).
    public static let defaultTimeout = 30.0

    /// "exec <command>" or "shell <command>".
    public let name: String
    /// The protocol the program speaks.
    public let pluginProtocol: PluginProtocol
    private let loop: EventLoop
    private let command: String
    private let args: [String]
    private let timeout: Double
    /// WireGuard's fwmark, asked at each run (0: none): the program gets it as `STUNMESH_FWMARK`,
    /// so that in a full tunnel it can mark its own sockets (docs/stores.md), as the daemon marks
    /// its STUN, punch and HTTP sockets.
    public var socketMark: () -> UInt32 = { 0 }

    /// A store running `command` with `args`, speaking `pluginProtocol`; a run longer than
    /// `timeout` seconds is killed and fails.
    public init(_ pluginProtocol: PluginProtocol, loop: EventLoop, command: String, args: [String] = [],
                timeout: Double = PluginStore.defaultTimeout) {
        self.pluginProtocol = pluginProtocol
        self.loop = loop
        self.command = command
        self.args = args
        self.timeout = timeout
        self.name = "\(pluginProtocol.rawValue) \(command)"
    }

    /// Runs the program with a get request; an empty or absent value means no record.
    public func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        switch pluginProtocol {
        case .exec:
            runExec([("action", .string("get")), ("key", .string(key))]) { [name] result in
                completion(result.flatMap { reply in
                    Self.execValue(reply).mapError { StoreError("\(name): \($0)") }
                })
            }
        case .shell:
            run(Array("STUNMESH_ACTION=get\nSTUNMESH_KEY=\(key)\n".utf8)) { result in
                completion(result.map { Self.shellValue($0.stdout) })
            }
        }
    }

    /// Runs the program with a set request.
    public func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        switch pluginProtocol {
        case .exec:
            runExec([("action", .string("set")), ("key", .string(key)), ("value", .string(value))]) { result in
                completion(result.map { _ in () })
            }
        case .shell:
            // The value is one line of the request: a newline in it would inject another line.
            guard !value.utf8.contains(where: { $0 == 0x0a || $0 == 0x0d || $0 == 0 }) else {
                return loop.soon { completion(.failure(StoreError("\(self.name): a value must be a single line"))) }
            }
            run(Array("STUNMESH_ACTION=set\nSTUNMESH_KEY=\(key)\nSTUNMESH_VALUE=\(value)\n".utf8)) { result in
                completion(result.map { _ in () })
            }
        }
    }

    /// Runs the program once; a failure to run, a timeout or a non-zero exit is an error carrying
    /// the program's stderr (and, for exec, its reply's error text).
    private func run(_ input: [UInt8], completion: @escaping (Result<ChildOutput, StoreError>) -> Void) {
        let mark = socketMark()
        ChildProcess.run(loop: loop, command: command, arguments: args, input: input, timeout: timeout,
                         environment: mark == 0 ? [] : ["STUNMESH_FWMARK=\(mark)"]) {
            [name, pluginProtocol] result in
            switch result {
            case .failure(let failure):
                completion(.failure(StoreError("\(name): \(failure)")))
            case .success(let output) where !output.exit.succeeded:
                var detail = [StoreText.excerpt(output.stderr)]
                if pluginProtocol == .exec {
                    let reply = try? JSONValue(parsing: String(decoding: output.stdout, as: UTF8.self), allowTrailing: true)
                    detail.insert(Self.errorText(reply), at: 0)
                }
                let text = detail.filter { !$0.isEmpty }.joined(separator: "; ")
                completion(.failure(StoreError("\(name) \(output.exit)" + (text.isEmpty ? "" : ": \(text)"))))
            case .success(let output):
                completion(.success(output))
            }
        }
    }

    /// Runs an exec plugin and checks its reply: it must print a JSON object with
    /// `"success":true`. Like Go's json.Decoder, text after the first JSON value is ignored.
    private func runExec(_ request: [(String, JSONValue)], completion: @escaping (Result<JSONValue, StoreError>) -> Void) {
        run(Array((JSONValue.object(request).encoded() + "\n").utf8)) { [name] result in
            completion(result.flatMap { output in
                Self.execReply(output.stdout).mapError { StoreError("\(name) \($0)") }
            })
        }
    }

    /// An exec plugin's stdout: one JSON object with `"success": true`; otherwise why not, in
    /// words that follow the plugin's name. Outside input: anything a program prints
    /// (fuzzed: fuzz/Sources/FuzzPlugin).
    static func execReply(_ stdout: [UInt8]) -> Result<JSONValue, ReplyProblem> {
        let reply = try? JSONValue(parsing: String(decoding: stdout, as: UTF8.self), allowTrailing: true)
        guard let reply, case .object = reply else {
            return .failure(ReplyProblem("printed no JSON object: \"\(StoreText.excerpt(stdout))\""))
        }
        guard reply["success"] == .bool(true) else {
            let text = errorText(reply)
            return .failure(ReplyProblem("failed: \(text.isEmpty ? "no error text" : text)"))
        }
        return .success(reply)
    }

    /// What is wrong with a plugin's reply.
    struct ReplyProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A get's value from an exec reply: nil for none (absent, null or blank), an error text for a
    /// value that is not a string.
    static func execValue(_ reply: JSONValue) -> Result<String?, ReplyProblem> {
        switch reply["value"] {
        case nil, .null?: return .success(nil)
        case .string(let value)?:
            let trimmed = StoreText.trimmed(value)
            return .success(trimmed.isEmpty ? nil : trimmed)
        default: return .failure(ReplyProblem("\"value\" in the reply is not a string"))
        }
    }

    /// A get's value from a shell plugin's stdout: the whole output trimmed, nil when blank.
    static func shellValue(_ stdout: [UInt8]) -> String? {
        let value = StoreText.trimmed(String(decoding: stdout, as: UTF8.self))
        return value.isEmpty ? nil : value
    }

    /// The `error` text of an exec plugin's reply, shortened; empty when there is none.
    private static func errorText(_ reply: JSONValue?) -> String {
        reply?["error"]?.stringValue.map { StoreText.excerpt(Array($0.utf8)) } ?? ""
    }
}
