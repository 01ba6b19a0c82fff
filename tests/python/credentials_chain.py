"""Which access key the vendor's own credentials library (alibabacloud-credentials) resolves through its
default chain, for the environment this process runs in: prints the key ID, or `error: …`.

The Rust interop test runs it with a temporary HOME and the variables of each static setup.
"""

from alibabacloud_credentials.client import Client

try:
    print(Client().get_credential().access_key_id)
except Exception as error:  # the library's failures are plain exceptions
    print(f"error: {error}")
