"""Faults injected into the AWS calls the app makes (in this process), below botocore's
retries and PynamoDB's: what the app sees is what a throttled, failing or slow AWS
sends.

    with inject(Fault("kms", "GenerateDataKey", "throttle", times=2)) as log: ...

Kinds: "throttle" (400 ThrottlingException, or 503 SlowDown for S3), "5xx" (500
InternalFailure), "timeout" (the read times out), "conflict" (DynamoDB only: the
transaction is cancelled with `TransactionConflict` on its first item, as when another
transaction touched it meanwhile). `times`: how many matching calls fail (then they
pass); `None` fails every one. `matching`: only requests whose body holds this text.
`log` lists what was injected.

    with meanwhile("dynamodb", "UpdateItem", lambda: ..., matching="budget_currency"): ...

runs the function (on a thread of its own, waited for) just before the first matching
request goes out: another user's request landing inside a window between two calls."""
from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    service: str  # as in the request's signing scope: dynamodb, kms, s3, ses, cognito-idp, sqs, ...
    operation: str  # e.g. TransactWriteItems, GenerateDataKey, PutObject; "*" for any
    kind: str  # throttle | 5xx | timeout | conflict
    times: int | None = 1
    matching: str | None = None  # only requests whose body contains this text
    hits: int = field(default=0, init=False)


def _body(request: Any) -> str:
    body = request.body if isinstance(request.body, (bytes, str)) else b""
    return body.decode(errors="replace") if isinstance(body, bytes) else body


def _service(request: Any) -> str:
    auth = request.headers.get("Authorization", b"")
    auth = auth.decode() if isinstance(auth, bytes) else auth
    found = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", auth)
    return found.group(1) if found else ""


def _operation(request: Any, service: str) -> str:
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else target
    if target:
        return target.rsplit(".", 1)[-1]
    action = re.search(r"(?:^|&)Action=([A-Za-z]+)", _body(request) or "")
    if action:
        return action.group(1)
    if service == "s3":
        return {"PUT": "PutObject", "GET": "GetObject", "DELETE": "DeleteObject", "HEAD": "HeadObject", "POST": "PostObject"}.get(
            request.method, request.method)
    return request.method


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


def _response(request: Any, service: str, kind: str) -> Any:
    from botocore.awsrequest import AWSResponse

    if kind == "conflict":
        items = len(json.loads(_body(request) or "{}").get("TransactItems", [])) or 1
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] + [{"Code": "None"}] * (items - 1)
        body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                           "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                                      f"[{', '.join(r['Code'] for r in reasons)}]", "CancellationReasons": reasons}).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))

    if service == "s3":
        code, status = ("SlowDown", 503) if kind == "throttle" else ("InternalError", 500)
        body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
        return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, _Raw(body))
    if service in ("ses", "sns", "sts") or "Action=" in str(request.body or ""):
        code, status = ("Throttling", 400) if kind == "throttle" else ("InternalFailure", 500)
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error>"
                f"<RequestId>x</RequestId></ErrorResponse>").encode()
        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Raw(body))
    code, status = ("ThrottlingException", 400) if kind == "throttle" else ("InternalFailure", 500)
    if service == "dynamodb" and kind == "throttle":
        code = "ProvisionedThroughputExceededException"
    body = json.dumps({"__type": code, "message": "injected"}).encode()
    return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))


@contextlib.contextmanager
def inject(*faults: Fault) -> Iterator[list[str]]:
    from botocore.exceptions import ReadTimeoutError
    from botocore.httpsession import URLLib3Session

    real = URLLib3Session.send
    lock = threading.Lock()
    log: list[str] = []

    def send(self: Any, request: Any) -> Any:
        service = _service(request)
        operation = _operation(request, service)
        with lock:
            fault = next((f for f in faults if f.service == service and f.operation in ("*", operation)
                          and (f.times is None or f.hits < f.times) and (f.matching is None or f.matching in _body(request))), None)
            if fault is not None:
                fault.hits += 1
                log.append(f"{fault.kind} {service}:{operation}")
        if fault is None:
            return real(self, request)
        if fault.kind == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        return _response(request, service, fault.kind)

    URLLib3Session.send = send
    try:
        yield log
    finally:
        URLLib3Session.send = real


@contextlib.contextmanager
def meanwhile(service: str, operation: str, action: Any, matching: str | None = None, times: int = 1) -> Iterator[list[Any]]:
    """Run `action()` on a thread of its own, and wait for it, just before each of the
    first `times` requests to `service`/`operation` (whose body holds `matching`) is sent.
    Yields the list of what `action` returned (or raised)."""
    from botocore.httpsession import URLLib3Session

    real = URLLib3Session.send
    lock = threading.Lock()
    results: list[Any] = []
    hits = [0]

    def send(self: Any, request: Any) -> Any:
        if _service(request) == service and _operation(request, service) == operation and (matching is None or matching in _body(request)):
            with lock:
                due = hits[0] < times
                hits[0] += 1
            if due:
                def run() -> None:
                    try:
                        results.append(action())
                    except Exception as exc:  # noqa: BLE001 - the test reads it
                        results.append(exc)
                worker = threading.Thread(target=run)
                worker.start()
                worker.join(60)
        return real(self, request)

    URLLib3Session.send = send
    try:
        yield results
    finally:
        URLLib3Session.send = real
