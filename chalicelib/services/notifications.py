"""Notification delivery, the use cases behind the notification handlers.

A notification is an item of the main table written with whatever change causes it
(`send`, or in another use case's transaction). Its path:
stream (INSERT/MODIFY of a queued notification) -> SQS `notifications` (payload: the
notification id only, no personal data) -> SES/SNS -> item stripped of its contents.
Notifications with a send time wait on an index until `release_due` queues them.
"""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import messaging, queues
from chalicelib.core import clock
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import NOTIFICATIONS_QUEUE
from chalicelib.repos import notifications as repo


def send(channel: str, to: str, subject: str, body: str, **kwargs: Any) -> str:
    """Record a notification for delivery; returns its id."""
    item = repo.new(channel, to, subject, body, **kwargs)
    repo.save(item)
    return item.notification_id


def newly_queued(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> str | None:
    """The notification id if this change makes a notification ready to send."""
    if not new_image or new_image.get("kind", {}).get("S") != "notification":
        return None
    if new_image.get("status", {}).get("S") != repo.QUEUED:
        return None
    if old_image and old_image.get("status", {}).get("S") == repo.QUEUED:
        return None
    return new_image["notification_id"]["S"]


def enqueue(changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> int:
    """Put the ids of the notifications these table changes made ready on the queue."""
    ids = [nid for old, new in changes if (nid := newly_queued(old, new)) is not None]
    if ids:
        queues.send_batch(NOTIFICATIONS_QUEUE, [{"notification_id": nid} for nid in ids])
        metrics.add_metric(name="NotificationsQueued", unit="Count", value=len(ids))
    return len(ids)


def deliver(nid: str) -> bool:
    """Send one queued notification through SES or SNS; False if it was handled before."""
    item = repo.get(nid)
    if item is None or item.status != repo.QUEUED:
        logger.info("notification already handled", extra={"notification_id": nid})
        return False
    if item.channel == "email" and item.unsubscribe_url:
        messaging.send_marketing_email(item.to, item.subject or "", item.body or "", item.unsubscribe_url)
    elif item.channel == "email":
        messaging.send_email(item.to, item.subject or "", item.body or "")
    else:
        messaging.send_sms(item.to, item.body or "")
    repo.mark_sent(item)
    metrics.add_metric(name="NotificationsSent", unit="Count", value=1)
    logger.info("notification sent", extra={"notification_id": nid, "channel": item.channel})
    return True


def release_due() -> dict[str, int]:
    """Queue every notification whose send time has come."""
    released = sum(1 for nid in repo.due_ids(clock.now_ts()) if repo.release(nid))
    metrics.add_metric(name="NotificationsReleased", unit="Count", value=released)
    logger.info("released due notifications", extra={"released": released})
    return {"released": released}
