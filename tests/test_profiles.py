"""Each privacy profile's age and verification rules, seen through the API; and a bad
profile stops start-up with a clear message."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.core import privacy
from tests.helpers import PASSWORD, call, otp_from_outbox, signup_payload, years_ago

ROOT = Path(__file__).resolve().parent.parent

# what PRIVACY-PROFILES.md promises, per profile
EXPECTED = {
    "strict": {"minor_employer_with_guardian": True, "phone_otp": True, "identity": True, "anonymity": True},
    "aplusxpert": {"minor_employer_with_guardian": False, "phone_otp": True, "identity": True, "anonymity": True},
    "appexert": {"minor_employer_with_guardian": False, "phone_otp": False, "identity": False, "anonymity": False},
    "alujrat": {"minor_employer_with_guardian": True, "phone_otp": True, "identity": True, "anonymity": False},
    "webperhour": {"minor_employer_with_guardian": False, "phone_otp": True, "identity": True, "anonymity": False},
}
GUARDIAN = {"full_name": "Parent Person", "email": "parent@example.com", "consent": True}


@pytest.fixture(params=sorted(EXPECTED))
def profile(request, monkeypatch):
    monkeypatch.setenv("PRIVACY_PROFILE", request.param)
    return request.param


def test_every_profile_file_is_listed_and_valid():
    assert privacy.available() == sorted(EXPECTED)
    for name in EXPECTED:
        assert privacy.load(name).data_sold is False


def test_age_rules_of_each_profile(client, runtime, profile):
    expected = EXPECTED[profile]
    status, published = call(client, "GET", "/policies/profile")
    assert published["name"] == profile
    assert published["identity_verification_required"] is expected["identity"]
    assert published["anonymity_allowed"] is expected["anonymity"]

    # adults of both roles are admitted
    for role in ("freelancer", "employer"):
        assert call(client, "POST", "/auth/signup", signup_payload(role, date_of_birth=years_ago(18)))[0] == 201
    # a 17-year-old freelancer never is
    status, error = call(client, "POST", "/auth/signup", signup_payload("freelancer", date_of_birth=years_ago(17), guardian=GUARDIAN))
    assert status == 403 and error["Code"] == "AgeRequirementNotMet"
    # a 15-year-old employer: only with guardian consent, where the profile allows it, and then supervised
    status, error = call(client, "POST", "/auth/signup", signup_payload("employer", date_of_birth=years_ago(15)))
    assert status == 403 and error["Code"] == "AgeRequirementNotMet"
    minor = signup_payload("employer", date_of_birth=years_ago(15), guardian=GUARDIAN)
    status, created = call(client, "POST", "/auth/signup", minor)
    if not expected["minor_employer_with_guardian"]:
        assert status == 403 and created["Code"] == "AgeRequirementNotMet"
        return
    assert status == 201
    code = otp_from_outbox(client, runtime, minor["phone"])
    assert call(client, "POST", "/auth/verify-phone", {"email": minor["email"], "code": code})[0] == 200
    session = call(client, "POST", "/auth/login", {"email": minor["email"], "password": PASSWORD})[1]
    me = call(client, "GET", "/me", token=session["token"])[1]
    assert me["supervised"] is True
    # 12 is too young even with consent
    status, error = call(client, "POST", "/auth/signup", signup_payload("employer", date_of_birth=years_ago(12), guardian=GUARDIAN))
    assert status == 403 and error["Code"] == "AgeRequirementNotMet"


def test_phone_verification_rules_of_each_profile(client, runtime, profile):
    payload = signup_payload()
    status, created = call(client, "POST", "/auth/signup", payload)
    assert status == 201
    status, session = call(client, "POST", "/auth/login", {"email": payload["email"], "password": PASSWORD})
    if EXPECTED[profile]["phone_otp"]:
        assert created["status"] == "pending_verification"
        assert status == 403 and session["Code"] == "PhoneNotVerified"
        runtime.drain()
        assert call(client, "GET", f"/_dev/outbox?to={payload['phone'].replace('+', '%2B')}")[1]["items"]
    else:
        assert created["status"] == "active" and status == 200
        runtime.drain()
        assert call(client, "GET", f"/_dev/outbox?to={payload['phone'].replace('+', '%2B')}")[1]["items"] == []


def _start_app_with(environment: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, **environment}
    return subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_an_unknown_or_invalid_profile_stops_start_up_with_its_reason(tmp_path):
    out = _start_app_with({"PRIVACY_PROFILE": "nonexistent"})
    assert out.returncode != 0 and "PRIVACY_PROFILE 'nonexistent'" in out.stderr and "strict" in out.stderr
    bad = json.loads((privacy.PROFILE_DIR / "strict.json").read_text())
    bad["usage_data_keep_days"] = -5
    del bad["phone_otp_required"]
    (tmp_path / "broken.json").write_text(json.dumps({**bad, "name": "broken"}))
    out = _start_app_with({"PRIVACY_PROFILE": "broken", "PRIVACY_PROFILE_DIR": str(tmp_path)})
    assert out.returncode != 0
    assert "broken.json is invalid" in out.stderr and "usage_data_keep_days" in out.stderr and "phone_otp_required" in out.stderr
    # the local stack says it in one line, without a traceback
    out = subprocess.run(
        [sys.executable, "-m", "local", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PRIVACY_PROFILE": "broken", "PRIVACY_PROFILE_DIR": str(tmp_path), "LOCAL_API_PORT": "1", "LOCAL_AWS_PORT": "1"},
    )
    assert out.returncode == 2 and "broken.json is invalid" in out.stderr and "Traceback" not in out.stderr
