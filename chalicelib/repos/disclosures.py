"""Disclosures of a user's data to third parties or authorities, legal holds, and
phishing reports.

- `USER#<id>` / `DISCLOSURE#<time>#<id>`: a recorded disclosure (told to the user or not).
- `HOLD#<hold_id>` / `HOLD`: which account a legal hold is on (the hold itself is
  `repos.deletion.LegalHold` in the user's partition, where deletion's blockers look).
- `PHISHING#<yyyy-mm>` / `<time>#<id>`: a phishing report, for the security team.
- `RATE#<purpose>#<hash of the source>#<window>`: a rate-limit counter (TTL).
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib.core import clock
from chalicelib.repos import db
from chalicelib.repos.db import Entity, strings, time_key
from chalicelib.repos.deletion import LegalHold
from chalicelib.repos.users import user_pk


class Disclosure(Entity, discriminator="disclosure"):
    disclosure_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    recipient = UnicodeAttribute()
    purpose = UnicodeAttribute()
    legal_basis = UnicodeAttribute()
    data_categories = strings()
    told = BooleanAttribute()
    recorded_by = UnicodeAttribute()
    at = NumberAttribute()


class HoldPointer(Entity, discriminator="hold_pointer"):
    hold_id = UnicodeAttribute()
    user_id = UnicodeAttribute()


class PhishingReport(Entity, discriminator="phishing_report"):
    report_id = UnicodeAttribute()
    reported_sender = UnicodeAttribute()
    channel = UnicodeAttribute()
    content = UnicodeAttribute()
    received_at = UnicodeAttribute()
    reporter_id = UnicodeAttribute(null=True)  # signed-in reporters only; nothing else about them is kept
    at = NumberAttribute()


class RateCounter(Entity, discriminator="rate"):
    hits = NumberAttribute(default=0)  # not `count`, which would hide PynamoDB's Model.count()


def disclosure(user_id: str, disclosure_id: str, at: float, **fields) -> Disclosure:
    return Disclosure(user_pk(user_id), f"DISCLOSURE#{time_key(at)}#{disclosure_id}", disclosure_id=disclosure_id, user_id=user_id,
                      at=at, **fields)


def disclosures_told(user_id: str, limit: int, start: dict | None) -> tuple[list[Disclosure], dict | None]:
    result = Disclosure.query(user_pk(user_id), Disclosure.sk.startswith("DISCLOSURE#"), filter_condition=Disclosure.told == True,  # noqa: E712
                              scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def hold_pointer(hold_id: str, user_id: str | None = None) -> HoldPointer:
    return HoldPointer(f"HOLD#{hold_id}", "HOLD", hold_id=hold_id, user_id=user_id or "")


def place_hold(hold_id: str, user_id: str, reason: str, placed_by: str, at: float, *extra: Entity) -> None:
    """A legal hold on the account (in the user's partition, where deletion's blockers
    look), the pointer from its id, and `extra` (its audit entry), in one transaction."""
    hold = LegalHold(user_pk(user_id), f"LEGAL_HOLD#{hold_id}", hold_id=hold_id, user_id=user_id, reason=reason,
                     placed_by=placed_by, placed_at=at)
    db.save_together([hold, hold_pointer(hold_id, user_id), *extra])


def lift_hold(pointer: HoldPointer, *extra: Entity) -> None:
    """The hold and its pointer deleted, and `extra` (its audit entry) saved, in one
    transaction; `db.Conflict` when the pointer is gone meanwhile (lifted already)."""
    try:
        with db.transaction() as tx:
            tx.delete(LegalHold(user_pk(pointer.user_id), f"LEGAL_HOLD#{pointer.hold_id}"))
            tx.delete(pointer, condition=HoldPointer.pk.exists())
            for item in extra:
                tx.save(item)
    except TransactWriteError:
        raise db.Conflict("hold") from None


def phishing_report(report_id: str, at: float, **fields) -> PhishingReport:
    return PhishingReport(f"PHISHING#{clock.iso(at)[:7]}", f"{time_key(at)}#{report_id}", report_id=report_id, at=at, **fields)


def find_hold(hold_id: str) -> HoldPointer | None:
    try:
        return HoldPointer.get(f"HOLD#{hold_id}", "HOLD", consistent_read=True)
    except DoesNotExist:
        return None


def take(purpose: str, source_hash: str, window: int, limit: int, expires_at: int) -> bool:
    """Count one use of `purpose` by a source in a time window; False past `limit`."""
    counter = RateCounter(f"RATE#{purpose}#{source_hash}#{window}", "RATE")
    try:
        counter.update(actions=[RateCounter.hits.add(1), RateCounter.expires_at.set(expires_at)],
                       condition=RateCounter.hits.does_not_exist() | (RateCounter.hits < limit))
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
