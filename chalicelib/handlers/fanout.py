"""Fan-out (policy notices, announcements, campaigns): the stream starts each one, the
queue splits pages and sends batches (`services.fanout` says how)."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import FANOUT_CONCURRENCY, FANOUT_QUEUE, MAIN_TABLE, stream_arn

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def start_fanouts(event: Any) -> None:
    from chalicelib.services import fanout as service

    service.started([(record.old_image, record.new_image) for record in event])


@bp.on_sqs_message(queue=FANOUT_QUEUE.name, batch_size=1, maximum_concurrency=FANOUT_CONCURRENCY)
def send_fanouts(event: Any) -> None:
    from chalicelib.services import fanout as service

    for record in event:
        try:
            service.handle(json.loads(record.body))
        except Exception:
            attempt = int((record.to_dict().get("attributes") or {}).get("ApproximateReceiveCount", "1"))
            service.back_off(record.receipt_handle, attempt)
            raise
