"""Notification delivery, the use cases behind the notification handlers.

A notification is an item of the main table written with whatever change causes it
(`send`, or in another use case's transaction). Its path:
stream (INSERT/MODIFY of a queued notification) -> SQS `notifications` (payload: the
notification id only, no personal data) -> SES/SNS -> item stripped of its contents.
Notifications with a send time wait on an index until `release_due` queues them.
"""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import messaging
from chalicelib.core import clock
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.repos import notifications as repo


def send(channel: str, to: str, subject: str, body: str, **kwargs: Any) -> str:
    """Record a notification for delivery; returns its id."""
    item = repo.new(channel, to, subject, body, **kwargs)
    repo.save(item)
    return item.notification_id


def newly_queued(change: Change) -> str | None:
    """The notification id if this change makes a notification ready to send."""
    new, old = change.new, change.old
    if not new or new.get("kind") != "notification" or new.get("status") != repo.QUEUED:
        return None
    if old and old.get("status") == repo.QUEUED:
        return None
    return str(new["notification_id"])


def select(changes: list[Change]) -> list[dict[str, Any]]:
    """The stream's concern: the ids of the notifications these changes made ready, for the
    `notifications` queue (no personal data)."""
    return [{"notification_id": nid} for c in changes if (nid := newly_queued(c)) is not None]


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
