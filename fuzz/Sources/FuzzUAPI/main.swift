import FuzzDriver
import Probes

// A wireguard-go UAPI `get=1` reply.
fuzz { bytes in
    guard let reply = text(bytes), let device = try? UAPIProtocol.parseDevice(reply) else { return 0 }
    return device.peers.count &+ Int(device.listenPort)
}
