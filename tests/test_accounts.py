"""Signup, phone verification, sign-in and the caller's own data, over HTTP."""
from __future__ import annotations

import json
import re

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core import clock
from chalicelib.core.resources import MAIN_TABLE
from tests.helpers import PASSWORD, call, otp_from_outbox, register, signup_payload, unique_phone


def raw_items(user_id: str) -> list[dict]:
    ddb = boto3.client("dynamodb")
    return ddb.query(
        TableName=MAIN_TABLE.name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": f"USER#{user_id}"}}
    )["Items"]


def test_signup_verify_login_and_me_show_the_data_in_clear_but_the_table_holds_none(client, runtime):
    user = register(client, runtime, full_name="Grace Hopper", date_of_birth="1990-05-17")
    status, me = call(client, "GET", "/me", token=user["token"])
    assert status == 200
    assert me["email"] == user["email"] and me["phone"] == user["phone"] and me["date_of_birth"] == "1990-05-17"
    assert me["full_name"] == "Grace Hopper" and me["role"] == "freelancer" and me["status"] == "active"
    assert me["phone_verified"] is True and me["policy"] == {"accepted_version": "1.0", "restricted": False}
    status, me = call(client, "PATCH", "/me", {"address": "12 Analytical Row, London"}, token=user["token"])
    assert status == 200 and me["address"] == "12 Analytical Row, London"
    dumped = str(raw_items(user["user_id"]))
    for secret in (user["email"], user["phone"], user["phone"][1:], "1990-05-17", "Grace Hopper", "Analytical Row"):
        assert secret not in dumped
    kinds = {i["kind"]["S"] for i in raw_items(user["user_id"])}
    assert {"user", "consent", "signin"} <= kinds


def test_the_consent_ledger_starts_with_the_accepted_policy_version(client, runtime):
    user = register(client, runtime)
    entries = [i for i in raw_items(user["user_id"]) if i["kind"]["S"] == "consent"]
    policy = [e for e in entries if e["subject"]["S"] == "policy"]
    assert [(e["decision"]["S"], e["version"]["S"]) for e in policy] == [("accept", "1.0")]
    marketing = [e["decision"]["S"] for e in entries if e["subject"]["S"] == "marketing"]
    assert marketing == ["off"]  # strict: marketing is opt-in


@pytest.mark.parametrize(
    "field,value,reason",
    [
        ("email", "not-an-email", "email"),
        ("email", "a@b", "email"),
        ("phone", "0300 1234567", "phone"),
        ("phone", "+0123456789", "phone"),
        ("date_of_birth", "2001-02-30", "date_of_birth"),
        ("date_of_birth", "17/05/1990", "date_of_birth"),
        ("date_of_birth", "2999-01-01", "date_of_birth"),
        ("password", "short", "password"),
        ("password", "alllowercase-but-long", "password"),
        ("role", "admin", "role"),
        ("role", "overlord", "role"),
        ("full_name", "x" * 5000, "full_name"),
        ("full_name", "", "full_name"),
        ("marketing_opt_in", "yes please", "marketing_opt_in"),
        ("unexpected", 1, "unexpected"),
    ],
)
def test_bad_signup_input_is_a_400_naming_the_field(client, field, value, reason):
    status, error = call(client, "POST", "/auth/signup", signup_payload(**{field: value}))
    assert status == 400, error
    assert error["Code"] == "BadRequestError" and error["Details"]["field"] == reason
    assert reason in error["Message"]


def test_missing_fields_and_malformed_json_are_400(client):
    payload = signup_payload()
    del payload["phone"]
    status, error = call(client, "POST", "/auth/signup", payload)
    assert status == 400 and error["Details"]["field"] == "phone" and "required" in error["Message"]
    status, error = call(client, "POST", "/auth/signup", "{not json")
    assert status == 400 and error["Code"] == "BadRequestError"


def test_duplicate_email_is_409_whatever_its_case(client, runtime):
    first = signup_payload()
    assert call(client, "POST", "/auth/signup", first)[0] == 201
    again = signup_payload(email=first["email"].upper())
    status, error = call(client, "POST", "/auth/signup", again)
    assert status == 409 and error["Code"] == "ConflictError"
    assert first["email"] not in error["Message"]


def test_signup_must_name_the_current_policy_version(client):
    status, error = call(client, "POST", "/auth/signup", signup_payload(accepted_policy_version="0.9"))
    assert status == 409 and error["Code"] == "PolicyVersionMismatch"


