"""Consent per purpose: defaults from the profile, changes recorded in an append-only
ledger with time, source and policy version, and the marketing index campaigns read."""
from __future__ import annotations

import pytest

from tests.helpers import call, register


@pytest.fixture(scope="module")
def user(http, runtime):
    return register(http, runtime, "freelancer")


def _marketing_audience() -> set[str]:
    from chalicelib.repos import users

    return {u.user_id for u in users.UserItem.gsi2.query(users.MARKETING_ON)}


def test_a_new_user_has_the_profiles_defaults_recorded_as_given_at_signup(http, user):
    status, consents = call(http, "GET", "/me/consents", token=user["token"])
    assert status == 200
    # strict is opt-in: nothing on until the user says so
    assert {k: consents[k] for k in ("marketing", "analytics", "promotions", "third_party_sharing")} == {
        "marketing": False, "analytics": False, "promotions": False, "third_party_sharing": False}
    history = call(http, "GET", "/me/consents/history?limit=100", token=user["token"])[1]["items"]
    assert {(e["purpose"], e["decision"], e["source"], e["policy_version"]) for e in history} == {
        ("policy", "accept", "signup", "1.0"), ("marketing", "off", "signup", "1.0"), ("analytics", "off", "signup", "1.0"),
        ("promotions", "off", "signup", "1.0"), ("third_party_sharing", "off", "signup", "1.0")}
    assert user["user_id"] not in _marketing_audience()


def test_changes_are_appended_with_source_and_version_and_unchanged_ones_write_nothing(http, user):
    status, consents = call(http, "PUT", "/me/consents", {"marketing": True, "analytics": False}, token=user["token"])
    assert status == 200 and consents["marketing"] is True and consents["analytics"] is False
    assert call(http, "GET", "/me/consents", token=user["token"])[1]["marketing"] is True
    assert user["user_id"] in _marketing_audience()
    history = call(http, "GET", "/me/consents/history", token=user["token"])[1]["items"]
    assert (history[0]["purpose"], history[0]["decision"], history[0]["source"]) == ("marketing", "on", "settings")
    count = len(call(http, "GET", "/me/consents/history?limit=100", token=user["token"])[1]["items"])
    assert call(http, "PUT", "/me/consents", {"marketing": True}, token=user["token"])[0] == 200
    assert len(call(http, "GET", "/me/consents/history?limit=100", token=user["token"])[1]["items"]) == count
    assert call(http, "PUT", "/me/consents", {"marketing": False}, token=user["token"])[1]["marketing"] is False
    assert user["user_id"] not in _marketing_audience()
    first = call(http, "GET", "/me/consents/history?limit=2", token=user["token"])[1]
    assert first["next_cursor"] and len(first["items"]) == 2
    rest = call(http, "GET", f"/me/consents/history?limit=100&cursor={first['next_cursor']}", token=user["token"])[1]
    assert len(first["items"]) + len(rest["items"]) == count + 1


@pytest.mark.parametrize(("payload", "field"), [({}, "body"), ({"marketing": "yes"}, "marketing"), ({"newsletter": True}, "newsletter")])
def test_bad_consent_changes_are_a_400_naming_the_field(http, user, payload, field):
    status, error = call(http, "PUT", "/me/consents", payload, token=user["token"])
    assert status == 400 and field in error["Message"] + str(error.get("Details"))


def test_consents_need_a_sign_in(http):
    assert call(http, "GET", "/me/consents")[0] == 401
    assert call(http, "PUT", "/me/consents", {"marketing": True})[0] == 401


@pytest.mark.parametrize(("profile", "on"), [("appexert", True), ("webperhour", True), ("alujrat", True), ("aplusxpert", False)])
def test_marketing_and_analytics_default_to_what_each_profile_says(http, runtime, monkeypatch, profile, on):
    """opt-out profiles (appexert: "on, opt-out"; webperhour, alujrat) start with marketing
    on; opt-in ones (aplusxpert, strict) off. Promotions and third-party sharing are off
    everywhere."""
    from chalicelib.core import privacy
    from tests.helpers import otp_from_outbox, signup_payload

    monkeypatch.setenv("PRIVACY_PROFILE", profile)
    payload = signup_payload("employer", date_of_birth="1980-01-01")
    assert call(http, "POST", "/auth/signup", payload)[0] == 201
    if privacy.active().phone_otp_required:
        code = otp_from_outbox(http, runtime, payload["phone"])
        assert call(http, "POST", "/auth/verify-phone", {"email": payload["email"], "code": code})[0] == 200
    token = call(http, "POST", "/auth/login", {"email": payload["email"], "password": payload["password"]})[1]["token"]
    consents = call(http, "GET", "/me/consents", token=token)[1]
    assert (consents["marketing"], consents["analytics"], consents["promotions"], consents["third_party_sharing"]) == (on, on, False, False)
