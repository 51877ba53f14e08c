#!/usr/bin/python3 -I
"""Tiny STUN (RFC 8489) binding client for the end-to-end harness.

Sends one Binding request per server from a single UDP socket bound to --bind
(so every server sees the same inside source port) and prints one line per
server: "SERVER MAPPED" where MAPPED is the XOR-MAPPED-ADDRESS (or
MAPPED-ADDRESS) as "ip:port". Exits 1 if any server did not answer in time.
Standard library only; an independent check of NAT and STUN server behaviour.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

MAGIC = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
XOR_MAPPED_ADDRESS = 0x0020
MAPPED_ADDRESS = 0x0001


def hostport(text):
    """ "ip:port" or "[v6]:port" -> (ip, port)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def parse_address(attr_type, value, txid):
    if len(value) < 8 or value[1] not in (0x01, 0x02):
        return None
    size = 4 if value[1] == 0x01 else 16
    if len(value) < 4 + size:
        return None
    port = struct.unpack("!H", value[2:4])[0]
    raw = value[4:4 + size]
    if attr_type == XOR_MAPPED_ADDRESS:
        port ^= MAGIC >> 16
        raw = bytes(b ^ m for b, m in zip(raw, struct.pack("!I", MAGIC) + txid))
    if size == 4:
        return "%s:%d" % (socket.inet_ntoa(raw), port)
    return "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, raw), port)


def parse_response(data, txid):
    if len(data) < 20:
        return None
    msg_type, length, cookie = struct.unpack("!HHI", data[:8])
    if msg_type != BINDING_SUCCESS or cookie != MAGIC or data[8:20] != txid:
        return None
    found = {}
    offset = 20
    end = min(len(data), 20 + length)
    while offset + 4 <= end:
        attr_type, attr_len = struct.unpack("!HH", data[offset:offset + 4])
        value = data[offset + 4:offset + 4 + attr_len]
        if attr_type in (XOR_MAPPED_ADDRESS, MAPPED_ADDRESS):
            found.setdefault(attr_type, parse_address(attr_type, value, txid))
        offset += 4 + ((attr_len + 3) & ~3)
    return found.get(XOR_MAPPED_ADDRESS) or found.get(MAPPED_ADDRESS)


def query(sock, server, timeout):
    txid = os.urandom(12)
    request = struct.pack("!HHI", BINDING_REQUEST, 0, MAGIC) + txid
    deadline = time.monotonic() + timeout
    rto = 0.5
    while time.monotonic() < deadline:
        sock.sendto(request, hostport(server))
        wait_until = min(deadline, time.monotonic() + rto)
        rto *= 2
        while True:
            left = wait_until - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                break
            data, _ = sock.recvfrom(2048)
            mapped = parse_response(data, txid)
            if mapped:
                return mapped
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="0.0.0.0:0", help="local ip:port or [v6]:port")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds per server")
    parser.add_argument("servers", nargs="+", help="ip:port or [v6]:port of STUN servers (the bind's family)")
    args = parser.parse_args()
    family = socket.AF_INET6 if ":" in hostport(args.bind)[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(hostport(args.bind))
    failed = False
    for server in args.servers:
        mapped = query(sock, server, args.timeout)
        print("%s %s" % (server, mapped or "none"), flush=True)
        failed |= mapped is None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
