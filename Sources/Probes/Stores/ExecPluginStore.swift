import EventLoop
import JSON

/// A store run by an external program, with stunmesh-go's `exec` plugin protocol: the program
/// runs once per operation, reads one JSON request line on stdin
/// (`{"action":"get","key":…}` / `{"action":"set","key":…,"value":…}`) and prints
/// `{"success":…,"value":…,"error":…}`. Lets users reach any store stunmesh-go's plugins reach.
public final class ExecPluginStore: Store {
    /// "exec <command>".
    public let name: String
    private let loop: EventLoop
    private let command: String
    private let args: [String]
    private let timeout: Double

    /// A store running `command` with `args`; a run longer than `timeout` seconds is killed
    /// and fails.
    public init(loop: EventLoop, command: String, args: [String], timeout: Double = 30) {
        self.loop = loop
        self.command = command
        self.args = args
        self.timeout = timeout
        self.name = "exec \(command)"
    }

    /// Runs the plugin with a get request; a successful reply with an empty or absent value
    /// means no record.
    public func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        run([("action", .string("get")), ("key", .string(key))]) { [name] result in
            completion(result.flatMap { reply -> Result<String?, StoreError> in
                switch reply["value"] {
                case nil, .null?: return .success(nil)
                case .string(let value)?:
                    let trimmed = StoreText.trimmed(value)
                    return .success(trimmed.isEmpty ? nil : trimmed)
                default: return .failure(StoreError("\(name): \"value\" in the reply is not a string"))
                }
            })
        }
    }

    /// Runs the plugin with a set request.
    public func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        run([("action", .string("set")), ("key", .string(key)), ("value", .string(value))]) { result in
            completion(result.map { _ in () })
        }
    }

    /// Runs the plugin once and checks its reply: it must exit 0 and print a JSON object with
    /// `"success":true`. Like Go's json.Decoder, text after the first JSON value is ignored.
    private func run(_ request: [(String, JSONValue)], completion: @escaping (Result<JSONValue, StoreError>) -> Void) {
        let input = Array((JSONValue.object(request).encoded() + "\n").utf8)
        ChildProcess.run(loop: loop, command: command, arguments: args, input: input, timeout: timeout) { [name] result in
            let output: ChildOutput
            switch result {
            case .failure(let failure): return completion(.failure(StoreError("\(name): \(failure)")))
            case .success(let o): output = o
            }
            let reply = try? JSONValue(parsing: String(decoding: output.stdout, as: UTF8.self), allowTrailing: true)
            let pluginError = reply?["error"]?.stringValue.map { StoreText.excerpt(Array($0.utf8)) } ?? ""
            guard output.exit.succeeded else {
                let detail = [pluginError, StoreText.excerpt(output.stderr)].filter { !$0.isEmpty }.joined(separator: "; ")
                return completion(.failure(StoreError("\(name) \(output.exit)" + (detail.isEmpty ? "" : ": \(detail)"))))
            }
            guard let reply, case .object = reply else {
                let shown = StoreText.excerpt(output.stdout)
                return completion(.failure(StoreError("\(name) printed no JSON object: \"\(shown)\"")))
            }
            guard reply["success"] == .bool(true) else {
                return completion(.failure(StoreError("\(name) failed: \(pluginError.isEmpty ? "no error text" : pluginError)")))
            }
            completion(.success(reply))
        }
    }
}
