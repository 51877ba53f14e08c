import SystemCalls

/// Cloudflare's rate limit as the store sees it: 1200 API calls per account in any 5 minutes,
/// and a 5-minute block of every call after an HTTP 429. The store counts its own calls in a
/// sliding window and stops short of the limit, so that a busy mesh slows down instead of
/// getting the whole account blocked.
struct CloudflareBudget {
    /// Calls allowed per window (Cloudflare: 1200 per account).
    let limit: Int
    /// The window's length in seconds (Cloudflare: 5 minutes).
    var window: Double = CloudflareStore.callWindow
    /// How long calls stay blocked after a 429 when the server does not say (Cloudflare: 5 minutes).
    var blockDuration: Double = 300
    /// The share of `limit` at which the store refuses further calls.
    static let refusalShare = 0.9
    private var callTimes: [Double] = []
    private var blockedUntil: Double?

    init(limit: Int) { self.limit = max(1, limit) }

    /// Calls made in the window ending at `now`.
    mutating func used(at now: Double) -> Int {
        if let stale = callTimes.firstIndex(where: { $0 > now - window }) {
            callTimes.removeFirst(stale)
        } else {
            callTimes.removeAll()
        }
        return callTimes.count
    }

    /// Until when calls are blocked after a 429; nil when they are not.
    mutating func blocked(at now: Double) -> Double? {
        if let until = blockedUntil, until <= now { blockedUntil = nil }
        return blockedUntil
    }

    /// Why a call at `now` must not be made, or nil when it may.
    mutating func refusal(at now: Double) -> String? {
        if let until = blocked(at: now) {
            return "calls blocked for \(DurationText.span(until - now)) more after Cloudflare's HTTP 429"
        }
        let used = used(at: now)
        let ceiling = Int(Double(limit) * Self.refusalShare)
        guard used >= ceiling else { return nil }
        let frees = (callTimes.first ?? now) + window - now
        return "\(used) of \(limit) API calls used in the last \(DurationText.span(window)); "
            + "refusing calls for \(DurationText.span(frees)) to stay under Cloudflare's rate limit"
    }

    /// Counts a call made at `now`.
    mutating func record(at now: Double) { callTimes.append(now) }

    /// Blocks every call for `seconds` (at least `blockDuration`) after a 429 at `now`.
    mutating func block(at now: Double, seconds: Double?) {
        blockedUntil = now + max(blockDuration, seconds ?? 0)
    }
}
