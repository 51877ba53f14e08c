import EventLoop
import Logging
import Probes
import Record
import Stun
import SystemCalls

/// One managed peer at run time: its state machine, and the code that performs the machine's
/// actions against the world (WireGuard, STUN, the store, timers) and turns their results back
/// into events. All decisions stay in `PeerStateMachine`; this type only carries them out.
final class PeerRuntime {
    /// The peer's name in config (`interfaces.<if>.peers.<name>`).
    let name: String
    /// The interface the peer belongs to.
    let interface: InterfaceRuntime
    /// The peer's WireGuard public key.
    let peerKey: WireGuardKey
    /// The peer's settings.
    let settings: PeerConfig
    /// The store its records go through, and whether unchanged records are skipped.
    let store: Store
    let dedup: Bool
    let logger: Logger

    private(set) var machine: PeerStateMachine
    private var pending: [PeerStateMachine.Event] = []
    private var handling = false
    private var discovery: StunDiscovery?
    private var lastStoredPlaintext: String?
    /// Counts operations so that a completion that outlived its operation (after stop) is dropped.
    private var operation = 0
    private lazy var retryTimer = TimerWatcher(loop: interface.loop) { [unowned self] in self.handle(.timerFired(.retry)) }
    private lazy var refreshTimer = TimerWatcher(loop: interface.loop) { [unowned self] in self.handle(.timerFired(.refresh)) }
    /// Called after every event with the new state (the daemon watches for -oneshot).
    var onStateChange: ((PeerRuntime) -> Void)?

    init(name: String, interface: InterfaceRuntime, peerKey: WireGuardKey, settings: PeerConfig,
         store: Store, dedup: Bool, refreshInterval: Double, logger: Logger) {
        self.name = name
        self.interface = interface
        self.peerKey = peerKey
        self.settings = settings
        self.store = store
        self.dedup = dedup
        self.machine = PeerStateMachine(refreshInterval: refreshInterval)
        var logger = logger
        logger[metadataKey: "interface"] = "\(interface.name)"
        logger[metadataKey: "peer"] = "\(name)"
        self.logger = logger
    }

    /// Feeds an event to the machine and performs what it returns. Events raised while
    /// performing (a synchronous WireGuard write) are queued, never handled re-entrantly.
    func handle(_ event: PeerStateMachine.Event) {
        pending.append(event)
        guard !handling else { return }
        handling = true
        while !pending.isEmpty {
            let next = pending.removeFirst()
            let before = machine.state
            let actions = machine.handle(next)
            if machine.state != before {
                logger.debug("state \(before) -> \(machine.state)")
            }
            for action in actions { perform(action) }
        }
        handling = false
        onStateChange?(self)
    }

    /// Stops the peer: timers off, any STUN exchange cancelled; WireGuard is left as it is.
    func stop() {
        discovery?.cancel()
        discovery = nil
        handle(.stop)
    }

    private func perform(_ action: PeerStateMachine.Action) {
        switch action {
        case .discover: discover()
        case .publish(let mapping): publish(mapping)
        case .readRemote: readRemote()
        case .setEndpoint(let endpoint): setEndpoint(endpoint)
        case .armTimer(let timer, let seconds): self.timer(timer).start(after: seconds)
        case .cancelTimer(let timer): self.timer(timer).stop()
        case .log(.info, let message): logger.info("\(message)")
        case .log(.warning, let message): logger.warning("\(message)")
        }
    }

    private func timer(_ which: PeerStateMachine.Timer) -> TimerWatcher {
        which == .retry ? retryTimer : refreshTimer
    }

    /// Runs `completion` only if no newer operation started and the peer is not stopped.
    private func completion<T>(_ body: @escaping (PeerRuntime, T) -> Void) -> (T) -> Void {
        operation += 1
        let mine = operation
        return { [weak self] value in
            guard let self, self.operation == mine else { return }
            body(self, value)
        }
    }

