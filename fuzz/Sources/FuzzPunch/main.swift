import FuzzDriver
import Stun

// A punch as it comes off the listener's raw socket (the UDP payload): parsed, then its encoding
// parsed again must give the same punch (decode → encode → decode is stable).
fuzz { bytes in
    guard let punch = PunchMessage(parsing: bytes) else { return 0 }
    guard let again = PunchMessage(parsing: punch.bytes), again == punch else {
        fatalError("a punch's own encoding does not parse back to it")
    }
    return punch.tag.count &+ (punch.seen ? 1 : 0)
}
