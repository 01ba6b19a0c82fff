"""A local server that records every request exactly as it arrived and answers like aiccs does.

GET /__captured returns the recorded requests as JSON: method, path, raw query, headers, body (text).
Prints "listening on http://HOST:PORT" first.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

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
        CAPTURED.append({
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body": body.decode("utf-8"),
        })
        self.send_json(ANSWER)

    do_GET = handle_any
    do_POST = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
