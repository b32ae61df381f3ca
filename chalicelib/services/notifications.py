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


# A delivery cannot outlive its function's timeout: a lease twice as old belongs to a run
# that died mid-send (timeout, crash) and is taken over. It is counted from the claim, which
# comes after SQS handed the message over; the queue's visibility timeout (90 s) is longer,
# so the message's next copy always finds such a lease expired.
LEASE_SECONDS = 2 * (NOTIFICATIONS_QUEUE.consumer_timeout or 15)


class StillSending(RuntimeError):
    """Another delivery of this notification holds a live lease: this copy fails, so that the
    queue delivers it again (after its visibility timeout), when the notification is either
    sent (the copy then stops) or its lease expired (the copy sends it)."""


def deliver(nid: str) -> bool:
    """Send one queued notification through SES or SNS; False if it was sent before or is
    gone. Two copies of one message delivered at the same moment: one claims it (queued ->
    sending) and sends, the other raises `StillSending` and comes back later; the last copy
    of a message is never dropped while the notification is unsent. A send that fails gives
    the lease back and raises, so the message's retry sends it (once)."""
    item = repo.get(nid)
    if item is None or item.status not in (repo.QUEUED, repo.SENDING):
        logger.info("notification already handled", extra={"notification_id": nid})
        return False
    claimed_at = repo.claim(item, LEASE_SECONDS)
    if claimed_at is None:
        now = repo.get(nid)
        if now is None or now.status not in (repo.QUEUED, repo.SENDING):
            logger.info("notification already handled", extra={"notification_id": nid})
            return False
        raise StillSending("another delivery of this notification is sending it; this copy comes back later")
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
