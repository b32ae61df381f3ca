"""Who may call what: every route of API.md, called by every kind of caller, with the
exact status each gets, and no refused answer carrying any of the objects' data.

Callers: anonymous; the owner (an employer with an open project, a bid on it and a
contract); a stranger of the same role (another employer); the counterpart (the
freelancer who bid and was hired); another freelancer; an admin; a restricted user (a
freelancer who has not accepted the policy version in effect: reads, but may not
create); an erased user (their token outlived their account).

404 where the caller may not see the object (its existence does not leak), 403 where
they are known and may not act, 401 without a valid token or account. A cell is
`None` when answering it would change what the other cells look at (closing the
project, accepting, withdrawing, signing out, asking for deletion...); those are tested
where the change is the subject (test_marketplace.py, test_deletion.py, ...).
"""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest

from tests.helpers import admin_token, call, register, text_tag, verified

CALLERS = ("anonymous", "owner", "other_employer", "freelancer", "other_freelancer", "admin", "restricted", "erased")
MONEY = {"amount": 1000, "currency": "USD"}
MARK = text_tag(8)  # in every private text of the scene, so a leak is recognisable
DESCRIPTION = f"Secret brief {MARK}"
COVER = f"Secret cover letter {MARK}"
MESSAGE = f"Secret message {MARK}"
PROJECT = {"title": "Matrix project", "description": DESCRIPTION, "budget": MONEY}
BID = {"amount": MONEY, "cover_letter": COVER, "delivery_days": 3}
PAST = "2020-01-01T00:00:00Z"

ALL = lambda status: (status,) * len(CALLERS)  # noqa: E731 - a route that answers everyone alike
#            anon owner oth_e frl  oth_f admin restr erased
USER = (401, 200, 200, 200, 200, 200, 200, 401)  # the caller's own data (an admin is an account holder too)

