"""Count the AWS calls made in this process (every boto3/botocore client, PynamoDB's
included), for tests and benchmarks: `with counting() as calls: ...; calls.by_service()`."""
from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator

import botocore.client

_lock = threading.Lock()
_active: list[Counter] = []
_original = botocore.client.BaseClient._make_api_call


def _counting_call(self, operation_name, api_params):  # type: ignore[no-untyped-def]
    service = self.meta.service_model.service_name
    with _lock:
        for counter in _active:
            counter[f"{service}:{operation_name}"] += 1
    return _original(self, operation_name, api_params)


class Calls(Counter):
    def of(self, service: str) -> int:
        return sum(n for k, n in self.items() if k.split(":")[0] == service)


@contextlib.contextmanager
def counting() -> Iterator[Calls]:
    calls = Calls()
    with _lock:
        _active.append(calls)
        botocore.client.BaseClient._make_api_call = _counting_call
    try:
        yield calls
    finally:
        with _lock:
            _active.remove(calls)
            if not _active:
                botocore.client.BaseClient._make_api_call = _original
