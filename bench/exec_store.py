#!/usr/bin/env python3
"""An exec store plugin for the benchmarks (stunmesh-go's exec protocol: one JSON line on stdin,
one JSON object on stdout), keeping values as files in DIR and appending one line per call to
DIR/calls.log ("<unix time> <action> <key>"), so a benchmark counts the store calls both daemons
made.

    python3 bench/exec_store.py DIR
"""
import json
import os
import sys
import time


def main():
    directory = sys.argv[1]
    request = json.loads(sys.stdin.readline())
    action, key = request["action"], request["key"]
    with open(os.path.join(directory, "calls.log"), "a") as log:
        log.write(f"{time.time():.3f} {action} {key}\n")
    path = os.path.join(directory, key)
    if action == "set":
        with open(path + ".tmp", "w") as f:
            f.write(request["value"])
        os.replace(path + ".tmp", path)
        print(json.dumps({"success": True}))
    elif os.path.exists(path):
        with open(path) as f:
            print(json.dumps({"success": True, "value": f.read()}))
    else:
        print(json.dumps({"success": False, "error": "not found"}))


if __name__ == "__main__":
    main()
