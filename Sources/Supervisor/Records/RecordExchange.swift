import EventLoop
import Glibc
import Probes
import Record
import SystemCalls

/// A peer's records and all of its stores: publishes our record to every store and reads the
/// peer's from every store, so that one failing or slow store never stalls the others (see
/// `StoreRound`); stamps what we publish with `ts` and rejects replayed records of the peer (see
/// `RemoteRecordChoice`); skips writes a store does not need (`StoreWritePolicy`). `PeerRuntime`
/// calls it where it once called one store's get and set.
public final class RecordExchange {
    /// What a publish did.
    struct Published {
        /// The record as sealed, with its timestamp.
        let record: EndpointRecord
        /// The store key it went under.
        let key: String
        /// Plugins written to, skipped (already held the same endpoints), failed, and still
        /// writing when the round ended (their result only shows in their health).
        let written: [String], skipped: [String], failed: [String], pending: [String]
    }

    /// What a read found.
    enum Read {
        /// The peer's record to use: from which plugin, and since when (wall clock) we have seen
        /// these endpoints.
        case record(EndpointRecord, plugin: String, since: Double)
        /// No store has a record for us yet.
        case missing
        /// Records were there but must not be used (forged, corrupt, replayed); why.
        case rejected(String)
        /// No store could be read; why.
        case failed(String)
    }

    /// The peer's record accepted last, for status.
    public struct RemoteRecordStatus: Equatable, Sendable {
        /// Its endpoints, as JSON without the timestamp.
        public var endpoints: String
        /// Its `ts`; nil for a record without one (written by stunmesh-go), which is accepted
        /// without replay protection.
        public var timestamp: Int?
        /// The plugin it was read from.
        public var plugin: String
        /// Wall-clock time these endpoints were first read.
        public var firstSeen: Double
        /// Wall-clock time it was last read.
        public var lastRead: Double

        /// Whether the record carries stunmeshd's timestamp (false: a stunmesh-go peer).
        public var isStamped: Bool { timestamp != nil }

        /// Whether `record`, read after this one, is the peer's knock: the same endpoints with a
        /// newer `ts` (its `ts` stays the same while its endpoints do, so only a knock or a
        /// restart with a clock ahead moves it; either way a punch toward it is cheap).
        public func isRewritten(as record: EndpointRecord) -> Bool {
            guard let before = timestamp, let ts = record.timestamp else { return false }
            return ts > before && record.endpoints.json() == endpoints
        }
    }

    /// Seconds a round waits for the other stores once one has given a good answer.
    static let defaultGrace = 1.0

    /// The peer's stores in config order.
    let lanes: [StoreLane]
    private let peerKey: WireGuardKey
    private let loop: EventLoop
    private let logger: Logger
    private let grace: Double
    private let wallClock: () -> Double
    /// Unix seconds for `ts`; tests replace it.
    var unixTime: () -> Int
    /// The endpoints we publish and their timestamp (kept while they stay the same), with the
    /// keys to seal them again for a republish.
    private var published: (record: EndpointRecord, keys: InterfaceKeys)?
    /// The newest `ts` accepted from the peer (never lowered, not even by an unstamped record).
    private var newestAccepted: Int?
    /// Where that is kept across restarts (`state_file`); nil: in memory only.
    var replayMemory: ReplayMemory?
    private var lastAccepted: EndpointRecord?
    private var publishRound: StoreRound<Result<Bool, StoreError>>?
    /// The stores' change notifications for the peer's record, and its key.
    private var watches: [Int: StoreWatch] = [:]
    /// Lanes whose store has no watch at all.
    private var unwatchable: Set<Int> = []
    private var watchedKey: String?
    private var readRound: StoreRound<StoreReadAnswer>?

    /// The peer's record accepted last (nil before the first); `isStamped` false marks a
    /// stunmesh-go record.
    public private(set) var remote: RemoteRecordStatus?

    /// Each store's health, in config order.
    public var health: [StoreHealth] { lanes.map(\.currentHealth) }

