#!/usr/bin/python3 -I
"""Stand-in for stunmeshd that proves the end-to-end harness before the real daemon exists.

Usage: fake_stunmeshd.py -c CONFIG   (only the config shape written by lib.sh is understood)

Does what the real daemon does, simply: STUN from WireGuard's listen port through a raw socket,
publish the mapped endpoint as a stunmesh-go record (NaCl box with the WireGuard keys, key
hex(sha1(own||peer))) in the file store (<directory>/<key> holds the hex value), read the peer's
record and set its endpoint with `wg`. Logs logfmt lines like the real daemon. Not a product:
no retries beyond a 1 s loop, IPv4 only, one interface.
"""
import base64
import hashlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

from nacl.public import Box, PrivateKey, PublicKey

MAGIC = 0x2112A442


def log(level, msg, **fields):
    parts = ["level=%s" % level, 'msg="%s"' % msg]
    parts += ["%s=%s" % (k, v) for k, v in fields.items()]
    print(" ".join(parts), flush=True)


def wg(*args):
    return subprocess.run(["wg", *args], check=True, capture_output=True, text=True).stdout.strip()


def parse_config(path):
    text = open(path).read()
    iface = re.search(r"^  (\w+):\s*$", text, re.M).group(1)
    peers = re.findall(r"^\s+(\w+):\s*\{\s*public_key:\s*\"([^\"]+)\".*?keepalive:\s*(\d+)", text, re.M)
    stun = re.search(r"addresses:\s*\[\"([^\"]+)\"", text).group(1)
    store = re.search(r"directory:\s*\"?([^\"\s}]+)", text).group(1)
    return iface, peers, stun, store


def stun_from_port(server, sport, timeout=3.0):
    host, port = server.rsplit(":", 1)
    dst = (host, int(port))
    txid = os.urandom(12)
    payload = struct.pack("!HHI", 1, 0, MAGIC) + txid
    udp = struct.pack("!HHHH", sport, dst[1], 8 + len(payload), 0) + payload
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    sock.settimeout(0.5)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            sock.sendto(udp, (dst[0], 0))
            end = time.monotonic() + 0.5
            while time.monotonic() < end:
                try:
                    pkt = sock.recv(2048)
                except socket.timeout:
                    break
                ihl = (pkt[0] & 0x0F) * 4
                src_port, dst_port = struct.unpack("!HH", pkt[ihl:ihl + 4])
                msg = pkt[ihl + 8:]
                if dst_port != sport or src_port != dst[1] or msg[8:20] != txid or len(msg) < 20:
                    continue
                offset = 20
                while offset + 4 <= len(msg):
                    atype, alen = struct.unpack("!HH", msg[offset:offset + 4])
                    value = msg[offset + 4:offset + 4 + alen]
                    if atype == 0x0020 and value[1] == 1:
                        mport = struct.unpack("!H", value[2:4])[0] ^ (MAGIC >> 16)
                        addr = bytes(b ^ m for b, m in zip(value[4:8], struct.pack("!I", MAGIC)))
                        return "%s:%d" % (socket.inet_ntoa(addr), mport)
                    offset += 4 + ((alen + 3) & ~3)
    finally:
        sock.close()
    return None


def main():
    config = sys.argv[sys.argv.index("-c") + 1]
    iface, peers, stun, store = parse_config(config)
    own_priv = base64.b64decode(wg("show", iface, "private-key"))
    own_pub = bytes(PrivateKey(own_priv).public_key)
    sport = int(wg("show", iface, "listen-port"))
    log("info", "started", interface=iface, peers=len(peers), listen_port=sport)
    published = {}
    while True:
        mapped = stun_from_port(stun, sport)
        for name, pub_b64, keepalive in peers:
            peer_pub = base64.b64decode(pub_b64)
            box = Box(PrivateKey(own_priv), PublicKey(peer_pub))
            if mapped and published.get(name) != mapped:
                log("info", "discovered", peer=name, mapped=mapped)
                record = json.dumps({"ipv4": mapped}, separators=(",", ":")).encode()
                key = hashlib.sha1(own_pub + peer_pub).hexdigest()
                tmp = os.path.join(store, ".%s.tmp" % key)
                with open(tmp, "w") as f:
                    f.write(box.encrypt(record).hex())
                os.rename(tmp, os.path.join(store, key))
                published[name] = mapped
                log("info", "published", peer=name, key=key)
            path = os.path.join(store, hashlib.sha1(peer_pub + own_pub).hexdigest())
            if not os.path.exists(path):
                continue
            endpoint = json.loads(box.decrypt(bytes.fromhex(open(path).read().strip())))["ipv4"]
            current = [l.split("\t")[1] for l in wg("show", iface, "endpoints").splitlines()
                       if l.startswith(pub_b64)]
            if current and current[0] != endpoint:
                log("info", "remote record", peer=name, endpoint=endpoint)
                wg("set", iface, "peer", pub_b64, "endpoint", endpoint, "persistent-keepalive", keepalive)
                log("info", "endpoint set", peer=name, endpoint=endpoint, keepalive=keepalive)
        time.sleep(1)


if __name__ == "__main__":
    main()
