#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: binds a unix datagram socket at PATH and appends
every datagram it receives to LOG as one line (newlines inside a message written as '\\n'), with
the sender's pid when the kernel tells it (SO_PASSCRED). Runs until killed.

    notify_listener.py PATH LOG
"""
import os
import socket
import struct
import sys


def main() -> None:
    path, log = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(path):
        os.unlink(path)
    sock.bind(path)
    os.chmod(path, 0o777)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    with open(log, "a", buffering=1) as out:
        out.write("listening\n")
        while True:
            data, ancillary, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = 0
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:12])[0]
            text = data.decode("utf-8", "replace").replace("\n", "\\n")
            out.write(f"pid={pid} {text}\n")


if __name__ == "__main__":
    main()
