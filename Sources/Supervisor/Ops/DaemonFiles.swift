import Glibc

/// Where a daemon keeps its files when the config names none — the status file (`status_file`)
/// and the replay state (`state_file`) — by one rule, from the config file's path, so that two
/// daemons on one host (two configs) never share either and `stunmeshd status -c FILE` finds the
/// one of FILE's daemon. The config at stunmesh-go's usual place (/etc/stunmesh/config.yaml or
/// .yml) keeps the plain names (`/run/stunmeshd/status.json`, `/var/lib/stunmeshd/replay.json`);
/// any other gets `<stem>-<path>-<hash>.json`: the path readable (slashes as dashes, other bytes
/// outside `[A-Za-z0-9._-]` as `_`, at most 64 bytes) and an FNV-1a hash of the whole path so that
/// two paths never collide.
public enum DaemonFiles {
    /// The directory every default status file is in (systemd's RuntimeDirectory=stunmeshd).
    public static let directory = "/run/stunmeshd"
    /// The directory every default state file is in (systemd's StateDirectory=stunmeshd).
    public static let stateDirectory = "/var/lib/stunmeshd"

    /// The default status file for the config at `configPath` (canonical, absolute), or for no file.
    public static func defaultStatusFile(configPath: String?) -> String {
        named(directory, "status", configPath: configPath)
    }

    /// The default replay state file (`ReplayMemory`) for the config at `configPath`.
    public static func defaultStateFile(configPath: String?) -> String {
        named(stateDirectory, "replay", configPath: configPath)
    }

    /// `directory/stem.json` for the usual config (or none), else `directory/stem-<path>-<hash>.json`.
    static func named(_ directory: String, _ stem: String, configPath: String?) -> String {
        guard let configPath, !["/etc/stunmesh/config.yaml", "/etc/stunmesh/config.yml"].contains(configPath) else {
            return "\(directory)/\(stem).json"
        }
        var slug = ""
        for byte in configPath.utf8.drop(while: { $0 == UInt8(ascii: "/") }) {
            switch byte {
            case UInt8(ascii: "/"): slug.append("-")
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                slug.append(Character(UnicodeScalar(byte)))
            default: slug.append("_")
            }
        }
        if slug.utf8.count > 64 { slug = String(slug.suffix(64)) }
        return "\(directory)/\(stem)-\(slug)-\(hash(configPath)).json"
    }

    /// FNV-1a, 32 bits, as 8 hex digits.
    static func hash(_ text: String) -> String {
        var value: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            value ^= UInt32(byte)
            value = value &* 0x0100_0193
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// `path` made absolute and free of symlinks, `.` and `..` (realpath(3)); `path` itself when
    /// that fails (the file does not exist: loading it fails anyway).
    public static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The status files in `directory` (every daemon's default ones), sorted.
    static func candidates(in directory: String = directory) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix("status") && name.hasSuffix(".json") { names.append("\(directory)/\(name)") }
        }
        return names.sorted()
    }
}