    /// How soon to read again while the partner's record is missing: the slowest of the peer's
    /// stores' cadences (`StoreReadPacer.missingPollInterval`; every read goes to every store).
    var missingPollInterval: Double {
        lanes.indices.map { index in
            let paced = lanes[index].pacer?.missingPollInterval ?? StoreReadPacer.missingFloor
            // A free watch (the file store's inotify, with its own stat fallback) tells us when the
            // record appears: reading is only a safety net then.
            let watched = watches[index] != nil && !lanes[index].store.watchCostsRequests
            return watched ? max(paced, StoreReadPacer.watchedMissingInterval) : paced
        }.max() ?? StoreReadPacer.missingFloor
    }

    init(peerKey: WireGuardKey, lanes: [StoreLane], loop: EventLoop, logger: Logger,
         grace: Double = RecordExchange.defaultGrace, wallClock: @escaping () -> Double = WallClock.now,
         unixTime: @escaping () -> Int = WallClock.unixSeconds) {
        precondition(!lanes.isEmpty, "a peer has at least one store")
        self.peerKey = peerKey
        self.lanes = lanes
        self.loop = loop
        self.logger = logger
        self.grace = grace
        self.wallClock = wallClock
        self.unixTime = unixTime
        for lane in lanes where lane.policy.republishInterval != nil {
            lane.reseal = { [weak self] in self?.sealAgain() }
        }
    }

    /// Publishes `record`'s endpoints to every store that needs them: stamped with `ts` (kept
    /// while the endpoints stay the same, never going back), sealed for the peer. Succeeds when at
    /// least one store holds them.
    func publish(_ record: EndpointRecord, keys: InterfaceKeys,
                 completion: @escaping (Result<Published, StoreError>) -> Void) {
        publishRound?.cancel()
        let content = record.endpoints
        var stamped = content
        let key = StoreKey.forRecord(from: keys.publicKey, to: peerKey)
        if let previous = published?.record, previous.endpoints == content {
            stamped.timestamp = previous.timestamp
        } else {
            // Never below what we published before, in this run or (the state file) an earlier
            // one: a router without a real-time clock boots in the past, and the partner refuses a
            // record older than one it accepted.
            let before = published?.record.timestamp ?? replayMemory?.lastPublished(for: key) ?? 0
            stamped.timestamp = max(unixTime(), before)
        }
        published = (stamped, keys)
        let contentJSON = content.json()
        let sealed: String
        do {
            sealed = try RecordBox.seal(Array(stamped.json().utf8), senderPrivate: keys.privateKey, receiverPublic: peerKey)
        } catch {
            return loop.soon { completion(.failure(StoreError("cannot seal the record: \(error)"))) }
        }
        let lanes = self.lanes
        // An answer is .success(true) written, .success(false) skipped, or a failure.
        let round = StoreRound<Result<Bool, StoreError>>(loop: loop, count: lanes.count, grace: grace,
                                                         isGood: { (try? $0.get()) != nil }) { answers in
            var written: [String] = [], skipped: [String] = [], failed: [String] = [], pending: [String] = []
            var errors: [String] = []
            for (lane, answer) in zip(lanes, answers) {
                switch answer {
                case .success(true)?: written.append(lane.plugin)
                case .success(false)?: skipped.append(lane.plugin)
                case .failure(let error)?: failed.append(lane.plugin); errors.append("\(lane.plugin): \(error)")
                case nil: pending.append(lane.plugin); errors.append("\(lane.plugin): no answer yet")
                }
            }
            if written.isEmpty && skipped.isEmpty {
                completion(.failure(StoreError(errors.joined(separator: "; "))))
            } else {
                completion(.success(Published(record: stamped, key: key, written: written, skipped: skipped,
                                              failed: failed, pending: pending)))
            }
        }
        publishRound = round
        let send = { [weak self, weak round] in
            // Not when a newer publish or `stop()` replaced this one while the `ts` was being saved.
            guard let self, let round, self.publishRound === round else { return }
            for (index, lane) in lanes.enumerated() {
                if lane.mustWrite(key: key, content: contentJSON) {
                    lane.set(key: key, value: sealed, content: contentJSON) { round.answer(index, $0.map { true }) }
                } else {
                    lane.noteSkipped()
                    round.answer(index, .success(false))
                }
            }
        }
        // The `ts` is on disk before the record leaves (ReplayMemory).
        if let ts = stamped.timestamp, let replayMemory { replayMemory.published(ts, for: key, then: send) } else { send() }
    }