# (method, path template, body or query, status per caller in CALLERS order)
MATRIX: list[tuple[str, str, object, tuple]] = [
    # platform and policies: public
    ("GET", "/health", None, ALL(200)),
    ("GET", "/openapi.json", None, ALL(200)),
    ("GET", "/policies/current", None, ALL(200)),
    ("GET", "/policies", None, ALL(200)),
    ("GET", "/policies/profile", None, ALL(200)),
    ("GET", "/policies/data-map", None, ALL(200)),
    # accounts
    ("POST", "/auth/signup", {"email": f"m-{MARK}@example.com", "password": "Correct-Horse-9", "role": "employer", "full_name": "M",
                              "phone": "+14155550199", "date_of_birth": "1990-01-01", "accepted_policy_version": "0.1"}, ALL(409)),
    ("POST", "/auth/verify-phone", {"email": f"nobody-{MARK}@example.com", "code": "123456"}, ALL(400)),
    ("POST", "/auth/resend-code", {"email": f"nobody-{MARK}@example.com"}, ALL(202)),
    ("POST", "/auth/login", {"email": f"nobody-{MARK}@example.com", "password": "Wrong-Passw0rd"}, ALL(401)),
    ("POST", "/auth/refresh", {"refresh_token": "not-a-refresh-token"}, ALL(401)),
    ("POST", "/auth/logout", None, (401, None, None, None, None, None, None, 401)),
    ("GET", "/me", None, (401, 200, 200, 200, 200, 200, 200, 401)),
    ("PATCH", "/me", {"timezone": "Europe/Paris"}, (401, 200, 200, 200, 200, 200, 200, 401)),
    # identity
    ("POST", "/me/identity", {"id_type": "passport", "id_number": "AB1234567"}, (401, 409, 409, 409, 409, 201, 409, 401)),
    ("POST", "/me/identity/submit", None, (401, 409, 409, 409, 409, 409, 409, 401)),  # approved already; the admin: no upload
    ("GET", "/me/identity", None, USER),
    ("GET", "/admin/identity", {"status": "submitted"}, (401, 403, 403, 403, 403, 200, 403, 401)),
    ("GET", "/admin/identity/{freelancer_id}/documents", None, (401, 403, 403, 403, 403, 200, 403, 401)),
    ("POST", "/admin/identity/{freelancer_id}/decision", {"decision": "approve"}, (401, 403, 403, 403, 403, 409, 403, 401)),
    ("GET", "/admin/audit", {"user_id": "{freelancer_id}"}, (401, 403, 403, 403, 403, 200, 403, 401)),
    # profiles
    ("PUT", "/me/profile", {"headline": "Tester"}, (401, 200, 200, 200, 200, 403, 200, 401)),
    ("GET", "/users/{freelancer_id}/profile", None, ALL(200)[:-1] + (401,)),  # a revoked token is a 401 even where none is needed
    ("GET", "/users/{erased_id}/profile", None, ALL(404)[:-1] + (401,)),
    ("GET", "/users/{freelancer_id}/reviews", None, ALL(200)[:-1] + (401,)),
    ("POST", "/me/anonymity", {"enabled": False}, (401, 200, 200, 200, 200, 403, 200, 401)),
    ("GET", "/admin/profile-reviews", None, (401, 403, 403, 403, 403, 200, 403, 401)),
    ("POST", "/admin/profile-reviews/{freelancer_id}/decision", {"decision": "approve"}, (401, 403, 403, 403, 403, 404, 403, 401)),
    # projects and bids
    ("POST", "/projects", PROJECT, (401, 201, 201, 403, 403, 403, 403, 401)),
    ("GET", "/projects", None, (401, 200, 200, 200, 200, 403, 200, 401)),
    ("GET", "/projects/{project_id}", None, (404, 200, 404, 200, 200, 404, 200, 401)),
    ("PATCH", "/projects/{project_id}", {"title": "Matrix project"}, (401, 200, 404, 404, 404, 404, 404, 401)),
    ("POST", "/projects/{project_id}/close", None, (401, None, 404, 404, 404, 404, 404, 401)),
    ("POST", "/projects/{project_id}/files", {"filename": "a.txt", "content_type": "text/plain", "size": 3},
     (401, 201, 404, 404, 404, 404, 404, 401)),
    ("GET", "/projects/{project_id}/files", None, (401, 200, 404, 200, 200, 404, 200, 401)),
    ("POST", "/projects/{project_id}/bids", BID, (401, 403, 403, 409, None, 403, 403, 401)),
    ("GET", "/projects/{project_id}/bids", None, (401, 200, 404, 404, 404, 404, 404, 401)),
    ("DELETE", "/projects/{project_id}/bids/{bid_id}", None, (401, 404, 404, None, 404, 404, 404, 401)),
    ("POST", "/projects/{project_id}/bids/{bid_id}/accept", None, (401, None, 404, 404, 404, 404, 404, 401)),
    ("GET", "/me/bids", None, (401, 403, 403, 200, 200, 403, 200, 401)),
    # contracts
    ("GET", "/contracts/{contract_id}", None, (401, 200, 404, 200, 404, 404, 404, 401)),
    ("GET", "/me/contracts", None, (401, 200, 200, 200, 200, 403, 200, 401)),
    ("POST", "/contracts/{contract_id}/fund", None, (401, 400, 404, 403, 404, 404, 404, 401)),  # the owner: no Idempotency-Key
    ("POST", "/contracts/{contract_id}/complete", None, (401, None, 404, 403, 404, 404, 404, 401)),
    ("POST", "/contracts/{contract_id}/dispute", {"reason": "x"}, (401, None, 404, None, 404, 404, 404, 401)),
    ("POST", "/admin/disputes/{contract_id}/resolve", {"release_to": "freelancer"}, (401, 403, 403, 403, 403, 409, 403, 401)),
    ("POST", "/contracts/{contract_id}/messages", {"body": "hello"}, (401, 201, 404, 201, 404, 404, 404, 401)),
    ("GET", "/contracts/{contract_id}/messages", None, (401, 200, 404, 200, 404, 404, 404, 401)),
    ("POST", "/contracts/{contract_id}/reviews", {"rating": 5}, (401, 409, 404, 409, 404, 404, 404, 401)),
    # money
    ("PUT", "/me/payout-method", {"type": "upi", "upi_id": "matrix@okbank"}, (401, 200, 200, 200, 200, 403, 200, 401)),
    ("GET", "/me/payout-method", None, (401, 200, 200, 200, 200, 404, 200, 401)),  # the admin may set none
    ("GET", "/me/wallet", None, USER),
    ("POST", "/me/payouts", {"amount": MONEY}, (401, 400, 400, 400, 400, 400, 400, 401)),  # no Idempotency-Key: refused first
    ("GET", "/me/payouts", None, USER),
    ("GET", "/me/receipts", None, USER),
    # privacy: consents, policy decisions, exports, deletion, disclosures
    ("GET", "/me/consents", None, USER),
    ("PUT", "/me/consents", {"analytics": False}, USER),
    ("GET", "/me/consents/history", None, USER),
    ("GET", "/unsubscribe", {"token": "x" * 40}, ALL(400)),
    ("POST", "/unsubscribe", {"token": "x" * 40}, ALL(400)),
    ("POST", "/admin/campaigns", {"subject": "Hi", "body": "News"}, (401, 403, 403, 403, 403, None, 403, 401)),
    ("POST", "/me/policy-decisions", {"version": "9.9", "decision": "accept"}, (401, 404, 404, 404, 404, 404, 404, 401)),
    ("GET", "/policy-decisions/link", {"version": "1.0", "decision": "accept", "token": "x" * 40}, ALL(400)),
    ("POST", "/policy-decisions/link", {"version": "1.0", "decision": "accept", "token": "x" * 40}, ALL(400)),
    ("GET", "/me/notices", None, USER),
    ("POST", "/admin/policies", {"version": "9.9", "summary": "s", "text": "t", "effective_at": PAST, "material": False},
     (401, 403, 403, 403, 403, 422, 403, 401)),  # published, it would notify every user of the session
    ("POST", "/admin/announcements", {"kind": "service", "subject": "Hi", "body": "News"}, (401, 403, 403, 403, 403, None, 403, 401)),
    ("POST", "/me/exports", None, (401, None, None, None, None, 202, None, 401)),
    ("GET", "/me/exports/{export_id}", None, (401, 404, 404, 404, 404, 404, 404, 401)),
    ("POST", "/me/deletion", None, (401, None, None, None, None, 403, None, 401)),
    ("DELETE", "/me/deletion", None, (401, 404, 404, 404, 404, 404, 404, 401)),
    ("GET", "/me/deletion-receipt", {"token": "0" * 64}, ALL(404)),
    ("GET", "/me/disclosures", None, USER),
    ("POST", "/admin/disclosures", {"user_id": "{freelancer_id}", "recipient": "Court", "purpose": "Order", "legal_basis": "Law",
                                    "data_categories": ["user.name"], "notify_user": False}, (401, 403, 403, 403, 403, 201, 403, 401)),
    ("POST", "/admin/legal-holds", {"user_id": "{other_freelancer_id}", "reason": "matrix"}, (401, 403, 403, 403, 403, None, 403, 401)),
    ("DELETE", "/admin/legal-holds/{hold_id}", None, (401, 403, 403, 403, 403, 404, 403, 401)),
    ("POST", "/phishing-reports", {"reported_sender": "x@phish.example", "channel": "email", "content": "Click here",
                                   "received_at": "2026-01-01"}, (201, 201, 201, 201, 201, 201, 201, 401)),
]
LOCAL_ONLY = {"/_dev/clock", "/_dev/drain", "/_dev/jobs", "/_dev/jobs/{name}", "/_dev/outbox"}  # absent in deployed stages


