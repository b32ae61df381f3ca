"""Notification delivery: a stream handler, a queue handler and a schedule.

stream (INSERT/MODIFY of a queued notification) -> SQS `notifications` (payload: the
notification id only, no personal data) -> SES/SNS -> item stripped of its contents.
"""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib import clock
from chalicelib.adapters import messaging, queues
from chalicelib.observability import logger, metrics
from chalicelib.repos import notifications as repo
from chalicelib.resources import MAIN_TABLE, NOTIFICATIONS_QUEUE, SCHEDULES, stream_arn

bp = Blueprint(__name__)


def newly_queued(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> str | None:
    """The notification id if this change makes a notification ready to send."""
    if not new_image or new_image.get("kind", {}).get("S") != "notification":
        return None
    if new_image.get("status", {}).get("S") != repo.QUEUED:
        return None
    if old_image and old_image.get("status", {}).get("S") == repo.QUEUED:
        return None
    return new_image["notification_id"]["S"]


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def queue_notifications(event: Any) -> None:
    ids = [
        nid
        for record in event
        if (nid := newly_queued(record.old_image, record.new_image)) is not None
    ]
    if ids:
        queues.send_batch(NOTIFICATIONS_QUEUE, [{"notification_id": nid} for nid in ids])
        metrics.add_metric(name="NotificationsQueued", unit="Count", value=len(ids))


@bp.on_sqs_message(queue=NOTIFICATIONS_QUEUE.name, batch_size=1)
def deliver_notifications(event: Any) -> None:
    for record in event:
        nid = json.loads(record.body)["notification_id"]
        item = repo.get(nid)
        if item is None or item.status != repo.QUEUED:
            logger.info("notification already handled", extra={"notification_id": nid})
            continue
        if item.channel == "email":
            messaging.send_email(item.to, item.subject or "", item.body or "")
        else:
            messaging.send_sms(item.to, item.body or "")
        repo.mark_sent(item)
        metrics.add_metric(name="NotificationsSent", unit="Count", value=1)
        logger.info("notification sent", extra={"notification_id": nid, "channel": item.channel})


@bp.schedule(SCHEDULES["release_due_notifications"].expression, name="release_due_notifications")
def release_due_notifications(event: Any) -> dict[str, int]:
    released = sum(1 for nid in repo.due_ids(clock.now_ts()) if repo.release(nid))
    metrics.add_metric(name="NotificationsReleased", unit="Count", value=released)
    logger.info("released due notifications", extra={"released": released})
    return {"released": released}


def send(channel: str, to: str, subject: str, body: str, **kwargs: Any) -> str:
    """Record a notification for delivery; returns its id."""
    item = repo.new(channel, to, subject, body, **kwargs)
    repo.save(item)
    return item.notification_id
