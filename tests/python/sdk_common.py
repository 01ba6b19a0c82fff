"""What every official-SDK script here sets up the same way: a client configuration for a local endpoint, and
the last answer body a client received, before its models read it."""

from alibabacloud_tea_openapi.utils_models import Config


def config_for(endpoint, key_id, secret, **extra):
    """A configuration for the HTTP endpoint `endpoint` (`http://HOST:PORT`), region cn-hangzhou."""
    return Config(access_key_id=key_id, access_key_secret=secret, endpoint=endpoint.split("://", 1)[-1],
                  protocol="http", region_id="cn-hangzhou", **extra)


def record_bodies(client):
    """Wraps `client.call_api`; returns the dict whose "body" is the last answer's body as received."""
    received = {}
    call_api = client.call_api

    def recording(params, request, runtime):
        answer = call_api(params, request, runtime)
        received["body"] = answer.get("body")
        return answer

    client.call_api = recording
    return received
