"""SQS: queue URLs are looked up once per container and cached."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.core import aws
from chalicelib.core.resources import Queue

_urls: dict[str, str] = {}


def _url_of(name: str) -> str:
    found = _urls.get(name)
    if found is None:
        found = _urls[name] = aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
    return found


def url(queue: Queue) -> str:
    return _url_of(queue.name)


def _send(name: str, payloads: list[dict[str, Any]], what: str) -> None:
    """Send payloads to the queue `name` in batches of 10; raise if any entry failed so the caller retries."""
    for start in range(0, len(payloads), 10):
        chunk = payloads[start : start + 10]
        reply = aws.client("sqs").send_message_batch(
            QueueUrl=_url_of(name),
            Entries=[{"Id": str(i), "MessageBody": json.dumps(p, sort_keys=True)} for i, p in enumerate(chunk)],
        )
        if reply.get("Failed"):
            raise RuntimeError(f"{len(reply['Failed'])} messages were not accepted by {what}")


def send_batch(queue: Queue, payloads: list[dict[str, Any]]) -> None:
    _send(queue.name, payloads, queue.logical)


def retry_after(queue: Queue, receipt_handle: str, seconds: int) -> None:
    """Make a received message visible again only after `seconds` (its retry backoff)."""
    aws.client("sqs").change_message_visibility(QueueUrl=url(queue), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)


def backoff_seconds(attempt: int, first: int = 30, cap: int = 900) -> int:
    """`first` seconds after the first failed attempt, doubling each time, at most `cap`
    (SQS's own limit on a visibility timeout is 12 hours)."""
    return min(cap, first * 2 ** max(0, attempt - 1))


def back_off(queue: Queue, receipt_handle: str, attempt: int) -> None:
    """Delay a failed message's next delivery by `backoff_seconds(attempt)`; if even
    that fails, the queue's own visibility timeout applies instead."""
    from chalicelib.core.observability import logger

    try:
        retry_after(queue, receipt_handle, backoff_seconds(attempt))
    except Exception as exc:
        logger.warning("could not delay the retry", extra={"queue": queue.logical, "error": type(exc).__name__})


def send_dead_letters(queue: Queue, payloads: list[dict[str, Any]]) -> None:
    """Put payloads straight into the queue's DLQ (work that cannot be queued, kept for an operator)."""
    _send(queue.dlq_name, payloads, f"{queue.logical}'s DLQ")
