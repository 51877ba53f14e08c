/// In which order the peers start. A store's reads go out in the order they are asked for (its
/// pacer is a queue), and on a paced store a hub's first round takes long — 1,000 first reads are
/// 41 minutes of Cloudflare's read budget (24 a minute) and 50 of OpenDHT's (20 a minute). So the
/// peers whose partners were seen before (a record accepted, in the state file) start first:
/// those partners were alive, and their tunnels come back in the first minutes. The others start
/// once every peer of the first group has asked for its partner's record — not merely after them:
/// publishing takes each peer its own time (a plugin process each), so reads asked for in start
/// order would still interleave — or after `longestHold`, whichever comes first. Each group keeps
/// the config's order. Pure.
enum StartOrder {
    /// The longest the peers not seen before wait for the first group.
    static let longestHold = 5.0

    /// Whether the peers not seen before may start: every peer of the first group (their states
    /// now) has asked for its partner's record or given up for now, or they have waited `heldFor`
    /// seconds of at most `longestHold`.
    static func restMayStart(firstGroup states: [PeerStateMachine.State], heldFor: Double) -> Bool {
        heldFor >= longestHold || states.allSatisfy { state in
            switch state {
            case .idle, .discovering, .publishing: false
            case .awaitingRemote, .configuring, .monitoring, .waitingToRetry, .stopped: true
            }
        }
    }

    /// `items` with those `seenBefore` says yes to first, each group in its given order.
    static func arrange<T>(_ items: [T], seenBefore: (T) -> Bool) -> [T] {
        var seen: [T] = []
        var rest: [T] = []
        for item in items {
            if seenBefore(item) { seen.append(item) } else { rest.append(item) }
        }
        return seen + rest
    }
}
