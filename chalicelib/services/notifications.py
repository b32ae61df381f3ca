"""Notification delivery, the use cases behind the notification handlers.

A notification is an item of the main table written with whatever change causes it
(`send`, or in another use case's transaction). Its path:
stream (INSERT/MODIFY of a queued notification) -> SQS `notifications` (payload: the
notification id only, no personal data) -> a lease (queued -> sending, `repos.notifications.claim`)
-> SES/SNS -> sent, the item stripped of its contents.
Notifications with a send time wait on an index until `release_due` queues them.
"""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import messaging
from chalicelib.core import clock
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import NOTIFICATIONS_QUEUE
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
    if old and old.get("status") in (repo.QUEUED, repo.SENDING):
        return None  # queued already, or a failed send giving its lease back: its own message is retried
    return str(new["notification_id"])


def select(changes: list[Change]) -> list[dict[str, Any]]:
    """The stream's concern: the ids of the notifications these changes made ready, for the
    `notifications` queue (no personal data)."""
    return [{"notification_id": nid} for c in changes if (nid := newly_queued(c)) is not None]


LEASE_SECONDS = NOTIFICATIONS_QUEUE.visibility_timeout  # a copy is delivered again only after this: a lease as old is abandoned


def deliver(nid: str) -> bool:
    """Send one queued notification through SES or SNS; False if it was handled before or
    another delivery of it holds the lease. Two copies of one message delivered at the same
    moment: one claims it (queued -> sending) and sends, the other stops. A send that fails
    gives the lease back and raises, so the message's retry sends it (once)."""
    item = repo.get(nid)
    claimed_at = repo.claim(item, LEASE_SECONDS) if item is not None and item.status in (repo.QUEUED, repo.SENDING) else None
    if item is None or claimed_at is None:
        logger.info("notification already handled or being sent", extra={"notification_id": nid})
        return False
    try:
        if item.channel == "email" and item.unsubscribe_url:
            messaging.send_marketing_email(item.to, item.subject or "", item.body or "", item.unsubscribe_url)
        elif item.channel == "email":
            messaging.send_email(item.to, item.subject or "", item.body or "")
        else:
            messaging.send_sms(item.to, item.body or "")
    except Exception:
        repo.unclaim(item, claimed_at)
        raise
    if not repo.mark_sent(item, claimed_at):  # erased (or taken over) while sending: nothing written back
        logger.warning("notification sent but its lease was gone", extra={"notification_id": nid})
    metrics.add_metric(name="NotificationsSent", unit="Count", value=1)
    logger.info("notification sent", extra={"notification_id": nid, "channel": item.channel})
    return True


def release_due() -> dict[str, int]:
    """Queue every notification whose send time has come."""
    released = sum(1 for nid in repo.due_ids(clock.now_ts()) if repo.release(nid))
    metrics.add_metric(name="NotificationsReleased", unit="Count", value=released)
    logger.info("released due notifications", extra={"released": released})
    return {"released": released}
