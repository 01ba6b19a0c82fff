"""The vendor's official Python OCR SDK (alibabacloud-ocr-api20210707) as a command-line client: recognises
the bytes of a file with RecognizeGeneral, sent as the request's raw body.

usage: sdk_ocr.py ENDPOINT KEY_ID SECRET FILE
Prints "ok" or "ERROR <what>".
"""

import sys

from alibabacloud_ocr_api20210707 import models
from alibabacloud_ocr_api20210707.client import Client
from alibabacloud_tea_util.models import RuntimeOptions
from sdk_common import config_for


def main(argv):
    endpoint, key_id, secret, path = argv
    config = config_for(endpoint, key_id, secret)
    client = Client(config)
    with open(path, "rb") as image:
        try:
            client.recognize_general_with_options(models.RecognizeGeneralRequest(body=image), RuntimeOptions())
            print("ok")
        except Exception as e:  # the SDK raises its own exception types: report what happened
            print("ERROR %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