    private func discover() {
        let device: WireGuardDeviceState
        let keys: InterfaceKeys
        do {
            (device, keys) = try interface.readDevice()
        } catch {
            handle(.discoveryFailed("\(error)"))
            return
        }
        guard device.peer(peerKey.hex) != nil else {
            handle(.discoveryFailed("peer \(peerKey.base64) is not configured on \(interface.name)"))
            return
        }
        _ = keys
        discovery?.cancel()
        let done = completion { (me: PeerRuntime, result: Result<StunMapping, StunDiscoveryError>) in
            me.discovery = nil
            switch result {
            case .success(let mapping):
                me.logger.info("discovered", metadata: ["mapped": "\(mapping.mapped)", "server": "\(mapping.server)",
                                                        "rtt_ms": "\(Int(mapping.rtt * 1000))"])
                me.handle(.discovered(mapping.mapped))
            case .failure(let error):
                me.handle(.discoveryFailed("\(error)"))
            }
        }
        let stun = StunDiscovery(loop: interface.loop, localPort: device.listenPort, fwmark: device.fwmark,
                                 servers: interface.stunServers, completion: done)
        discovery = stun
        stun.start()
    }

    private func publish(_ mapping: Endpoint) {
        guard let keys = interface.keys else {
            handle(.publishFailed("the interface's keys are unknown"))
            return
        }
        let record = mapping.address.isIPv4 ? EndpointRecord(ipv4: mapping, ipv6: nil) : EndpointRecord(ipv4: nil, ipv6: mapping)
        let plaintext = record.json()
        if dedup && plaintext == lastStoredPlaintext {
            logger.debug("record unchanged, not rewritten (dedup)")
            handle(.published)
            return
        }
        let sealed: String
        do {
            sealed = try RecordBox.seal(Array(plaintext.utf8), senderPrivate: keys.privateKey, receiverPublic: peerKey)
        } catch {
            handle(.publishFailed("cannot seal the record: \(error)"))
            return
        }
        let key = StoreKey.forRecord(from: keys.publicKey, to: peerKey)
        store.set(key: key, value: sealed, completion: completion { (me: PeerRuntime, result: Result<Void, StoreError>) in
            switch result {
            case .success:
                me.lastStoredPlaintext = plaintext
                me.logger.info("published", metadata: ["record": "\(plaintext)", "key": "\(key)", "store": "\(me.store.name)"])
                me.handle(.published)
            case .failure(let error):
                me.handle(.publishFailed("\(me.store.name): \(error)"))
            }
        })
    }

    private func readRemote() {
        guard let keys = interface.keys else {
            handle(.remoteReadFailed("the interface's keys are unknown"))
            return
        }
        let key = StoreKey.forRecord(from: peerKey, to: keys.publicKey)
        store.get(key: key, completion: completion { (me: PeerRuntime, result: Result<String?, StoreError>) in
            switch result {
            case .failure(let error):
                me.handle(.remoteReadFailed("\(me.store.name): \(error)"))
            case .success(nil):
                me.handle(.remoteMissing)
            case .success(let value?):
                me.handle(me.openRecord(value, keys: keys))
            }
        })
    }

    /// Authenticates, decrypts and parses a record; anything wrong becomes `.remoteRejected`.
    private func openRecord(_ value: String, keys: InterfaceKeys) -> PeerStateMachine.Event {
        let record: EndpointRecord
        do {
            let plaintext = try RecordBox.open(value, receiverPrivate: keys.privateKey, senderPublic: peerKey)
            record = try EndpointRecord(json: String(decoding: plaintext, as: UTF8.self))
        } catch {
            return .remoteRejected("\(error)")
        }
        guard let endpoint = EndpointChoice.choose(from: record, protocol: settings.protocol) else {
            return .remoteRejected("the record has no \(settings.protocol) address")
        }
        return .remoteEndpoint(endpoint)
    }

    private func setEndpoint(_ endpoint: Endpoint) {
        do {
            try interface.backend.setPeer(publicKeyHex: peerKey.hex, endpoint: endpoint,
                                          persistentKeepalive: settings.keepalive)
            logger.info("endpoint set", metadata: ["endpoint": "\(endpoint)", "keepalive": "\(settings.keepalive)"])
            handle(.configured)
        } catch {
            handle(.configureFailed("\(error)"))
        }
    }
}
