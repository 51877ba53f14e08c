/// How soon WireGuard's state is read again (event mode): every `poll_interval` while every peer
/// is idle, every `activeInterval` while some peer's counters move — but never so often that
/// reading costs more than `maximumDuty` of a core. A device read is one dump of every peer (UAPI
/// text or a netlink dump: there is no per-peer query), so its cost grows with the peers: on a
/// 10-peer router it is tens of microseconds and changes nothing, on a 1,000-peer hub it is
/// milliseconds, and reading 10 times a second for one active peer would cost more than everything
/// else the daemon does (issue #15's CPU budget; budgets beat latency targets). Pure: the daemon
/// reports each read's duration and asks for the next delay.
struct DevicePollPacer: Equatable {
    /// The largest share of a core the reads may take: 0.5 %.
    static let maximumDuty = 0.005

    /// One round of reads (every interface).
    private(set) var cost = CostEstimate()
    /// The running estimate of one round of reads, seconds; nil before the first.
    var readCost: Double? { cost.seconds }

    /// Notes that a round of reads took `seconds`.
    mutating func noteRead(seconds: Double) { cost.note(seconds: seconds) }

    /// The delay before the next round: `idle` (poll_interval) or, while a peer is active, the
    /// shorter `active`, stretched so that reads stay within `maximumDuty`.
    func interval(active: Bool, idle: Double, active activeInterval: Double) -> Double {
        let wanted = active ? min(activeInterval, idle) : idle
        return max(wanted, cost.interval(duty: Self.maximumDuty))
    }

    // MARK: Waking on traffic (`TunnelTap`, docs/path-judgement.md)

    /// Whether a packet into a tunnel should wake the reads: only while every peer is idle (the
    /// reads are `poll_interval` apart then; while a peer is active they come at the active pace
    /// anyway, and a tap on a busy tunnel would wake the loop for every packet).
    static func wakesOnTraffic(active: Bool) -> Bool { !active }

    /// After a packet went into an idle tunnel, WireGuard is read this much later: not at once,
    /// because WireGuard counts the packet only when it has encrypted and sent it (micro- to
    /// milliseconds later), and a read before that would see nothing new.
    static let afterTunnelPacket = 0.02

    /// The delay before the read that a packet into an idle tunnel asks for: `afterTunnelPacket`,
    /// stretched to the budget, and never later than the idle read that was due anyway
    /// (`idleDueIn`).
    func intervalAfterTunnelPacket(idleDueIn: Double) -> Double {
        min(max(0, idleDueIn), max(Self.afterTunnelPacket, cost.interval(duty: Self.maximumDuty)))
    }
}