@pytest.fixture(scope="module")
def scene(http, runtime, admin):
    from chalicelib.repos import deletion, users
    from chalicelib.services import erasure

    admin_tok = admin_token(http, admin)
    people = {who: verified(http, runtime, admin_tok, role, full_name=f"Matrix {who} {MARK}") for who, role in (
        ("owner", "employer"), ("other_employer", "employer"), ("freelancer", "freelancer"), ("other_freelancer", "freelancer"),
        ("restricted", "freelancer"))}
    users.UserItem(users.user_pk(people["restricted"]["user_id"]), "ACCOUNT").update(
        actions=[users.UserItem.policy_version.set("0.9")])  # accepted an earlier version only
    erased = register(http, runtime, "freelancer", full_name=f"Matrix erased {MARK}")
    status, scheduled = call(http, "POST", "/me/deletion", token=erased["token"])
    assert status == 202, scheduled
    assert erasure.run(erased["user_id"], deletion.token_hash(scheduled["receipt_token"]), "erase")["status"] == "erased"
    tokens = {who: p["token"] for who, p in people.items()} | {"anonymous": None, "admin": admin_tok, "erased": erased["token"]}

    def post(who, path, body=None):
        status, out = call(http, "POST", path, body, token=tokens[who])
        assert status == 201, out
        return out

    earlier = post("owner", "/projects", PROJECT)["project_id"]
    earlier_bid = post("freelancer", f"/projects/{earlier}/bids", BID)["bid_id"]
    contract_id = post("owner", f"/projects/{earlier}/bids/{earlier_bid}/accept")["contract_id"]
    post("owner", f"/contracts/{contract_id}/messages", {"body": MESSAGE})
    project_id = post("owner", "/projects", PROJECT)["project_id"]
    bid_id = post("freelancer", f"/projects/{project_id}/bids", BID)["bid_id"]
    ids = {"project_id": project_id, "bid_id": bid_id, "contract_id": contract_id, "freelancer_id": people["freelancer"]["user_id"],
           "other_freelancer_id": people["other_freelancer"]["user_id"], "erased_id": erased["user_id"],
           "export_id": uuid.uuid4().hex, "hold_id": uuid.uuid4().hex}
    secrets = [DESCRIPTION, COVER, MESSAGE] + [p[k] for p in people.values() for k in ("email", "phone", "full_name")]
    return SimpleNamespace(tokens=tokens, ids=ids, secrets=secrets)


