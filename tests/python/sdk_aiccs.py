"""The vendor's official Python SDK (alibabacloud-aiccs20191015) as a command-line client.

usage: sdk_aiccs.py ENDPOINT KEY_ID SECRET [--token T] [--v1] [--raw] COMMAND ...
  create-task NAME           -> prints the answer's body (Data is the task ID)
  import TASK_ID RECORDS     -> RECORDS is a JSON array, or @FILE holding one
  start TASK_ID | stop TASK_ID | task-detail TASK_ID
  details TASK_ID FIELDS     -> QueryAiCallDetailPage; FIELDS: request members by wire name, as JSON
  cancel TASK_ID FIELDS      -> CancelAiCallDetails; FIELDS as above
On success prints the answer's body as the SDK's models hold it, as JSON (with --raw: {"raw": the body as
received, "model": the body as the models hold it}); on failure prints "ERROR <code> <message>", exits 1.
"""

import json
import sys

from alibabacloud_aiccs20191015 import models
from alibabacloud_aiccs20191015.client import Client
from sdk_common import config_for, record_bodies


def main(argv):
    endpoint, key_id, secret, *rest = argv
    token, v1, raw = None, False, False
    while rest and rest[0].startswith("--"):
        flag = rest.pop(0)
        if flag == "--token":
            token = rest.pop(0)
        elif flag == "--v1":
            v1 = True
        elif flag == "--raw":
            raw = True
    command, *args = rest
    config = config_for(endpoint, key_id, secret, security_token=token)
    if v1:
        config.signature_algorithm = "v2"
    client = Client(config)
    received = record_bodies(client)
    try:
        if command == "create-task":
            answer = client.create_ai_call_task(models.CreateAiCallTaskRequest(
                task_name=args[0], agent_id="agent-1", virtual_number="05712345678", start_type="IMMEDIATELY",
                call_time=["09:00-18:00"], call_day=["1", "2", "3"]))
        elif command == "import":
            records = args[1]
            if records.startswith("@"):
                with open(records[1:], encoding="utf-8") as f:
                    records = f.read()
            answer = client.import_task_number_datas(models.ImportTaskNumberDatasRequest(
                task_id=args[0], data_type="JSON", phone_number_list=json.loads(records)))
        elif command == "start":
            answer = client.start_ai_call_task(models.StartAiCallTaskRequest(task_id=args[0]))
        elif command == "stop":
            answer = client.stop_ai_call_task(models.StopAiCallTaskRequest(task_id=args[0]))
        elif command == "task-detail":
            answer = client.query_ai_call_task_detail(models.QueryAiCallTaskDetailRequest(task_id=args[0]))
        elif command == "details":
            request = models.QueryAiCallDetailPageRequest().from_map(dict(json.loads(args[1]), TaskId=args[0]))
            answer = client.query_ai_call_detail_page(request)
        elif command == "cancel":
            request = models.CancelAiCallDetailsRequest().from_map(dict(json.loads(args[1]), TaskId=args[0]))
            answer = client.cancel_ai_call_details(request)
        else:
            print("ERROR Usage unknown command %s" % command)
            return 2
    except Exception as e:  # the SDK raises its own exception types: report code and message
        print("ERROR %s %s" % (getattr(e, "code", type(e).__name__), getattr(e, "message", e)))
        return 1
    body = answer.body.to_map()
    if body.get("Success") is False:
        print("ERROR %s %s" % (body.get("Code"), body.get("Message")))
        return 1
    print(json.dumps({"raw": received.get("body"), "model": body} if raw else body))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
