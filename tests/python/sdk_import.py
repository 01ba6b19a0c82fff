"""Imports callee records with the vendor's official Python SDK (alibabacloud-aiccs20191015).

usage: sdk_import.py ENDPOINT ACCESS_KEY_ID SECRET TASK_ID RECORDS_JSON [v3|v1] [STS_TOKEN]
Prints the answer's body as JSON on success; exits 1 with "ERROR <code> <message>" otherwise.
"""

import json
import sys

from alibabacloud_aiccs20191015.client import Client
from alibabacloud_aiccs20191015 import models
from alibabacloud_tea_openapi.utils_models import Config


def main(argv):
    endpoint, key_id, secret, task_id, records = argv[:5]
    signing = argv[5] if len(argv) > 5 else "v3"
    token = argv[6] if len(argv) > 6 else None
    host = endpoint.split("://", 1)[-1]
    config = Config(access_key_id=key_id, access_key_secret=secret, security_token=token,
                    endpoint=host, protocol="http", region_id="cn-hangzhou")
    if signing == "v1":
        config.signature_algorithm = "v2"
    client = Client(config)
    request = models.ImportTaskNumberDatasRequest(
        task_id=task_id, data_type="JSON", phone_number_list=json.loads(records))
    try:
        answer = client.import_task_number_datas(request)
    except Exception as e:  # the SDK raises its own exception types; report code and message
        print("ERROR %s %s" % (getattr(e, "code", type(e).__name__), getattr(e, "message", e)))
        return 1
    print(json.dumps(answer.body.to_map()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
