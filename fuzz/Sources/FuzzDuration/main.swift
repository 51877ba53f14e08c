import FuzzDriver
import Supervisor

// A Go duration string, as config values and stunmesh-go write them.
fuzz { bytes in
    guard let source = text(bytes), let duration = try? GoDuration.parse(source) else { return 0 }
    return Int(truncatingIfNeeded: duration.nanoseconds)
}
