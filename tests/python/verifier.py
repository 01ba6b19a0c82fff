"""An independent signature verifier built on the vendor's official Python SDK.

It recomputes every request's signature with alibabacloud_tea_openapi's own Utils.get_authorization (V3)
and Utils.get_rpcsignature (V1), and answers in the vendor's JSON shape: 200 with what it decoded, or
400 SignatureDoesNotMatch. Used by the Rust interop tests; prints "listening on http://HOST:PORT" first.

usage: verifier.py --key ID:SECRET[:STS_TOKEN] ...
"""

import hashlib
import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from alibabacloud_tea_openapi.utils import Utils

KEYS = {}


class SignedRequest:
    """The shape Utils.get_authorization reads: method, pathname, query, headers."""

    def __init__(self, method, pathname, query, headers):
        self.method = method
        self.pathname = pathname
        self.query = query
        self.headers = headers


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, payload):
        payload.setdefault("RequestId", str(uuid.uuid4()).upper())
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reject(self, code, message):
        self.answer(400, {"Code": code, "Message": message})

    def handle_any(self):
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        form = {}
        if (self.headers.get("content-type") or "").startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        auth = self.headers.get("authorization")
        if auth:
            verdict = self.verify_v3(auth, query, body)
        else:
            verdict = self.verify_v1(query, form)
        if isinstance(verdict, tuple):
            return self.reject(*verdict)
        query.pop("Signature", None)
        self.answer(200, {"Verified": verdict, "Method": self.command, "Query": query, "Form": form})

    def check_token(self, key_id, token):
        expected = KEYS[key_id][1]
        if expected and token != expected:
            return ("InvalidSecurityToken.Mismatch", "the security token does not match")
        if not expected and token:
            return ("InvalidSecurityToken.Unexpected", "a security token came with a long-term key")
        return None

    def verify_v3(self, auth, query, body):
        try:
            algorithm, rest = auth.split(" ", 1)
            parts = dict(p.strip().split("=", 1) for p in rest.split(","))
            key_id, signed, signature = parts["Credential"], parts["SignedHeaders"], parts["Signature"]
        except (ValueError, KeyError):
            return ("IncompleteSignature", "malformed Authorization header")
        if key_id not in KEYS:
            return ("InvalidAccessKeyId.NotFound", "unknown access key")
        payload = hashlib.sha256(body).hexdigest()
        if self.headers.get("x-acs-content-sha256") != payload:
            return ("ContentSha256Mismatch", "x-acs-content-sha256 is not the body's hash")
        names = signed.split(";")
        for required in ("host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
            if required not in names:
                return ("IncompleteSignature", required + " is not signed")
        headers = {name: self.headers.get(name) for name in names}
        problem = self.check_token(key_id, self.headers.get("x-acs-security-token"))
        if problem:
            return problem
        request = SignedRequest(self.command, url_path(self.path), query, headers)
        expected = Utils.get_authorization(request, algorithm, payload, key_id, KEYS[key_id][0])
        if expected != auth:
            return ("SignatureDoesNotMatch", "the V3 signature does not match")
        return "v3"

    def verify_v1(self, query, form):
        params = dict(query)
        params.update(form)
        signature = params.pop("Signature", None)
        key_id = params.get("AccessKeyId")
        if signature is None or key_id is None:
            return ("IncompleteSignature", "no Signature or AccessKeyId")
        if key_id not in KEYS:
            return ("InvalidAccessKeyId.NotFound", "unknown access key")
        problem = self.check_token(key_id, params.get("SecurityToken"))
        if problem:
            return problem
        expected = Utils.get_rpcsignature(params, self.command, KEYS[key_id][0])
        if expected != signature:
            return ("SignatureDoesNotMatch", "the V1 signature does not match")
        return "v1"

    do_GET = handle_any
    do_POST = handle_any


def url_path(path):
    return urlsplit(path).path or "/"


def main(argv):
    args = iter(argv)
    for arg in args:
        if arg == "--key":
            parts = next(args).split(":")
            KEYS[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
