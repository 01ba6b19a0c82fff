"""A local server that records every request exactly as it arrived and answers like aiccs does.

GET /__captured returns the recorded requests as JSON: method, path, raw query, headers, body (text, or null
when it is not UTF-8), body_hex and body_sha256. Prints "listening on http://HOST:PORT" first.

usage: capture.py [--key ID:SECRET] [--answer "METHOD PATH" TEXT]...
  --key     also records, for each V3-signed request, the Authorization the official SDK's own signing code
            (alibabacloud_tea_openapi Utils.get_authorization) computes for it, as "official_authorization"
  --answer  answers requests to METHOD PATH with TEXT (raw, may be empty) instead of the aiccs answer
"""

import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from alibabacloud_tea_openapi.utils import Utils
from verifier import SignedRequest

KEYS = {}
ANSWERS = {}

CAPTURED = []
ANSWER = {"RequestId": "CFC2F07E-F763-7C48-1A32-6EFFB6EA344E", "Code": "OK", "Message": "OK", "Success": True,
          "Data": 123497836486123457, "AccessDeniedDetail": "None"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, payload):
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        url = urlsplit(self.path)
        if url.path == "/__captured":
            return self.send_json(CAPTURED)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        CAPTURED.append({
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body": text,
            "body_hex": body.hex(),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "official_authorization": self.official_authorization(url, body),
        })
        answer = ANSWERS.get("%s %s" % (self.command, url.path))
        if answer is None:
            return self.send_json(ANSWER)
        raw = answer.encode("utf-8")
        self.send_response(200)
        if raw:
            self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def official_authorization(self, url, body):
        """What the official signing code computes for this request, over the headers it says it signed."""
        auth = self.headers.get("authorization") or ""
        if not auth.startswith("ACS3-HMAC-SHA256 "):
            return None
        parts = dict(p.strip().split("=", 1) for p in auth.split(" ", 1)[1].split(","))
        secret = KEYS.get(parts.get("Credential"))
        if secret is None:
            return None
        headers = {name: self.headers.get(name) for name in parts.get("SignedHeaders", "").split(";")}
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        signed = SignedRequest(self.command, url.path or "/", query, headers)
        payload = hashlib.sha256(body).hexdigest()
        return Utils.get_authorization(signed, "ACS3-HMAC-SHA256", payload, parts["Credential"], secret)

    do_GET = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any
    do_PATCH = handle_any


def main(argv):
    args = iter(argv)
    for arg in args:
        if arg == "--key":
            key_id, secret = next(args).split(":", 1)
            KEYS[key_id] = secret
        elif arg == "--answer":
            where = next(args)
            ANSWERS[where] = next(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
