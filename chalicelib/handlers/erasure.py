"""Privacy rights: erasure when a scheduled deletion's grace period ends.

stream (the scheduled deletion removed by DynamoDB's TTL: its grace period has ended)
-> SQS `erasure` (the user id, the receipt token's hash, the outcome) -> `erase_accounts`
(`services.erasure.run`, resumable). A deletion the user cancels is removed by the API,
not by TTL, and starts nothing."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import ERASURE_QUEUE, MAIN_TABLE, SCHEDULES, stream_arn
from chalicelib.handlers.streams import by_ttl

bp = Blueprint(__name__)
@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def queue_erasures(event: Any) -> None:
    """Scheduled deletions whose grace period ended (removed by TTL) go to the erasure queue."""
    from chalicelib.services import erasure as service

    service.enqueue([(record.old_image, record.new_image, by_ttl(record)) for record in event])


@bp.on_sqs_message(queue=ERASURE_QUEUE.name, batch_size=1)
def erase_accounts(event: Any) -> None:
    from chalicelib.services import erasure as service

    for record in event:
        job = json.loads(record.body)
        service.run(job["user_id"], job["token_hash"], job["outcome"])


@bp.schedule(SCHEDULES["watch_erasures"].expression, name="watch_erasures")
def watch_erasures(event: Any) -> dict[str, int]:
    from chalicelib.services import erasure as service

    return service.watch()
