"""Exports: the stream queues new exports and ends expired ones; the queue builds them
(`services.exports`)."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import EXPORTS_QUEUE, MAIN_TABLE, stream_arn
from chalicelib.handlers.streams import by_ttl

bp = Blueprint(__name__)
@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def queue_exports(event: Any) -> None:
    from chalicelib.services import exports as service

    service.queued([(record.old_image, record.new_image, by_ttl(record)) for record in event])


@bp.on_sqs_message(queue=EXPORTS_QUEUE.name, batch_size=1)
def build_exports(event: Any) -> None:
    from chalicelib.services import exports as service

    for record in event:
        job = json.loads(record.body)
        service.build(job["user_id"], job["export_id"])
