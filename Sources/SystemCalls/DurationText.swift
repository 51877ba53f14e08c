/// The one way durations are written for people: in log lines, errors, the status table and the
/// health dump. Pure. Two shapes, because two questions are asked:
/// - `span`: how long something will take or took ("retry in 1.5 s", "no answer in 31 s",
///   "blocked for 4m59s"): tenths below a minute, so backoffs and timeouts read exactly;
/// - `age`: how long ago, whole seconds rounded down ("42s", "3m05s", "2h07m", "4d03h"): short and
///   sortable by eye, as `wg show` writes ages;
/// - `precise`: round trips and restore phases ("0.8 ms", "42 ms", "2.5 s").
public enum DurationText {
    /// "0.2 s", "1.5 s", "31 s" below a minute (tenths, ".0" dropped), else the `age` shape.
    public static func span(_ seconds: Double) -> String {
        guard seconds.isFinite else { return seconds.isNaN ? "? s" : "forever" }
        let value = max(0, seconds)
        guard value < 59.95 else { return age(value) }
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }

    /// "0s", "42s", "3m05s", "2h07m", "4d03h": whole seconds, rounded down.
    public static func age(_ seconds: Double) -> String {
        guard seconds.isFinite else { return seconds.isNaN ? "?" : "forever" }
        let total = seconds >= 9.2e18 ? Int.max : max(0, Int(seconds.rounded(.down)))
        let (d, h, m, s) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if d > 0 { return "\(d)d\(two(h))h" }
        if h > 0 { return "\(h)h\(two(m))m" }
        if m > 0 { return "\(m)m\(two(s))s" }
        return "\(s)s"
    }

    /// Round trips and restore phases: "0.8 ms", "42 ms", "2.5 s".
    public static func precise(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e9 else { return span(seconds) }
        let value = max(0, seconds)
        if value < 0.00995 {
            let tenths = Int((value * 10000).rounded())
            return "\(tenths / 10).\(tenths % 10) ms"
        }
        if value < 1 { return "\(Int((value * 1000).rounded())) ms" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
