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
    public static func parse(yaml: String, file: String? = nil) throws(ConfigError) -> Config {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(yaml)
        } catch {
            throw ConfigError(keyPath: "", message: error.message, line: error.line, file: file)
        }
        var decoder = ConfigDecoder(file: file)
        do {
            return try decoder.decode(root)
        } catch {
            var labelled = error
            labelled.file = file
            throw labelled
        }
    }

    /// Reads and decodes the file at `path`.
    public static func load(path: String) throws(ConfigError) -> Config {
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
        return try parse(yaml: text, file: path)
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
