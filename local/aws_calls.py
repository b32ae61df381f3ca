"""Watch the AWS calls made in this process (every boto3/botocore client, PynamoDB's
included), for tests and benchmarks: `with counting() as calls: ...; calls.by_service()`,
or `observe(callback)` to be told of each call (`local.iam_check` does)."""
from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import botocore.client

Observer = Callable[[str, str, dict[str, Any]], None]  # (service, operation, parameters)

_lock = threading.Lock()
_observers: list[Observer] = []
_original = botocore.client.BaseClient._make_api_call


def _observed_call(self, operation_name, api_params):  # type: ignore[no-untyped-def]
    service = self.meta.service_model.service_name
    for observer in list(_observers):
        observer(service, operation_name, api_params)
    return _original(self, operation_name, api_params)


def observe(observer: Observer) -> Callable[[], None]:
    """Call `observer` before every AWS call from now on; returns the function that stops it."""
    with _lock:
        _observers.append(observer)
        botocore.client.BaseClient._make_api_call = _observed_call

    def stop() -> None:
        with _lock:
            if observer in _observers:
                _observers.remove(observer)
            if not _observers:
                botocore.client.BaseClient._make_api_call = _original

    return stop


class Calls(Counter):
    def of(self, service: str) -> int:
        return sum(n for k, n in self.items() if k.split(":")[0] == service)


@contextlib.contextmanager
def counting() -> Iterator[Calls]:
    calls = Calls()
    counter_lock = threading.Lock()

    def count(service: str, operation: str, _params: dict[str, Any]) -> None:
        with counter_lock:
            calls[f"{service}:{operation}"] += 1

    stop = observe(count)
    try:
        yield calls
    finally:
        stop()
