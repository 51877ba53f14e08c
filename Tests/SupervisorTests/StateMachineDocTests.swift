import Glibc
import Supervisor
import SystemCalls
import Testing

/// docs/state-machine.md's transition table against the machine itself. Every machine reachable
/// from `idle` (breadth first over every event, deduplicated by what the machine holds) is fed
/// every event; the most specific row of the table that applies must give the state and the
/// actions the machine gives, and where no row applies the machine must ignore the event. So the
/// doc cannot drift from the code in either direction: a row that is wrong fails, and so does a
/// transition the table does not list.
@Suite struct StateMachineDocTests {
    typealias Machine = PeerStateMachine

    /// One row of the table.
    struct Row: CustomStringConvertible {
        let line: Int
        let from: [String]
        let event: String
        let when: Set<String>
        let to: String
        let actions: [String]
        var description: String { "docs/state-machine.md:\(line) (\(from.joined(separator: ", ")) | \(event) | \(when.sorted().joined(separator: ", ")))" }
    }

    static let machineConditions: Set<String> = ["repairing", "reasserted", "knocked", "moved", "withheld", "configured"]

    // MARK: The table

    static func readDoc() -> String? { RepositoryFiles.read("docs/state-machine.md") }

    static func rows() throws -> [Row] {
        let doc = try #require(readDoc(), "docs/state-machine.md not found")
        var rows: [Row] = []
        var inside = false
        for (index, raw) in doc.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line == "<!-- transitions -->" { inside = true; continue }
            if line == "<!-- /transitions -->" { break }
            guard inside, line.hasPrefix("| "), !line.hasPrefix("| from "), !line.hasPrefix("|---") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { String($0).trimmingSpaces }
            try #require(cells.count == 5, "docs/state-machine.md:\(index + 1): five cells expected")
            rows.append(Row(line: index + 1, from: list(cells[0]), event: cells[1], when: Set(list(cells[2])),
                            to: cells[3], actions: actionList(cells[4])))
        }
        return rows
    }

    static func list(_ cell: String) -> [String] {
        cell.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    /// Action names, without the words in parentheses that follow a space.
    static func actionList(_ cell: String) -> [String] {
        var text = ""
        var depth = 0
        var previous: Character = " "
        for c in cell {
            if c == "(" && (previous == " " || text.isEmpty) { depth += 1 }
            if depth == 0 { text.append(c) }
            if c == ")" && depth > 0 { depth -= 1 }
            previous = c
        }
        return list(text)
    }

    // MARK: Names the table uses

    static func stateName(_ state: Machine.State) -> String {
        switch state {
        case .idle: "idle"
        case .discovering: "discovering"
        case .publishing: "publishing"
        case .awaitingRemote: "awaitingRemote"
        case .configuring: "configuring"
        case .monitoring: "monitoring"
        case .waitingToRetry(.discover): "waitingToRetry(discover)"
        case .waitingToRetry(.publish): "waitingToRetry(publish)"
        case .waitingToRetry(.readRemote): "waitingToRetry(readRemote)"
        case .waitingToRetry(.configure): "waitingToRetry(configure)"
        case .stopped: "stopped"
        }
    }

    static func actionName(_ action: Machine.Action) -> String? {
        switch action {
        case .discover: "discover"
        case .publish: "publish"
        case .readRemote: "readRemote"
        case .knock: "knock"
        case .punch: "punch"
        case .open: "open"
        case .endOpening: "endOpening"
        case .setEndpoint(_, let keepalive, let kick): kick ? "setEndpoint(kick)" : keepalive == 0 ? "setEndpoint(0)" : "setEndpoint"
        case .setKeepalive: "setKeepalive"
        case .armTimer(let timer, _): "arm(\(timer))"
        case .cancelTimer(let timer): "cancel(\(timer))"
        case .log: nil
        }
    }

    static func fromMatches(_ from: String, _ state: Machine.State) -> Bool {
        let name = stateName(state)
        if from == "any" { return state != .stopped }
        if from == name { return true }
        if case .waitingToRetry = state { return from == "waitingToRetry" }
        return false
    }

    static func conditions(of m: Machine) -> Set<String> {
        var set: Set<String> = []
        if let repair = m.repair {
            set.insert("repairing")
            if repair.reasserted { set.insert("reasserted") }
            if repair.knocked { set.insert("knocked") }
        }
        if m.keepaliveWithheld { set.insert("withheld") }
        if m.movedSinceConfigured { set.insert("moved") }
        if m.configuredEndpoint != nil { set.insert("configured") }
        return set
    }

    // MARK: Events, with what their content is called

    struct Variant {
        let token: String
        let tags: Set<String>
        let event: Machine.Event
    }

    static let mine = PublicEndpoints(Endpoint("203.0.113.10:35436")!)
    static let moved = PublicEndpoints(Endpoint("203.0.113.10:40000")!)
    static let endpoints = [Endpoint("203.0.113.20:35436")!, Endpoint("203.0.113.20:40000")!, Endpoint("203.0.113.20:50000")!]

    static func variants(for m: Machine) -> [Variant] {
        var out: [Variant] = [
            Variant(token: "start", tags: [], event: .start),
            Variant(token: "discoveryFailed", tags: [], event: .discoveryFailed("x")),
            Variant(token: "published", tags: [], event: .published),
            Variant(token: "publishFailed", tags: [], event: .publishFailed("x")),
            Variant(token: "remoteMissing", tags: [], event: .remoteMissing(pollEvery: 6)),
            Variant(token: "remoteRejected", tags: [], event: .remoteRejected("x")),
            Variant(token: "remoteReadFailed", tags: [], event: .remoteReadFailed("x")),
            Variant(token: "configured", tags: [], event: .configured),
            Variant(token: "configureFailed", tags: [], event: .configureFailed("x")),
            Variant(token: "pathFailed(probe)", tags: [], event: .pathFailed(.rxStall)),
            Variant(token: "pathFailed(probe)", tags: [], event: .pathFailed(.unanswered)),
            Variant(token: "remoteChanged", tags: [], event: .remoteChanged),
            Variant(token: "pathFailed(network)", tags: [], event: .pathFailed(.network("eth0 up"))),
            Variant(token: "pathFailed(network)", tags: [], event: .pathFailed(.manual)),
            Variant(token: "pathRecovered", tags: [], event: .pathRecovered),
            Variant(token: "handshakeCompleted", tags: [], event: .handshakeCompleted),
            Variant(token: "deviceReset", tags: [], event: .deviceReset("wg0 re-created")),
            Variant(token: "timerFired(retry)", tags: [], event: .timerFired(.retry)),
            Variant(token: "timerFired(refresh)", tags: [], event: .timerFired(.refresh)),
            Variant(token: "initiate", tags: [], event: .initiate("the path is open")),
            Variant(token: "stop", tags: [], event: .stop),
        ]
        // Our mapping: the one published, or a new one.
        let fresh = m.publishedMapping == mine ? moved : mine
        out.append(Variant(token: "discovered", tags: [], event: .discovered(fresh)))
        if let published = m.publishedMapping {
            out.append(Variant(token: "discovered", tags: ["same mapping"], event: .discovered(published)))
        }
        // The peer's endpoint: new (as initiator or responder), the configured one, or one that
        // WireGuard's roaming has overtaken.
        let configured = m.configuredEndpoint
        let others = endpoints.filter { $0 != configured }
        let new = others[0], roamedTo = others[1]
        func context(initiator: Bool, handshake: Double = 0, wg: Endpoint? = nil, rewrote: Bool = false) -> RemoteContext {
            RemoteContext(recordSince: 1000, wireGuardEndpoint: wg, lastHandshake: handshake, now: 1100, weInitiate: initiator,
                          partnerRewrote: rewrote)
        }
        out.append(Variant(token: "remoteEndpoint", tags: ["initiator"], event: .remoteEndpoint(new, context(initiator: true))))
        out.append(Variant(token: "remoteEndpoint", tags: ["responder"], event: .remoteEndpoint(new, context(initiator: false))))
        out.append(Variant(token: "remoteEndpoint", tags: ["responder", "session"],
                           event: .remoteEndpoint(new, context(initiator: false, handshake: 1090))))
        out.append(Variant(token: "remoteEndpoint", tags: ["roamed"],
                           event: .remoteEndpoint(new, context(initiator: true, handshake: 1050, wg: roamedTo))))
        if let configured {
            out.append(Variant(token: "remoteEndpoint", tags: ["same endpoint"],
                               event: .remoteEndpoint(configured, context(initiator: true))))
            out.append(Variant(token: "remoteEndpoint", tags: ["same endpoint", "rewritten"],
                               event: .remoteEndpoint(configured, context(initiator: true, rewrote: true))))
        }
        return out
    }

    /// What the machine holds, for deduplication (counters only as zero or not).
    static func signature(_ m: Machine) -> String {
        "\(m.state)|\(String(describing: m.mapping))|\(String(describing: m.publishedMapping))|"
            + "\(String(describing: m.configuredEndpoint))|\(String(describing: m.repair.map { ($0.signal, $0.reasserted, $0.knocked, $0.polls > 0) }))|"
            + "\(m.keepaliveWithheld)|\(m.movedSinceConfigured)|\(m.consecutiveFailures > 0)"
    }

    static func reachable() -> [Machine] {
        var seen: Set<String> = []
        var frontier = [Machine(settings: .init(refreshInterval: 600, keepalive: 25, jitter: 0))]
        var all: [Machine] = []
        while !frontier.isEmpty && all.count < 20_000 {
            var next: [Machine] = []
            for m in frontier where seen.insert(signature(m)).inserted {
                all.append(m)
                for variant in variants(for: m) {
                    var copy = m
                    _ = copy.handle(variant.event)
                    if !seen.contains(signature(copy)) { next.append(copy) }
                }
            }
            frontier = next
        }
        return all
    }

    // MARK: The check

    @Test func theDocsTableIsTheMachine() throws {
        let rows = try Self.rows()
        #expect(rows.count > 30, "the table was not found or is cut short")
        let machines = Self.reachable()
        #expect(machines.count > 50 && machines.count < 20_000, "reachable machines: \(machines.count)")
        var used = Set<Int>()
        var failures = 0
        for m in machines {
            let holds = Self.conditions(of: m)
            for variant in Self.variants(for: m) {
                let tags = variant.tags
                let candidates = rows.filter { row in
                    guard row.event == variant.token, row.from.contains(where: { Self.fromMatches($0, m.state) }) else { return false }
                    var rowTags = row.when.subtracting(Self.machineConditions)
                    if variant.token == "remoteEndpoint" && rowTags.isEmpty { rowTags = ["initiator"] }
                    return rowTags == tags && row.when.intersection(Self.machineConditions).isSubset(of: holds)
                }
                func specificity(_ row: Row) -> Int {
                    (row.from.contains("any") ? 0 : 100) + row.when.intersection(Self.machineConditions).count
                }
                let best = candidates.map(specificity).max()
                let chosen = candidates.filter { specificity($0) == best }
                var after = m
                let actions = after.handle(variant.event).compactMap(Self.actionName)
                let where_ = "\(Self.stateName(m.state)) \(holds.sorted()) + \(variant.event)"
                guard let row = chosen.first else {
                    if !actions.isEmpty || Self.signature(after) != Self.signature(m) {
                        failures += 1
                        if failures <= 20 {
                            Issue.record("no row covers \(where_), but the machine did \(actions) -> \(Self.stateName(after.state))")
                        }
                    }
                    continue
                }
                if chosen.count > 1 {
                    failures += 1
                    Issue.record("rows \(chosen.map(\.line)) both apply to \(where_)")
                }
                used.insert(row.line)
                let expectedState = row.to == "=" ? Self.stateName(m.state) : row.to
                let gotState = Self.stateName(after.state)
                let stateOK = row.to == "configuring" ? gotState == "configuring" : gotState == expectedState
                if !stateOK || actions != row.actions {
                    failures += 1
                    if failures <= 20 {
                        Issue.record("\(row) for \(where_): the doc says \(row.to) \(row.actions), the machine does \(gotState) \(actions)")
                    }
                }
            }
        }
        for row in rows where !used.contains(row.line) {
            Issue.record("\(row) never applies to a reachable machine")
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
