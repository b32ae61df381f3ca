"""Environment of the local stage, set before any boto3 client exists."""
from __future__ import annotations

import os

DEFAULT_API_PORT = 8000
DEFAULT_AWS_PORT = 4566


def api_port() -> int:
    return int(os.environ.get("LOCAL_API_PORT", DEFAULT_API_PORT))


def aws_port() -> int:
    return int(os.environ.get("LOCAL_AWS_PORT", DEFAULT_AWS_PORT))


def configure(aws_port_: int | None = None) -> str:
    """Point every AWS SDK in this process (and its children) at the local moto."""
    endpoint = f"http://127.0.0.1:{aws_port_ or aws_port()}"
    values = {
        "STAGE": "local",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # botocore >= 1.44 would send DynamoDB Streams calls to an account endpoint moto does not route
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Marketplace",
        "POWERTOOLS_SERVICE_NAME": "marketplace",
        "MOTO_ALLOW_NONEXISTENT_REGION": "true",
    }
    for key, value in values.items():
        if key in ("STAGE", "AWS_ENDPOINT_URL"):
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    for unwanted in ("AWS_PROFILE",):
        os.environ.pop(unwanted, None)
    return endpoint
