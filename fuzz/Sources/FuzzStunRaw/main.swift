import FuzzDriver
import Stun

// What the raw STUN socket returns: an IPv4 packet or an IPv6 UDP datagram, then its STUN payload.
fuzz { bytes in StunFuzzEntry.rawReply(bytes) }
