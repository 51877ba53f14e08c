import Glibc

/// Wall-clock time in seconds since the epoch (CLOCK_REALTIME), the clock WireGuard reports
/// handshakes in. Loop timers use libev's monotonic clock instead.
enum WallClock {
    /// Now.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
