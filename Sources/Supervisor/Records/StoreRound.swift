import EventLoop

/// One question put to all of a peer's stores at once (publish, or read the peer's record),
/// collecting one answer per store. It decides when every store has answered, or `grace` seconds
/// after the first good answer (a write that succeeded, a record that opened), whichever comes
/// first: so a slow store delays the others by at most `grace`, and a store that fails fast
/// does not cut the wait for a good one short. Stores never answering are bounded by their
/// lanes' timeouts. The decision is delivered on the loop, never inside `answer`.
final class StoreRound<Answer> {
    private let loop: EventLoop
    private let grace: Double
    private let isGood: (Answer) -> Bool
    private var answers: [Answer?]
    private var decide: (([Answer?]) -> Void)?
    private var graceTimer: TimerWatcher?

    /// A round over `count` stores; `decide` gets the answers in store order, nil for a store
    /// that had not answered when the grace period ended.
    init(loop: EventLoop, count: Int, grace: Double, isGood: @escaping (Answer) -> Bool,
         decide: @escaping ([Answer?]) -> Void) {
        self.loop = loop
        self.grace = grace
        self.isGood = isGood
        self.answers = Array(repeating: nil, count: count)
        self.decide = decide
    }

    /// Store `index` answered (later answers from the same store, and answers after the
    /// decision, are ignored).
    func answer(_ index: Int, _ answer: Answer) {
        guard decide != nil, answers.indices.contains(index), answers[index] == nil else { return }
        answers[index] = answer
        if answers.allSatisfy({ $0 != nil }) {
            finish()
        } else if graceTimer == nil, isGood(answer) {
            let timer = TimerWatcher(loop: loop) { [weak self] in self?.finish() }
            timer.start(after: grace)
            graceTimer = timer
        }
    }

    /// Drops the round: no decision will be delivered.
    func cancel() {
        decide = nil
        graceTimer?.stop()
        graceTimer = nil
    }

    private func finish() {
        guard let decide else { return }
        self.decide = nil
        graceTimer?.stop()
        let answers = self.answers
        loop.soon { decide(answers) }
    }
}
