"""Deletion requests: scheduled after the profile's grace period with a receipt token,
blocked by what the profile names (each blocker listed), cancelled while scheduled; the
receipt is read without signing in and holds no personal data."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.helpers import admin_token, call, register, verified


@pytest.fixture(scope="module")
def world(http, runtime, admin):
    tok = admin_token(http, admin)
    return SimpleNamespace(admin=tok, employer=verified(http, runtime, tok, "employer"))


def _receipt(http, token: str) -> tuple[int, dict]:
    return call(http, "GET", f"/me/deletion-receipt?token={token}")


def test_deletion_is_scheduled_after_the_grace_period_cancelled_and_asked_again(http, runtime):
    from chalicelib.core import clock

    user = register(http, runtime, "freelancer")
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202 and scheduled["status"] == "scheduled"
    erase_after = datetime.fromisoformat(scheduled["erase_after"].replace("Z", "+00:00"))
    assert abs(erase_after - (clock.now() + timedelta(days=14))) < timedelta(minutes=1)  # strict: 14 days
    status, receipt = _receipt(http, scheduled["receipt_token"])
    assert status == 200 and receipt["status"] == "scheduled" and receipt["completed_at"] is None
    for personal in (user["email"], user["phone"], user["full_name"], user["user_id"]):
        assert personal not in json.dumps(receipt)
    status, again = call(http, "POST", "/me/deletion", token=user["token"])
    assert (status, again["Code"]) == (409, "DeletionAlreadyScheduled")

    assert call(http, "DELETE", "/me/deletion", token=user["token"]) == (200, {"status": "cancelled"})
    assert _receipt(http, scheduled["receipt_token"])[1]["status"] == "cancelled"
    assert call(http, "DELETE", "/me/deletion", token=user["token"])[0] == 404
    status, second = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202 and second["receipt_token"] != scheduled["receipt_token"]
    assert call(http, "GET", "/me", token=user["token"])[0] == 200  # nothing is erased before the grace period ends


def test_each_blocker_the_profile_names_is_listed(http, runtime, world):
    from chalicelib.core import clock
    from chalicelib.repos import deletion, users
    from tests.helpers import BANK, contract, earn, idempotency_key

    freelancer = earn(http, runtime, world.admin, world.employer, 10000)  # 9,000 in the wallet
    active = contract(http, world.employer, freelancer, 5000)
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 1000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())[1]
    hold_id = uuid.uuid4().hex[:12]
    deletion.LegalHold(users.user_pk(freelancer["user_id"]), f"LEGAL_HOLD#{hold_id}", hold_id=hold_id, user_id=freelancer["user_id"],
                       reason="case 42", placed_by="admin", placed_at=clock.now_ts()).save()
    disputed = contract(http, world.employer, freelancer, 3000)
    assert call(http, "POST", f"/contracts/{disputed}/dispute", {"reason": "late"}, token=world.employer["token"])[0] == 200

    status, refused = call(http, "POST", "/me/deletion", token=freelancer["token"])
    assert (status, refused["Code"]) == (409, "DeletionBlocked")
    assert sorted((b["type"], b["id"]) for b in refused["Details"]["blockers"]) == sorted([
        ("pending_payout", payout["payout_id"]), ("wallet_balance", "USD"), ("active_contract", active),
        ("open_dispute", disputed), ("legal_hold", hold_id)])
    status, employer_refused = call(http, "POST", "/me/deletion", token=world.employer["token"])
    assert status == 409 and {b["type"] for b in employer_refused["Details"]["blockers"]} == {"active_contract", "open_dispute"}
    runtime.drain()


def test_the_receipt_needs_a_real_token(http):
    assert _receipt(http, "x" * 43)[0] == 404
    assert _receipt(http, "short")[0] == 400
    assert call(http, "GET", "/me/deletion-receipt")[0] == 400


def test_where_the_policy_offers_correction_only_deletion_is_refused_and_elsewhere_it_follows_the_profile(http, runtime, monkeypatch):
    user = register(http, runtime, "freelancer")
    monkeypatch.setenv("PRIVACY_PROFILE", "webperhour")
    status, refused = call(http, "POST", "/me/deletion", token=user["token"])
    assert (status, refused["Code"]) == (403, "DeletionNotOffered") and "correct" in refused["Message"]
    monkeypatch.setenv("PRIVACY_PROFILE", "appexert")
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    from chalicelib.core import clock

    erase_after = datetime.fromisoformat(scheduled["erase_after"].replace("Z", "+00:00"))
    assert abs(erase_after - (clock.now() + timedelta(days=30))) < timedelta(minutes=1)  # appexert: 30 days


def test_admins_and_strangers_cannot_delete_through_self_service(http, world):
    assert call(http, "POST", "/me/deletion", token=world.admin)[0] == 403
    assert call(http, "POST", "/me/deletion")[0] == 401
