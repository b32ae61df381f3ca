"""Disclosures, legal holds and phishing reports.

- A disclosure an admin records (to whom, why, on what legal basis, which categories)
  is kept in the user's partition with its audit entry; the user is emailed about it
  unless `notify_user` is false (prohibited by law), and `GET /me/disclosures` lists
  the ones they were told about.
- A legal hold blocks the account's deletion (a blocker of `POST /me/deletion`) and
  stops an erasure already due until it is lifted.
- Phishing reports are kept for the security team with the least about the reporter:
  their opaque id if signed in, nothing else (no IP, no device); at most
  `PHISHING_PER_HOUR` a source may send in an hour (counted under a keyed hash of it).
"""
from __future__ import annotations

import math
from typing import Any

from chalicelib.core import clock, errors, privacy
from chalicelib.core.observability import logger, metrics
from chalicelib.repos import audit, cursors, db, ids
from chalicelib.repos import disclosures as repo
from chalicelib.repos import notifications as notification_repo
from chalicelib.security import vault
from chalicelib.services.accounts import live_account
from chalicelib.services.caller import Caller

PHISHING_PER_HOUR = 10


def record_disclosure(admin_id: str, data: dict[str, Any]) -> dict[str, Any]:
    account = live_account(data["user_id"])
    uid, now, disclosure_id = account.user_id, clock.now_ts(), ids.new_id()
    told = bool(data["notify_user"])
    item = repo.disclosure(uid, disclosure_id, now, recipient=data["recipient"], purpose=data["purpose"], legal_basis=data["legal_basis"],
                           data_categories=list(data["data_categories"]), told=told, recorded_by=admin_id)
    together: list[Any] = [item, audit.build(admin_id, "disclosure.recorded", uid, {"disclosure_id": disclosure_id, "told": told})]
    if told:
        email = vault.readable(uid, "email", account.email_enc)
        if email:
            body = (f"We disclosed data about you to {data['recipient']} for this purpose: {data['purpose']} "
                    f"(legal basis: {data['legal_basis']}). Categories: {', '.join(data['data_categories'])}. "
                    "You can see every disclosure you may be told about in your account (GET /me/disclosures).")
            together.append(notification_repo.new("email", email, "A disclosure of your data", body, user_id=uid, purpose="disclosure",
                                                  notification_id=f"disclosure-{disclosure_id}"))
    db.save_together(together)
    metrics.add_metric(name="DisclosuresRecorded", unit="Count", value=1)
    logger.info("disclosure recorded", extra={"disclosure_id": disclosure_id, "told": told})
    return {"disclosure_id": disclosure_id, "told": told}


def mine(caller: Caller, limit: int, cursor: str | None) -> dict[str, Any]:
    found, last = repo.disclosures_told(caller.user_id, limit, cursors.decode(cursor))
    return {"items": [{"disclosure_id": d.disclosure_id, "recipient": d.recipient, "purpose": d.purpose, "legal_basis": d.legal_basis,
                       "data_categories": list(d.data_categories or []), "at": clock.iso(d.at)} for d in found],
            "next_cursor": cursors.encode(last)}


def place_hold(admin_id: str, user_id: str, reason: str) -> dict[str, Any]:
    live_account(user_id)
    hold_id, now = ids.new_id(), clock.now_ts()
    repo.place_hold(hold_id, user_id, reason, admin_id, now, audit.build(admin_id, "legal_hold.placed", user_id, {"hold_id": hold_id}))
    return {"hold_id": hold_id}


def lift_hold(admin_id: str, hold_id: str) -> dict[str, Any]:
    pointer = repo.find_hold(hold_id)
    if pointer is None:
        raise errors.NotFound("No such legal hold")
    try:
        repo.lift_hold(pointer, audit.build(admin_id, "legal_hold.lifted", pointer.user_id, {"hold_id": hold_id}))
    except db.Conflict:
        raise errors.NotFound("No such legal hold") from None
    return {"hold_id": hold_id, "status": "lifted"}


def report_phishing(caller: Caller | None, source: str | None, data: dict[str, Any]) -> dict[str, Any]:
    if not privacy.active().phishing_reports_accepted:
        raise errors.Forbidden("This platform's policy does not offer phishing reports here; contact support", code="NotOffered")
    now = clock.now_ts()
    window = int(now // 3600)
    if not repo.take("phishing", vault.lookup_hash("rate-source", source or "unknown"), window, PHISHING_PER_HOUR, int((window + 2) * 3600)):
        raise errors.TooManyRequests(f"At most {PHISHING_PER_HOUR} reports an hour from one place; thank you, try again later",
                                     retry_after=math.ceil((window + 1) * 3600 - now))
    report_id = ids.new_id()
    repo.phishing_report(report_id, now, reported_sender=data["reported_sender"], channel=data["channel"], content=data["content"],
                         received_at=data["received_at"], reporter_id=caller.user_id if caller else None).save()
    metrics.add_metric(name="PhishingReports", unit="Count", value=1)
    logger.info("phishing report stored", extra={"report_id": report_id, "channel": data["channel"]})
    return {"report_id": report_id}
