"""Signup, phone verification, sign-in and the caller's own data, over HTTP."""
from __future__ import annotations

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core import clock
from chalicelib.core.resources import MAIN_TABLE
from tests.helpers import PASSWORD, call, otp_from_outbox, register, signup_payload


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
