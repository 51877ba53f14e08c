import EventLoop

/// A store run by a shell script, with stunmesh-go's `shell` plugin protocol: the program runs
/// once per operation and reads `STUNMESH_ACTION=get|set`, `STUNMESH_KEY=<hex>` and, for set,
/// `STUNMESH_VALUE=<hex>` lines on stdin; exit 0 is success, and for get the trimmed stdout is
/// the value. Simpler to write than an exec plugin (no JSON).
public final class ShellPluginStore: Store {
    /// "shell <command>".
    public let name: String
    private let loop: EventLoop
    private let command: String
    private let args: [String]
    private let timeout: Double

    /// A store running `command` with `args`; a run longer than `timeout` seconds is killed
    /// and fails.
    public init(loop: EventLoop, command: String, args: [String] = [], timeout: Double = 30) {
        self.loop = loop
        self.command = command
        self.args = args
        self.timeout = timeout
        self.name = "shell \(command)"
    }

    /// Runs the script with STUNMESH_ACTION=get; empty output means no record.
    public func get(key: String, completion: @escaping (Result<String?, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        run("STUNMESH_ACTION=get\nSTUNMESH_KEY=\(key)\n") { result in
            completion(result.map { stdout in
                let value = StoreText.trimmed(String(decoding: stdout, as: UTF8.self))
                return value.isEmpty ? nil : value
            })
        }
    }

    /// Runs the script with STUNMESH_ACTION=set. The value must be one line.
    public func set(key: String, value: String, completion: @escaping (Result<Void, StoreError>) -> Void) {
        guard StoreText.isKey(key) else { return loop.soon { completion(.failure(StoreText.badKey(key))) } }
        guard !value.utf8.contains(where: { $0 == 0x0a || $0 == 0x0d || $0 == 0 }) else {
            return loop.soon { completion(.failure(StoreError("\(self.name): a value must be a single line"))) }
        }
        run("STUNMESH_ACTION=set\nSTUNMESH_KEY=\(key)\nSTUNMESH_VALUE=\(value)\n") { result in
            completion(result.map { _ in () })
        }
    }

    /// Runs the script once; a non-zero exit is an error carrying its stderr.
    private func run(_ input: String, completion: @escaping (Result<[UInt8], StoreError>) -> Void) {
        ChildProcess.run(loop: loop, command: command, arguments: args, input: Array(input.utf8), timeout: timeout) {
            [name] result in
            switch result {
            case .failure(let failure):
                completion(.failure(StoreError("\(name): \(failure)")))
            case .success(let output) where !output.exit.succeeded:
                let stderr = StoreText.excerpt(output.stderr)
                completion(.failure(StoreError("\(name) \(output.exit)" + (stderr.isEmpty ? "" : ": \(stderr)"))))
            case .success(let output):
                completion(.success(output.stdout))
            }
        }
    }
}
