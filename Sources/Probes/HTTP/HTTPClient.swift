import CCurl
import EventLoop

/// CURLMOPT_SOCKETFUNCTION: libcurl says which socket to watch for what.
private let socketCallback: @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32 = { _, fd, what, user, _ in
    guard let user else { return -1 }
    Unmanaged<HTTPClient>.fromOpaque(user).takeUnretainedValue().watch(fd: fd, what: what)
    return 0
}

/// CURLMOPT_TIMERFUNCTION: libcurl asks to be called back after `milliseconds` (-1: never).
private let timerCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32 = { _, milliseconds, user in
    guard let user else { return -1 }
    Unmanaged<HTTPClient>.fromOpaque(user).takeUnretainedValue().arm(milliseconds: milliseconds)
    return 0
}

/// HTTP(S) on the event loop: libcurl's multi-socket API driven by libev, so that store
/// requests never block the loop. libcurl tells the client which sockets to watch (one
/// `IOWatcher` each) and when to call it back (one `TimerWatcher`); the client feeds those
/// events to `curl_multi_socket_action` and hands finished transfers to their completions.
/// Connections are kept alive between requests to the same server. Make one client per loop,
/// on the loop's thread, and keep it alive as long as requests are in flight. The first client
/// loads libcurl (`CurlLibrary`).
public final class HTTPClient {
    /// The SO_MARK every socket of a request gets (0: none), asked when the request starts: the
    /// daemon answers with WireGuard's fwmark, so that in a full tunnel (wg-quick's `not fwmark`
    /// rule) the stores' traffic leaves outside the tunnel, as WireGuard's own packets do.
    public var socketMark: () -> UInt32 = { 0 }
    /// Told once each: why names are not resolved on marked sockets (c-ares is missing), or that
    /// the name server is a local stub that forwards without the mark. The daemon logs it.
    public var notice: (String) -> Void = { _ in }
    /// Resolves the host names of marked requests on marked sockets (glibc's and libcurl's
    /// resolvers cannot mark theirs); made at the first such request.
    private var resolver: MarkedResolver?
    private var resolverUnavailable = false
    /// Requests waiting for their host's addresses: request id → the resolver's token.
    private var resolving: [UInt64: UInt64] = [:]
    private let loop: EventLoop
    private let multi: UnsafeMutableRawPointer
    private var transfers: [UInt64: HTTPTransfer] = [:]
    /// Outcomes waiting for the next loop iteration (finished transfers and early failures).
    private var outcomes: [UInt64: (Result<HTTPResponse, HTTPError>) -> Void] = [:]
    /// Watchers by descriptor. A watcher is stopped, never freed, when libcurl is done with its
    /// socket (it may be the very watcher whose callback is running), and reused for the next
    /// socket that gets the same number.
    private var watchers: [Int32: IOWatcher] = [:]
    private var timer: TimerWatcher?
    private var nextID: UInt64 = 0

