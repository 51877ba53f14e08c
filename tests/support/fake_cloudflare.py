#!/usr/bin/python3
"""A stand-in for the parts of Cloudflare's v4 API that stunmeshd's cloudflare store uses.

Serves, under /client/v4, exactly:
  GET   /zones?name=<zone>                              zone lookup
  GET   /zones/<zid>/dns_records?type=TXT&name=<fqdn>   records by name
  PATCH /zones/<zid>/dns_records/<id>                   {"content": ...}
  PUT   /zones/<zid>/dns_records/<id>                   the whole record (stunmesh-go's cloudflare-shell)
  POST  /zones/<zid>/dns_records                        {"type","name","content","comment"}
with Cloudflare's envelope {"success","errors","messages","result"} and a Bearer token check.

Test switches (never recorded as calls):
  POST /__control  {"mode": "ok"|"notfound"|"error"|"429"|"malformed"|"slow",
                    "delay": seconds (slow), "error_message": text ("{auth}" is replaced by
                    the Authorization header received), "retry_after": seconds (429),
                    "records": [ {id,type,name,content,comment}, ... ] (replaces the zone's)}
  GET   /__calls    the API calls received, in order: {method, path, authorization,
                    content_type, body}
  GET   /__records  the zone's records
  GET   /__bytes?n=N[&chunked=1]   N bytes of "x", with a length or chunked (HTTP client tests)
Listens on 127.0.0.1 (or --host, e.g. an address inside a test namespace), on an ephemeral port
written to --port-file. With --tls CERT KEY it speaks HTTPS.
"""
import argparse
import json
import os
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PREFIX = "/client/v4"


class State:
    def __init__(self, token, zone, zone_id):
        self.lock = threading.Lock()
        self.token = token
        self.zone = zone
        self.zone_id = zone_id
        self.mode = "ok"
        self.delay = 0.0
        self.error_message = "Invalid request"
        self.retry_after = None
        self.records = []
        self.calls = []


def envelope(result, success=True, errors=None):
    return {"success": success, "errors": errors or [], "messages": [], "result": result}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set by main

    def log_message(self, *args):
        pass

    def send_json(self, status, value, extra_headers=()):
        self.send_bytes(status, json.dumps(value, separators=(",", ":")).encode(), extra_headers)

    def send_bytes(self, status, body, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, body):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 500):
            piece = body[start:start + 500]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")

    def handle_any(self, method):
        st = self.state
        body = self.read_body()
        url = urlsplit(self.path)
        if url.path.startswith("/__"):
            return self.control(method, url, body)
        with st.lock:
            st.calls.append({
                "method": method,
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode("utf-8", "replace"),
            })
            mode, delay = st.mode, st.delay
        if mode == "slow":
            time.sleep(delay)
        if mode == "429":
            headers = [("Retry-After", str(st.retry_after))] if st.retry_after is not None else []
            return self.send_json(429, envelope(None, False, [{"code": 971, "message": "Please wait and consider throttling your request speed"}]), headers)
        if mode == "malformed":
            return self.send_bytes(200, b'{"success": true, "result": [{"id": ')
        if mode == "error":
            message = st.error_message.replace("{auth}", self.headers.get("Authorization") or "")
            return self.send_json(400, envelope(None, False, [{"code": 1004, "message": message}]))
        if self.headers.get("Authorization") != "Bearer " + st.token:
            return self.send_json(403, envelope(None, False, [{"code": 9109, "message": "Invalid access token"}]))
        self.api(method, url, body, mode)

    def api(self, method, url, body, mode):
        st = self.state
        if not url.path.startswith(PREFIX):
            return self.send_json(404, envelope(None, False, [{"code": 7000, "message": "No route for that URI"}]))
        parts = url.path[len(PREFIX):].strip("/").split("/")
        query = parse_qs(url.query)
        with st.lock:
            if method == "GET" and parts == ["zones"]:
                name = query.get("name", [""])[0]
                found = mode != "notfound" and name == st.zone
                return self.send_json(200, envelope([{"id": st.zone_id, "name": st.zone}] if found else []))
            if len(parts) < 3 or parts[0] != "zones" or parts[1] != st.zone_id or parts[2] != "dns_records":
                return self.send_json(404, envelope(None, False, [{"code": 7003, "message": "Could not route to " + url.path + ", perhaps your object identifier is invalid?"}]))
            if method == "GET" and len(parts) == 3:
                kind = query.get("type", [None])[0]
                name = query.get("name", [None])[0]
                found = [r for r in st.records if (kind is None or r["type"] == kind) and (name is None or r["name"] == name)]
                return self.send_json(200, envelope([] if mode == "notfound" else found))
            try:
                data = json.loads(body or b"null")
            except ValueError:
                return self.send_json(400, envelope(None, False, [{"code": 9207, "message": "Request body is invalid."}]))
            if method in ("PATCH", "PUT") and len(parts) == 4:
                for record in st.records:
                    if record["id"] == parts[3]:
                        record.update({k: v for k, v in data.items() if k in ("content", "name", "type", "comment")})
                        return self.send_json(200, envelope(record))
                return self.send_json(404, envelope(None, False, [{"code": 81044, "message": "Record does not exist."}]))
            if method == "POST" and len(parts) == 3:
                record = {"id": uuid.uuid4().hex, "type": data.get("type"), "name": data.get("name"),
                          "content": data.get("content"), "comment": data.get("comment")}
                st.records.append(record)
                return self.send_json(200, envelope(record))
        return self.send_json(405, envelope(None, False, [{"code": 10000, "message": "Method not allowed"}]))

    def control(self, method, url, body):
        st = self.state
        with st.lock:
            if method == "POST" and url.path == "/__control":
                settings = json.loads(body)
                for key in ("mode", "delay", "error_message", "retry_after", "records"):
                    if key in settings:
                        setattr(st, key, settings[key])
                return self.send_json(200, {"ok": True})
            if url.path == "/__calls":
                return self.send_json(200, st.calls)
            if url.path == "/__records":
                return self.send_json(200, st.records)
            if url.path == "/__bytes":
                query = parse_qs(url.query)
                n = int(query.get("n", ["0"])[0])
                if query.get("chunked"):
                    return self.send_chunked(b"x" * n)
                return self.send_bytes(200, b"x" * n)
        return self.send_json(404, {"ok": False})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--zone", default="example.com")
    parser.add_argument("--zone-id", default="023e105f4ecef8ad9ca31a8372d0c353")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    Handler.state = State(args.token, args.zone, args.zone_id)
    server = ThreadingHTTPServer((args.host, 0), Handler)
    server.daemon_threads = True
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(temporary, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
