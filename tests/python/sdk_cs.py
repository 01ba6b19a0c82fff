"""The vendor's official Python CS SDK (alibabacloud-cs20151215) as a command-line client.

usage: sdk_cs.py ENDPOINT KEY_ID SECRET CALLS_JSON
CALLS_JSON is a list of {"call": client method, "args": [positional strings], "request": model class name,
"fields": the model's members as JSON text, by wire name}. Prints one line per call: "ok" or "ERROR <what>".
"""

import json
import sys

from alibabacloud_cs20151215 import models
from alibabacloud_cs20151215.client import Client
from darabonba.runtime import RuntimeOptions
from sdk_common import config_for


def request_model(name, fields):
    """The request model with `fields` set: from_map also sets every list it was not given to [] (nested
    models too), which a caller of the SDK would have left unset, so those go back to unset."""
    return unset_lists(getattr(models, name)().from_map(fields), fields)


def unset_lists(model, fields):
    for attribute, value in list(vars(model).items()):
        given = fields.get(attribute) if isinstance(fields, dict) else None
        if value == [] and given is None:
            setattr(model, attribute, None)
        elif hasattr(value, "to_map"):
            unset_lists(value, given or {})
        elif isinstance(value, list):
            for item, item_fields in zip(value, given or []):
                if hasattr(item, "to_map"):
                    unset_lists(item, item_fields)
    return model


def main(argv):
    endpoint, key_id, secret, calls = argv
    config = config_for(endpoint, key_id, secret)
    client = Client(config)
    for call in json.loads(calls):
        args = list(call.get("args", []))
        if "request" in call:
            args.append(request_model(call["request"], json.loads(call["fields"])))
        try:
            getattr(client, call["call"])(*args, {}, RuntimeOptions(autoretry=False))
            print("ok")
        except Exception as e:  # the SDK raises its own exception types: report what happened
            print("ERROR %s %s" % (call["call"], e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
