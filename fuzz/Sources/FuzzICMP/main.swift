import FuzzDriver
import Probes

// A packet from a raw ping socket, read as IPv4 (with its IP header) and as ICMPv6.
fuzz { bytes in
    ProbesFuzzEntry.icmpReply(bytes, ipv6: false) &+ ProbesFuzzEntry.icmpReply(bytes, ipv6: true)
}
