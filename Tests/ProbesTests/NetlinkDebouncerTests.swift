import Probes
import Testing

/// Debouncer: quiet period, pushed by each change, capped by a maximum.
struct NetlinkDebouncerTests {
    @Test func aBurstEndsAfterItsQuietPeriod() {
        var debouncer = Debouncer(quiet: 1, maximum: 5)
        #expect(debouncer.note(now: 10) == true)
        #expect(debouncer.deadline == 11)
        #expect(debouncer.note(now: 10.5) == false)  // already armed
        #expect(debouncer.deadline == 11.5)
        #expect(debouncer.fire(now: 11) == false)  // pushed: re-arm for the deadline
        #expect(debouncer.fire(now: 11.5) == true)
        #expect(debouncer.deadline == nil)
        #expect(debouncer.fire(now: 20) == false)  // nothing pending
        #expect(debouncer.note(now: 30) == true)  // a new burst
    }

    @Test func aFlappingLinkCannotPostponeForever() {
        var debouncer = Debouncer(quiet: 1, maximum: 3)
        _ = debouncer.note(now: 0)
        for t in stride(from: 0.5, through: 10, by: 0.5) { _ = debouncer.note(now: t) }
        #expect(debouncer.deadline == 3)
        #expect(debouncer.fire(now: 3) == true)
    }
}
