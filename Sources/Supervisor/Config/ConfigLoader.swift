import Glibc
import SystemCalls

/// Finds, reads and decodes the config file: the one entry point the daemon and its tests use
/// to turn a path or YAML text into a validated `Config`.
public enum ConfigLoader {
    /// Files larger than this are refused rather than read whole (a config is a few KiB).
    static let maximumFileSize = 1 << 20

    /// The file names tried in each directory, in order.
    static let fileNames = ["config.yaml", "config.yml"]

    /// Decodes YAML text. `file` only labels errors and warnings.
    /// Ping targets that are names are resolved with `resolve` (getaddrinfo by default; nil
    /// leaves them unresolved, for `stunmeshd check`).
    /// `canonicalPath` is the file's canonical path, which names the default status file.
    public static func parse(yaml: String, file: String? = nil,
                             resolve: ((String) -> IPAddress?)? = ConfigLoader.resolveTarget,
                             canonicalPath: String? = nil) throws(ConfigError) -> Config {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(yaml)
        } catch {
            throw ConfigError(keyPath: "", message: error.message, line: error.line, file: file)
        }
        var decoder = ConfigDecoder(file: file, resolve: resolve, canonicalPath: canonicalPath)
        do {
            return try decoder.decode(root)
        } catch {
            var labelled = error
            labelled.file = file
            labelled.also = labelled.also.map { var other = $0; other.file = file; return other }
            throw labelled
        }
    }

    /// Everything `stunmeshd check` says about a file: the config when it loads, every error and
    /// every warning (with file and line).
    public struct Report: Sendable {
        /// The config, nil when there is any error.
        public var config: Config?
        /// Every problem that stops the daemon from starting.
        public var errors: [ConfigError]
        /// Everything else worth fixing.
        public var warnings: [String]
    }

    /// Reads and decodes the file at `path` the way the daemon does, without resolving names,
    /// and gathers every problem instead of stopping at the first.
    public static func check(path: String) -> Report {
        let text: String
        do {
            text = try readText(path)
        } catch {
            return Report(config: nil, errors: [error], warnings: [])
        }
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(text)
        } catch {
            return Report(config: nil, errors: [ConfigError(keyPath: "", message: error.message, line: error.line, file: path)],
                          warnings: [])
        }
        var decoder = ConfigDecoder(file: path, resolve: nil, canonicalPath: DaemonFiles.canonical(path))
        var config: Config?
        do {
            config = try decoder.decodeAll(root)
        } catch {
            decoder.errors.append(error)
        }
        let errors = decoder.errors.map { var error = $0; error.file = path; return error }
        return Report(config: errors.isEmpty ? config : nil, errors: errors, warnings: decoder.warnings)
    }

    /// Reads and decodes the file at `path`.
    public static func load(path: String,
                            resolve: ((String) -> IPAddress?)? = ConfigLoader.resolveTarget) throws(ConfigError) -> Config {
        try parse(yaml: try readText(path), file: path, resolve: resolve, canonicalPath: DaemonFiles.canonical(path))
    }

    /// The file at `path` as text: at most `maximumFileSize` bytes of UTF-8.
    static func readText(_ path: String) throws(ConfigError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            throw ConfigError(keyPath: "", message: "cannot read the config file: \(error)", file: path)
        }
        guard bytes.count <= maximumFileSize else {
            throw ConfigError(keyPath: "", message: "the config file is larger than \(maximumFileSize) bytes", file: path)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(keyPath: "", message: "the config file is not UTF-8 text", file: path)
        }
        return text
    }

    /// A ping target's address as stunmesh-go finds it (`net.ResolveIPAddr("ip4", …)`): the
    /// name's first IPv4 address; stunmeshd also takes an IPv6 one when the name has no IPv4.
    /// getaddrinfo blocks, as it does in stunmesh-go when a peer is added: at start and reload.
    @Sendable public static func resolveTarget(_ name: String) -> IPAddress? {
        for family in [AF_INET, AF_INET6] {
            if let address = try? Sys.getaddrinfo(host: name, family: family).first { return address }
        }
        return nil
    }

    /// The config file to load, as stunmesh-go chooses it: `configFile` as given; else
    /// `config.yaml` or `config.yml` in `configDir` (its `config.yaml` when neither exists, so
    /// that loading fails loudly); else the first of those two names found in
    /// `$STUNMESH_CONFIG_DIR`, `/etc/stunmesh`, `$HOME/.stunmesh`, `.`. Nil when none exists.
    public static func locate(configFile: String?, configDir: String?, environment: [String: String]) -> String? {
        if let configFile, !configFile.isEmpty { return configFile }
        if let configDir, !configDir.isEmpty {
            return firstConfigFile(in: [configDir]) ?? join(configDir, fileNames[0])
        }
        return firstConfigFile(in: searchDirectories(environment: environment))
    }

    /// The directories searched without -c or -config-dir, unset variables skipped.
    static func searchDirectories(environment: [String: String]) -> [String] {
        var directories: [String] = []
        if let dir = environment["STUNMESH_CONFIG_DIR"], !dir.isEmpty { directories.append(dir) }
        directories.append("/etc/stunmesh")
        if let home = environment["HOME"], !home.isEmpty { directories.append(join(home, ".stunmesh")) }
        directories.append(".")
        return directories
    }

    /// The first regular file named by `fileNames` in `directories`, directory by directory.
    static func firstConfigFile(in directories: [String]) -> String? {
        for directory in directories {
            for name in fileNames {
                let path = join(directory, name)
                if let info = try? Sys.stat(path), info.st_mode & S_IFMT == S_IFREG { return path }
            }
        }
        return nil
    }

    /// `directory/name` without a doubled slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : "\(directory)/\(name)"
    }

    /// The whole file, read with `Sys.open`/`Sys.read`; stops one byte past the size limit.
    static func readFile(_ path: String) throws(Errno) -> [UInt8] {
        let fd = try Sys.open(path, O_RDONLY)
        defer { Sys.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= maximumFileSize {
            let read = chunk.withUnsafeMutableBytes { buffer in Result { () throws(Errno) in try Sys.read(fd, buffer) } }
            let count = try read.get()
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }
}
