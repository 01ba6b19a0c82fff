"""The vendor's official generic caller (alibabacloud-tea-openapi's Client.call_api) as a command-line client,
for a spec written for the project: each call is described in the terms a generated official SDK works in
(path parameters, query values with their styles, headers, a body of a kind) and sent as that SDK would.

usage: sdk_generic.py ENDPOINT KEY_ID SECRET VERSION CALLS_JSON
CALLS_JSON is a list of {"action", "method", "path", "path_params": {}, "query": {name: [value, style]},
"headers": {}, "body": any, "body_kind": "json" | "form" | "binary" | null, "answer": "json" | "array" | "string" | "none"};
a binary body is given as a latin-1 string. Prints one line per call: "ok" or "ERROR <what>".
"""

import io
import json
import sys

from alibabacloud_tea_openapi.client import Client
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions
from darabonba.url import Url
from sdk_common import config_for


def request_of(call):
    query = {}
    for name, (value, style) in call.get("query", {}).items():
        query[name] = value if style is None else Utils.array_to_string_with_specified_style(value, name, style)
    kind = call.get("body_kind")
    request = OpenApiRequest(headers=call.get("headers", {}), query=Utils.query(query))
    if kind == "binary":
        request.stream = io.BytesIO(call["body"].encode("latin-1"))
    elif kind is not None:
        request.body = call["body"]
    return request


def params_of(call, version):
    path = call["path"]
    for name, value in call.get("path_params", {}).items():
        path = path.replace("{%s}" % name, Url.percent_encode(value))
    kind = call.get("body_kind")
    return Params(action=call["action"], version=version, protocol="HTTP", pathname=path, method=call["method"],
                  auth_type="AK", style="ROA", req_body_type="formData" if kind == "form" else "json",
                  body_type=call.get("answer", "json"))


def main(argv):
    endpoint, key_id, secret, version, calls = argv
    config = config_for(endpoint, key_id, secret)
    client = Client(config)
    for call in json.loads(calls):
        try:
            client.call_api(params_of(call, version), request_of(call), RuntimeOptions(autoretry=False))
            print("ok")
        except Exception as e:  # the SDK raises its own exception types: report what happened
            print("ERROR %s %s" % (call["action"], e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
