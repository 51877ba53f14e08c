import CAres
import EventLoop
import Glibc

/// Why c-ares cannot be used, in one line with the fix.
public struct ResolverLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
}

/// c-ares, loaded at run time (like libcurl, `CurlLibrary`): only a daemon whose WireGuard device
/// has an fwmark and whose HTTP stores are named by host name ever maps it.
public enum CAresLibrary {
    /// Opens libcares.so.2 and resolves every function, once per process; thread-safe.
    public static func load() throws(ResolverLoadError) {
        try outcome(library: CARES_LIBRARY) { cares_load($0, $1, $2) }
    }

    /// What `load` does first, for any `library`, without using the result (tests).
    static func open(_ library: String) throws(ResolverLoadError) {
        try outcome(library: library) { cares_open(library, $0, $1, $2) }
    }

    private static func outcome(library: String,
                                _ call: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafeMutablePointer<CChar>, Int) -> cares_status)
        throws(ResolverLoadError) {
        var symbol: UnsafePointer<CChar>?
        var text = [CChar](repeating: 0, count: 512)
        let status = text.withUnsafeMutableBufferPointer { call(&symbol, $0.baseAddress!, $0.count) }
        let reason = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        switch status {
        case CARES_LOADED, CARES_WAS_LOADED: return
        case CARES_NO_SYMBOL:
            throw ResolverLoadError(description: "\(library) has no function \(symbol.map { String(cString: $0) } ?? "?") (not c-ares, or too old: 1.16 or later is needed): \(reason)")
        case CARES_INIT_FAILED: throw ResolverLoadError(description: "\(library) failed to initialise: \(reason)")
        default:
            throw ResolverLoadError(description: "cannot load \(library), which resolves the HTTP stores' names on sockets with WireGuard's fwmark (install libc-ares2): \(reason)")
        }
    }
}

/// The host and port an http(s) URL names, and whether the host is a name to resolve (not an
/// address literal). Pure; nil for a URL libcurl would refuse anyway.
public struct URLHost: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var isName: Bool

    public init(host: String, port: Int, isName: Bool) {
        self.host = host
        self.port = port
        self.isName = isName
    }

    public init?(_ url: String) {
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("http://") { scheme = "http" } else if lower.hasPrefix("https://") { scheme = "https" } else { return nil }
        var rest = Substring(url.dropFirst(scheme.count + 3))
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }  // user:password@
        var host: Substring, portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
            guard !host.isEmpty else { return nil }
            self.isName = false
        } else {
            if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            } else {
                host = rest
            }
            guard !host.isEmpty else { return nil }
            var address = in_addr()
            self.isName = inet_pton(AF_INET, String(host), &address) != 1
        }
        if let portText, !portText.isEmpty {
            guard portText.count <= 5, let port = Int(portText), (1...65535).contains(port) else { return nil }
            self.port = port
        } else {
            self.port = scheme == "https" ? 443 : 80
        }
        self.host = String(host)
    }
}

/// c-ares's callback for one name: passes the answer to the query's box.
private let addressCallback: @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, UnsafeMutablePointer<ares_addrinfo>?) -> Void = { arg, status, _, info in
    guard let arg else { return }
    let query = Unmanaged<ResolverQuery>.fromOpaque(arg).takeRetainedValue()
    var text = [CChar](repeating: 0, count: 1024)
    var ttl: Int32 = -1
    let count = status == ARES_SUCCESS ? text.withUnsafeMutableBufferPointer { cares_addresses(info, $0.baseAddress!, $0.count, 8, &ttl) } : 0
    if let info { cares_freeaddrinfo(info) }
    let addresses = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    query.channel?.answered(query.id, status: status, addresses: count > 0 ? addresses : nil, ttl: Int(ttl))
}

/// c-ares's ARES_OPT_SOCK_STATE_CB: which socket to watch for what.
private let stateCallback: @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, Int32) -> Void = { data, fd, readable, writable in
    guard let data else { return }
    Unmanaged<ResolverChannel>.fromOpaque(data).takeUnretainedValue().watch(fd: fd, readable: readable != 0, writable: writable != 0)
}

/// One name in flight, handed to c-ares as its callback's argument (retained until answered).
private final class ResolverQuery {
    let id: UInt64
    weak var channel: ResolverChannel?
    init(id: UInt64, channel: ResolverChannel) {
        self.id = id
        self.channel = channel
    }
}

