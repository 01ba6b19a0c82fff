"""The baseline for the importer benchmark: what a user of the official Python SDK writes by hand.

Reads a CSV (calleeNumber, outId, then call variables), and imports it 1,000 records per request with one
import_task_number_datas call each, sequentially.

usage: sdk_import_csv.py ENDPOINT KEY_ID SECRET TASK_ID CSV
"""

import csv
import sys

from alibabacloud_aiccs20191015 import models
from alibabacloud_aiccs20191015.client import Client
from sdk_common import config_for


def main(endpoint, key_id, secret, task_id, path):
    config = config_for(endpoint, key_id, secret)
    client = Client(config)
    imported = 0

    def send(batch):
        answer = client.import_task_number_datas(models.ImportTaskNumberDatasRequest(
            task_id=task_id, data_type="JSON", phone_number_list=batch))
        if not answer.body.success:
            raise SystemExit("import failed: %s %s" % (answer.body.code, answer.body.message))
        return len(batch)

    with open(path, newline="", encoding="utf-8") as f:
        batch = []
        for row in csv.DictReader(f):
            batch.append(row)
            if len(batch) == 1000:
                imported += send(batch)
                batch = []
        if batch:
            imported += send(batch)
    print(imported)


if __name__ == "__main__":
    main(*sys.argv[1:6])
