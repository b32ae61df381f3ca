"""Runtime settings, read from the environment once and on demand.

Nothing here talks to AWS; values are plain strings so that importing this module
is free at cold start.
"""
from __future__ import annotations

import os

LOCAL_STAGE = "local"


def stage() -> str:
    return os.environ.get("STAGE", LOCAL_STAGE)


def is_local() -> bool:
    return stage() == LOCAL_STAGE


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def resource_prefix() -> str:
    """Every physical resource name starts with this, so stages never collide."""
    return os.environ.get("RESOURCE_PREFIX", f"marketplace-{stage()}")


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def public_api_url() -> str:
    """Where links in emails point (unsubscribe, ...): the API's public address."""
    default = f"http://127.0.0.1:{os.environ.get('LOCAL_API_PORT', '8000')}" if is_local() else None
    return env("PUBLIC_API_URL", default).rstrip("/")  # a deployed stage without it fails, not sends broken links
