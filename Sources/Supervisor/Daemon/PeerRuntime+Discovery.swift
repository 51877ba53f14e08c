import Record
import Stun
import SystemCalls

extension PeerRuntime {
    /// Logs what a discovery found (per family: the mapping, the server, how many servers
    /// answered; at debug level when unchanged), a family that failed while another answered,
    /// and a NAT behaviour the interface did not know yet; returns the event for the machine.
    func discoveryFinished(_ outcome: DiscoveryOutcome) -> PeerStateMachine.Event {
        for family in outcome.families {
            if let mappings = outcome.found[family] {
                let first = mappings.first
                // An unchanged mapping (every poll of a repair, every refresh) is routine, and so is
                // one the interface has logged already (its other peers share the port's exchange).
                let news = interface.noteMapping(first.mapped, family: family)
                let level: Logger.Level = news ? .info : .debug
                logger.log(level: level, "discovered", metadata: [
                    "family": "\(family)", "mapped": "\(first.mapped)", "server": "\(first.server)",
                    "rtt_ms": "\(Int(first.rtt * 1000))", "servers_answered": "\(mappings.all.count)",
                ])
                noteNatBehaviour(mappings)
                for mapping in mappings.all { history.noteMapping(mapping, at: WallClock.now()) }
            } else if let error = outcome.failures[family], !outcome.endpoints.isEmpty {
                logger.warning("no \(family) mapping, publishing the others: \(error)")
            }
        }
        return outcome.event
    }

    /// Keeps the interface's NAT behaviour for `mappings`' family and logs it when it changed.
    private func noteNatBehaviour(_ mappings: StunMappings) {
        let behaviour = mappings.behaviour
        guard interface.noteNatBehaviour(behaviour, family: mappings.family) else { return }
        var metadata: Logger.Metadata = ["family": "\(mappings.family)", "nat": "\(behaviour)",
                                         "mappings": "\(mappings.all.map { "\($0.server)->\($0.mapped)" }.joined(separator: " "))"]
        switch behaviour {
        case .symmetric:
            metadata["effect"] = "the published endpoint is valid toward the STUN server only"
            logger.warning("NAT maps per destination (symmetric)", metadata: metadata)
        case .unknown:
            metadata["why"] = "fewer than two STUN servers answered; configure two or more to detect a symmetric NAT"
            logger.info("NAT behaviour", metadata: metadata)
        case .notTranslated, .endpointIndependent:
            logger.info("NAT behaviour", metadata: metadata)
        }
    }

    /// Judges the direct path from our NAT behaviour in the family WireGuard will use and the
    /// peer's record; logs when the judgement changes, and keeps it as `directPath`.
    func noteDirectPath(peerRecord record: EndpointRecord, using endpoint: Endpoint) {
        let family = endpoint.address.ipFamily
        let outlook = DirectPathOutlook.judge(ours: interface.natBehaviour[family],
                                              peerSymmetric: record.symmetricNAT.contains(family))
        guard outlook != directPath else { return }
        let before = directPath
        directPath = outlook
        if let outlook {
            logger.warning("\(outlook)", metadata: ["family": "\(family)", "endpoint": "\(endpoint)"])
        } else if before != nil {
            logger.info("no known NAT obstacle to a direct path any more", metadata: ["family": "\(family)"])
        }
    }
}
