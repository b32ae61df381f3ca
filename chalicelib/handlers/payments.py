"""Payments: charges and payouts settled with the gateway (`services.money` says how).

stream (a new pending payout or funding) -> SQS `payments` (ids only) -> `settle_payments`
(calls the gateway, books the outcome). A failed attempt is retried by the queue after a
backoff that grows with each receive, then goes to the DLQ; `watch_payments` counts what
is stuck pending and queues it again."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import MAIN_TABLE, PAYMENTS_QUEUE, SCHEDULES, stream_arn

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def queue_payments(event: Any) -> None:
    """New pending payouts and fundings go to the payments queue (their ids only)."""
    from chalicelib.services import money as service

    service.enqueue([(record.old_image, record.new_image) for record in event])


@bp.on_sqs_message(queue=PAYMENTS_QUEUE.name, batch_size=1)
def settle_payments(event: Any) -> None:
    from chalicelib.services import money as service

    for record in event:
        try:
            service.settle(json.loads(record.body))
        except Exception:
            attempt = int((record.to_dict().get("attributes") or {}).get("ApproximateReceiveCount", "1"))
            service.back_off(record.receipt_handle, attempt)
            raise


@bp.schedule(SCHEDULES["watch_payments"].expression, name="watch_payments")
def watch_payments(event: Any) -> dict[str, int]:
    from chalicelib.services import money as service

    return service.watch()