    /// Writes the published record again with a newer `ts`, to the stores that can tell a watcher
    /// (the ones we watch ourselves: the file store, OpenDHT) — where a partner is watching our
    /// record while its path is believed good. The partner's `remoteChanged` then checks its own
    /// mapping at once. Other stores are not written: their partners read only on their own
    /// schedule, which already re-discovers. Completes on the
    /// loop with the plugins written (empty: none could tell the partner, or nothing published
    /// yet), or a failure when every write failed.
    func knock(keys: InterfaceKeys, completion: @escaping (Result<[String], StoreError>) -> Void) {
        let notifying = lanes.indices.filter { watches[$0] != nil }
        guard var record = published?.record, !notifying.isEmpty else {
            return loop.soon { completion(.success([])) }
        }
        // Newer than anything the partner accepted from us, or it would be rejected as a replay.
        record.timestamp = max(unixTime(), (record.timestamp ?? 0) + 1)
        published = (record, keys)
        let key = StoreKey.forRecord(from: keys.publicKey, to: peerKey)
        let sealed: String
        do {
            sealed = try RecordBox.seal(Array(record.json().utf8), senderPrivate: keys.privateKey, receiverPublic: peerKey)
        } catch {
            return loop.soon { completion(.failure(StoreError("cannot seal the record: \(error)"))) }
        }
        let content = record.endpoints.json()
        let lanes = self.lanes
        let send = {
            var waiting = notifying.count
            var written: [String] = [], errors: [String] = []
            for index in notifying {
                let lane = lanes[index]
                lane.set(key: key, value: sealed, content: content) { result in
                    switch result {
                    case .success: written.append(lane.plugin)
                    case .failure(let error): errors.append("\(lane.plugin): \(error)")
                    }
                    waiting -= 1
                    guard waiting == 0 else { return }
                    completion(written.isEmpty ? .failure(StoreError(errors.joined(separator: "; "))) : .success(written))
                }
            }
        }
        // The `ts` is on disk before the record leaves (ReplayMemory).
        if let ts = record.timestamp, let replayMemory { replayMemory.published(ts, for: key, then: send) } else { send() }
    }

    /// The newest published record sealed again (fresh nonce, same `ts`), for a store's
    /// republish timer.
    private func sealAgain() -> (key: String, value: String, content: String)? {
        guard let (record, keys) = published,
              let sealed = try? RecordBox.seal(Array(record.json().utf8), senderPrivate: keys.privateKey,
                                               receiverPublic: peerKey) else { return nil }
        return (StoreKey.forRecord(from: keys.publicKey, to: peerKey), sealed, record.endpoints.json())
    }

    /// Reads the peer's record from every store, opens each, and picks one (`RemoteRecordChoice`).
    /// `urgent`: a change notification or a repair asks for it (`StoreReadPacer.delay(now:urgent:)`).
    /// Whether a record of the partner's was accepted before, in this run or one before (the
    /// state file): such a partner was alive, so its reads go first at start (`StartOrder`).
    func partnerSeenBefore(ownPublicKey: WireGuardKey) -> Bool {
        newestAccepted != nil || replayMemory?.newest(for: StoreKey.forRecord(from: peerKey, to: ownPublicKey)) != nil
    }

