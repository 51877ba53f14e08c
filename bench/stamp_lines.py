"""Copies stdin to stdout, each line prefixed with the wall-clock time (seconds, 3 decimals).

stunmesh-go's console log stamps lines with the minute only; bench/mixed_pair.sh pipes its output
through this to time its ping monitor's verdicts against the faults."""
import sys
import time

for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), line))
    sys.stdout.flush()
