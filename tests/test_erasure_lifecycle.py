"""Deletion and erasure meeting the marketplace and money: a user whose deletion is
scheduled enters no new bids, contracts or fundings; erasure checks every blocker again
when it runs (and tells the user, once, when one stands in the way); it withdraws the
user's live bids and closes their open projects; and a job for a deletion that was
cancelled or asked again erases nothing. Over HTTP, with the clock advanced and the
jobs drained as the deployed event sources would run them."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from tests.helpers import (
    accept,
    admin_token,
    assert_books_balance,
    bid,
    call,
    contract,
    earn,
    funded,
    idempotency_key,
    login,
    post_project,
    register,
    verified,
)

USD = "USD"


@pytest.fixture(scope="module")
def world(http, runtime, admin):
    tok = admin_token(http, admin)
    return SimpleNamespace(admin=tok, employer=verified(http, runtime, tok, "employer"), runtime=runtime, http=http, admin_creds=admin)


@pytest.fixture(autouse=True)
def fresh_tokens(request):
    """The tests move the clock past grace periods: sign in again before each."""
    if "world" in request.fixturenames:
        world = request.getfixturevalue("world")
        world.admin = admin_token(world.http, world.admin_creds)
        world.employer["token"] = login(world.http, world.employer)[1]["token"]


@pytest.fixture(autouse=True)
def books_balance_after_each_scenario(cloud):
    yield
    assert_books_balance()


def _project(http, employer: dict, amount: int = 7000) -> str:
    return post_project(http, employer, amount)


def _bid(http, freelancer: dict, project_id: str, amount: int = 7000) -> tuple[int, dict]:
    return bid(http, freelancer, project_id, amount)


def _receipt(http, token: str) -> dict:
    status, receipt = call(http, "GET", f"/me/deletion-receipt?token={token}")
    assert status == 200, receipt
    return receipt


def _grace_ends(runtime, days: int = 14) -> None:
    runtime.advance_clock(days * 86400 + 60)
    runtime.drain()


# --- defect 2: nothing new while a deletion is scheduled ------------------------------------------

def test_while_a_deletion_is_scheduled_the_user_cannot_bid_post_accept_or_be_hired(http, runtime, world):
    employer = world.employer
    freelancer = verified(http, runtime, world.admin, "freelancer")
    early = _project(http, employer)
    status, early_bid = _bid(http, freelancer, early)
    assert status == 201, early_bid

    assert call(http, "POST", "/me/deletion", token=freelancer["token"])[0] == 202
    status, refused = _bid(http, freelancer, _project(http, employer))
    assert (status, refused.get("Code")) == (409, "DeletionScheduled"), refused
    status, refused = accept(http, employer, early, early_bid["bid_id"])  # hiring them now would hire an account being erased
    assert (status, refused.get("Code")) == (409, "AccountUnavailable"), refused
    assert call(http, "GET", f"/projects/{early}", token=employer["token"])[1]["status"] == "open"

    leaving = verified(http, runtime, world.admin, "employer")
    theirs = _project(http, leaving)
    other = verified(http, runtime, world.admin, "freelancer")
    status, other_bid = _bid(http, other, theirs)
    assert status == 201, other_bid
    assert call(http, "POST", "/me/deletion", token=leaving["token"])[0] == 202
    status, refused = call(http, "POST", "/projects", {"title": "More work", "description": "Another page",
                                                        "budget": {"amount": 100, "currency": USD}, "skills": ["css"]},
                           token=leaving["token"])
    assert (status, refused.get("Code")) == (409, "DeletionScheduled"), refused
    status, refused = accept(http, leaving, theirs, other_bid["bid_id"])
    assert (status, refused.get("Code")) == (409, "DeletionScheduled"), refused
    status, refused = _bid(http, verified(http, runtime, world.admin, "freelancer"), theirs)  # an owner leaving hires nobody
    assert (status, refused.get("Code")) == (409, "AccountUnavailable"), refused

    assert call(http, "DELETE", "/me/deletion", token=freelancer["token"])[0] == 200  # cancelling lifts it
    assert accept(http, employer, early, early_bid["bid_id"])[0] == 201
    runtime.drain()


def test_funding_is_refused_while_either_party_is_scheduled_for_deletion(http, runtime, world, monkeypatch):
    """Under aplusxpert an active contract does not block deletion, so the contract exists
    while its party waits to be erased: its escrow must not be funded then."""

    freelancer = verified(http, runtime, world.admin, "freelancer")
    hired = contract(http, world.employer, freelancer, 7000)
    employer = verified(http, runtime, world.admin, "employer")
    other = verified(http, runtime, world.admin, "freelancer")
    theirs = contract(http, employer, other, 5000)
    monkeypatch.setenv("PRIVACY_PROFILE", "aplusxpert")

    assert call(http, "POST", "/me/deletion", token=freelancer["token"])[0] == 202
    status, refused = call(http, "POST", f"/contracts/{hired}/fund", token=world.employer["token"], headers=idempotency_key())
    assert (status, refused.get("Code")) == (409, "AccountUnavailable"), refused
    assert call(http, "POST", "/me/deletion", token=employer["token"])[0] == 202
    status, refused = call(http, "POST", f"/contracts/{theirs}/fund", token=employer["token"], headers=idempotency_key())
    assert (status, refused.get("Code")) == (409, "DeletionScheduled"), refused
    for cid, who in ((hired, world.employer), (theirs, employer)):
        assert call(http, "GET", f"/contracts/{cid}", token=who["token"])[1]["escrow_status"] == "unfunded"
    for who in (freelancer, employer):
        assert call(http, "DELETE", "/me/deletion", token=who["token"])[0] == 200
    runtime.drain()


def test_a_blocker_that_appears_during_the_grace_period_stops_the_erasure_and_the_user_is_told_once(http, runtime, world,
                                                                                                      monkeypatch, capfd):
    """aplusxpert lets a party of an active (unfunded) contract ask for deletion; a dispute
    opened during the grace period must stop the erasure (its outcome is the user's to
    see, and under every profile an open dispute blocks)."""

    freelancer = verified(http, runtime, world.admin, "freelancer")
    cid = contract(http, world.employer, freelancer, 7000)
    monkeypatch.setenv("PRIVACY_PROFILE", "aplusxpert")
    status, scheduled = call(http, "POST", "/me/deletion", token=freelancer["token"])
    assert status == 202, scheduled
    assert call(http, "POST", f"/contracts/{cid}/dispute", {"reason": "scope changed"}, token=freelancer["token"])[0] == 200
    capfd.readouterr()

    _grace_ends(runtime)
    status, session = login(http, freelancer)
    assert status == 200  # nothing erased
    freelancer["token"] = session["token"]
    receipt = _receipt(http, scheduled["receipt_token"])
    assert receipt["status"] == "scheduled" and receipt["completed_at"] is None
    assert receipt["blocked_by"] == [{"type": "open_dispute", "id": cid}]
    failed = capfd.readouterr()
    assert "ErasureBlocked" in failed.err + failed.out and f"open_dispute {cid}" in failed.err + failed.out
    told = [m for m in call(http, "GET", f"/_dev/outbox?to={freelancer['email']}")[1]["items"]
            if "could not be completed" in (m.get("subject") or "")]
    assert len(told) == 1 and "dispute" in told[0]["body"] and cid in told[0]["body"]

    tok = admin_token(http, world.admin_creds)
    status, resolved = call(http, "POST", f"/admin/disputes/{cid}/resolve", {"release_to": "freelancer"}, token=tok)
    assert status == 200, resolved
    assert call(http, "DELETE", "/me/deletion", token=freelancer["token"])[0] == 200  # they may still stay


def test_money_blocks_deletion_under_every_profile_and_an_unfunded_contract_is_cancelled_by_erasure(http, runtime, world,
                                                                                                     monkeypatch):
    """aplusxpert names only disputes and legal holds as blockers; money blocks anyway (a
    wallet balance, a funded escrow: erasing would strand it where nobody can withdraw it).
    An active contract never funded does not block there, and the erasure cancels it."""

    monkeypatch.setenv("PRIVACY_PROFILE", "aplusxpert")
    earner = earn(http, runtime, world.admin, world.employer, 7000)
    status, refused = call(http, "POST", "/me/deletion", token=earner["token"])
    assert (status, refused.get("Code")) == (409, "DeletionBlocked"), refused
    assert refused["Details"]["blockers"] == [{"type": "wallet_balance", "id": USD}]

    hired = verified(http, runtime, world.admin, "freelancer")
    cid = funded(http, runtime, world.employer, hired, 5000)
    for who in (hired, world.employer):
        status, refused = call(http, "POST", "/me/deletion", token=who["token"])
        assert (status, refused.get("Code")) == (409, "DeletionBlocked"), refused
        assert {"type": "active_contract", "id": cid} in refused["Details"]["blockers"]
    from chalicelib.core import privacy
    from chalicelib.services import policy_text
    text = policy_text.render(privacy.load("aplusxpert"))[1]  # the policy says so
    assert "blocked while any of these is open: open dispute, legal hold, pending payout, wallet balance, active contract" in text

    leaving = verified(http, runtime, world.admin, "freelancer")
    unfunded = contract(http, world.employer, leaving, 3000)
    status, scheduled = call(http, "POST", "/me/deletion", token=leaving["token"])
    assert status == 202, scheduled
    _grace_ends(runtime)
    assert _receipt(http, scheduled["receipt_token"])["status"] == "erased"
    world.employer["token"] = login(http, world.employer)[1]["token"]
    seen = call(http, "GET", f"/contracts/{unfunded}", token=world.employer["token"])[1]
    assert seen["status"] == "cancelled" and seen["escrow_status"] == "unfunded", seen
    project = call(http, "GET", f"/projects/{seen['project_id']}", token=world.employer["token"])[1]
    assert project["status"] == "closed", project  # not stuck in_progress: the employer may post it anew
    status, refused = call(http, "POST", f"/contracts/{unfunded}/fund", token=world.employer["token"], headers=idempotency_key())
    assert status == 409, refused


# --- defects 3 and 5: what erasure leaves on the marketplace --------------------------------------

def test_an_erased_freelancers_live_bids_are_withdrawn_and_cannot_be_accepted(http, runtime, world):
    freelancer = verified(http, runtime, world.admin, "freelancer")
    project_id = _project(http, world.employer)
    status, bid = _bid(http, freelancer, project_id)
    assert status == 201, bid
    assert call(http, "POST", "/me/deletion", token=freelancer["token"])[0] == 202
    _grace_ends(runtime)
    assert login(http, freelancer)[0] != 200  # erased

    employer_token = login(http, world.employer)[1]["token"]
    bids = call(http, "GET", f"/projects/{project_id}/bids", token=employer_token)[1]["items"]
    assert [(b["bid_id"], b["status"]) for b in bids] == [(bid["bid_id"], "withdrawn")]
    status, refused = call(http, "POST", f"/projects/{project_id}/bids/{bid['bid_id']}/accept", token=employer_token)
    assert status == 409, refused
    assert call(http, "GET", f"/projects/{project_id}", token=employer_token)[1]["status"] == "open"
    contracts = call(http, "GET", "/me/contracts?limit=100", token=employer_token)[1]["items"]
    assert all(c["project_id"] != project_id for c in contracts)


def test_an_erased_employers_open_projects_are_closed_and_their_live_bids_rejected(http, runtime, world):
    employer = verified(http, runtime, world.admin, "employer")
    project_id = _project(http, employer)
    freelancer = verified(http, runtime, world.admin, "freelancer")
    status, bid = _bid(http, freelancer, project_id)
    assert status == 201, bid
    late = verified(http, runtime, world.admin, "freelancer")
    assert call(http, "POST", "/me/deletion", token=employer["token"])[0] == 202
    _grace_ends(runtime)
    assert login(http, employer)[0] != 200  # erased

    token = login(http, freelancer)[1]["token"]
    listed = call(http, "GET", "/projects?limit=100", token=token)[1]["items"]
    assert project_id not in [p["project_id"] for p in listed]
    assert call(http, "GET", f"/projects/{project_id}", token=token)[1]["status"] == "closed"
    mine = {b["bid_id"]: b["status"] for b in call(http, "GET", "/me/bids", token=token)[1]["items"]}
    assert mine[bid["bid_id"]] == "rejected"
    assert _bid(http, {**late, "token": login(http, late)[1]["token"]}, project_id)[0] == 409


# --- defect 6: a stale job erases nothing; cancelling and the start of erasure do not race ---------

def test_a_job_queued_before_the_user_cancelled_or_asked_again_erases_nothing(http, runtime):
    from chalicelib.core import clock

    user = register(http, runtime, "freelancer")
    status, first = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    runtime.drain()
    clock.advance(15 * 86400 + 60)  # a day past the grace period; TTL (lazy) has not removed the request yet
    runtime.run_job("watch_erasures")  # the overdue watch queues the erasure
    user["token"] = login(http, user)[1]["token"]

    assert call(http, "DELETE", "/me/deletion", token=user["token"]) == (200, {"status": "cancelled"})
    status, second = call(http, "POST", "/me/deletion", token=user["token"])  # asked again: a new grace period
    assert status == 202
    for _ in range(5):
        runtime.poll_queues(retry_now=True)  # the job queued for the first request runs now

    assert login(http, user)[0] == 200 and call(http, "GET", "/me", token=user["token"])[0] == 200
    assert _receipt(http, first["receipt_token"])["status"] == "cancelled"
    assert _receipt(http, second["receipt_token"])["status"] == "scheduled"
    assert call(http, "DELETE", "/me/deletion", token=user["token"])[0] == 200
    runtime.drain()


def test_once_erasure_has_begun_the_deletion_can_no_longer_be_cancelled(http, runtime, monkeypatch):
    from chalicelib.repos import deletion
    from chalicelib.services import erasure

    user = register(http, runtime, "freelancer")
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    token_hash = deletion.token_hash(scheduled["receipt_token"])
    first = erasure.ERASE_STEPS[0]
    real = erasure.STEP[first]

    def cut_off(*args, **kwargs):
        raise TimeoutError("the function timed out as the erasure began")

    monkeypatch.setitem(erasure.STEP, first, cut_off)
    with pytest.raises(TimeoutError):
        erasure.run(user["user_id"], token_hash, "erase")
    monkeypatch.setitem(erasure.STEP, first, real)

    status, refused = call(http, "DELETE", "/me/deletion", token=user["token"])
    assert status == 409, refused
    assert erasure.run(user["user_id"], token_hash, "erase")["status"] == "erased"
    assert _receipt(http, scheduled["receipt_token"])["status"] == "erased"
    assert login(http, user)[0] != 200
    runtime.drain()


# --- defect 2 under concurrency ----------------------------------------------------------------

ROUNDS = 12
STAGGER = (0.0, 0.01, 0.02, 0.03, 0.045, 0.06, 0.08, 0.1, 0.13, 0.17, 0.22, 0.3)


def test_racing_deletion_requests_against_accepts_and_bids_never_leaves_money_in_an_erased_account(http, runtime, world):
    """Each round a freelancer with a live bid asks for deletion while, at the same moment,
    the employer accepts that bid and the freelancer bids elsewhere. Whatever the order,
    either the deletion is refused or the accept is; then every contract made is funded
    and completed, the grace period ends, and no erased account holds money."""
    from chalicelib.repos import ledger, users

    rounds = []
    for _ in range(ROUNDS):
        freelancer = verified(http, runtime, world.admin, "freelancer")
        project_id, elsewhere = _project(http, world.employer), _project(http, world.employer)
        status, bid = _bid(http, freelancer, project_id)
        assert status == 201, bid
        rounds.append(SimpleNamespace(freelancer=freelancer, project_id=project_id, elsewhere=elsewhere, bid_id=bid["bid_id"]))

    for n, r in enumerate(rounds):
        start = threading.Barrier(3)
        answers: dict[str, tuple[int, dict]] = {}
        lag = STAGGER[n % len(STAGGER)]  # the accept and the bid start this much later: every order happens

        def act(name: str, do, _start=start, _answers=answers, _lag=lag) -> None:
            _start.wait()
            time.sleep(0 if name == "delete" else _lag)
            _answers[name] = do()

        threads = [
            threading.Thread(target=act, args=("delete", lambda r=r: call(http, "POST", "/me/deletion", token=r.freelancer["token"]))),
            threading.Thread(target=act, args=("accept", lambda r=r: accept(http, world.employer, r.project_id, r.bid_id))),
            threading.Thread(target=act, args=("bid", lambda r=r: _bid(http, r.freelancer, r.elsewhere))),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        r.answers = answers
        deleted, accepted = answers["delete"][0], answers["accept"][0]
        # both at once would hire, and then pay, an account being erased
        assert (deleted, accepted) in ((202, 409), (409, 201)), answers
        if deleted == 409:
            assert answers["delete"][1]["Code"] in ("DeletionBlocked", "ConflictError"), answers
        if accepted == 409:
            assert answers["accept"][1]["Code"] == "AccountUnavailable", answers
        if answers["bid"][0] == 201 and deleted == 202:  # a bid placed just before the deletion: never accepted
            assert accept(http, world.employer, r.elsewhere, answers["bid"][1]["bid_id"])[0] == 409
        if accepted == 201:
            cid = answers["accept"][1]["contract_id"]
            assert call(http, "POST", f"/contracts/{cid}/fund", token=world.employer["token"], headers=idempotency_key())[0] == 202
            runtime.drain()
            assert call(http, "POST", f"/contracts/{cid}/complete", token=world.employer["token"])[0] == 200
    runtime.drain()

    _grace_ends(runtime)
    outcomes = set()
    for r in rounds:
        account = users.UserItem.get(users.user_pk(r.freelancer["user_id"]), "ACCOUNT")
        held = {(a.account, a.currency): int(a.balance) for a in ledger.user_accounts(r.freelancer["user_id"])}
        outcomes.add((account.status, r.answers["accept"][0]))
        if account.status == users.ERASED:
            assert all(v == 0 for v in held.values()), (r.answers, held)
        else:
            assert held.get(("wallet", USD)) == 6300, (r.answers, held)
    assert all(status in (users.ERASED, users.ACTIVE) for status, _ in outcomes)