def test_a_failed_signup_leaves_no_cognito_user_and_frees_the_address(client, cloud):
    """The DynamoDB transaction fails (as a throttled or conflicting write would): the
    Cognito user made just before is removed, and a retry later succeeds."""
    from chalicelib.repos import db

    payload = signup_payload()
    with db.transaction():  # make sure the shared connection exists
        pass

    def refuse(**kwargs):
        raise RuntimeError("simulated DynamoDB outage")

    events = db._connection.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", refuse, unique_id="refuse-tx")
    try:
        status, error = call(client, "POST", "/auth/signup", payload)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="refuse-tx")
    assert status == 500 and "simulated" not in str(error) and error["correlation_id"]
    idp = boto3.client("cognito-idp")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=cloud["COGNITO_USER_POOL_ID"], Username=payload["email"])
    assert call(client, "POST", "/auth/signup", payload)[0] == 201


def test_phone_codes_are_checked_expire_and_lock(client, runtime):
    payload = signup_payload()
    assert call(client, "POST", "/auth/signup", payload)[0] == 201
    code = otp_from_outbox(client, runtime, payload["phone"])
    status, error = call(client, "POST", "/auth/login", {"email": payload["email"], "password": PASSWORD})
    assert status == 403 and error["Code"] == "PhoneNotVerified"
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        status, error = call(client, "POST", "/auth/verify-phone", {"email": payload["email"], "code": wrong})
        assert status == 400 and error["Details"]["field"] == "code"
    status, error = call(client, "POST", "/auth/verify-phone", {"email": payload["email"], "code": wrong})
    assert status == 429
    # locked: even the right code is refused now
    assert call(client, "POST", "/auth/verify-phone", {"email": payload["email"], "code": code})[0] == 429
    # a new code (after the resend wait) works
    runtime.advance_clock(61)
    assert call(client, "POST", "/auth/resend-code", {"email": payload["email"]})[0] == 202
    status, error = call(client, "POST", "/auth/resend-code", {"email": payload["email"]})
    assert status == 429 and error["Code"] == "TooManyRequests"
    fresh = otp_from_outbox(client, runtime, payload["phone"])
    assert call(client, "POST", "/auth/verify-phone", {"email": payload["email"], "code": fresh})[0] == 200
    assert call(client, "POST", "/auth/login", {"email": payload["email"], "password": PASSWORD})[0] == 200


def test_a_code_expires_after_ten_minutes(client, runtime):
    payload = signup_payload()
    assert call(client, "POST", "/auth/signup", payload)[0] == 201
    code = otp_from_outbox(client, runtime, payload["phone"])
    runtime.advance_clock(10 * 60 + 1)
    status, error = call(client, "POST", "/auth/verify-phone", {"email": payload["email"], "code": code})
    assert status == 400 and "expired" in error["Message"]


def test_the_code_is_stored_only_as_a_hash(client, runtime):
    payload = signup_payload()
    status, created = call(client, "POST", "/auth/signup", payload)
    code = otp_from_outbox(client, runtime, payload["phone"])
    otp = [i for i in raw_items(created["user_id"]) if i["kind"]["S"] == "otp"]
    assert len(otp) == 1 and code not in str(otp)
    # the SMS item is stripped of its text once sent
    ddb = boto3.client("dynamodb")
    notes = ddb.query(
        TableName=MAIN_TABLE.name, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": f"USER#{created['user_id']}"}},
    )["Items"]
    assert notes and code not in str(notes) and payload["phone"] not in str(notes)


def test_resend_to_an_unknown_address_looks_the_same(client):
    status, reply = call(client, "POST", "/auth/resend-code", {"email": "nobody-here@example.com"})
    assert status == 202
    status, error = call(client, "POST", "/auth/verify-phone", {"email": "nobody-here@example.com", "code": "123456"})
    assert status == 400 and "nobody-here" not in error["Message"]


def test_wrong_password_and_unknown_user_are_the_same_401(client, runtime):
    user = register(client, runtime)
    a = call(client, "POST", "/auth/login", {"email": user["email"], "password": "Wrong-Passw0rd"})
    b = call(client, "POST", "/auth/login", {"email": "ghost@example.com", "password": "Wrong-Passw0rd"})
    assert a == b and a[0] == 401


def test_changing_the_phone_needs_a_new_verification(client, runtime):
    user = register(client, runtime)
    runtime.advance_clock(61)  # codes are at least a minute apart, the signup's included
    new_phone = signup_payload()["phone"]
    status, me = call(client, "PATCH", "/me", {"phone": new_phone, "timezone": "Europe/London"}, token=user["token"])
    assert status == 200 and me["phone"] == new_phone and me["phone_verified"] is False and me["timezone"] == "Europe/London"
    code = otp_from_outbox(client, runtime, new_phone)
    assert call(client, "POST", "/auth/verify-phone", {"email": user["email"], "code": code})[0] == 200
    assert call(client, "GET", "/me", token=user["token"])[1]["phone_verified"] is True
    status, error = call(client, "PATCH", "/me", {"full_name": None}, token=user["token"])
    assert status == 400 and error["Details"]["field"] == "full_name"
    status, error = call(client, "PATCH", "/me", {"phone": "12345"}, token=user["token"])
    assert status == 400 and error["Details"]["field"] == "phone"


