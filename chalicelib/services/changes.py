"""The table's stream, routed: each batch decoded once (`core.changes`), each concern asked
what it wants of it, and what it selects handed to that concern's own queue.

Why one reader and queues (README, "How it flows"): DynamoDB Streams throttles more than
two readers of a shard, and seven readers read (and paid for) each record seven times.
The router does only cheap, idempotent hand-offs, so a concern that fails never stalls
or replays the others:

- a record that does not decode (a malformed image) goes, as its position only (event
  id, sequence number, a hash of its keys), to every concern's DLQ (`ChangesUndecodable`),
  and the rest of the batch flows;
- a concern's `select` (pure: no AWS call) that raises is asked again record by record;
  the records it still fails on go, as their keys and stream position only (no
  personal data), straight to that concern's DLQ (`ChangesUnselected`, the DLQ alarm),
  and the batch goes on for every other concern;
- a consumer that keeps failing fills its own queue's DLQ after its maxReceiveCount;
- a hand-off SQS refuses fails the batch once every concern has been handed its
  messages: Lambda retries it (bisecting, then its position goes to `stream-failures`),
  and each retry hands every concern its messages again. That is harmless: every
  consumer is idempotent on its message's ids (a notification is sent only while
  claimed by one delivery, under a lease); a settlement carries the gateway idempotency key of our id; an erasure is
  resumable and checks its deletion; an export is built only while pending; a fan-out
  reaches nobody twice; a bid notice and a policy fan-out have ids made of their cause).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.adapters import queues
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import STREAM_CONCERNS

Select = Callable[[list[Change]], list[dict[str, Any]]]
UNSELECTED = "unselected"  # the key of a dead letter the router wrote itself (a change a concern could not select)


class HandOffFailed(RuntimeError):
    """SQS refused some concern's messages: the batch is retried (every hand-off is idempotent)."""


def concerns() -> dict[str, Select]:
    """Each concern's selection, by the name `STREAM_CONCERNS` gives its queue under."""
    from chalicelib.services import erasure, exports, fanout, notices, notifications, policy_notices, settlement

    return {
        "notifications": notifications.select,
        "notices": notices.select,
        "payments": settlement.select,
        "erasure": erasure.select,
        "exports": exports.select,
        "fanout": fanout.select,
        "policies": policy_notices.select,
    }


def _select(name: str, select: Select, changes: list[Change]) -> tuple[list[dict[str, Any]], list[Change]]:
    """What the concern selects, and the changes it could not select (its failure alone)."""
    try:
        return select(changes), []
    except Exception as first:  # a bug in one concern: find its records, leave the rest of the batch to it
        logger.warning("a concern's selection failed; asking it record by record",
                       extra={"concern": name, "exception_name": type(first).__name__, "records": len(changes)})
    messages: list[dict[str, Any]] = []
    unselected: list[Change] = []
    for change in changes:
        try:
            messages += select([change])
        except Exception as exc:
            unselected.append(change)
            logger.error("change not selected: to the concern's DLQ",
                         extra={"concern": name, "exception_name": type(exc).__name__, "change": change.ref()})
    return messages, unselected


def route(changes: list[Change], selections: dict[str, Select] | None = None,
          undecodable: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Hand each concern what it selects of these changes, and the positions of the
    records that did not decode (`core.changes.decode_batch`) to every concern's DLQ;
    returns messages per concern. Raises `HandOffFailed` (after every concern has been
    tried) if SQS refused any."""
    handed: dict[str, int] = {}
    refused: list[str] = []
    undecodable = undecodable or []
    if undecodable:
        logger.error("stream records that do not decode: their positions to every concern's DLQ",
                     extra={"positions": undecodable})
        metrics.add_metric(name="ChangesUndecodable", unit="Count", value=len(undecodable))
    for name, select in (selections or concerns()).items():
        queue = STREAM_CONCERNS[name]
        messages, unselected = _select(name, select, changes)
        dead = [{UNSELECTED: c.ref(), "concern": name} for c in unselected] + [{UNSELECTED: p, "concern": name} for p in undecodable]
        try:
            if messages:
                queues.send_batch(queue, messages)
            if dead:
                queues.send_dead_letters(queue, dead)
        except Exception as exc:
            refused.append(name)
            logger.error("hand-off refused; the batch will be retried",
                         extra={"concern": name, "exception_name": type(exc).__name__, "messages": len(messages)})
            continue
        handed[name] = len(messages)
        if unselected:
            metrics.add_metric(name="ChangesUnselected", unit="Count", value=len(unselected))
    metric_names = {"notifications": "NotificationsQueued", "erasure": "ErasuresQueued"}
    for name, count in handed.items():
        if count and name in metric_names:
            metrics.add_metric(name=metric_names[name], unit="Count", value=count)
    if refused:
        raise HandOffFailed(f"hand-offs refused for {', '.join(refused)}")
    logger.debug("changes routed", extra={"records": len(changes), "handed": handed})
    return handed


def refuse_unselected(message: dict[str, Any]) -> None:
    """A consumer given a change the router could not select (a dead letter re-driven
    by hand): it holds keys and a position, not work; it goes back to the DLQ."""
    if UNSELECTED in message:
        raise ValueError("a change the router could not select: replay it from the table or the stream (README, Operations)")
