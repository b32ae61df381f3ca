"""Notifications: a transactional outbox on the main table.

A service that must tell someone something writes a `notification` item (alone or in
the DynamoDB transaction that made the change). The table stream hands it to the
notifications queue; the queue's handler sends it through SES or SNS and then strips
the address and text from the item, which expires (TTL) after `KEEP_DAYS`.
Each delivery first takes a lease (`claim`: queued -> sending, with `claimed_at`), so that
of two copies of one queue message delivered at the same moment only one sends; a lease
older than the queue's visibility timeout is taken again (its holder died mid-send, and
its message is back on the queue), and a failed send gives it back (`unclaim`).
A notification with a future `send_at` waits in a sparse index until the
`release_due_notifications` schedule queues it.
"""
from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.core import clock
from chalicelib.repos.db import Entity

KEEP_DAYS = 30
DUE_SHARDS = 4
QUEUED, SCHEDULED, SENDING, SENT = "queued", "scheduled", "sending", "sent"


class NotificationItem(Entity, discriminator="notification"):
    notification_id = UnicodeAttribute()
    channel = UnicodeAttribute()  # email | sms
    to = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    send_at = NumberAttribute()
    sent_at = NumberAttribute(null=True)
    claimed_at = NumberAttribute(null=True)  # while sending: when the delivery holding the lease took it
    user_id = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)
    unsubscribe_url = UnicodeAttribute(null=True)  # marketing: sent as List-Unsubscribe (RFC 8058), dropped once sent


def _due_shard(notification_id: str) -> str:
    return f"DUE#{zlib.crc32(notification_id.encode()) % DUE_SHARDS}"


def _due_sort(send_at: float, notification_id: str) -> str:
    return f"{send_at:016.3f}#{notification_id}"


def new(
    channel: str,
    to: str,
    subject: str,
    body: str,
    *,
    user_id: str | None = None,
    purpose: str | None = None,
    send_at: float | None = None,
    notification_id: str | None = None,
    unsubscribe_url: str | None = None,
) -> NotificationItem:
    """Build (not save) a notification, so that callers can put it in a transaction.
    A `notification_id` derived from its cause makes sending it idempotent (`save_once`)."""
    if channel not in ("email", "sms"):
        raise ValueError(f"unknown channel {channel}")
    now = clock.now_ts()
    nid = notification_id or uuid.uuid4().hex
    item = NotificationItem(
        pk=f"NOTIF#{nid}",
        sk="NOTIF",
        notification_id=nid,
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        user_id=user_id,
        purpose=purpose,
        unsubscribe_url=unsubscribe_url,
        send_at=send_at or now,
        status=QUEUED,
        expires_at=int(max(now, send_at or now) + KEEP_DAYS * 86400),
    )
    if user_id:
        item.gsi1pk, item.gsi1sk = f"USER#{user_id}", f"NOTIF#{nid}"
    if send_at is not None and send_at > now:
        item.status = SCHEDULED
        item.gsi2pk, item.gsi2sk = _due_shard(nid), _due_sort(send_at, nid)
    return item


def get(notification_id: str) -> NotificationItem | None:
    try:
        return NotificationItem.get(f"NOTIF#{notification_id}", "NOTIF")
    except DoesNotExist:
        return None


def _conditional(item: NotificationItem, actions: list[Any], condition: Any) -> bool:
    try:
        item.update(actions=actions, condition=condition)
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def claim(item: NotificationItem, lease_seconds: float) -> float | None:
    """Queued -> sending: the lease of one delivery. Returns the claim's time (the token
    `mark_sent` and `unclaim` check), or None if another delivery holds a live lease, or
    the notification is sent or gone. A lease older than `lease_seconds` is taken over."""
    now = clock.now_ts()
    taken = _conditional(item, [NotificationItem.status.set(SENDING), NotificationItem.claimed_at.set(now)],
                         (NotificationItem.status == QUEUED)
                         | ((NotificationItem.status == SENDING) & (NotificationItem.claimed_at < now - lease_seconds)))
    return now if taken else None


def unclaim(item: NotificationItem, claimed_at: float) -> bool:
    """Sending -> queued (the send failed: the message's retry sends it). False if the lease
    is no longer ours (taken over, or the item erased meanwhile: nothing is written back)."""
    return _conditional(item, [NotificationItem.status.set(QUEUED), NotificationItem.claimed_at.remove()],
                        (NotificationItem.status == SENDING) & (NotificationItem.claimed_at == claimed_at))


def mark_sent(item: NotificationItem, claimed_at: float) -> bool:
    """Sending (under our lease) -> sent, dropping address and text. False if the lease is
    no longer ours or the item is gone (erased while it was being sent)."""
    return _conditional(
        item,
        [
            NotificationItem.status.set(SENT),
            NotificationItem.sent_at.set(clock.now_ts()),
            NotificationItem.claimed_at.remove(),
            NotificationItem.to.remove(),
            NotificationItem.unsubscribe_url.remove(),
            NotificationItem.subject.remove(),
            NotificationItem.body.remove(),
        ],
        (NotificationItem.status == SENDING) & (NotificationItem.claimed_at == claimed_at),
    )


def due_ids(now: float, limit: int = 500) -> list[str]:
    """Ids of scheduled notifications whose time has come (a Query per shard)."""
    found: list[str] = []
    upper = _due_sort(now, "~")
    for shard in range(DUE_SHARDS):
        for item in NotificationItem.gsi2.query(f"DUE#{shard}", NotificationItem.gsi2sk <= upper, limit=limit):
            found.append(item.notification_id)
    return found


def release(notification_id: str) -> bool:
    """Scheduled -> queued; the MODIFY record on the stream then queues it."""
    item = NotificationItem(pk=f"NOTIF#{notification_id}", sk="NOTIF")
    try:
        item.update(
            actions=[
                NotificationItem.status.set(QUEUED),
                NotificationItem.gsi2pk.remove(),
                NotificationItem.gsi2sk.remove(),
            ],
            condition=NotificationItem.status == SCHEDULED,
        )
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def save(item: NotificationItem) -> None:
    item.save(condition=NotificationItem.pk.does_not_exist())


def save_once(item: NotificationItem) -> bool:
    """Save unless a notification with this id exists already; False if it did."""
    try:
        save(item)
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def to_user(user_id: str) -> Iterator[NotificationItem]:
    """Every notification addressed to one user (email and SMS they were sent, kept until
    their TTL), page by page to the end."""
    yield from NotificationItem.gsi1.query(f"USER#{user_id}", NotificationItem.gsi1sk.startswith("NOTIF#"), page_size=100)
