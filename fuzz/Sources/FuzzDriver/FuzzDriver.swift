import Glibc

/// Runs libFuzzer on `body` and exits with its status. libFuzzer's own `main` is not linked
/// (SwiftPM defines `main` as the module's entry point): `LLVMFuzzerRunDriver` is libFuzzer's
/// documented entry for programs with their own `main`, taking the command line and a callback.
public func fuzz(_ body: @escaping ([UInt8]) -> Int) -> Never {
    target = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv) { data, size in
        sink &+= target?(Array(UnsafeBufferPointer(start: data, count: size))) ?? 0
        return 0
    })
}

/// The input as text when it is UTF-8 (parsers of text get only valid strings, as from the daemon's
/// own readers), else nil.
public func text(_ bytes: [UInt8]) -> String? { String(validating: bytes, as: UTF8.self) }

nonisolated(unsafe) private var target: (([UInt8]) -> Int)?
/// Where results go, so that the optimizer cannot drop a parse.
nonisolated(unsafe) private var sink = 0

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<Int32>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
