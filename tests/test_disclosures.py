"""Disclosures (recorded, the user told unless the law forbids), legal holds (block
deletion, lifted by an admin) and phishing reports (minimised, rate-limited)."""
from __future__ import annotations

import pytest

from tests.helpers import admin_token, call, register

DISCLOSURE = {"recipient": "Cyber Crime Wing", "purpose": "fraud investigation", "legal_basis": "court order 12/2026",
              "data_categories": ["user.contact.email", "user.financial"]}


@pytest.fixture(scope="module")
def admin_tok(http, admin):
    return admin_token(http, admin)


def test_a_disclosure_is_recorded_and_told_unless_the_law_forbids(http, runtime, admin_tok):
    from local import outbox

    user = register(http, runtime, "freelancer")
    status, told = call(http, "POST", "/admin/disclosures", {**DISCLOSURE, "user_id": user["user_id"], "notify_user": True}, token=admin_tok)
    assert status == 201 and told["told"] is True
    status, secret = call(http, "POST", "/admin/disclosures", {**DISCLOSURE, "user_id": user["user_id"], "notify_user": False,
                                                                "recipient": "Sealed Authority"}, token=admin_tok)
    assert status == 201 and secret["told"] is False
    runtime.drain()
    mails = [m for m in outbox.messages(user["email"]) if m["subject"] == "A disclosure of your data"]
    assert len(mails) == 1 and "Cyber Crime Wing" in mails[0]["body"]
    listed = call(http, "GET", "/me/disclosures", token=user["token"])[1]["items"]
    assert [d["recipient"] for d in listed] == ["Cyber Crime Wing"]
    status, audit = call(http, "GET", f"/admin/audit?user_id={user['user_id']}&action=disclosure.recorded", token=admin_tok)
    assert status == 200 and len(audit["items"]) == 2
    assert call(http, "POST", "/admin/disclosures", {**DISCLOSURE, "user_id": user["user_id"], "notify_user": True}, token=user["token"])[0] == 403
    assert call(http, "POST", "/admin/disclosures", {**DISCLOSURE, "user_id": "nobody", "notify_user": True}, token=admin_tok)[0] == 404
    assert call(http, "POST", "/admin/disclosures", {**DISCLOSURE, "user_id": user["user_id"]}, token=admin_tok)[0] == 400


def test_a_legal_hold_blocks_deletion_until_lifted(http, runtime, admin_tok):
    user = register(http, runtime, "freelancer")
    status, hold = call(http, "POST", "/admin/legal-holds", {"user_id": user["user_id"], "reason": "case 77"}, token=admin_tok)
    assert status == 201
    status, refused = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 409 and refused["Details"]["blockers"] == [{"type": "legal_hold", "id": hold["hold_id"]}]
    assert call(http, "DELETE", f"/admin/legal-holds/{hold['hold_id']}", token=admin_tok) == (200, {"hold_id": hold["hold_id"], "status": "lifted"})
    assert call(http, "DELETE", f"/admin/legal-holds/{hold['hold_id']}", token=admin_tok)[0] == 404
    assert call(http, "POST", "/me/deletion", token=user["token"])[0] == 202


def test_phishing_reports_are_stored_minimised_and_rate_limited(http, runtime, monkeypatch):
    from chalicelib.repos import disclosures

    report = {"reported_sender": "support@marketp1ace.example", "channel": "email", "content": "Verify your wallet here",
              "received_at": "2026-11-20"}
    user = register(http, runtime, "freelancer")
    status, stored = call(http, "POST", "/phishing-reports", report, token=user["token"])
    assert status == 201
    from chalicelib.core import clock

    saved = next(r for r in disclosures.PhishingReport.query(f"PHISHING#{clock.iso()[:7]}") if r.report_id == stored["report_id"])
    assert saved.reporter_id == user["user_id"] and not hasattr(saved, "ip")
    assert call(http, "POST", "/phishing-reports", report)[0] == 201  # sign-in optional
    statuses = [call(http, "POST", "/phishing-reports", report)[0] for _ in range(12)]
    assert 429 in statuses and statuses.count(201) <= 8
    assert call(http, "POST", "/phishing-reports", {**report, "channel": "pigeon"})[0] == 400
    monkeypatch.setenv("PRIVACY_PROFILE", "appexert")
    assert call(http, "POST", "/phishing-reports", report)[1]["Code"] == "NotOffered"


def test_an_untold_disclosure_leaves_no_trace_in_the_users_export(http, runtime, admin_tok):
    """The law forbids telling: the export holds the told disclosure and its audit entry,
    and nothing of the untold one, its audit entry included (found by the model-based test)."""
    import json

    from tests.test_exports import _exported

    user = register(http, runtime, "freelancer")
    assert call(http, "POST", "/admin/disclosures", {**DISCLOSURE, "user_id": user["user_id"], "notify_user": True}, token=admin_tok)[0] == 201
    status, secret = call(http, "POST", "/admin/disclosures", {**DISCLOSURE, "user_id": user["user_id"], "notify_user": False,
                                                                "recipient": "Sealed Authority"}, token=admin_tok)
    assert status == 201
    runtime.drain()
    exported = _exported(http, runtime, user)
    text = json.dumps(exported)
    assert "Cyber Crime Wing" in text
    assert "Sealed Authority" not in text and secret["disclosure_id"] not in text
    recorded = [a for a in exported["categories"]["audit_entries"] if a["action"] == "disclosure.recorded"]
    assert len(recorded) == 1 and recorded[0]["details"]["told"] is True
