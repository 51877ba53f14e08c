#!/usr/bin/python3
"""One HTTP request for the end-to-end tests (no curl on the test machines): prints the response
body, exits 0 on a 2xx status, 1 otherwise (the status goes to stderr).

    http_call.py METHOD URL [JSON_BODY]
"""
import sys
import urllib.error
import urllib.request


def main():
    method, url = sys.argv[1], sys.argv[2]
    body = sys.argv[3].encode() if len(sys.argv) > 3 else None
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            sys.stdout.write(response.read().decode("utf-8", "replace"))
            return 0
    except urllib.error.HTTPError as error:
        sys.stderr.write("HTTP %d\n" % error.code)
        return 1
    except OSError as error:
        sys.stderr.write("%s\n" % error)
        return 1


if __name__ == "__main__":
    sys.exit(main())
