"""Privacy rights: erasure when a scheduled deletion's grace period ends.

stream (the scheduled deletion removed by DynamoDB's TTL: its grace period has ended)
-> `route_changes` (`services.erasure.select`) -> SQS `erasure` (the user id, the receipt
token's hash, the outcome) -> `erase_accounts` (`services.erasure.run`, resumable). A
deletion the user cancels is removed by the API, not by TTL, and starts nothing."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import ERASURE_QUEUE, SCHEDULES

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=ERASURE_QUEUE.name, batch_size=1)
def erase_accounts(event: Any) -> None:
    from chalicelib.services import changes, erasure

    for record in event:
        job = json.loads(record.body)
        changes.refuse_unselected(job)
        erasure.run(job["user_id"], job["token_hash"], job["outcome"])


@bp.schedule(SCHEDULES["watch_erasures"].expression, name="watch_erasures")
def watch_erasures(event: Any) -> dict[str, int]:
    from chalicelib.services import erasure

    return erasure.watch()