def test_sign_ins_are_kept_encrypted_for_the_profiles_usage_period(client, runtime):
    user = register(client, runtime, )
    call(client, "POST", "/auth/login", {"email": user["email"], "password": PASSWORD}, headers={"User-Agent": "TestBrowser/1.0"})
    signins = [i for i in raw_items(user["user_id"]) if i["kind"]["S"] == "signin"]
    assert len(signins) == 2 and "TestBrowser" not in str(signins)
    keep = int(signins[0]["expires_at"]["N"]) - int(float(signins[0]["at"]["N"]))
    assert abs(keep - 90 * 86400) <= 1  # strict: 90 days


def test_policies_are_published(client):
    status, current = call(client, "GET", "/policies/current")
    assert status == 200 and current["version"] == "1.0" and current["effective_at"] == "2026-01-01T00:00:00Z"
    assert "90 days" in current["text"]  # rendered from the active profile
    status, listing = call(client, "GET", "/policies")
    assert status == 200 and [p["version"] for p in listing["items"]] == ["1.0"] and listing["next_cursor"] is None
    status, profile = call(client, "GET", "/policies/profile")
    assert status == 200 and profile["name"] == "strict" and profile["usage_data_keep_days"] == 90


def test_the_clock_shared_by_tokens(client, runtime):
    user = register(client, runtime)
    start = clock.now_ts()
    runtime.advance_clock(2 * 3600)
    assert clock.now_ts() - start >= 7200
    assert call(client, "GET", "/me", token=user["token"])[0] == 401
    status, fresh = call(client, "POST", "/auth/login", {"email": user["email"], "password": PASSWORD})
    assert status == 200 and call(client, "GET", "/me", token=fresh["token"])[0] == 200


def test_one_verified_phone_number_one_account(client, runtime):
    from tests.helpers import otp_from_outbox, signup_payload, unique_phone

    phone = unique_phone()
    first, second = signup_payload(phone=phone), signup_payload(phone=phone)
    assert call(client, "POST", "/auth/signup", first)[0] == 201
    first_code = otp_from_outbox(client, runtime, phone)
    assert call(client, "POST", "/auth/signup", second)[0] == 201  # nobody has verified it yet
    second_code = otp_from_outbox(client, runtime, phone)
    assert call(client, "POST", "/auth/verify-phone", {"email": second["email"], "code": second_code})[0] == 200
    status, error = call(client, "POST", "/auth/verify-phone", {"email": first["email"], "code": first_code})
    assert status == 409 and error["Code"] == "PhoneInUse" and error["Details"]["field"] == "phone"
    status, error = call(client, "POST", "/auth/signup", signup_payload(phone=phone))
    assert status == 409 and error["Code"] == "PhoneInUse"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.from_regex(r"[A-Za-z0-9\x00-\x1f !]{8,14}", fullmatch=True))
def test_the_published_password_pattern_accepts_exactly_what_the_code_accepts(password):
    """The OpenAPI document shows the pool's password rules as a pattern (what fuzzers and
    frontends check against); the code checks them with `password_problems`."""
    import re

    from chalicelib.domain.accounts import PASSWORD_MAX, password_pattern, password_problems

    assert bool(re.fullmatch(password_pattern(), password)) == (not password_problems(password) and len(password) <= PASSWORD_MAX)


@pytest.mark.parametrize("password", ["Correct-Horse-9", "abcdefgH12", "É" * 9 + "aA1"])
def test_passwords_meeting_the_rules_match_the_published_pattern(password):
    import re

    from chalicelib.domain.accounts import password_pattern, password_problems

    assert password_problems(password) == [] and re.fullmatch(password_pattern(), password)


# --- one limit on the codes an account is sent, whichever path sends them ----------------

def _patch_me(client, token: str, changes: dict):
    """`PATCH /me` with the response's headers (Retry-After)."""
    response = client.patch("/me", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                            body=json.dumps(changes))
    return response.status_code, json.loads(response.body), {k.lower(): v for k, v in (response.headers or {}).items()}


