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
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.repos.db import Entity, strings
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
    return Disclosure(user_pk(user_id), f"DISCLOSURE#{at:017.6f}#{disclosure_id}", disclosure_id=disclosure_id, user_id=user_id,
                      at=at, **fields)


def disclosures_told(user_id: str, limit: int, start: dict | None) -> tuple[list[Disclosure], dict | None]:
    result = Disclosure.query(user_pk(user_id), Disclosure.sk.startswith("DISCLOSURE#"), filter_condition=Disclosure.told == True,  # noqa: E712
                              scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def hold_pointer(hold_id: str, user_id: str | None = None) -> HoldPointer:
    return HoldPointer(f"HOLD#{hold_id}", "HOLD", hold_id=hold_id, user_id=user_id or "")


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
