"""A route's load: what it declares it reads is read in the same call as the caller's
account, and nothing it read reaches a caller whose account is not admitted (a page step
included: `GET /projects/{id}/bids` queries its page of bids before the account is read)."""
from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

from tests.helpers import admin_token, call, place_bid, post_project, verified

BUDGET = {"amount": 50000, "currency": "USD"}
LETTER = "Seven years of static sites, shipped on time."


@pytest.fixture(scope="module")
def world(http, runtime, admin):
    admin_tok = admin_token(http, admin)
    return SimpleNamespace(admin=admin_tok, freelancer=verified(http, runtime, admin_tok, "freelancer"))


def _project_with_a_bid(http, runtime, world) -> tuple[dict, str, str]:
    employer = verified(http, runtime, world.admin, "employer")
    payload = {"title": "A landing page", "description": "A fast static site.", "budget": BUDGET, "skills": ["html"]}
    status, created = call(http, "POST", "/projects", payload, token=employer["token"])
    assert status == 201, created
    bid = {"amount": {"amount": 40000, "currency": "USD"}, "cover_letter": LETTER, "delivery_days": 7}
    status, placed = call(http, "POST", f"/projects/{created['project_id']}/bids", bid, token=world.freelancer["token"])
    assert status == 201, placed
    return employer, created["project_id"], placed["bid_id"]


class _Reads:
    """Every DynamoDB read of a request: its operation and, for a batch, the keys it named."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def __call__(self, service: str, operation: str, params: dict) -> None:
        if service != "dynamodb":
            return
        keys: list[tuple[str, str]] = []
        if operation == "BatchGetItem":
            keys = [(k["pk"]["S"], k["sk"]["S"]) for table in params["RequestItems"].values() for k in table["Keys"]]
        elif operation == "GetItem":
            keys = [(params["Key"]["pk"]["S"], params["Key"]["sk"]["S"])]
        self.calls.append((operation, keys))


def _reads(http, method: str, path: str, token: str) -> tuple[int, dict, list[tuple[str, list[tuple[str, str]]]]]:
    from local.aws_calls import observe

    reads = _Reads()
    stop = observe(reads)
    try:
        status, reply = call(http, method, path, token=token)
    finally:
        stop()
    return status, reply, reads.calls


def test_a_routes_load_is_read_in_the_same_single_call_as_the_account(http, world):
    user = world.freelancer
    account = (f"USER#{user['user_id']}", "ACCOUNT")
    method = {"type": "upi", "upi_id": "ada.loads@okaxis"}
    assert call(http, "PUT", "/me/payout-method", method, token=user["token"])[0] == 200
    call(http, "GET", "/me/payout-method", token=user["token"])  # a warm container

    status, reply, reads = _reads(http, "GET", "/me/payout-method", user["token"])
    assert status == 200 and reply["upi_id_masked"] == "ad***@okaxis", reply
    assert [op for op, _ in reads] == ["BatchGetItem"]
    assert {account, (account[0], "PAYOUT_METHOD")} <= set(reads[0][1])

    status, reply, reads = _reads(http, "GET", "/me/wallet", user["token"])
    assert status == 200 and reply["balance"] == {"amount": 0, "currency": "USD"}, reply
    assert [op for op, _ in reads] == ["BatchGetItem", "Query"]  # the balances with the account, then the ledger page
    assert {account, (account[0], "LEDGER#wallet#USD"), (account[0], "LEDGER#held#INR")} <= set(reads[0][1])


def test_the_bids_page_is_queried_before_the_one_batch_of_account_project_and_bidders(http, runtime, world):
    employer, project_id, _ = _project_with_a_bid(http, runtime, world)
    call(http, "GET", f"/projects/{project_id}/bids", token=employer["token"])  # a warm container
    status, reply, reads = _reads(http, "GET", f"/projects/{project_id}/bids", employer["token"])
    assert status == 200 and [b["cover_letter"] for b in reply["items"]] == [LETTER], reply
    assert [op for op, _ in reads] == ["Query", "BatchGetItem"]
    assert {(f"USER#{employer['user_id']}", "ACCOUNT"), (f"USER#{world.freelancer['user_id']}", "ACCOUNT")} <= set(reads[1][1])


def _refused_without_the_page(http, path: str, token: str, secrets: list[str]) -> None:
    status, reply, reads = _reads(http, "GET", path, token)
    assert status == 401 and reply["Code"] == "UnauthorizedError", reply
    assert set(reply) <= {"Code", "Message"}
    shown = json.dumps(reply)
    assert not [s for s in secrets if s in shown]
    assert "BatchGetItem" in [op for op, _ in reads]  # the account was read, and refused


def test_a_revoked_token_is_401_on_a_route_with_a_page_and_the_page_is_not_returned(http, runtime, world):
    employer, project_id, bid_id = _project_with_a_bid(http, runtime, world)
    assert call(http, "POST", "/auth/logout", token=employer["token"])[0] == 200
    _refused_without_the_page(http, f"/projects/{project_id}/bids", employer["token"], [bid_id, LETTER, world.freelancer["user_id"]])


def test_a_closed_accounts_token_is_401_on_a_route_with_a_page_and_the_page_is_not_returned(http, runtime, world):
    from chalicelib.repos import users

    employer, project_id, bid_id = _project_with_a_bid(http, runtime, world)
    users.UserItem(*users.account_key(employer["user_id"])).update(actions=[users.UserItem.status.set(users.CLOSED)])
    _refused_without_the_page(http, f"/projects/{project_id}/bids", employer["token"], [bid_id, LETTER, world.freelancer["user_id"]])


def test_verifying_the_token_and_admitting_the_account_run_no_query(http, runtime, world):
    """The authenticator reads the account by key; a page step is the load's, run before it."""
    from chalicelib.services import accounts, projects
    from local.aws_calls import counting

    employer, project_id, _ = _project_with_a_bid(http, runtime, world)
    load = projects.load_bids(project_id, 20, None)
    with counting() as calls:
        verified_token = accounts.verify_token(f"Bearer {employer['token']}")
        assert calls.of("dynamodb") == 0
        load.prepare(verified_token.user_id)
    assert calls["dynamodb:Query"] == 1  # the page
    with counting() as calls:
        caller = accounts.admit(verified_token, load)
    assert caller.user_id == employer["user_id"]
    assert calls["dynamodb:Query"] == 0 and calls.of("dynamodb") == 1
    shown = load.result()
    assert shown.project is not None and shown.project.project_id == project_id
    assert list(shown.bidders) == [world.freelancer["user_id"]]


# A revoked token is 401 whatever the page step thinks of its query: the page's errors are
# held until the account is admitted (api/http.py `_authenticate`).
@pytest.fixture(scope="module")
def revoked(http, runtime, admin):
    admin_tok = admin_token(http, admin)
    employer = verified(http, runtime, admin_tok, "employer")
    freelancer = verified(http, runtime, admin_tok, "freelancer")
    project_id = post_project(http, employer)
    place_bid(http, freelancer, project_id)
    assert call(http, "POST", "/auth/logout", token=employer["token"])[0] == 200
    return employer["token"], project_id


@pytest.mark.parametrize("query", ["cursor=!!!!", "cursor=" + base64.urlsafe_b64encode(b"[1]").decode().rstrip("="), "limit=abc"])
def test_a_revoked_token_is_401_on_the_bids_page_whatever_its_query(http, revoked, query):
    token, project_id = revoked
    status, reply = call(http, "GET", f"/projects/{project_id}/bids?{query}", token=token)
    assert status == 401 and reply["Code"] == "UnauthorizedError", (status, reply)
