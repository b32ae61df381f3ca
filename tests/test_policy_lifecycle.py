"""A policy change from publication to restriction, over HTTP on a real local stack under
the default (strict) profile: the notice period is enforced, every user gets exactly
one email with working accept/reject links and an in-app notice, and once the version
is in effect whoever has not accepted it may read, correct and export but not create."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest

from tests.live import Api, Stack

pytestmark = pytest.mark.e2e
PROJECT = {"title": "A landing page", "description": "Build a small landing page with a contact form.",
           "budget": {"amount": 50000, "currency": "USD"}, "skills": ["html"]}


@pytest.fixture(scope="module")
def api():
    stack = Stack(PRIVACY_PROFILE="strict").start()
    yield Api(stack)
    stack.stop()


def _at(api: Api, days: float) -> str:
    now = datetime.fromisoformat(api.get("/_dev/clock")["now"].replace("Z", "+00:00"))
    return (now + timedelta(days=days)).astimezone(UTC).isoformat()


def _links(message: dict) -> dict[str, str]:
    found = dict(re.findall(r"(Accept|Reject)[^:]*: (\S+)", message["body"]))
    return {k.lower(): f"{urlparse(v).path}?{urlparse(v).query}" for k, v in found.items()}


def _notice_mail(api: Api, user: dict, version: str) -> list[dict]:
    return [m for m in api.outbox(user["email"]) if f"version {version}" in (m["subject"] or "")]


@pytest.fixture(scope="module")
def people(api):
    return {"accepts": api.member("freelancer"), "rejects": api.member("employer"), "silent": api.member("employer")}


def test_a_version_sooner_than_the_notice_period_is_refused(api, people):
    body = {"version": "1.5", "summary": "Too soon.", "text": "Text.", "effective_at": _at(api, 29)}
    status, error = api.call("POST", "/admin/policies", body, api.admin())
    assert status == 422 and error["Code"] == "NoticePeriodTooShort" and error["Details"]["field"] == "effective_at"
    assert api.call("POST", "/admin/policies", {**body, "effective_at": _at(api, 40)}, people["silent"]["token"])[0] == 403
    assert [p["version"] for p in api.get("/policies")["items"]] == ["1.0"]


def test_publishing_notifies_every_user_once_with_working_links_and_restricts_after_the_effective_date(api, people):
    before = api.get("/_dev/clock")["now"]
    body = {"version": "2.0", "summary": "We now keep sign-in records for 60 days.", "text": "The full policy text, version 2.0.",
            "effective_at": _at(api, 31), "material": True}
    status, published = api.call("POST", "/admin/policies", body, api.admin())
    assert status == 201 and published["status"] == "upcoming" and published["in_effect"] is False
    assert api.call("POST", "/admin/policies", body, api.admin())[0] == 409  # a version number is published once
    assert api.get("/policies/current")["version"] == "1.0"
    assert [(p["version"], p["status"]) for p in api.get("/policies")["items"]] == [("1.0", "in_effect"), ("2.0", "upcoming")]

    api.drain()
    api.drain()  # delivering again (a retried batch) sends nobody a second copy
    for user in people.values():
        mail = _notice_mail(api, user, "2.0")
        assert len(mail) == 1, (user["email"], mail)
        assert "We now keep sign-in records for 60 days." in mail[0]["body"] and set(_links(mail[0])) == {"accept", "reject"}
        notices = api.get("/me/notices", user["token"])["items"]
        assert [(n["purpose"], n["topic"], n["channels"]) for n in notices] == [("policy", "2.0", ["email"])]
    assert api.outbox("admin@local.test") == [] or all("2.0" not in (m["subject"] or "") for m in api.outbox("admin@local.test"))

    accept = _links(_notice_mail(api, people["accepts"], "2.0")[0])["accept"]
    reject = _links(_notice_mail(api, people["rejects"], "2.0")[0])["reject"]
    tampered = accept.replace("decision=accept", "decision=reject")
    assert api.call("GET", tampered)[0] == 400  # a link decides only what it was made for
    assert api.call("GET", accept.replace("version=2.0", "version=1.0"))[0] == 400
    status, decided = api.call("GET", accept)  # following the link records the decision, no sign-in
    assert status == 200 and decided["decision"] == "accept" and decided["policy"]["accepted_version"] == "2.0"
    status, decided = api.call("POST", reject)
    assert status == 200 and decided["decision"] == "reject"
    history = api.get("/me/consents/history", people["accepts"]["token"])["items"]
    assert (history[0]["purpose"], history[0]["decision"], history[0]["policy_version"], history[0]["source"]) == \
        ("policy", "accept", "2.0", "email_link")

    # before the effective date nobody is restricted, whatever they decided
    for user in people.values():
        assert api.get("/me", user["token"])["policy"]["restricted"] is False
    assert api.call("POST", "/projects", PROJECT, people["silent"]["token"])[0] == 201

    moved = api.advance(days=31)
    assert any(f["function"] == "apply_policy_versions" and f["ok"] for f in moved["fired"]), moved
    assert api.get("/policies/current")["version"] == "2.0" and before < api.get("/_dev/clock")["now"]
    assert [(p["version"], p["status"]) for p in api.get("/policies")["items"]] == [("1.0", "superseded"), ("2.0", "in_effect")]

    for name in ("silent", "rejects"):
        token = api.login(people[name])["token"]
        people[name]["token"] = token
        me = api.get("/me", token)
        assert me["policy"] == {"accepted_version": "1.0", "restricted": True}
        status, error = api.call("POST", "/projects", PROJECT, token)
        assert status == 403 and error["Code"] == "PolicyNotAccepted" and "2.0" in error["Message"]
        # reading, correcting, exporting, consents and deletion still work
        assert api.call("PATCH", "/me", {"timezone": "Europe/Paris"}, token)[0] == 200
        assert api.call("POST", "/me/exports", None, token)[0] == 202
        assert api.call("PUT", "/me/consents", {"analytics": True}, token)[0] == 200
        assert api.call("GET", "/me/consents/history", None, token)[0] == 200
    accepts = api.login(people["accepts"])["token"]
    assert api.get("/me", accepts)["policy"] == {"accepted_version": "2.0", "restricted": False}

    status, decided = api.call("POST", "/me/policy-decisions", {"version": "2.0", "decision": "accept"}, people["silent"]["token"])
    assert status == 200 and decided["policy"] == {"accepted_version": "2.0", "restricted": False}
    assert api.call("POST", "/projects", PROJECT, people["silent"]["token"])[0] == 201
    assert api.call("POST", "/me/policy-decisions", {"version": "1.0", "decision": "accept"}, people["silent"]["token"])[0] == 409
    assert api.call("POST", "/me/policy-decisions", {"version": "9.9", "decision": "accept"}, people["silent"]["token"])[0] == 404
    # a new signup must accept the version now in effect
    status, error, _ = api.signup(accepted_policy_version="1.0")
    assert status == 409 and error["Code"] == "PolicyVersionMismatch"


def test_an_announcement_reaches_every_member_once_by_email_and_in_app(api, people):
    status, accepted = api.call("POST", "/admin/announcements", {"kind": "business_transfer", "subject": "We are joining Example Corp",
                                                                 "body": "Your account and data move to Example Corp on 1 March."}, api.admin())
    assert status == 202 and accepted["announcement_id"]
    assert api.call("POST", "/admin/announcements", {"kind": "gossip", "subject": "x", "body": "y"}, api.admin())[0] == 400
    api.drain()
    api.drain()
    for user in people.values():
        mail = [m for m in api.outbox(user["email"]) if m["subject"] == "We are joining Example Corp"]
        assert len(mail) == 1 and "move to Example Corp" in mail[0]["body"]
        notices = api.get("/me/notices", api.login(user)["token"])["items"]
        assert notices[0]["purpose"] == "announcement" and notices[0]["topic"] == "business_transfer"
