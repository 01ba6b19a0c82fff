"""Keeps the last answer body an official SDK client received, before its models read it."""


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
