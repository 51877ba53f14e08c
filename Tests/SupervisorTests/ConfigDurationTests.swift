@testable import Supervisor
import Testing

@Suite struct ConfigDurationTests {
    @Test(arguments: [
        ("0", Int64(0)), ("+0", 0), ("-0", 0), ("0s", 0),
        ("90s", 90_000_000_000), ("10m", 600_000_000_000), ("1h30m", 5_400_000_000_000),
        ("1.5s", 1_500_000_000), ("500ms", 500_000_000), (".5s", 500_000_000), ("2.s", 2_000_000_000),
        ("1ns", 1), ("3us", 3_000), ("3\u{00B5}s", 3_000), ("3\u{03BC}s", 3_000),
        ("1h1m1s1ms1us1ns", 3_661_001_001_001), ("-1.5h", -5_400_000_000_000), ("+5s", 5_000_000_000),
        ("1.0000000001s", 1_000_000_000), ("2562047h47m16.854775807s", Int64.max),
        ("-2562047h47m16.854775808s", Int64.min),
    ])
    func parsesGoDurations(text: String, nanoseconds: Int64) throws {
        #expect(try GoDuration.parse(text).nanoseconds == nanoseconds)
    }

    @Test(arguments: [
        ("", "time: invalid duration \"\""),
        ("5", "time: missing unit in duration \"5\""),
        ("1d", "time: unknown unit \"d\" in duration \"1d\""),
        ("1S", "time: unknown unit \"S\" in duration \"1S\""),
        ("s", "time: invalid duration \"s\""),
        (".s", "time: invalid duration \".s\""),
        ("-", "time: invalid duration \"-\""),
        ("1.5.s", "time: missing unit in duration \"1.5.s\""),
        (" 1s", "time: invalid duration \" 1s\""),
        ("1s ", "time: unknown unit \"s \" in duration \"1s \""),
        ("10 minutes", "time: unknown unit \" minutes\" in duration \"10 minutes\""),
        ("2562047h47m16.854775808s", "time: invalid duration \"2562047h47m16.854775808s\""),
        ("9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""),
        ("99999999999999999999h", "time: invalid duration \"99999999999999999999h\""),
    ])
    func rejectsWhatGoRejects(text: String, message: String) {
        #expect(throws: GoDurationError(message)) { try GoDuration.parse(text) }
    }

    @Test func convertsToSeconds() throws {
        #expect(try GoDuration.parse("1m30.25s").seconds == 90.25)
    }
}

/// Durations that would overflow are refused, never a trap (found by fuzzing main at f1e00ed).
@Suite struct GoDurationOverflowTests {
    @Test(arguments: ["9223372036854775808ns9223372036854775808ns", "9223372036854775807ns1ns",
                      "2562047h47m16.854775808s", "2562048h", "-9223372036854775808ns1ns"])
    func overflowingSumsAreInvalid(_ text: String) {
        #expect(throws: GoDurationError.self) { try GoDuration.parse(text) }
    }

    @Test func theLargestDurationStillParses() throws {
        #expect(try GoDuration.parse("9223372036854775807ns").nanoseconds == Int64.max)
        #expect(try GoDuration.parse("-9223372036854775808ns").nanoseconds == Int64.min)
    }
}
