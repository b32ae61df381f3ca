"""Notification delivery: a stream handler, a queue handler and a schedule
(`services.notifications` says what each does)."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import MAIN_TABLE, NOTIFICATIONS_QUEUE, SCHEDULES, stream_arn

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def queue_notifications(event: Any) -> None:
    """Notifications made ready by a table change go to the queue (their ids only)."""
    from chalicelib.services import notifications as service

    service.enqueue([(record.old_image, record.new_image) for record in event])


@bp.on_sqs_message(queue=NOTIFICATIONS_QUEUE.name, batch_size=1)
def deliver_notifications(event: Any) -> None:
    from chalicelib.services import notifications as service

    for record in event:
        service.deliver(json.loads(record.body)["notification_id"])


@bp.schedule(SCHEDULES["release_due_notifications"].expression, name="release_due_notifications")
def release_due_notifications(event: Any) -> dict[str, int]:
    from chalicelib.services import notifications as service

    return service.release_due()
