import Glibc
import Supervisor

// stunmeshd: see README.md. Everything lives in the Supervisor module; this only hands over
// the command line and the environment.
var environment: [String: String] = [:]
var entry = environ
while let pointer = entry.pointee {
    let text = String(cString: pointer)
    if let eq = text.firstIndex(of: "=") {
        environment[String(text[..<eq])] = String(text[text.index(after: eq)...])
    }
    entry += 1
}
exit(StunmeshdMain.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment))
