// swift-tools-version:6.0
// stunmeshd: keeps WireGuard peers connected directly through NATs (see README.md).
import PackageDescription

/// A system-library target for a C library found through pkg-config, with a `shim.h` of
/// static inline wrappers for what Swift cannot import (macros, variadic functions).
func cLibrary(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// Settings of every Swift target, the tests' included.
let testSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // Syscall mocking (see Sources/SystemCalls) exists in debug builds only.
    .define("ENABLE_MOCKING", .when(configuration: .debug)),
    // The daemon uses no Regex or string-algorithm API: _StringProcessing and _RegexParser are
    // ~0.9 MB of a static binary, pulled in by a single `firstRange(of:)`. Not importing them
    // implicitly turns such a use into a compile error (docs/benchmarks.md, binary size).
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
    // One section per function, so that the release link can place the functions a running
    // daemon executes next to each other (linker/stunmeshd.order).
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release)),
]

/// Settings of the daemon's own targets: the tests' (which run on swift-testing, hence on Swift
/// concurrency) and no implicit _Concurrency import. The daemon runs on one libev loop and uses
/// no async/await, Task, actor or task-local (the debug-only syscall mocking imports _Concurrency
/// explicitly); a use would link the concurrency runtime and libdispatch back in (with swift-log,
/// which did, the stripped static binary was 0.86 MB larger).
let swiftSettings: [SwiftSetting] = testSwiftSettings + [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-concurrency-module-import"]),
]

/// How the release executable is linked (docs/benchmarks.md, size and memory): with lld, relative
/// relocations packed (DT_RELR, glibc >= 2.36: 0.6 MB less to store and to read at start), without
/// exporting every symbol (`--static-swift-stdlib` asks for -export-dynamic; the daemon loads no
/// plugin that would resolve symbols against it), and with GCC's libstdc++ linked statically (see
/// linker/static-libstdc++/libstdc++.so: ~0.14 MB more binary, ~1-2 MB less resident memory), and
/// with the functions a running daemon executes placed first (linker/stunmeshd.order, made by
/// bench/order-file.sh; names it lists that no longer exist are skipped without a warning).
let releaseLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld",
                  "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                  "-Xlinker", "--no-export-dynamic",
                  "-L\(Context.packageDirectory)/linker/static-libstdc++",
                  "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/linker/stunmeshd.order",
                  "-Xlinker", "--no-warn-symbol-ordering"],
                 .when(configuration: .release)),
]

let package = Package(
    name: "stunmeshd",
    products: [
        .executable(name: "stunmeshd", targets: ["stunmeshd"]),
        // The daemon's modules as one library, for the fuzz package (fuzz/Package.swift).
        .library(name: "StunmeshdKit", targets: ["Supervisor", "Probes", "Stun", "Record", "JSON", "SystemCalls"]),
    ],
    targets: [
        // C libraries, one target per library, named after what they wrap.
        cLibrary("CLibEV", apt: "libev-dev"),
        cLibrary("CLibMNL", pkgConfig: "libmnl", apt: "libmnl-dev"),
        // libcurl: built against its header (libcurl4-openssl-dev), not linked; dlopen'ed for HTTP stores.
        .target(name: "CCurl"),
        // c-ares: likewise built against its header (libc-ares-dev) and dlopen'ed, only to resolve the
        // HTTP stores' names on sockets that carry WireGuard's fwmark.
        .target(name: "CAres"),
        cLibrary("CSodium", pkgConfig: "libsodium", apt: "libsodium-dev"),
        cLibrary("CYAML", pkgConfig: "yaml-0.1", apt: "libyaml-dev"),
        cLibrary("CJansson", pkgConfig: "jansson", apt: "libjansson-dev"),
        // zlib (crc32 for STUN's FINGERPRINT) and nettle (SHA-1 of public keys for the store key)
        // are linked statically (`link ":libz.a"` in their module maps): a few kB of code each,
        // where each shared library costs ~0.1-0.3 MB of resident pages (docs/benchmarks.md).
        cLibrary("CZlib", apt: "zlib1g-dev"),
        cLibrary("CNettle", apt: "nettle-dev"),
        cLibrary("CLinuxNet", apt: "linux-libc-dev"),

        // Swift modules, each with one job.
        .target(name: "SystemCalls", dependencies: ["CLinuxNet", "CLibMNL"], swiftSettings: swiftSettings),
        .target(name: "EventLoop", dependencies: ["CLibEV", "SystemCalls"], swiftSettings: swiftSettings),
        .target(name: "JSON", dependencies: ["CJansson"], swiftSettings: swiftSettings),
        .target(name: "Stun", dependencies: ["CZlib", "CLinuxNet", "SystemCalls", "EventLoop"],
                swiftSettings: swiftSettings),
        .target(name: "Record", dependencies: ["CSodium", "CNettle", "JSON", "SystemCalls"], swiftSettings: swiftSettings),
        .target(name: "Probes",
                dependencies: ["SystemCalls", "EventLoop", "JSON", "Record", "CLibMNL", "CCurl", "CAres", "CLinuxNet"],
                swiftSettings: swiftSettings),
        .target(name: "Supervisor",
                dependencies: ["Stun", "Probes", "Record", "EventLoop", "SystemCalls", "JSON", "CYAML"],
                swiftSettings: swiftSettings),
        .executableTarget(name: "stunmeshd", dependencies: ["Supervisor"], swiftSettings: swiftSettings,
                          linkerSettings: releaseLinkerSettings),

        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls"], swiftSettings: testSwiftSettings),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"], swiftSettings: testSwiftSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: testSwiftSettings),
        .testTarget(name: "StunTests", dependencies: ["Stun", "SystemCalls"], swiftSettings: testSwiftSettings),
        .testTarget(name: "RecordTests", dependencies: ["Record", "SystemCalls"], swiftSettings: testSwiftSettings),
        .testTarget(name: "ProbesTests", dependencies: ["Probes", "EventLoop", "SystemCalls", "JSON", "CLinuxNet"],
                    swiftSettings: testSwiftSettings),
        .testTarget(name: "SupervisorTests", dependencies: ["Supervisor"], swiftSettings: testSwiftSettings),
    ]
)