/// One c-ares channel for one mark, driven by the event loop: c-ares says which sockets to watch
/// (one `IOWatcher` each) and when it wants to be called for its timeouts (one `TimerWatcher`).
private final class ResolverChannel {
    let mark: UInt32
    private let loop: EventLoop
    private var channel: ares_channel?
    private var watchers: [Int32: IOWatcher] = [:]
    private var timer: TimerWatcher?
    /// Answers wanted, by query id: (status, addresses, ttl) goes to the owner.
    private var waiting: [UInt64: (Int32, String?, Int) -> Void] = [:]
    var isIdle: Bool { waiting.isEmpty }

    init(loop: EventLoop, mark: UInt32) throws(HTTPError) {
        self.loop = loop
        self.mark = mark
        var made: ares_channel?
        let code = cares_channel_new(&made, mark, stateCallback, Unmanaged.passUnretained(self).toOpaque())
        guard code == ARES_SUCCESS, let made else {
            throw HTTPError(code: 0, message: "c-ares cannot start: " + String(cString: cares_strerror(code)))
        }
        channel = made
        timer = TimerWatcher(loop: loop) { [unowned self] in self.process(read: ARES_SOCKET_BAD, write: ARES_SOCKET_BAD) }
    }

    /// Ends every query (their answers are dropped) and frees the channel; never call it from
    /// inside one of c-ares's callbacks.
    func close() {
        waiting = [:]
        if let channel { cares_channel_free(channel) }  // calls the outstanding callbacks, answers dropped
        channel = nil
        for watcher in watchers.values { watcher.stop() }
        watchers = [:]
        timer?.stop()
    }

    /// Whether a name server is a loopback stub (it forwards without our mark).
    var hasLoopbackServer: Bool { channel.map { cares_has_loopback_server($0) != 0 } ?? false }

    func start(_ id: UInt64, name: String, answer: @escaping (Int32, String?, Int) -> Void) {
        guard let channel else { return answer(ARES_EDESTRUCTION, nil, -1) }
        waiting[id] = answer
        let query = Unmanaged.passRetained(ResolverQuery(id: id, channel: self)).toOpaque()
        cares_getaddrinfo(channel, name, addressCallback, query)
        rearm()
    }

    func forget(_ id: UInt64) { waiting[id] = nil }

    fileprivate func answered(_ id: UInt64, status: Int32, addresses: String?, ttl: Int) {
        guard let answer = waiting.removeValue(forKey: id) else { return }
        answer(status, addresses, ttl)
    }

    fileprivate func watch(fd: Int32, readable: Bool, writable: Bool) {
        var events: IOEvents = []
        if readable { events.insert(.read) }
        if writable { events.insert(.write) }
        if events.isEmpty {
            watchers[fd]?.stop()
            return
        }
        if let watcher = watchers[fd] {
            watcher.stop()
            watcher.set(events: events)
            watcher.start()
        } else {
            let watcher = IOWatcher(loop: loop, fd: fd, events: events) { [unowned self] ready in
                self.process(read: ready.contains(.read) ? fd : ARES_SOCKET_BAD, write: ready.contains(.write) ? fd : ARES_SOCKET_BAD)
            }
            watchers[fd] = watcher
            watcher.start()
        }
    }

    private func process(read: Int32, write: Int32) {
        guard let channel else { return }
        cares_process_fd(channel, read, write)
        rearm()
    }

    private func rearm() {
        guard let channel else { return }
        let milliseconds = cares_timeout_ms(channel)
        if milliseconds < 0 { timer?.stop() } else { timer?.start(after: Double(milliseconds) / 1000) }
    }
}

