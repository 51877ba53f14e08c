// swift-tools-version:6.0
// libFuzzer targets for stunmeshd's parsers of outside input (issue #16). Built separately from the
// daemon, every module instrumented:
//
//   cd fuzz && swift build -c release -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
//   .build/release/FuzzStun corpus/FuzzStun -max_total_time=60
//
// (One -sanitize= flag: SwiftPM keeps only the last of several.)
//
// SwiftPM links an executable with `--defsym main=<module>_main`, which libFuzzer's own `main`
// would clash with: each target's main.swift calls `LLVMFuzzerRunDriver` itself, so the archive
// member holding libFuzzer's `main` is never pulled in (docs/fuzzing.md).
import PackageDescription

// The package identity of a path dependency is its directory's name: the checkout's, whatever it is.
let parent = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "stunmeshd")

/// The fuzz targets, one per parser of outside input (docs/fuzzing.md).
let targets = ["FuzzStun", "FuzzConfig", "FuzzJSON", "FuzzRecord", "FuzzUAPI", "FuzzNetlink", "FuzzICMP",
               "FuzzOpenDHT", "FuzzStatus", "FuzzDuration", "FuzzCloudflare", "FuzzPlugin", "FuzzPunch", "FuzzStunRaw"]

func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzDriver", .product(name: "StunmeshdKit", package: parent)],
                      path: "Sources/\(name)", swiftSettings: [.swiftLanguageMode(.v6)],
                      linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
}

let package = Package(
    name: "stunmeshd-fuzz",
    dependencies: [.package(path: "..")],
    targets: [.target(name: "FuzzDriver", path: "Sources/FuzzDriver", swiftSettings: [.swiftLanguageMode(.v6)])]
        + targets.map(fuzzTarget)
)
