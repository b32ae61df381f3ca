"""Payments: charges and payouts settled with the gateway (`services.settlement` says how).

stream (a new pending payout or funding) -> `route_changes` (`services.settlement.select`) ->
SQS `payments` (ids only) -> `settle_payments` (calls the gateway, books the outcome). A
failed attempt is retried by the queue after a backoff that grows with each receive, then
goes to the DLQ; `watch_payments` counts what is stuck pending and queues it again."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import PAYMENTS_QUEUE, SCHEDULES

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=PAYMENTS_QUEUE.name, batch_size=1)
def settle_payments(event: Any) -> None:
    from chalicelib.services import changes, settlement

    for record in event:
        try:
            message = json.loads(record.body)
            changes.refuse_unselected(message)
            settlement.settle(message)
        except Exception:
            attempt = int((record.to_dict().get("attributes") or {}).get("ApproximateReceiveCount", "1"))
            settlement.back_off(record.receipt_handle, attempt)
            raise


@bp.schedule(SCHEDULES["watch_payments"].expression, name="watch_payments")
def watch_payments(event: Any) -> dict[str, int]:
    from chalicelib.services import settlement

    return settlement.watch()
