#!/usr/bin/python3
"""A store server that lies: it answers stunmeshd's OpenDHT proxy requests (/key/<k>,
/key/<k>/listen) and Cloudflare v4 requests (/client/v4/...) with the hostile answer of the
current mode, the same for every request, so that tests/e2e/test_hostile_stores.sh can show that
no answer a store server can give ends the daemon or touches WireGuard.

Modes (POST /__control {"mode": NAME}; "ok" answers like an empty store):
  lying_short    Content-Length 100000, 40 bytes of JSON, then the connection is closed
  lying_long     Content-Length 2 ("{}"), then 64 KiB more on the same connection
  huge           an 8 MiB body with its length (a JSON string)
  huge_chunked   an 8 MiB chunked body, no length
  huge_header    a 1 MiB header line
  deep_array     200,000 nested JSON arrays
  deep_object    200,000 nested JSON objects
  numbers        the right shapes with numbers out of every range (1e400, -1, 2^64, -0)
  nan            NaN and Infinity literals where numbers go
  binary         64 KiB of random bytes with NULs, as application/json
  forged         well-formed answers carrying records that are not sealed by the partner
  wrong_types    every field of the right name with the wrong JSON type
  retry_huge     429 with Retry-After: 1e19
  retry_negative 429 with Retry-After: -5
  retry_nan      429 with Retry-After: NaN
  flood          /listen and reads: an endless stream of bytes without a newline (the server
                 stops after 16 MiB)

GET /__calls: {"MODE": count, "MODE KIND CLIENT": count, ...}: the requests each mode answered, in
all and by kind (cf, dht) and client address (the switch itself is not counted). Listens on --host, an ephemeral port written to --port-file.
"""
import argparse
import base64
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MIB = 1 << 20


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.mode = "ok"
        self.calls = {}


def is_cloudflare(path):
    return path.startswith("/client/v4")


def forged_record_hex():
    # The shape of a sealed record (nonce + box) but bytes nobody sealed.
    return os.urandom(24 + 16 + 80).hex()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def body_in(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def raw(self, status, body, ctype="application/json", headers=(), length=None, close=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        if close:
            self.close_connection = True

    def handle_any(self):
        body = self.body_in()
        if self.path == "/__control":
            mode = json.loads(body)["mode"]
            with self.state.lock:
                self.state.mode = mode
            return self.raw(200, b"{}")
        if self.path == "/__calls":
            with self.state.lock:
                calls = dict(self.state.calls)
            return self.raw(200, json.dumps(calls).encode())
        cf = is_cloudflare(self.path)
        with self.state.lock:
            mode = self.state.mode
            for key in (mode, "%s %s %s" % (mode, "cf" if cf else "dht", self.client_address[0])):
                self.state.calls[key] = self.state.calls.get(key, 0) + 1
        listen = self.path.endswith("/listen")
        try:
            getattr(self, "mode_" + mode)(cf, listen)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # --- the modes ---------------------------------------------------------------------------

    def mode_ok(self, cf, listen):
        if cf:
            result = [] if "dns_records" in self.path or self.command == "GET" else {"id": "r1"}
            if self.path.startswith("/client/v4/zones?"):
                result = [{"id": "z1", "name": "example.com"}]
            return self.raw(200, json.dumps({"success": True, "errors": [], "messages": [], "result": result}).encode())
        if listen:
            return self.raw(200, b"")
        return self.raw(200, b"" if self.command == "GET" else b'{"id":"1"}')

    def mode_lying_short(self, cf, listen):
        self.raw(200, b'{"success":true,"result":[{"id":"x",', length=100000, close=True)

    def mode_lying_long(self, cf, listen):
        self.raw(200, b"{}" + b"G" * 65536, length=2)

    def mode_huge(self, cf, listen):
        self.raw(200, b'"' + b"a" * (8 * MIB) + b'"')

    def mode_huge_chunked(self, cf, listen):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"b" * 65536
        try:
            for _ in range(128):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def mode_huge_header(self, cf, listen):
        self.raw(200, b"{}", headers=[("X-Filler", "h" * MIB)], close=True)

    def mode_deep_array(self, cf, listen):
        self.raw(200, b"[" * 200000 + b"]" * 200000)

    def mode_deep_object(self, cf, listen):
        self.raw(200, b'{"a":' * 200000 + b"1" + b"}" * 200000)

    def mode_numbers(self, cf, listen):
        if cf:
            body = ('{"success":true,"errors":[],"messages":[],"result":[{"id":"z1","name":"example.com",'
                    '"ttl":1e400,"content":"%s"}],"result_info":{"page":-1,"per_page":18446744073709551616,'
                    '"count":-0,"total_count":1e400,"total_pages":-1e400}}' % forged_record_hex())
        else:
            body = ('{"data":"%s","id":18446744073709551616,"seq":-1,"expired":1e400,"type":-0,"ts":1e400}\n'
                    % base64.b64encode(os.urandom(120)).decode())
        self.raw(200, body.encode())

    def mode_nan(self, cf, listen):
        self.raw(200, b'{"success":true,"errors":[],"result":[{"id":NaN,"ttl":Infinity,"content":-Infinity}],'
                      b'"result_info":{"total_pages":NaN}}' if cf else b'{"data":NaN,"id":Infinity,"seq":-Infinity}\n')

    def mode_binary(self, cf, listen):
        self.raw(200, os.urandom(65536) + b"\0" * 1024)

    def mode_forged(self, cf, listen):
        if cf:
            result = [{"id": "r%d" % i, "type": "TXT", "name": "x", "content": forged_record_hex()} for i in range(3)]
            if self.path.startswith("/client/v4/zones?"):
                result = [{"id": "z1", "name": "example.com"}]
            body = json.dumps({"success": True, "errors": [], "messages": [], "result": result}).encode()
        else:
            lines = [json.dumps({"id": str(i), "seq": i, "data": base64.b64encode(os.urandom(120)).decode()})
                     for i in range(3)]
            body = ("\n".join(lines) + "\n").encode()
        self.raw(200, body)

    def mode_wrong_types(self, cf, listen):
        self.raw(200, b'{"success":"yes","errors":{},"messages":1,"result":{"id":[],"content":{}},"result_info":[]}'
                 if cf else b'{"data":{"x":1},"id":[],"seq":"1"}\n[1,2,3]\n"data"\nnull\n')

    def retry(self, value):
        self.raw(429, b'{"success":false,"errors":[{"code":10000,"message":"rate limited"}]}',
                 headers=[("Retry-After", value)])

    def mode_retry_huge(self, cf, listen):
        self.retry("1e19")

    def mode_retry_negative(self, cf, listen):
        self.retry("-5")

    def mode_retry_nan(self, cf, listen):
        self.retry("NaN")

    def mode_flood(self, cf, listen):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b"{" * 65536
        try:
            for _ in range(256):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    Handler.state = State()
    server = ThreadingHTTPServer((args.host, 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
