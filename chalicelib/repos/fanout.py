"""Fan-outs (policy notices, announcements, marketing campaigns) and what each user got.

- `FANOUT#<id>` / `FANOUT`: what an admin (or a policy publication) asked to send, to
  which audience, on which channels. Its INSERT on the stream starts the fan-out.
- `USER#<user id>` / `NOTICE#<fan-out id>`: one per (fan-out, user), written in one
  transaction for a whole batch *before* the batch is sent, with a condition that it
  does not exist: a retried batch skips everyone it reached already, so nobody gets a
  notice twice. It is also the user's in-app list (`GET /me/notices`), in their own
  partition, so export and erasure find it from their id.
- Audiences are Queries of sparse indexes, never a Scan: every member (the `MEMBERS`
  partition of gsi2, on each taken email claim) or those whose marketing consent is on
  (`users.MARKETING_ON`).
"""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.core import clock
from chalicelib.repos import db
from chalicelib.repos.db import Entity, strings
from chalicelib.repos.users import MARKETING_ON, EmailClaim, UserItem, user_pk

MEMBERS = "MEMBERS"
NOTICE_KEEP_DAYS = 365  # the in-app list, and the record that a notice reached the user
AUDIENCES = ("members", "marketing")


class Fanout(Entity, discriminator="fanout"):
    fanout_id = UnicodeAttribute()
    purpose = UnicodeAttribute()  # policy | announcement | campaign
    topic = UnicodeAttribute(null=True)  # the policy version, or the announcement's kind
    audience = UnicodeAttribute()  # members | marketing
    channels = strings()  # email, sms, in_app
    decision = BooleanAttribute(default=False)  # carries signed accept/reject links
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = NumberAttribute()


class Notice(Entity, discriminator="notice"):
    """A fan-out as one user received it (no address, no copy of a personal text)."""

    user_id = UnicodeAttribute()
    fanout_id = UnicodeAttribute()
    purpose = UnicodeAttribute()
    topic = UnicodeAttribute(null=True)
    subject = UnicodeAttribute()
    channels = strings()  # the channels it went out on
    email_status = UnicodeAttribute(null=True)  # sent | failed
    at = NumberAttribute()


def key(fanout_id: str) -> tuple[str, str]:
    return f"FANOUT#{fanout_id}", "FANOUT"


def notice_key(user_id: str, fanout_id: str) -> tuple[str, str]:
    return user_pk(user_id), f"NOTICE#{fanout_id}"


def get(fanout_id: str) -> Fanout | None:
    try:
        return Fanout.get(*key(fanout_id))
    except DoesNotExist:
        return None


def save_once(item: Fanout) -> None:
    """Store a fan-out unless one with its id is stored already (creating it is idempotent)."""
    from pynamodb.exceptions import PutError

    try:
        item.save(condition=Fanout.pk.does_not_exist())
    except PutError as exc:
        if not db.condition_failed(exc):
            raise


def member_index(user_id: str) -> dict[str, str]:
    """The gsi2 entry that puts an account (through its email claim) in the audience of
    every notice and announcement."""
    return {"gsi2pk": MEMBERS, "gsi2sk": user_id}


def audience_page(audience: str, limit: int, start: dict | None) -> tuple[list[str], dict | None]:
    """One page of user ids of an audience (a Query of a sparse index) and the cursor."""
    if audience == "marketing":
        result = UserItem.gsi2.query(MARKETING_ON, limit=limit, page_size=limit, last_evaluated_key=start)
    else:
        result = EmailClaim.gsi2.query(MEMBERS, limit=limit, page_size=limit, last_evaluated_key=start)
    ids = [item.gsi2sk for item in result]
    return ids, result.last_evaluated_key


def claim(fanout: Fanout, user_ids: list[str], channels: list[str]) -> list[str]:
    """Record the notice of each user in one transaction, unless they have it already;
    returns the users newly recorded (the ones to send to). Users whose record exists
    (a retried batch) are left out and the rest recorded again, at most twice more."""
    now = clock.now_ts()
    wanted = list(dict.fromkeys(user_ids))
    for _ in range(3):
        if not wanted:
            return []
        try:
            with db.transaction() as tx:
                for user_id in wanted:
                    tx.save(_notice(fanout, user_id, channels, now), condition=Notice.pk.does_not_exist())
            return wanted
        except TransactWriteError as exc:
            had = {user_id for i, user_id in enumerate(wanted) if db.failed_at(exc, i)}
            if not had:
                raise
            wanted = [u for u in wanted if u not in had]
    raise RuntimeError("notices kept colliding: another delivery of this batch is running")


def _notice(fanout: Fanout, user_id: str, channels: list[str], now: float) -> Notice:
    return Notice(
        *notice_key(user_id, fanout.fanout_id), user_id=user_id, fanout_id=fanout.fanout_id, purpose=fanout.purpose,
        topic=fanout.topic, subject=fanout.subject, channels=channels, at=now,
        expires_at=int(now + NOTICE_KEEP_DAYS * 86400),
    )


def unclaim(fanout_id: str, user_ids: Iterable[str]) -> None:
    """Forget notices whose sending failed as a whole, so that the retry sends them."""
    with Notice.batch_write() as batch:
        for user_id in user_ids:
            batch.delete(Notice(*notice_key(user_id, fanout_id)))


def mark_email_failed(fanout_id: str, user_id: str) -> None:
    Notice(*notice_key(user_id, fanout_id)).update(actions=[Notice.email_status.set("failed")])


def notices(user_id: str, limit: int, start: dict | None, purposes: tuple[str, ...]) -> tuple[list[Notice], dict | None]:
    """The user's notices of these purposes, newest first (fan-out ids sort by creation)."""
    result = Notice.query(user_pk(user_id), Notice.sk.startswith("NOTICE#"), filter_condition=Notice.purpose.is_in(*purposes),
                          scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key
