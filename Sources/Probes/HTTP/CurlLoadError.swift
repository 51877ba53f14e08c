/// Why libcurl cannot be used, naming the library, the missing function and the dynamic loader's
/// (dlerror) or libcurl's words: a daemon configured with an HTTP store on a machine without
/// libcurl4 says so and exits instead of crashing.
public enum CurlLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// dlopen failed: the library is not installed (or not loadable).
    case libraryMissing(library: String, reason: String)
    /// The library has no such function: not libcurl, or one too old.
    case symbolMissing(library: String, symbol: String, reason: String)
    /// curl_global_init failed.
    case initFailed(library: String, reason: String)

    /// One line for the log or the terminal, with a hint where one helps.
    public var description: String {
        switch self {
        case .libraryMissing(let library, let reason):
            return "cannot load \(library), which the cloudflare and opendht stores need (install libcurl4): \(reason)"
        case .symbolMissing(let library, let symbol, let reason):
            return "\(library) has no function \(symbol) (not libcurl, or too old): \(reason)"
        case .initFailed(let library, let reason):
            return "\(library) failed to initialise: \(reason)"
        }
    }
}
