import FuzzDriver
import Stun

// A STUN reply as it comes off the raw socket (the UDP payload).
fuzz { bytes in
    guard let message = try? StunMessage(parsing: bytes) else { return 0 }
    return message.attributes.count &+ (message.xorMappedAddress == nil ? 0 : 1) &+ (message.software?.utf8.count ?? 0)
}
