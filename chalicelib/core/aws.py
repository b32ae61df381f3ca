"""Lazily created, cached boto3 clients.

No client exists until the first call that needs it: importing the app stays cheap
at cold start, and moto (tests, local stack) is always up before a client is made.
Endpoints come from botocore's own `AWS_ENDPOINT_URL` setting.
"""
from __future__ import annotations

import threading
from typing import Any

from chalicelib.core import settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()
created: list[str] = []  # names of clients built in this process, for tests and benchmarks


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(service)
        if found is None:
            import boto3
            from botocore.config import Config

            cfg = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
            if service == "s3":
                cfg = cfg.merge(Config(signature_version="s3v4", s3={"addressing_style": "path"}))
            found = boto3.session.Session().client(service, region_name=settings.region(), config=cfg)
            _clients[service] = found
            created.append(service)
        return found


def reset() -> None:
    """Forget every client (tests start a fresh moto per test)."""
    with _lock:
        _clients.clear()
