import CLibMNL
import Glibc
import SystemCalls

/// The generic netlink messages of the kernel's "wireguard" family (linux/wireguard.h):
/// building the three requests stunmeshd sends and parsing the answers. Pure, so it is tested
/// on bytes captured from a real kernel.
public enum WireGuardNetlinkProtocol {
    /// The family name the kernel module registers.
    public static let familyName = "wireguard"

    /// CTRL_CMD_GETFAMILY for "wireguard": asks the generic netlink controller for the family id.
    public static func getFamilyRequest(sequence: UInt32) -> [UInt8] {
        NetlinkRequestBuilder.request(type: UInt16(GENL_ID_CTRL), flags: UInt16(NLM_F_REQUEST | NLM_F_ACK),
                                      sequence: sequence, command: UInt8(CTRL_CMD_GETFAMILY), version: 1) { message in
            message.putString(UInt16(CTRL_ATTR_FAMILY_NAME), familyName)
        }
    }

    /// WG_CMD_GET_DEVICE as a dump, selecting the device by name.
    public static func getDeviceRequest(familyID: UInt16, interface: String, sequence: UInt32) -> [UInt8] {
        NetlinkRequestBuilder.request(type: familyID, flags: UInt16(NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP),
                                      sequence: sequence, command: UInt8(WG_CMD_GET_DEVICE.rawValue),
                                      version: UInt8(WG_GENL_VERSION)) { message in
            message.putString(UInt16(WGDEVICE_A_IFNAME.rawValue), interface)
        }
    }

    /// WG_CMD_SET_DEVICE that touches one existing peer only: its public key, the
    /// WGPEER_F_UPDATE_ONLY flag (never create a peer), the endpoint and, when given, the
    /// persistent keepalive (the endpoint may be left out: keepalive only). No device attribute,
    /// no allowed IPs, no other peer.
    public static func setPeerRequest(familyID: UInt16, interface: String, publicKey: [UInt8], endpoint: Endpoint?,
                                      persistentKeepalive: UInt16?, sequence: UInt32) -> [UInt8] {
        NetlinkRequestBuilder.request(type: familyID, flags: UInt16(NLM_F_REQUEST | NLM_F_ACK), sequence: sequence,
                                      command: UInt8(WG_CMD_SET_DEVICE.rawValue), version: UInt8(WG_GENL_VERSION)) { message in
            message.putString(UInt16(WGDEVICE_A_IFNAME.rawValue), interface)
            message.putNest(UInt16(WGDEVICE_A_PEERS.rawValue)) {
                message.putNest(0) {
                    message.putBytes(UInt16(WGPEER_A_PUBLIC_KEY.rawValue), publicKey)
                    mnl_attr_put_u32(message, UInt16(WGPEER_A_FLAGS.rawValue), WGPEER_F_UPDATE_ONLY.rawValue)
                    endpoint?.withSockaddr { address, length in
                        mnl_attr_put(message, UInt16(WGPEER_A_ENDPOINT.rawValue), Int(length), address)
                    }
                    if let persistentKeepalive {
                        mnl_attr_put_u16(message, UInt16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL.rawValue),
                                         persistentKeepalive)
                    }
                }
            }
        }
    }

    /// The family id in the controller's answer to `getFamilyRequest`.
    static func familyID(from messages: [NetlinkMessage]) throws(WireGuardError) -> UInt16 {
        for message in messages {
            for attribute in try message.genericAttributes() where attribute.type == UInt16(CTRL_ATTR_FAMILY_ID) {
                return try attribute.integer(UInt16.self, "CTRL_ATTR_FAMILY_ID")
            }
        }
        throw .malformed("no CTRL_ATTR_FAMILY_ID in the controller's reply")
    }

    /// The device in the (possibly multi-part) answer to `getDeviceRequest`. Device attributes
    /// come in the first part; a peer whose allowed IPs did not fit continues in the next part
    /// under the same public key and is merged back into one.
    static func device(from messages: [NetlinkMessage]) throws(WireGuardError) -> NetlinkDeviceDump {
        var dump = NetlinkDeviceDump()
        for message in messages {
            for attribute in try message.genericAttributes() {
                switch UInt32(attribute.type) {
                case WGDEVICE_A_PRIVATE_KEY.rawValue:
                    dump.state.privateKeyHex = KeyHex.encode(try attribute.bytes(count: Int(WG_KEY_LEN), "WGDEVICE_A_PRIVATE_KEY"))
                case WGDEVICE_A_LISTEN_PORT.rawValue:
                    dump.state.listenPort = try attribute.integer(UInt16.self, "WGDEVICE_A_LISTEN_PORT")
                case WGDEVICE_A_FWMARK.rawValue:
                    dump.state.fwmark = try attribute.integer(UInt32.self, "WGDEVICE_A_FWMARK")
                case WGDEVICE_A_IFNAME.rawValue:
                    dump.interface = try attribute.string("WGDEVICE_A_IFNAME")
                case WGDEVICE_A_PEERS.rawValue:
                    for entry in try attribute.nested() {
                        try dump.merge(NetlinkPeerEntry(entry.nested()))
                    }
                default:
                    continue
                }
            }
        }
        return dump
    }
}

/// What a device dump said: the state stunmeshd uses, plus what tests check of the parse
/// (the interface name, every peer's allowed IPs as "address/cidr").
struct NetlinkDeviceDump {
    /// The device as the supervisor sees it.
    var state = WireGuardDeviceState()
    /// WGDEVICE_A_IFNAME, if the kernel sent it.
    var interface: String?
    /// Allowed IPs per peer (public key hex), in the kernel's order.
    var allowedIPs: [String: [String]] = [:]

    /// Adds one peer entry, or extends the last peer when the entry continues it.
    mutating func merge(_ entry: NetlinkPeerEntry) {
        if let last = state.peers.last, last.publicKeyHex == entry.publicKeyHex {
            var peer = last
            entry.apply(to: &peer)
            peer.allowedIPs += entry.allowedIPs
            state.peers[state.peers.count - 1] = peer
        } else {
            var peer = WireGuardPeerState(publicKeyHex: entry.publicKeyHex)
            entry.apply(to: &peer)
            peer.allowedIPs += entry.allowedIPs
            state.peers.append(peer)
        }
        allowedIPs[entry.publicKeyHex, default: []] += entry.allowedIPs
    }
}
