import Record

/// What one store said when asked for the peer's record.
enum StoreReadAnswer: Equatable {
    /// The store failed or timed out.
    case failed(String)
    /// The store has no record under the peer's key.
    case missing
    /// A value was there but did not open or parse (forged, corrupt, another key pair).
    case unreadable(String)
    /// The record opened and parsed.
    case record(EndpointRecord)
}

/// Picks the peer's record among the answers of its stores, and applies replay protection. Pure:
/// no I/O and no clock, so each rule is tested directly.
///
/// - The newest record wins: the largest `ts`; records without one (stunmesh-go writes none)
///   rank oldest; among equals the store listed first wins.
/// - A record older than the newest one ever accepted from this peer is rejected, unless it says
///   the same as that one (a store lagging behind with the same endpoints is not an attack, and
///   switching to it changes nothing).
/// - A record without `ts` is accepted (stunmesh-go peers) and marked as such by the caller.
enum RemoteRecordChoice {
    /// The verdict on one read.
    enum Verdict: Equatable {
        /// Use this record; `store` is the index of the store it came from.
        case accept(EndpointRecord, store: Int)
        /// Every store that had a record had one that must not be used; the reason is for logs.
        case reject(String)
        /// No store has a record (and none failed).
        case missing
        /// No store could be read; the reasons, per store.
        case failed(String)
    }

    /// The verdict for `answers` (nil: the store had not answered when the round ended), in store
    /// order with their names in `stores`, given the newest timestamp accepted so far and the
    /// endpoints of the record accepted last.
    static func choose(_ answers: [StoreReadAnswer?], stores: [String], newestAccepted: Int?,
                       lastAccepted: EndpointRecord?) -> Verdict {
        var best: (record: EndpointRecord, index: Int)?
        for (index, answer) in answers.enumerated() {
            guard case .record(let record)? = answer else { continue }
            if let current = best, (record.timestamp ?? -1) <= (current.record.timestamp ?? -1) { continue }
            best = (record, index)
        }
        let name = { (index: Int) in stores.indices.contains(index) ? stores[index] : "store \(index)" }
        if let best {
            if let ts = best.record.timestamp, let newest = newestAccepted, ts < newest,
               best.record.endpoints != lastAccepted?.endpoints {
                return .reject("record from \(name(best.index)) is older (ts \(ts)) than the newest accepted (ts \(newest)): "
                    + "replayed or stale, ignored")
            }
            return .accept(best.record, store: best.index)
        }
        var unreadable: [String] = [], failures: [String] = []
        for (index, answer) in answers.enumerated() {
            switch answer {
            case .unreadable(let why)?: unreadable.append("\(name(index)): \(why)")
            case .failed(let why)?: failures.append("\(name(index)): \(why)")
            case nil: failures.append("\(name(index)): no answer yet")
            case .missing?, .record?: break
            }
        }
        if !unreadable.isEmpty { return .reject(unreadable.joined(separator: "; ")) }
        if failures.isEmpty { return .missing }
        return .failed(failures.joined(separator: "; "))
    }
}
