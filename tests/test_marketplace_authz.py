"""Who may call what: every marketplace route, called by the owner (employer), another
employer, the freelancer (bidder, then hired), another freelancer, an anonymous
caller and an admin. 404 where the caller may not see the object, 403 where they are
known but may not act, 401 without a token.

Cells that would change what the other cells look at (closing the project, accepting,
withdrawing, completing) are `None` here and tested in test_marketplace.py."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.helpers import admin_token, call, verified

ACTORS = ("owner", "other_employer", "freelancer", "other_freelancer", "anonymous", "admin")
MONEY = {"amount": 1000, "currency": "USD"}
BID = {"amount": MONEY, "cover_letter": "I can do it", "delivery_days": 3}
PROJECT = {"title": "Authz project", "description": "Who sees this?", "budget": MONEY}
PROFILE = {"headline": "Tester"}

# (method, path template, body, expected status per actor in ACTORS order)
MATRIX = [
    ("PUT", "/me/profile", PROFILE, (200, 200, 200, 200, 401, 403)),
    ("GET", "/users/{freelancer_id}/profile", None, (200, 200, 200, 200, 200, 200)),
    ("GET", "/users/{freelancer_id}/reviews", None, (200, 200, 200, 200, 200, 200)),
    ("POST", "/me/anonymity", {"enabled": False}, (200, 200, 200, 200, 401, 403)),
    ("GET", "/admin/profile-reviews", None, (403, 403, 403, 403, 401, 200)),
    ("POST", "/admin/profile-reviews/{freelancer_id}/decision", {"decision": "approve"}, (403, 403, 403, 403, 401, 404)),
    ("POST", "/projects", PROJECT, (201, 201, 403, 403, 401, 403)),
    ("GET", "/projects", None, (200, 200, 200, 200, 401, 403)),
    ("GET", "/projects/{project_id}", None, (200, 404, 200, 200, 404, 404)),
    ("PATCH", "/projects/{project_id}", {"title": "Authz project"}, (200, 404, 404, 404, 401, 404)),
    ("POST", "/projects/{project_id}/close", None, (None, 404, 404, 404, 401, 404)),
    ("POST", "/projects/{project_id}/files", {"filename": "a.txt", "content_type": "text/plain", "size": 3},
     (201, 404, 404, 404, 401, 404)),
    ("GET", "/projects/{project_id}/files", None, (200, 404, 200, 200, 401, 404)),
    ("POST", "/projects/{project_id}/bids", BID, (403, 403, 409, None, 401, 403)),
    ("GET", "/projects/{project_id}/bids", None, (200, 404, 404, 404, 401, 404)),
    ("DELETE", "/projects/{project_id}/bids/{bid_id}", None, (404, 404, None, 404, 401, 404)),
    ("POST", "/projects/{project_id}/bids/{bid_id}/accept", None, (None, 404, 404, 404, 401, 404)),
    ("GET", "/me/bids", None, (403, 403, 200, 200, 401, 403)),
    ("GET", "/contracts/{contract_id}", None, (200, 404, 200, 404, 401, 404)),
    ("GET", "/me/contracts", None, (200, 200, 200, 200, 401, 403)),
    ("POST", "/contracts/{contract_id}/complete", None, (None, 404, 403, 404, 401, 404)),
    ("POST", "/contracts/{contract_id}/fund", None, (400, 404, 403, 404, 401, 404)),  # the owner: no Idempotency-Key
    ("POST", "/contracts/{contract_id}/dispute", {"reason": "x"}, (None, 404, None, 404, 401, 404)),
    ("POST", "/admin/disputes/{contract_id}/resolve", {"release_to": "freelancer"}, (403, 403, 403, 403, 401, 409)),
    ("POST", "/contracts/{contract_id}/messages", {"body": "hello"}, (201, 404, 201, 404, 401, 404)),
    ("GET", "/contracts/{contract_id}/messages", None, (200, 404, 200, 404, 401, 404)),
    ("POST", "/contracts/{contract_id}/reviews", {"rating": 5}, (409, 404, 409, 404, 401, 404)),
]


@pytest.fixture(scope="module")
def scene(http, runtime, admin):
    """An open project with the freelancer's live bid, and a contract between the
    owner and the freelancer from an earlier project."""
    admin_tok = admin_token(http, admin)
    people = {role: verified(http, runtime, admin_tok, kind) for role, kind in (
        ("owner", "employer"), ("other_employer", "employer"), ("freelancer", "freelancer"), ("other_freelancer", "freelancer"))}
    tokens = {role: p["token"] for role, p in people.items()} | {"anonymous": None, "admin": admin_tok}

    def post(who, path, body=None):
        status, out = call(http, "POST", path, body, token=tokens[who])
        assert status == 201, out
        return out

    earlier = post("owner", "/projects", PROJECT)["project_id"]
    earlier_bid = post("freelancer", f"/projects/{earlier}/bids", BID)["bid_id"]
    contract_id = post("owner", f"/projects/{earlier}/bids/{earlier_bid}/accept")["contract_id"]
    project_id = post("owner", "/projects", PROJECT)["project_id"]
    bid_id = post("freelancer", f"/projects/{project_id}/bids", BID)["bid_id"]
    ids = {"project_id": project_id, "bid_id": bid_id, "contract_id": contract_id, "freelancer_id": people["freelancer"]["user_id"]}
    return SimpleNamespace(tokens=tokens, ids=ids)


CASES = [
    pytest.param(method, path, body, actor, expected, id=f"{method} {path} as {actor}")
    for method, path, body, statuses in MATRIX
    for actor, expected in zip(ACTORS, statuses, strict=True)
    if expected is not None
]


@pytest.mark.parametrize("method, path, body, actor, expected", CASES)
def test_route_answers_each_actor_as_specified(http, scene, method, path, body, actor, expected):
    from local.aws_calls import counting

    with counting() as calls:
        status, reply = call(http, method, path.format(**scene.ids), body, token=scene.tokens[actor])
    assert status == expected, reply
    assert calls["dynamodb:Scan"] == 0  # every access is a Get, BatchGet or Query
    if status == 404:
        assert reply["Code"] == "NotFoundError"
    if status >= 400:
        assert set(reply) <= {"Code", "Message", "Details"}


def test_every_route_of_the_marketplace_is_in_the_matrix(app):
    from chalicelib.api.http import ROUTES

    areas = ("/projects", "/contracts", "/me/bids", "/me/contracts", "/me/profile", "/me/anonymity", "/users/", "/admin/profile-reviews",
             "/admin/disputes")
    routes = {(method, path) for (path, method) in ROUTES if path.startswith(areas)}
    covered = {(method, path.replace("{freelancer_id}", "{user_id}")) for method, path, _, _ in MATRIX}
    assert routes == covered


def test_successful_answers_match_the_documented_response_models(http, scene):
    """What the OpenAPI document promises is what comes back."""
    from chalicelib.api.http import ROUTES

    checked = 0
    for method, path, body, statuses in MATRIX:
        for actor, expected in zip(ACTORS, statuses, strict=True):
            spec = ROUTES[(path.replace("{freelancer_id}", "{user_id}"), method)]
            if expected is None or expected >= 300 or spec.response is None or method not in ("GET", "PUT"):
                continue
            status, reply = call(http, method, path.format(**scene.ids), body, token=scene.tokens[actor])
            assert status == expected
            spec.response.model_validate(reply)
            checked += 1
    assert checked >= 20
