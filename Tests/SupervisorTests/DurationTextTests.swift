import SystemCalls
import Testing

/// The one duration formatter: spans (timeouts, backoffs), ages, and precise round trips.
@Suite struct DurationTextTests {
    @Test func spansShowTenthsBelowAMinute() {
        #expect(DurationText.span(0.2) == "0.2 s")
        #expect(DurationText.span(1.54) == "1.5 s")
        #expect(DurationText.span(31) == "31 s")
        #expect(DurationText.span(2.0) == "2 s")
        #expect(DurationText.span(59.9) == "59.9 s")
        #expect(DurationText.span(299.5) == "4m59s")
        #expect(DurationText.span(-3) == "0 s")
    }

    @Test func agesAreWholeSecondsRoundedDown() {
        #expect(DurationText.age(0.9) == "0s")
        #expect(DurationText.age(42) == "42s")
        #expect(DurationText.age(185) == "3m05s")
        #expect(DurationText.age(7620) == "2h07m")
        #expect(DurationText.age(356_400) == "4d03h")
    }

    @Test func preciseDurationsForRoundTrips() {
        #expect(DurationText.precise(0.0008) == "0.8 ms")
        #expect(DurationText.precise(0.042) == "42 ms")
        #expect(DurationText.precise(2.46) == "2.5 s")
    }

    @Test func numbersThatCannotBeDurationsDoNotTrap() {
        #expect(DurationText.span(.infinity) == "forever")
        #expect(DurationText.age(.nan) == "?")
        #expect(DurationText.age(1e300) != "")
        #expect(DurationText.precise(1e300) != "")
    }
}