def _request(method: str, path: str, body: object, ids: dict) -> tuple[str, object]:
    path = path.format(**ids)
    if (body is not None and method in ("GET", "DELETE")) or path in ("/unsubscribe", "/policy-decisions/link"):  # query, not body
        from urllib.parse import urlencode

        query = {k: str(v).format(**ids) for k, v in (body or {}).items()}
        return (f"{path}?{urlencode(query)}" if query else path), None
    if isinstance(body, dict):
        body = json.loads(json.dumps(body).replace("{freelancer_id}", ids["freelancer_id"])
                          .replace("{other_freelancer_id}", ids["other_freelancer_id"]))
    return path, body


CASES = [
    pytest.param(method, path, body, caller, expected, id=f"{method} {path} as {caller}")
    for method, path, body, statuses in MATRIX
    for caller, expected in zip(CALLERS, statuses, strict=True)
    if expected is not None
]


@pytest.mark.parametrize("method, path, body, caller, expected", CASES)
def test_route_answers_each_caller_as_specified(http, scene, method, path, body, caller, expected):
    from local.aws_calls import counting

    target, payload = _request(method, path, body, scene.ids)
    with counting() as calls:
        status, reply = call(http, method, target, payload, token=scene.tokens[caller])
    assert status == expected, reply
    assert calls["dynamodb:Scan"] == 0  # every access is a Get, BatchGet or Query
    if status >= 400:
        assert set(reply) <= {"Code", "Message", "Details"}, reply
        assert status != 404 or reply["Code"] == "NotFoundError"
        leaked = [s for s in scene.secrets if s in json.dumps(reply)]
        assert not leaked, f"a refused answer carries {leaked}"


def test_a_restricted_user_is_refused_only_what_creates(http, scene):
    """The restricted column's 403s are the policy's, not the role's."""
    for method, path, body in (("POST", "/projects/{project_id}/bids", BID), ("POST", "/me/payouts", {"amount": MONEY})):
        target, payload = _request(method, path, body, scene.ids)
        status, reply = call(http, method, target, payload, token=scene.tokens["restricted"],
                             headers={"Idempotency-Key": uuid.uuid4().hex})
        assert status == 403 and reply["Code"] == "PolicyNotAccepted", reply


def test_every_route_is_in_the_matrix(app):
    from chalicelib.api.http import ROUTES

    # the edge's preflights and 405s (api/edge.py) check no caller: tests/test_cors.py covers them
    routes = {(method, path) for path, methods in app.routes.items() for method in methods
              if path not in LOCAL_ONLY and (path, method) in ROUTES}
    covered = {(method, path.replace("{freelancer_id}", "{user_id}").replace("{erased_id}", "{user_id}")) for method, path, _, _ in MATRIX}
    assert routes == covered, {"not in the matrix": sorted(routes - covered), "no such route": sorted(covered - routes)}
    assert {p for p in app.routes if p.startswith("/_dev")} == LOCAL_ONLY


def test_successful_answers_match_the_documented_response_models(http, scene):
    """What the OpenAPI document promises is what comes back, for every caller it answers."""
    from chalicelib.api.http import ROUTES

    checked = 0
    for method, path, body, statuses in MATRIX:
        spec = ROUTES[(path.replace("{freelancer_id}", "{user_id}").replace("{erased_id}", "{user_id}"), method)]
        for caller, expected in zip(CALLERS, statuses, strict=True):
            if expected is None or expected >= 300 or spec.response is None or method not in ("GET", "PUT", "PATCH"):
                continue
            target, payload = _request(method, path, body, scene.ids)
            status, reply = call(http, method, target, payload, token=scene.tokens[caller])
            assert status == expected, reply
            spec.response.model_validate(reply)
            checked += 1
    assert checked >= 100


def test_the_secrets_looked_for_are_in_what_the_allowed_callers_see(http, scene):
    """The leak check can fail: the same values are in the answers to those who may see them."""
    seen = ""
    for path, caller in (("/projects/{project_id}", "owner"), ("/projects/{project_id}/bids", "owner"),
                         ("/contracts/{contract_id}", "freelancer"), ("/contracts/{contract_id}/messages", "freelancer")):
        status, reply = call(http, "GET", path.format(**scene.ids), token=scene.tokens[caller])
        assert status == 200, reply
        seen += json.dumps(reply)
    for secret in (DESCRIPTION, COVER, MESSAGE):
        assert secret in seen
    assert sum(s in seen for s in scene.secrets) >= 6  # both parties' contact details on the contract
