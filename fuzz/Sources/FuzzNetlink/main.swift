import FuzzDriver
import Probes

// A generic-netlink reply (WireGuard's family and device dump) and an rtnetlink event datagram.
fuzz { bytes in
    ProbesFuzzEntry.wireGuardNetlink(bytes) &+ ProbesFuzzEntry.routeMessages(bytes)
}