    func read(keys: InterfaceKeys, urgent: Bool = false, completion: @escaping (Read) -> Void) {
        readRound?.cancel()
        let key = StoreKey.forRecord(from: peerKey, to: keys.publicKey)
        let peerKey = self.peerKey
        let round = StoreRound<StoreReadAnswer>(loop: loop, count: lanes.count, grace: grace,
                                                isGood: { if case .record = $0 { true } else { false } }) { [weak self] answers in
            guard let self else { return }
            completion(self.decide(answers, key: key))
        }
        readRound = round
        for (index, lane) in lanes.enumerated() {
            lane.get(key: key, urgent: urgent) { result in
                switch result {
                case .failure(let error): round.answer(index, .failed(error.message))
                case .success(nil): round.answer(index, .missing)
                case .success(let value?):
                    do {
                        let plaintext = try RecordBox.open(value, receiverPrivate: keys.privateKey, senderPublic: peerKey)
                        round.answer(index, .record(try EndpointRecord(json: String(decoding: plaintext, as: UTF8.self))))
                    } catch {
                        round.answer(index, .unreadable("\(error)"))
                    }
                }
            }
        }
    }

    private func decide(_ answers: [StoreReadAnswer?], key: String) -> Read {
        let names = lanes.map(\.plugin)
        // After a restart the newest accepted `ts` comes from the state file: an older record is
        // still a replay. (Without the last accepted endpoints, no older record is taken then.)
        if newestAccepted == nil { newestAccepted = replayMemory?.newest(for: key) }
        switch RemoteRecordChoice.choose(answers, stores: names, newestAccepted: newestAccepted, lastAccepted: lastAccepted) {
        case .accept(let record, let index):
            let now = wallClock()
            let endpoints = record.endpoints.json()
            let firstSeen = remote?.endpoints == endpoints ? remote!.firstSeen : now
            if record.timestamp == nil && remote?.isStamped != false {
                logger.info("the peer's record has no timestamp (a stunmesh-go peer?): accepted without replay protection",
                            metadata: ["store": "\(names[index])"])
            }
            if let ts = record.timestamp {
                newestAccepted = max(newestAccepted ?? ts, ts)
                replayMemory?.accepted(ts, for: key)
            }
            lastAccepted = record
            remote = RemoteRecordStatus(endpoints: endpoints, timestamp: record.timestamp, plugin: names[index],
                                        firstSeen: firstSeen, lastRead: now)
            return .record(record, plugin: names[index], since: firstSeen)
        case .reject(let why): return .rejected(why)
        case .missing: return .missing
        case .failed(let why): return .failed(why)
        }
    }

    /// Stops every store's timers and drops rounds in progress.
    func stop() {
        publishRound?.cancel()
        readRound?.cancel()
        for lane in lanes { lane.stop() }
        for watch in watches.values { watch.cancel() }
        watches = [:]
    }
    /// Watches the partner's record in every store that can tell (`Store.watch`), from the first
    /// call on, for as long as the peer runs — a free watch (the file store's inotify) and a costly
    /// one (an OpenDHT listen, within the store's own cap) alike: a side whose path is believed good
    /// learns that the partner moved only this way (its NAT drops the partner's packets from a new
    /// mapping, and an idle side sends nothing that could notice), and polling for it would cost
    /// more than a listen (docs/stores.md). Returns how many stores watch now; the others are
    /// polled as before.
    @discardableResult
    func watchRemote(keys: InterfaceKeys, onChange: @escaping () -> Void) -> Int {
        let key = StoreKey.forRecord(from: peerKey, to: keys.publicKey)
        if key != watchedKey {
            for watch in watches.values { watch.cancel() }
            watches = [:]
            watchedKey = key
        }
        for (index, lane) in lanes.enumerated() where watches[index] == nil && !unwatchable.contains(index) {
            if let watch = lane.store.watch(key: key, onChange: onChange) {
                watches[index] = watch
            } else if !lane.store.watchCostsRequests {
                unwatchable.insert(index)  // it cannot tell: do not ask again
            }
            // A costly store that said no is full (its cap on listens): asked again next time.
        }
        return watches.count
    }
}
