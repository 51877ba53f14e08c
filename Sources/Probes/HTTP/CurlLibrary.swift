import CCurl

/// libcurl, loaded at run time: the daemon does not link it, because libcurl maps two dozen
/// libraries (TLS, Kerberos, LDAP, HTTP/2, …) that cost megabytes of memory in every daemon, and
/// only the HTTP stores (Cloudflare, OpenDHT) use it. `HTTPClient` loads it when the first client
/// is made; a daemon with only file or plugin stores never does.
public enum CurlLibrary {
    /// Opens libcurl (`libcurl.so.4`), resolves every function the HTTP client calls and runs
    /// curl_global_init, once per process; later calls return at once. Thread-safe. Returns
    /// whether this call did the loading. Throws when libcurl or one of its functions is missing,
    /// or curl_global_init fails; nothing is kept then and a later call tries again.
    @discardableResult
    public static func load() throws(CurlLoadError) -> Bool {
        try outcome(library: CCURL_LIBRARY) { ccurl_load($0, $1, $2) } == CCURL_LOADED
    }

    /// What `load` does first — dlopen, then dlsym of every function — for any `library`, without
    /// using the result: lets tests see `load`'s errors with a library that is missing or is not
    /// libcurl.
    static func open(_ library: String) throws(CurlLoadError) {
        _ = try outcome(library: library) { ccurl_open(library, $0, $1, $2) }
    }

    /// Runs a C loading function with room for its answer; returns its success status or throws
    /// its failure.
    private static func outcome(library: String,
                                _ call: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafeMutablePointer<CChar>, Int) -> ccurl_status)
        throws(CurlLoadError) -> ccurl_status {
        var symbol: UnsafePointer<CChar>?
        var text = [CChar](repeating: 0, count: 512)
        let status = text.withUnsafeMutableBufferPointer { call(&symbol, $0.baseAddress!, $0.count) }
        let reason = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        switch status {
        case CCURL_LOADED, CCURL_WAS_LOADED: return status
        case CCURL_NO_SYMBOL:
            throw .symbolMissing(library: library, symbol: symbol.map { String(cString: $0) } ?? "?", reason: reason)
        case CCURL_INIT_FAILED: throw .initFailed(library: library, reason: reason)
        default: throw .libraryMissing(library: library, reason: reason)
        }
    }
}
