"""Notification delivery: a queue handler and a schedule (`services.notifications` says
what each does); the stream's router queues the notifications a change makes ready."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import NOTIFICATIONS_QUEUE, SCHEDULES

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=NOTIFICATIONS_QUEUE.name, batch_size=1)
def deliver_notifications(event: Any) -> None:
    from chalicelib.services import changes, notifications

    for record in event:
        message = json.loads(record.body)
        changes.refuse_unselected(message)
        notifications.deliver(message["notification_id"])


@bp.schedule(SCHEDULES["release_due_notifications"].expression, name="release_due_notifications")
def release_due_notifications(event: Any) -> dict[str, int]:
    from chalicelib.services import notifications

    return notifications.release_due()
