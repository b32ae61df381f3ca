"""Someone who joins while a policy version is upcoming is told of it like everyone else,
and is not held to it before they were told (with the profile's notice period where it
demands one); and a rejection never turns into an acceptance without a new act of the
user. Over HTTP on real local stacks: the strict profile (30 days' notice, explicit
acceptance) and alujrat (no notice period, continued use is acceptance)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.live import Api, Stack

pytestmark = pytest.mark.e2e


def _at(api: Api, days: float) -> str:
    now = datetime.fromisoformat(api.get("/_dev/clock")["now"].replace("Z", "+00:00"))
    return (now + timedelta(days=days)).astimezone(UTC).isoformat()


def _publish(api: Api, version: str, days: float, material: bool = True) -> None:
    body = {"version": version, "summary": f"What changes in {version}.", "text": f"The full policy text, version {version}.",
            "effective_at": _at(api, days), "material": material}
    status, published = api.call("POST", "/admin/policies", body, api.admin())
    assert status == 201 and published["status"] == "upcoming", published


def _mail(api: Api, user: dict, version: str) -> list[dict]:
    return [m for m in api.outbox(user["email"]) if f"version {version}" in (m["subject"] or "")]


def _topics(api: Api, user: dict) -> list[str]:
    return [n["topic"] for n in api.get("/me/notices", user["token"])["items"] if n["purpose"] == "policy"]


def _me(api: Api, user: dict) -> dict:
    user["token"] = api.login(user)["token"]  # the clock moved: tokens carry its time
    return api.get("/me", user["token"])["policy"]


def _decide(api: Api, user: dict, version: str, decision: str) -> dict:
    status, decided = api.call("POST", "/me/policy-decisions", {"version": version, "decision": decision}, user["token"])
    assert status == 200, decided
    return decided["policy"]


@pytest.fixture(scope="module")
def strict():
    stack = Stack(PRIVACY_PROFILE="strict").start()
    yield Api(stack)
    stack.stop()


def test_a_member_who_joins_during_the_notice_period_is_told_and_gets_their_own_notice_period(strict):
    api = strict
    old = api.register("freelancer")
    _publish(api, "2.0", 31)
    api.drain()
    assert len(_mail(api, old, "2.0")) == 1

    api.advance(days=20)  # 11 days before the effective date: less than the 30 days' notice
    newcomer = api.register("employer")  # signup accepts the version in effect (1.0)
    assert api.get("/me", newcomer["token"])["policy"] == {"accepted_version": "1.0", "restricted": False}
    api.drain()
    api.drain()  # a redelivery sends nobody a second copy
    mail = _mail(api, newcomer, "2.0")
    assert len(mail) == 1, api.outbox(newcomer["email"])
    assert "What changes in 2.0." in mail[0]["body"]
    assert {k.lower() for k in re.findall(r"(Accept|Reject)[^:]*: \S+", mail[0]["body"])} == {"accept", "reject"}
    assert _topics(api, newcomer) == ["2.0"]
    assert len(_mail(api, old, "2.0")) == 1  # the old member is not told twice

    api.advance(days=12)  # 2.0 is in effect
    api.run_job("apply_policy_versions")
    assert api.current_version() == "2.0"
    assert _me(api, old) == {"accepted_version": "1.0", "restricted": True}
    # told 12 days ago: not held to 2.0 before 30 days have passed since
    assert _me(api, newcomer) == {"accepted_version": "1.0", "restricted": False}

    api.advance(days=17)  # 29 days after they were told
    assert _me(api, newcomer)["restricted"] is False
    api.advance(days=2)  # 31 days after
    assert _me(api, newcomer) == {"accepted_version": "1.0", "restricted": True}
    assert _decide(api, newcomer, "2.0", "accept") == {"accepted_version": "2.0", "restricted": False}

    # a signup now accepts the version in effect, and is told of nothing it has accepted
    late = api.register("freelancer")
    api.drain()
    assert _mail(api, late, "2.0") == [] and _topics(api, late) == []
    assert _me(api, late) == {"accepted_version": "2.0", "restricted": False}


def test_rejecting_the_version_one_accepted_never_brings_back_an_acceptance_one_withdrew(strict):
    api = strict
    user = api.register("freelancer")
    base = api.current_version()
    assert _me(api, user)["accepted_version"] == base
    _publish(api, "3.0", 45)
    _publish(api, "4.0", 50)
    assert _decide(api, user, "3.0", "accept")["accepted_version"] == "3.0"
    assert _decide(api, user, "3.0", "reject")["accepted_version"] == base
    assert _decide(api, user, "4.0", "accept")["accepted_version"] == "4.0"
    # 3.0 was rejected after it was accepted: withdrawing 4.0 goes back to the signup's version, not to 3.0
    assert _decide(api, user, "4.0", "reject")["accepted_version"] == base
    assert _me(api, user)["accepted_version"] == base


@pytest.fixture(scope="module")
def lenient():
    stack = Stack(PRIVACY_PROFILE="alujrat").start()
    yield Api(stack)
    stack.stop()


def test_continued_use_is_not_taken_as_acceptance_from_someone_who_rejected(lenient):
    api = lenient
    rejects, silent = api.register("freelancer"), api.register("employer")
    _publish(api, "2.0", 5)
    api.drain()
    newcomer = api.register("freelancer")  # joins after the publication
    api.drain()
    for user in (rejects, silent, newcomer):
        assert len(_mail(api, user, "2.0")) == 1, user["email"]
        assert _topics(api, user) == ["2.0"]
    assert _decide(api, rejects, "2.0", "reject")["accepted_version"] == "1.0"

    api.advance(days=6)
    api.run_job("apply_policy_versions")
    assert api.current_version() == "2.0"
    assert _me(api, silent)["accepted_version"] == "2.0"  # continued use, after being told
    assert _me(api, newcomer)["accepted_version"] == "2.0"
    assert _me(api, rejects)["accepted_version"] == "1.0"  # their rejection stands
    history = api.get("/me/consents/history", rejects["token"])["items"]
    assert [(h["decision"], h["policy_version"]) for h in history if h["purpose"] == "policy"][0] == ("reject", "2.0")
    # a new act of theirs still counts
    assert _decide(api, rejects, "2.0", "accept")["accepted_version"] == "2.0"
