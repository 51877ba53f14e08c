import Supervisor

/// A small discrete-event model of one side of a tunnel, for judging `PathMonitor` the way the
/// daemon drives it: WireGuard read every 0.1 s, the user's traffic both ways (a ping each way
/// every `trafficInterval`, as the e2e tests send), the monitor's probe bursts sent `spacing`
/// apart while it is still confirming, each packet lost independently with `loss` on each way
/// and delayed `delay` seconds one way. At `faultAt` the path dies (nothing is delivered any
/// more), perhaps because our own mapping moved (`faultIsOurMove`: the STUN check the daemon runs
/// on `silent` finds it). Seeded, so every run is the same.
struct PathSimulation {
    var loss: Double
    var delay: Double
    var trafficInterval = 0.25
    var pollInterval = 0.1
    var faultAt = Double.infinity
    /// Whether the fault is our own NAT re-mapping us: the daemon's STUN check on `silent` then
    /// finds our mapping moved (`stunTime` later) and tells the monitor (`mappingMoved`).
    var faultIsOurMove = false
    var stunTime = 0.01

    /// What a run gave: the verdicts' times, bursts asked for, probes sent.
    struct Outcome {
        var failures: [Double] = []
        var bursts = 0
        var probes = 0
    }

    private enum Event {
        case poll, ourTraffic, peerTraffic
        case rx(UInt64)
        case probeSend(left: Int, first: Bool, spacing: Double, timeout: Double)
        case probeAnswered(serial: Int, rtt: Double)
        case probeLost(serial: Int, sentAt: Double)
        case stunAnswered
    }

    func run(seed: UInt64, seconds: Double) -> Outcome {
        var random = SplitMix(seed: seed)
        var queue: [(at: Double, event: Event)] = []
        func schedule(_ at: Double, _ event: Event) {
            let index = queue.firstIndex { $0.at > at } ?? queue.endIndex
            queue.insert((at, event), at: index)
        }
        let start = 1000.0
        func delivered(at t: Double) -> Bool {
            t < faultAt && Double(random.next() % 1_000_000) / 1_000_000 >= loss
        }
        var m = PathMonitor(pingIsExplicit: false)
        var rx: UInt64 = 10_000, tx: UInt64 = 10_000, serial = 0
        var outcome = Outcome()
        // The automatic target once answered (the daemon's learning probe).
        serial += 1
        _ = m.observeProbe(serial: serial, answered: true, rtt: 2 * delay, now: start)
        schedule(start, .poll)
        schedule(start + 0.01, .ourTraffic)
        schedule(start + 0.01 + trafficInterval / 2, .peerTraffic)
        func handle(_ verdict: PathMonitor.Verdict?, at t: Double) {
            switch verdict {
            case .failed?: outcome.failures.append(t)
            case .silent?:
                if faultIsOurMove && t >= faultAt { schedule(t + stunTime, .stunAnswered) }
            case .confirm(let burst)?:
                outcome.bursts += 1
                m.burstSent(firstSerial: serial + 1, count: burst.count)
                schedule(t, .probeSend(left: burst.count, first: true, spacing: burst.spacing, timeout: burst.timeout))
            default: break
            }
        }
        while let (t, event) = queue.first, t < start + seconds {
            queue.removeFirst()
            switch event {
            case .poll:
                // WireGuard rekeys every 2 minutes on a live path.
                let handshake = t < faultAt ? start + ((t - start) / 120).rounded(.down) * 120 : faultAt
                handle(m.observe(.init(now: t, rxBytes: rx, txBytes: tx, lastHandshake: handshake, keepalive: 25)), at: t)
                schedule(t + pollInterval, .poll)
            case .ourTraffic:
                tx += 128
                if delivered(at: t), delivered(at: t + delay) { schedule(t + 2 * delay, .rx(128)) }
                schedule(t + trafficInterval, .ourTraffic)
            case .peerTraffic:
                if delivered(at: t) {
                    schedule(t + delay, .rx(128))
                }
                schedule(t + trafficInterval, .peerTraffic)
            case .rx(let bytes):
                rx += bytes
                // Our echo reply to the peer's request goes out in the same instant.
                tx += bytes
            case .probeSend(let left, let first, let spacing, let timeout):
                // The daemon stops a burst once the monitor has decided.
                guard left > 0, first || m.isConfirming else { break }
                tx += 128
                serial += 1
                outcome.probes += 1
                if delivered(at: t), delivered(at: t + delay) {
                    schedule(t + 2 * delay, .probeAnswered(serial: serial, rtt: 2 * delay))
                } else {
                    schedule(t + timeout, .probeLost(serial: serial, sentAt: t))
                }
                if left > 1 { schedule(t + spacing, .probeSend(left: left - 1, first: false, spacing: spacing, timeout: timeout)) }
            case .probeAnswered(let serial, let rtt):
                rx += 128
                handle(m.observeProbe(serial: serial, answered: true, rtt: rtt, now: t), at: t)
            case .probeLost(let serial, let sentAt):
                handle(m.observeProbe(serial: serial, answered: false, sentAt: sentAt, now: t), at: t)
            case .stunAnswered:
                handle(m.mappingMoved(), at: t)
            }
        }
        return outcome
    }
}
