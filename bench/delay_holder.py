#!/usr/bin/env python3
"""Delay for the benchmarks: holds every packet that an nftables `queue num Q` rule hands it for
DELAY_MS milliseconds, then accepts it (order kept). The kernel has no sch_netem here; this is
the NFQUEUE way. Needs the NetfilterQueue module (PyPI, built against Debian's
libnetfilter-queue-dev) and root in the namespace whose rule queues.

    python3 bench/delay_holder.py QUEUE DELAY_MS
"""
import heapq
import select
import sys
import time

from netfilterqueue import NetfilterQueue


def main():
    queue, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000
    held = []
    serial = 0

    def hold(packet):
        nonlocal serial
        serial += 1
        heapq.heappush(held, (time.monotonic() + delay, serial, packet))

    nfq = NetfilterQueue()
    nfq.bind(queue, hold, max_len=8192)
    fd = nfq.get_fd()
    print(f"holding queue {queue} for {delay * 1000:.0f} ms", flush=True)
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        readable, _, _ = select.select([fd], [], [], timeout)
        if readable:
            nfq.run(block=False)
        now = time.monotonic()
        while held and held[0][0] <= now:
            heapq.heappop(held)[2].accept()


if __name__ == "__main__":
    main()
