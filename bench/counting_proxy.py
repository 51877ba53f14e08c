#!/usr/bin/python3
"""A counting HTTP relay for bench/store_calls.sh: forwards every request to --upstream (an
OpenDHT proxy) and records it, so the benchmark counts the store calls a daemon makes.

    counting_proxy.py --host H --port P --upstream http://127.0.0.1:8080
    GET /__calls   the requests relayed so far: [{"t": unix time, "method", "path", "status"}]
"""
import argparse
import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None  # (host, port), set by main
    calls = []
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def relay(self, method):
        if self.path == "/__calls":
            with self.lock:
                return self.reply(200, json.dumps(self.calls).encode())
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        status, data = 502, b""
        try:
            connection = http.client.HTTPConnection(*self.upstream, timeout=30)
            connection.request(method, self.path, body=body,
                               headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
            response = connection.getresponse()
            status, data = response.status, response.read()
            connection.close()
        except OSError as error:
            data = str(error).encode()
        with self.lock:
            self.calls.append({"t": time.time(), "method": method, "path": self.path, "status": status})
        self.reply(status, data)

    def do_GET(self):
        self.relay("GET")

    def do_POST(self):
        self.relay("POST")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    upstream = urlsplit(args.upstream)
    Relay.upstream = (upstream.hostname, upstream.port or 80)
    server = ThreadingHTTPServer((args.host, args.port), Relay)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
