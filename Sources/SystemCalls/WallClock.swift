import Glibc

/// The daemon's clock reads, all in one place (loop timers use libev's monotonic clock instead,
/// `EventLoop.now`): wall-clock time, the clock WireGuard reports handshakes in and records are
/// stamped with, and the monotonic time systemd wants beside a reload notice.
public enum WallClock {
    /// Wall-clock seconds since the epoch (CLOCK_REALTIME), with nanoseconds.
    public static func now() -> Double {
        let ts = read(CLOCK_REALTIME)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Whole wall-clock seconds since the epoch (a record's `ts`, an OpenDHT envelope's).
    public static func unixSeconds() -> Int { read(CLOCK_REALTIME).tv_sec }

    /// Wall-clock time split into whole seconds and milliseconds (log timestamps).
    public static func nowParts() -> (seconds: Int, milliseconds: Int) {
        let ts = read(CLOCK_REALTIME)
        return (ts.tv_sec, ts.tv_nsec / 1_000_000)
    }

    /// CLOCK_MONOTONIC in microseconds (systemd's MONOTONIC_USEC).
    public static func monotonicMicroseconds() -> UInt64 {
        let ts = read(CLOCK_MONOTONIC)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    private static func read(_ clock: clockid_t) -> timespec {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return ts
    }
}
