"""Erasure after the grace period, driven by the data map, proven by the sweep: nothing
of the user's email, phone, name, identity or bank account number is left anywhere."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from tests.helpers import (
    ID_NUMBER,
    admin_token,
    assert_books_balance,
    call,
    login,
    sweep,
    text_tag,
    verified,
)


@pytest.fixture(scope="module")
def world(http, runtime, admin):
    tok = admin_token(http, admin)
    return SimpleNamespace(admin=tok, employer=verified(http, runtime, tok, "employer", full_name="Erin Employer"))


def _needles(user: dict, extra: list[str]) -> list[str]:
    return [user["email"], user["phone"], user["phone"].lstrip("+"), user["full_name"], *extra]


def _grace_ends(runtime, days: int = 14) -> None:
    runtime.advance_clock(days * 86400 + 60)
    runtime.drain()


def test_a_freelancer_with_money_chat_reviews_and_documents_is_erased_and_the_sweep_finds_nothing(http, runtime, world, capfd):
    from tests.helpers import BANK, earn, idempotency_key

    name = f"Zed Quill {text_tag()}"
    bank_number = "7788" + str(uuid.uuid4().int)[:8] + "01"
    freelancer = earn(http, runtime, world.admin, world.employer, 20000)
    freelancer["full_name"] = name
    assert call(http, "PATCH", "/me", {"full_name": name}, token=freelancer["token"])[0] == 200
    call(http, "PUT", "/me/payout-method", {**BANK, "account_number": bank_number, "account_holder": name}, token=freelancer["token"])
    call(http, "PUT", "/me/consents", {"marketing": True}, token=freelancer["token"])
    cid = call(http, "GET", "/me/contracts", token=freelancer["token"])[1]["items"][0]["contract_id"]
    call(http, "POST", f"/contracts/{cid}/reviews", {"rating": 5, "comment": f"Thanks from {name}"}, token=freelancer["token"])
    call(http, "POST", f"/contracts/{cid}/reviews", {"rating": 4, "comment": "Great freelancer"}, token=world.employer["token"])

    status, refused = call(http, "POST", "/me/deletion", token=freelancer["token"])
    assert status == 409 and {b["type"] for b in refused["Details"]["blockers"]} == {"wallet_balance"}
    call(http, "POST", "/me/payouts", {"amount": {"amount": 18000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())
    status, refused = call(http, "POST", "/me/deletion", token=freelancer["token"])
    assert status == 409 and {b["type"] for b in refused["Details"]["blockers"]} == {"pending_payout"}
    runtime.drain()
    status, scheduled = call(http, "POST", "/me/deletion", token=freelancer["token"])
    assert status == 202
    assert call(http, "DELETE", "/me/deletion", token=freelancer["token"])[0] == 200
    status, scheduled = call(http, "POST", "/me/deletion", token=freelancer["token"])
    assert status == 202
    runtime.drain()
    assert call(http, "GET", "/me", token=freelancer["token"])[0] == 200  # still there during the grace period

    _grace_ends(runtime)
    assert login(http, freelancer)[0] in (400, 401, 403)
    assert call(http, "GET", f"/users/{freelancer['user_id']}/profile", token=world.employer["token"])[0] in (401, 404)
    employer_token = login(http, world.employer)[1]["token"]
    seen = call(http, "GET", f"/contracts/{cid}", token=employer_token)[1]
    assert seen["freelancer"] == {"user_id": freelancer["user_id"], "full_name": "Deleted user", "email": None, "phone": None}
    status, receipt = call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")
    assert status == 200 and receipt["status"] == "erased" and receipt["completed_at"]
    assert {"user.contact.email", "user.name", "user.financial.bank_account", "user.government_id"} <= set(receipt["erased"])
    assert any(k["category"] == "user.financial" and "accounting" in k["reason"] for k in receipt["kept"])
    assert freelancer["user_id"] not in str(receipt) and name not in str(receipt)
    assert_books_balance()
    logs = capfd.readouterr()
    assert sweep(_needles(freelancer, [bank_number, ID_NUMBER, "AB1234567"]), logs.out + logs.err) == []


@pytest.mark.parametrize(("profile", "days"), [("strict", 14), ("aplusxpert", 14), ("appexert", 30)])
def test_each_erasing_profile_erases_after_its_own_grace_period(http, runtime, monkeypatch, profile, days):
    from tests.helpers import register

    user = register(http, runtime, "freelancer")  # signed up under strict; deletion asked under `profile`
    monkeypatch.setenv("PRIVACY_PROFILE", profile)
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    runtime.advance_clock((days - 1) * 86400)
    runtime.drain()
    assert call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]["status"] == "scheduled"
    runtime.advance_clock(86400 + 60)
    runtime.drain()
    assert call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]["status"] == "erased"
    assert sweep(_needles(user, [])) == []


def test_the_in_process_sweep_finds_what_the_sweep_over_http_finds(http, runtime):
    """The tests sweep moto's stores directly (fast); the live-stack tests sweep over HTTP.
    Both must see the same places, or a fast sweep could pass by being blind."""
    import os

    from tests.helpers import register

    freelancer = register(http, runtime, "freelancer")
    assert call(http, "POST", "/me/exports", token=freelancer["token"])[0] == 202
    runtime.drain()  # the export's files (with the email in them) are in S3
    needles = _needles(freelancer, [freelancer["user_id"]])
    fast = sweep(needles)
    slow = sweep(needles, endpoint=os.environ["AWS_ENDPOINT_URL"])
    for kind in ("@ table", "@ s3 object", "@ s3 key", "@ cognito"):
        assert any(kind in place for place in fast), kind
    assert sorted(set(fast)) == sorted(set(slow))


def test_the_email_of_an_erased_account_can_sign_up_again(http, runtime):
    from tests.helpers import register

    user = register(http, runtime, "freelancer")
    assert any("@ cognito" in place for place in sweep([user["email"]]))  # the sweep sees what is there
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    _grace_ends(runtime)
    assert sweep([user["email"]]) == []
    again = register(http, runtime, "employer", email=user["email"])
    assert again["user_id"] != user["user_id"]


@pytest.mark.parametrize("fault", ["throttled before the step", "timed out after the step"])
def test_an_erasure_interrupted_at_each_step_finishes_on_a_rerun(http, runtime, monkeypatch, fault):
    from botocore.exceptions import ClientError

    from chalicelib.repos import deletion
    from chalicelib.services import erasure
    from tests.helpers import register

    erased = []
    for step in erasure.ERASE_STEPS:
        user = register(http, runtime, "freelancer")
        erased.append(user)
        status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
        assert status == 202
        real = erasure.STEP[step]

        def crash(*args, _real=real, **kwargs):
            if fault.startswith("throttled"):
                raise TimeoutError("throttled") from ClientError(
                    {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "UpdateItem")
            _real(*args, **kwargs)
            raise TimeoutError("the function timed out right after this step's work")

        monkeypatch.setitem(erasure.STEP, step, crash)
        token_hash = deletion.token_hash(scheduled["receipt_token"])
        with pytest.raises(TimeoutError):
            erasure.run(user["user_id"], token_hash, "erase")
        monkeypatch.setitem(erasure.STEP, step, real)
        assert erasure.run(user["user_id"], token_hash, "erase")["status"] == "erased"
        assert erasure.run(user["user_id"], token_hash, "erase")["status"] == "already done"
        assert call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]["status"] == "erased"
    runtime.drain()
    assert sweep([n for user in erased for n in (user["email"], user["phone"], user["phone"].lstrip("+"))]) == []


def test_under_a_profile_that_archives_closing_ends_access_and_keeps_the_data(http, runtime, monkeypatch):
    from chalicelib.repos import users
    from tests.helpers import register

    user = register(http, runtime, "freelancer")
    call(http, "PUT", "/me/consents", {"marketing": True}, token=user["token"])
    monkeypatch.setenv("PRIVACY_PROFILE", "alujrat")
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    _grace_ends(runtime, 30)
    assert login(http, user)[0] in (400, 401, 403)
    receipt = call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]
    assert receipt["status"] == "archived" and receipt["erased"] == [] and "archived" in receipt["kept"][0]["reason"]
    account = users.UserItem.get(users.user_pk(user["user_id"]), "ACCOUNT")
    assert account.email_enc and account.status == users.CLOSED and account.marketing is False


def test_a_legal_hold_placed_during_the_grace_period_stops_the_erasure(http, runtime, admin):
    from chalicelib.repos import deletion
    from chalicelib.services import erasure
    from tests.helpers import register

    tok = admin_token(http, admin)
    user = register(http, runtime, "freelancer")
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    hold = call(http, "POST", "/admin/legal-holds", {"user_id": user["user_id"], "reason": "case 9"}, token=tok)[1]
    _grace_ends(runtime)
    assert login(http, user)[0] == 200  # nothing erased
    assert call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]["status"] == "scheduled"
    tok = admin_token(http, admin)
    call(http, "DELETE", f"/admin/legal-holds/{hold['hold_id']}", token=tok)
    # the operator re-drives the job from the DLQ once the hold is lifted
    assert erasure.run(user["user_id"], deletion.token_hash(scheduled["receipt_token"]), "erase")["status"] == "erased"
    assert login(http, user)[0] != 200
    assert sweep(_needles(user, [])) == []


def test_the_overdue_watch_erases_what_ttl_has_not_removed_yet(http, runtime, capfd):
    from chalicelib.core import clock
    from tests.helpers import register

    user = register(http, runtime, "freelancer")
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    runtime.drain()
    clock.advance(15 * 86400 + 60)  # past the grace period and a day more; the TTL reaper does not run here
    capfd.readouterr()
    runtime.run_job("watch_erasures")
    out = capfd.readouterr().out
    assert '"ErasuresOverdue":[' in out and '"ErasuresOverdue":[0.0]' not in out
    for _ in range(5):
        runtime.poll_queues(retry_now=True)
    assert call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]["status"] == "erased"
    assert login(http, user)[0] != 200
    runtime.drain()
    assert sweep(_needles(user, [])) == []


def _held(items: list[dict]) -> dict[tuple[str, str, str], str]:
    """(item key, attribute) -> data category, for every attribute present on the items
    (keys, indexes and what is about the system rather than a person left out)."""
    from chalicelib.domain import datamap

    held = {}
    for item in items:
        for attr, value in item.items():
            field = datamap.ENTITIES.get(item["kind"], {}).get(attr)
            if value is None or attr in datamap.KEYS or field is None or field.category == datamap.SYSTEM:
                continue
            held[(item["pk"], item["sk"], attr)] = field.category
    return held


def test_the_receipt_of_a_user_who_had_one_of_everything_names_exactly_what_the_stores_still_hold(http, runtime, admin):
    from chalicelib.domain import datamap
    from chalicelib.repos import keys
    from tests import everything

    rich = everything.build(http, runtime, admin_token(http, admin))
    user, uid = rich.freelancer, rich.freelancer["user_id"]
    had = everything.items_of(uid)
    before = _held(had)
    assert keys.get(uid) is not None
    status, scheduled = call(http, "POST", "/me/deletion", token=login(http, user)[1]["token"])
    assert status == 202, scheduled
    _grace_ends(runtime)
    status, receipt = call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")
    assert status == 200 and receipt["status"] == "erased"

    after = _held(everything.items_of(uid))
    kept = {k["category"]: k["reason"] for k in receipt["kept"]}
    assert set(kept) == set(after.values()), "the receipt's kept categories are not what the stores still hold"
    assert all(kept.values())
    gone = {category for place, category in before.items() if place not in after}
    assert keys.get(uid) is None
    gone.add(datamap.WRAPPED_KEY["wrapped"].category)
    assert gone <= set(receipt["erased"]), "erased from the stores, missing from the receipt"
    ruled = {f.category for kind in {i["kind"] for i in had} for f in datamap.ENTITIES[kind].values() if f.rule == "erase"}
    assert set(receipt["erased"]) <= ruled | gone, "the receipt names as erased a category the user's items never had"

    # what the public and the counterpart see of the erased user, on every route
    employer_token = login(http, rich.employer)[1]["token"]
    for token in (None, employer_token):
        assert call(http, "GET", f"/users/{uid}/profile", token=token)[0] == 404
        assert call(http, "GET", f"/users/{uid}/reviews", token=token)[0] == 404
    seen = call(http, "GET", f"/contracts/{rich.contracts[0]}", token=employer_token)[1]
    assert seen["freelancer"]["full_name"] == "Deleted user"
    given = call(http, "GET", f"/users/{rich.employer['user_id']}/reviews", token=employer_token)[1]["items"]
    assert [r["comment"] for r in given if r["reviewer_id"] == uid] == [None]
