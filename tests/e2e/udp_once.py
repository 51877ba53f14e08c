#!/usr/bin/python3 -I
"""Send or receive one UDP datagram, for filtering checks in the end-to-end harness.

  udp_once.py send --bind IP:PORT --to IP:PORT [--data TEXT]      (IPv6: [IP]:PORT)
  udp_once.py recv --bind IP:PORT [--timeout SECONDS]   prints "SENDER TEXT"; exit 1 on timeout
"""
import argparse
import socket
import sys


def hostport(text):
    """ "ip:port" or "[v6]:port" -> (ip, port)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["send", "recv"])
    parser.add_argument("--bind", default="0.0.0.0:0")
    parser.add_argument("--to")
    parser.add_argument("--data", default="hello")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    family = socket.AF_INET6 if ":" in hostport(args.bind)[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(hostport(args.bind))
    if args.mode == "send":
        sock.sendto(args.data.encode(), hostport(args.to))
        return 0
    sock.settimeout(args.timeout)
    try:
        data, sender = sock.recvfrom(2048)
    except socket.timeout:
        return 1
    host = sender[0] if family == socket.AF_INET else "[%s]" % sender[0]
    print("%s:%d %s" % (host, sender[1], data.decode(errors="replace")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
