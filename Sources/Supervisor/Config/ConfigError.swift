/// Why a config file was refused, naming the key (`interfaces.wg0.peers.peer_b.public_key`)
/// and the line, so the operator can fix the file without guessing. Messages never quote
/// secret values (plugin tokens).
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Dotted path of the offending key; empty when the problem is the file as a whole.
    public var keyPath: String
    /// What is wrong.
    public var message: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The file, when the config came from one.
    public var file: String?
    /// The other problems found in the same file, in file-reading order (the decoder goes on
    /// after a bad section so that one run lists them all).
    public var also: [ConfigError] = []

    /// This problem and the others, one per line when printed.
    public var all: [ConfigError] {
        var first = self
        first.also = []
        return [first] + also
    }

    /// An error about `keyPath`.
    public init(keyPath: String, message: String, line: Int? = nil, file: String? = nil) {
        self.keyPath = keyPath
        self.message = message
        self.line = line
        self.file = file
    }

    /// `config.yaml:12: interfaces.wg0.peers.peer_b.public_key: must be …`; parts that are
    /// unknown are left out (`line 12: …` without a file).
    public var description: String {
        all.map(\.line1).joined(separator: "\n")
    }

    /// One problem's line.
    var line1: String {
        var text = ""
        switch (file, line) {
        case let (file?, line?): text = "\(file):\(line): "
        case let (file?, nil): text = "\(file): "
        case let (nil, line?): text = "line \(line): "
        case (nil, nil): break
        }
        if !keyPath.isEmpty { text += "\(keyPath): " }
        return text + message
    }
}