/// Resolves host names on sockets that carry a mark (WireGuard's fwmark), with c-ares reading
/// /etc/resolv.conf and /etc/hosts as the C library would: in a full tunnel (wg-quick's
/// `not fwmark` rule) glibc's and libcurl's resolvers send their queries into the tunnel, which is
/// the very thing a store call may be needed to repair. Answers are kept for their TTL (10 s to
/// 5 minutes); a channel is made per mark while names are in flight and freed when none is, so a
/// changed resolv.conf is read again. Completions run on the loop, never inside `resolve`, never
/// after `cancel`.
public final class MarkedResolver {
    private let loop: EventLoop
    private var channels: [UInt32: ResolverChannel] = [:]
    private var cache: [String: (addresses: String, expires: Double)] = [:]
    private var callers: [UInt64: (Result<String, HTTPError>) -> Void] = [:]
    /// Lookups in flight by "mark name": their id at the channel and the callers waiting for them.
    /// Callers asking for a name already being looked up wait for that answer (a store starts several
    /// requests to one host at once: one query each would multiply the bytes on a metered link).
    private var inFlight: [String: (lookup: UInt64, mark: UInt32, callers: [UInt64])] = [:]
    private var nextID: UInt64 = 0
    private var warnedStub = false
    /// Told once when a name server is a loopback stub: such a stub (systemd-resolved's
    /// 127.0.0.53) forwards our marked query again without the mark.
    public var notice: (String) -> Void = { _ in }
    /// Queries sent to c-ares (cache misses), for tests and benchmarks.
    public private(set) var lookups = 0

    /// Loads c-ares; throws when it cannot be loaded.
    public init(loop: EventLoop) throws(ResolverLoadError) {
        try CAresLibrary.load()
        self.loop = loop
    }

    deinit { for channel in channels.values { channel.close() } }

    /// Resolves `name` on sockets marked `mark`; the completion gets libcurl's CURLOPT_RESOLVE
    /// address list ("a,b,[v6]") or why there is none. Returns a token for `cancel`.
    @discardableResult
    public func resolve(_ name: String, mark: UInt32, completion: @escaping (Result<String, HTTPError>) -> Void) -> UInt64 {
        nextID += 1
        let id = nextID
        callers[id] = completion
        let key = "\(mark) \(name)"
        if let hit = cache[key], hit.expires > loop.now {
            finish([id], .success(hit.addresses))
            return id
        }
        if inFlight[key] != nil {
            inFlight[key]!.callers.append(id)
            return id
        }
        let channel: ResolverChannel
        if let open = channels[mark] {
            channel = open
        } else {
            do throws(HTTPError) {
                channel = try ResolverChannel(loop: loop, mark: mark)
            } catch {
                finish([id], .failure(error))
                return id
            }
            channels[mark] = channel
            if channel.hasLoopbackServer && !warnedStub {
                warnedStub = true
                notice("the name server in /etc/resolv.conf is a local stub resolver (127.0.0.x or ::1): it forwards the stores' name lookups without WireGuard's fwmark, so in a full tunnel they go into the tunnel (docs/full-tunnel.md)")
            }
        }
        lookups += 1
        nextID += 1
        let lookup = nextID
        inFlight[key] = (lookup, mark, [id])
        channel.start(lookup, name: name) { [weak self] status, addresses, ttl in
            guard let self, let waiting = self.inFlight.removeValue(forKey: key) else { return }
            if let addresses {
                let seconds = ttl < 0 ? 60 : min(max(ttl, 10), 300)
                self.cache[key] = (addresses, self.loop.now + Double(seconds))
                self.finish(waiting.callers, .success(addresses))
            } else {
                let reason = status == ARES_SUCCESS ? "no IPv4 or IPv6 address" : String(cString: cares_strerror(status))
                self.finish(waiting.callers, .failure(HTTPError(code: 0, message: "cannot resolve \(name) on marked sockets: \(reason)")))
            }
        }
        return id
    }

    /// Abandons a lookup: its completion will not run. The query itself goes on while others wait
    /// for the same name.
    public func cancel(_ token: UInt64) {
        callers[token] = nil
        for (key, entry) in inFlight where entry.callers.contains(token) {
            let left = entry.callers.filter { $0 != token }
            if left.isEmpty {
                inFlight[key] = nil
                channels[entry.mark]?.forget(entry.lookup)
            } else {
                inFlight[key]!.callers = left
            }
        }
        closeIdleChannels()
    }

    /// Delivers on the next loop iteration (never inside c-ares's callbacks or `resolve`), then
    /// frees channels with nothing in flight.
    private func finish(_ ids: [UInt64], _ result: Result<String, HTTPError>) {
        loop.soon { [self] in
            closeIdleChannels()
            for id in ids {
                guard let completion = callers.removeValue(forKey: id) else { continue }
                completion(result)
            }
        }
    }

    private func closeIdleChannels() {
        for (mark, channel) in channels where channel.isIdle {
            channels[mark] = nil
            loop.soon { channel.close() }  // not inside a callback of its own
        }
    }
}
