"""Fan-out: one message to every user of an audience, shared by policy notices,
announcements and marketing campaigns.

1. `create` stores the fan-out (one write). Its INSERT on the table's stream queues its
   first page (`started`).
2. `page`: one Query of the audience's sparse index (`PAGE_SIZE` user ids), split into
   batches of `BATCH_SIZE` ids, sent to the `fanout` queue ten messages per call, with
   the next page's cursor as one more message. Ids only: no address is ever queued.
3. `batch`: reads the batch's accounts in one BatchGetItem, keeps those the message is
   for *now* (active members; for a campaign, marketing consent on at this moment),
   records each one's notice in one transaction (skipping anyone who has it: a retried
   batch reaches nobody twice), then sends: one SES `SendBulkTemplatedEmail` for the
   batch, or for a campaign one raw email per user (SES templates cannot carry the
   RFC 8058 List-Unsubscribe headers a marketing email must have); SMS one SNS publish
   per user where the channels include it. If SES refuses the whole call (throttled,
   quota, outage) the batch's notices are removed again and the message comes back
   after a growing backoff, then goes to the DLQ.

Sending is paced (`messaging.Pacer`) so that the `FANOUT_CONCURRENCY` functions the
queue may run at once stay under 80% of the account's SES send rate, leaving the rest
to one-off transactional mail. The user's data key is unwrapped (one KMS call per user
whose key is not cached) to read the address: with a key per user (crypto-shredding)
that cost is per user; every other call is per batch or per page.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters import messaging, queues
from chalicelib.core import clock
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import FANOUT_CONCURRENCY, FANOUT_QUEUE, NOTICE_TEMPLATE
from chalicelib.repos import fanout as repo
from chalicelib.repos import ids
from chalicelib.repos import users as users_repo
from chalicelib.security import vault

PAGE_SIZE = 500
BATCH_SIZE = 50  # SendBulkTemplatedEmail takes at most 50 destinations
MEMBER_ROLES = ("freelancer", "employer")
_pacer = messaging.Pacer(0.8 / FANOUT_CONCURRENCY)


def create(purpose: str, subject: str, body: str, created_by: str, *, audience: str = "members", channels: list[str] | None = None,
           topic: str | None = None, decision: bool = False, fanout_id: str | None = None) -> str:
    """Store a fan-out; the stream starts it. A given `fanout_id` makes this idempotent."""
    fanout_id = fanout_id or ids.new_id()
    item = repo.Fanout(*repo.key(fanout_id), fanout_id=fanout_id, purpose=purpose, topic=topic, audience=audience,
                       channels=channels or ["email", "in_app"], decision=decision, subject=subject, body=body,
                       created_by=created_by, created_at=clock.now_ts())
    repo.save_once(item)
    logger.info("fan-out created", extra={"fanout_id": fanout_id, "purpose": purpose})
    return fanout_id


def select(changes: list[Change]) -> list[dict[str, Any]]:
    """The stream's concern: each new fan-out's first page, for the `fanout` queue. A first
    page queued twice (a replayed batch) splits the audience twice and reaches nobody twice
    (`batch` skips whoever has the notice)."""
    return [{"fanout_id": str(c.new["fanout_id"]), "cursor": None} for c in changes
            if c.new and not c.old and c.new.get("kind") == "fanout"]


def send_to(fanout_id: str, user_ids: list[str]) -> int:
    """Queue a fan-out for these users only (members who joined after it started): the
    same batches, so whoever it reached already is skipped and nobody is told twice."""
    messages: list[dict[str, Any]] = [{"fanout_id": fanout_id, "users": user_ids[i:i + BATCH_SIZE]}
                                      for i in range(0, len(user_ids), BATCH_SIZE)]
    if messages:
        queues.send_batch(FANOUT_QUEUE, messages)
    return len(user_ids)


def handle(message: dict[str, Any]) -> int:
    """One message of the fanout queue: a page to split or a batch to send."""
    if "users" in message:
        return batch(message["fanout_id"], list(message["users"]))
    cursor = json.loads(message["cursor"]) if message.get("cursor") else None
    return page(message["fanout_id"], cursor)


def back_off(receipt_handle: str, attempt: int) -> None:
    """A message that failed is received again after a backoff that grows with each attempt."""
    queues.back_off(FANOUT_QUEUE, receipt_handle, attempt)


def page(fanout_id: str, cursor: dict | None) -> int:
    """Split one page of the audience into batches; queue them and the next page."""
    fanout = repo.get(fanout_id)
    if fanout is None:
        return 0
    user_ids, last = repo.audience_page(fanout.audience, PAGE_SIZE, cursor)
    messages: list[dict[str, Any]] = [{"fanout_id": fanout_id, "users": user_ids[i:i + BATCH_SIZE]}
                                      for i in range(0, len(user_ids), BATCH_SIZE)]
    if last:
        messages.append({"fanout_id": fanout_id, "cursor": json.dumps(last, sort_keys=True)})
    if messages:
        queues.send_batch(FANOUT_QUEUE, messages)
    logger.info("fan-out page split", extra={"fanout_id": fanout_id, "users": len(user_ids), "more": bool(last)})
    return len(user_ids)


def _recipients(fanout: repo.Fanout, user_ids: list[str]) -> list[users_repo.UserItem]:
    accounts = users_repo.accounts(user_ids)
    return [a for a in accounts if a.status == users_repo.ACTIVE and a.role in MEMBER_ROLES
            and (fanout.audience != "marketing" or a.marketing)]


def batch(fanout_id: str, user_ids: list[str]) -> int:
    """Send the fan-out to one batch of users; returns how many were newly reached."""
    from chalicelib.services import messages as content

    fanout = repo.get(fanout_id)
    if fanout is None:
        return 0
    accounts = _recipients(fanout, user_ids)
    vault.preload([a.user_id for a in accounts])
    contact = {}
    for account in accounts:
        email = vault.readable(account.user_id, "email", account.email_enc)
        if email:  # unreadable: erased meanwhile
            phone = vault.readable(account.user_id, "phone", account.phone_enc) if account.phone_enc else None
            contact[account.user_id] = (email, phone)
    channels = [c for c in fanout.channels if c != "sms" or any(p for _, p in contact.values())]
    reached = repo.claim(fanout, list(contact), channels)
    if not reached:
        return 0
    try:
        failed = _email(fanout, [(u, contact[u][0]) for u in reached], content) if "email" in fanout.channels else []
    except Exception:
        repo.unclaim(fanout_id, reached)
        metrics.add_metric(name="FanoutBatchesFailed", unit="Count", value=1)
        raise
    for user_id in failed:
        repo.mark_email_failed(fanout_id, user_id)
    sms_failed = 0
    if "sms" in fanout.channels:
        for user_id in reached:
            phone = contact[user_id][1]
            if phone:
                try:
                    messaging.send_sms(phone, content.sms_text(fanout))
                except Exception:  # the email and the in-app notice went out; one SMS is not worth resending them
                    sms_failed += 1
    metrics.add_metric(name="FanoutNoticesSent", unit="Count", value=len(reached) - len(failed))
    if failed or sms_failed:
        metrics.add_metric(name="FanoutDeliveriesFailed", unit="Count", value=len(failed) + sms_failed)
    logger.info("fan-out batch sent", extra={"fanout_id": fanout_id, "reached": len(reached), "failed": len(failed),
                                             "sms_failed": sms_failed, "skipped": len(user_ids) - len(reached)})
    return len(reached)


def _email(fanout: repo.Fanout, recipients: list[tuple[str, str]], content: Any) -> list[str]:
    """Send the emails; returns the users SES did not accept."""
    if fanout.purpose == "campaign":
        for user_id, email in recipients:
            _pacer.wait(1)
            link = content.unsubscribe_url(user_id)
            messaging.send_marketing_email(email, fanout.subject, content.campaign_text(fanout, link), link)
        return []
    _pacer.wait(len(recipients))
    accepted = messaging.send_bulk_templated(
        NOTICE_TEMPLATE.name, {"subject": fanout.subject, "body": fanout.body},
        [(email, {"footer": content.footer(fanout, user_id)}) for user_id, email in recipients],
    )
    return [user_id for (user_id, _), ok in zip(recipients, accepted, strict=True) if not ok]