    /// A client on `loop`; throws when libcurl cannot be loaded.
    public init(loop: EventLoop) throws(CurlLoadError) {
        try CurlLibrary.load()
        guard let multi = ccurl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.loop = loop
        self.multi = multi
        timer = TimerWatcher(loop: loop) { [unowned self] in self.act(on: CURL_SOCKET_TIMEOUT, flags: 0) }
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_socketfunction(multi, socketCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = ccurl_multi_setopt_timerfunction(multi, timerCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
    }

    deinit {
        // Detach the callbacks first: removing handles and closing connections would call them.
        _ = ccurl_multi_setopt_socketfunction(multi, nil)
        _ = ccurl_multi_setopt_timerfunction(multi, nil)
        for transfer in transfers.values {
            ccurl_multi_remove_handle(multi, transfer.easy)
            transfer.release()
        }
        for watcher in watchers.values { watcher.stop() }
        timer?.stop()
        ccurl_multi_cleanup(multi)
    }

    /// Starts `request`; `completion` runs later on the loop (never inside `send`) with the
    /// response, whatever its status, or the reason there is none. Returns a token for `cancel`.
    /// With `onData` the body is streamed: each chunk goes to `onData` as it arrives (on the
    /// loop, from inside libcurl's callback, so it must not call the client: defer anything
    /// that might with `loop.soon`), no chunk larger than `maximumResponseSize`, and the
    /// response's body is empty. For a long poll such as an OpenDHT listen.
    @discardableResult
    public func send(_ request: HTTPRequest, onData: (([UInt8]) -> Void)? = nil,
                     completion: @escaping (Result<HTTPResponse, HTTPError>) -> Void) -> HTTPRequestToken {
        nextID += 1
        let id = nextID
        let mark = socketMark()
        // A marked request to a host name: the name is resolved on marked sockets first, then
        // handed to libcurl, whose own resolver would send the query unmarked (into a full tunnel).
        if mark != 0, let target = URLHost(request.url), target.isName, let resolver = markedResolver() {
            resolving[id] = resolver.resolve(target.host, mark: mark) { [weak self] result in
                guard let self, self.resolving.removeValue(forKey: id) != nil else { return }
                switch result {
                case .failure(let error): completion(.failure(error))
                case .success(let addresses):
                    self.begin(id, request, mark: mark, resolve: "+\(target.host):\(target.port):\(addresses)",
                               onData: onData, completion: completion)
                }
            }
            return HTTPRequestToken(id: id)
        }
        begin(id, request, mark: mark, resolve: nil, onData: onData, completion: completion)
        return HTTPRequestToken(id: id)
    }

    /// The resolver for marked requests, nil (after one notice) when c-ares cannot be loaded: names
    /// are then resolved by libcurl, unmarked.
    private func markedResolver() -> MarkedResolver? {
        if let resolver { return resolver }
        guard !resolverUnavailable else { return nil }
        do throws(ResolverLoadError) {
            let made = try MarkedResolver(loop: loop)
            made.notice = { [weak self] in self?.notice($0) }
            resolver = made
            return made
        } catch {
            resolverUnavailable = true
            notice("\(error); the stores' host names are resolved without WireGuard's fwmark (in a full tunnel their lookups go into the tunnel)")
            return nil
        }
    }

    /// Hands a request to libcurl.
    private func begin(_ id: UInt64, _ request: HTTPRequest, mark: UInt32, resolve: String?,
                       onData: (([UInt8]) -> Void)?, completion: @escaping (Result<HTTPResponse, HTTPError>) -> Void) {
        do throws(HTTPError) {
            let transfer = try HTTPTransfer(id: id, request: request, mark: mark, resolve: resolve, onData: onData,
                                            completion: completion)
            let code = ccurl_multi_add_handle(multi, transfer.easy)
            guard code == CURLM_OK else {
                transfer.release()
                throw HTTPError(code: 0, message: "curl_multi_add_handle: " + String(cString: ccurl_multi_strerror(code)))
            }
            transfers[id] = transfer
        } catch {
            deliver(id, completion, .failure(error))
        }
    }

    /// Abandons a request: its completion will not run. Does nothing for a finished one.
    public func cancel(_ token: HTTPRequestToken) {
        outcomes[token.id] = nil
        if let lookup = resolving.removeValue(forKey: token.id) { resolver?.cancel(lookup) }
        guard let transfer = transfers.removeValue(forKey: token.id) else { return }
        ccurl_multi_remove_handle(multi, transfer.easy)
        transfer.release()
    }

    /// Host names looked up on marked sockets so far (cache misses), for tests.
    var markedLookups: Int { resolver?.lookups ?? 0 }

    /// How many requests are in flight (sent, not yet completed or cancelled).
    public var pending: Int { transfers.count + outcomes.count + resolving.count }

    // MARK: libcurl's callbacks and the loop's events

    fileprivate func watch(fd: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            watchers[fd]?.stop()
            return
        }
        var events: IOEvents = []
        if what & CURL_POLL_IN != 0 { events.insert(.read) }
        if what & CURL_POLL_OUT != 0 { events.insert(.write) }
        if let watcher = watchers[fd] {
            watcher.stop()
            watcher.set(events: events)  // also tells libev the descriptor may be a new one
            watcher.start()
        } else {
            let watcher = IOWatcher(loop: loop, fd: fd, events: events) { [unowned self] ready in
                var flags: Int32 = 0
                if ready.contains(.read) { flags |= CURL_CSELECT_IN }
                if ready.contains(.write) { flags |= CURL_CSELECT_OUT }
                self.act(on: fd, flags: flags)
            }
            watchers[fd] = watcher
            watcher.start()
        }
    }

    fileprivate func arm(milliseconds: Int) {
        if milliseconds < 0 {
            timer?.stop()
        } else {
            timer?.start(after: Double(milliseconds) / 1000)
        }
    }

    /// Lets libcurl work on `fd` (or on its timeouts), then collects finished transfers.
    private func act(on fd: Int32, flags: Int32) {
        var running: Int32 = 0
        _ = ccurl_multi_socket_action(multi, fd, flags, &running)
        var left: Int32 = 0
        while let message = ccurl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            var privateData: UnsafeMutableRawPointer?
            _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &privateData)
            let id = UInt64(UInt(bitPattern: privateData))
            let code = message.pointee.data.result
            ccurl_multi_remove_handle(multi, easy)
            guard let transfer = transfers.removeValue(forKey: id) else { continue }
            let result = transfer.result(code: code)
            transfer.release()
            deliver(id, transfer.completion, result)
        }
    }

    /// Runs a completion on the next loop iteration, unless the request is cancelled before.
    /// Completions never run inside libcurl's or libev's callbacks of this client, so they may
    /// send, cancel, or drop the client.
    private func deliver(_ id: UInt64, _ completion: @escaping (Result<HTTPResponse, HTTPError>) -> Void,
                         _ result: Result<HTTPResponse, HTTPError>) {
        outcomes[id] = completion
        loop.soon { [self] in
            guard let completion = outcomes.removeValue(forKey: id) else { return }
            completion(result)
        }
    }
}
