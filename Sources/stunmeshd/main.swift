import Glibc
import Supervisor

// stunmeshd: see README.md. Everything lives in the Supervisor module; this only hands over
// the command line and the environment.

/// The process environment as a dictionary. A function, not top-level code: top-level variables
/// would be global state the compiler can only accept as main-actor isolated, and this target
/// does not import Swift concurrency (Package.swift).
func processEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let eq = text.firstIndex(of: "=") {
            environment[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        entry += 1
    }
    return environment
}

exit(StunmeshdMain.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: processEnvironment()))