def _codes_to(client, runtime, phone: str) -> list[str]:
    runtime.drain()
    status, outbox = call(client, "GET", f"/_dev/outbox?to={phone.replace('+', '%2B')}")
    assert status == 200
    return [m["body"] for m in outbox["items"] if m["channel"] == "sms" and re.search(r"\b\d{6}\b", m["body"])]


def _refused(status: int, error: dict, headers: dict) -> int:
    """A 429 TooManyRequests with a Retry-After in whole seconds; returns it."""
    assert status == 429 and error["Code"] == "TooManyRequests", (status, error)
    assert int(headers["retry-after"]) >= 1, headers
    return int(headers["retry-after"])


def test_changing_the_phone_again_within_a_minute_is_refused_and_changes_nothing(client, runtime):
    user = register(client, runtime)
    runtime.advance_clock(61)
    phones = [unique_phone() for _ in range(4)]
    status, me, _ = _patch_me(client, user["token"], {"phone": phones[0]})
    assert status == 200 and me["phone"] == phones[0] and me["phone_verified"] is False
    for phone in phones[1:]:
        status, error, headers = _patch_me(client, user["token"], {"phone": phone, "timezone": "Asia/Karachi"})
        assert 1 <= _refused(status, error, headers) <= 60
        assert phone[-7:] not in json.dumps(error)
    me = call(client, "GET", "/me", token=user["token"])[1]
    assert me["phone"] == phones[0] and me["timezone"] != "Asia/Karachi"
    assert len(_codes_to(client, runtime, phones[0])) == 1
    assert all(_codes_to(client, runtime, phone) == [] for phone in phones[1:])
    # once the wait is over, the next change goes through and sends its code
    runtime.advance_clock(61)
    status, me, _ = _patch_me(client, user["token"], {"phone": phones[3]})
    assert status == 200 and me["phone"] == phones[3]
    code = otp_from_outbox(client, runtime, phones[3])
    assert len(_codes_to(client, runtime, phones[3])) == 1
    assert call(client, "POST", "/auth/verify-phone", {"email": user["email"], "code": code})[0] == 200


def test_the_hourly_cap_holds_across_verifications(client, runtime):
    """A verified code does not reset the count: signup's code and four changes, each
    verified, are the hour's five; the sixth waits until the signup's code is an hour old."""
    user = register(client, runtime)
    for _ in range(4):
        runtime.advance_clock(61)
        phone = unique_phone()
        status, me, _ = _patch_me(client, user["token"], {"phone": phone})
        assert status == 200, me
        code = otp_from_outbox(client, runtime, phone)
        assert call(client, "POST", "/auth/verify-phone", {"email": user["email"], "code": code})[0] == 200
    runtime.advance_clock(61)
    refused = unique_phone()
    status, error, headers = _patch_me(client, user["token"], {"phone": refused})
    wait = _refused(status, error, headers)
    assert 60 < wait <= 3600 - 5 * 61 + 2
    me = call(client, "GET", "/me", token=user["token"])[1]
    assert me["phone"] == phone and me["phone_verified"] is True
    assert _codes_to(client, runtime, refused) == []
    runtime.advance_clock(wait)
    token = call(client, "POST", "/auth/login", {"email": user["email"], "password": PASSWORD})[1]["token"]  # the old one expired
    status, me, _ = _patch_me(client, token, {"phone": refused})
    assert status == 200 and me["phone"] == refused and len(_codes_to(client, runtime, refused)) == 1


def test_resend_and_a_phone_change_share_one_limit(client, runtime):
    user = register(client, runtime)  # code 1
    runtime.advance_clock(61)
    phone = unique_phone()
    assert _patch_me(client, user["token"], {"phone": phone})[0] == 200  # code 2
    response = client.post("/auth/resend-code", headers={"Content-Type": "application/json"},
                           body=json.dumps({"email": user["email"]}))
    _refused(response.status_code, json.loads(response.body), {k.lower(): v for k, v in response.headers.items()})
    for _ in range(3):  # codes 3, 4, 5
        runtime.advance_clock(61)
        assert call(client, "POST", "/auth/resend-code", {"email": user["email"]})[0] == 202
    status, error, headers = _patch_me(client, user["token"], {"phone": unique_phone()})
    assert _refused(status, error, headers) > 60  # the hour's five are used: the longer wait, not the minute's
    runtime.advance_clock(61)
    status, error, headers = _patch_me(client, user["token"], {"phone": unique_phone()})
    assert _refused(status, error, headers) > 60
    assert call(client, "POST", "/auth/resend-code", {"email": user["email"]})[0] == 429
    assert call(client, "GET", "/me", token=user["token"])[1]["phone"] == phone
    assert len(_codes_to(client, runtime, phone)) == 4
