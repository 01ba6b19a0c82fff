"""The vendor's official Python ECS SDK (alibabacloud-ecs20140526) against an emulator serving the ECS file.

usage: sdk_ecs.py ENDPOINT KEY_ID SECRET
Makes three calls that must succeed and three that must be refused, and prints one JSON line per call:
{"call", "raw": the body as the SDK received it, "model": the body as the SDK's models hold it} or
{"call", "code", "status"} for a refusal (or {"call", "failure"} when the SDK failed otherwise).
"""

import json
import sys

from alibabacloud_ecs20140526 import models
from alibabacloud_ecs20140526.client import Client
from darabonba.runtime import RuntimeOptions
from sdk_common import config_for, record_bodies


def calls():
    tag = models.RunInstancesRequestTag(key="env", value="test")
    return [
        ("DescribeRegions", "describe_regions_with_options", models.DescribeRegionsRequest(accept_language="en-US")),
        ("DescribeInstances", "describe_instances_with_options",
         models.DescribeInstancesRequest(region_id="cn-hangzhou", max_results=5)),
        ("RunInstances", "run_instances_with_options",
         models.RunInstancesRequest(region_id="cn-hangzhou", image_id="aliyun_3_x64", instance_type="ecs.g7.large",
                                    amount=2, tag=[tag])),
        ("DescribeInstances.NoRegion", "describe_instances_with_options", models.DescribeInstancesRequest()),
        ("DescribeInstanceTypes.WrongEnum", "describe_instance_types_with_options",
         models.DescribeInstanceTypesRequest(cpu_architecture="MIPS")),
        ("RunInstances.TooMany", "run_instances_with_options",
         models.RunInstancesRequest(region_id="cn-hangzhou", amount=1001)),
    ]


def main(argv):
    endpoint, key_id, secret = argv
    config = config_for(endpoint, key_id, secret)
    client = Client(config)
    received = record_bodies(client)
    for name, method, request in calls():
        received.clear()
        try:
            response = getattr(client, method)(request, RuntimeOptions(autoretry=False))
            line = {"call": name, "raw": received.get("body"), "model": response.body.to_map()}
        except Exception as e:  # the SDK raises its own exception types: report what the service said
            code = getattr(e, "code", None)
            status = getattr(e, "status_code", None) or (getattr(e, "data", None) or {}).get("statusCode")
            line = {"call": name, "code": code, "status": status} if code else {"call": name, "failure": str(e)}
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
