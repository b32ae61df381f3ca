"""Accounts and sign-in: `/auth/*`, `GET|PATCH /me`. Also installs the authenticator
every protected route uses (token verified locally against the pool's keys)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from chalice import Blueprint
from pydantic import Field, StringConstraints, field_validator

from chalicelib import clock, errors, http, policies, privacy
from chalicelib.domain import accounts as rules
from chalicelib.http import Call, endpoint
from chalicelib.lazy import lazy
from chalicelib.models import Model, Strict

service = lazy("chalicelib.services.accounts")
bp = Blueprint(__name__)
TAGS = ("accounts",)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=rules.E164.pattern, max_length=16)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=rules.EMAIL.pattern)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Code = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class Guardian(Strict):
    full_name: Name
    email: Email
    consent: Literal[True]


class Signup(Strict):
    email: Email
    password: str = Field(max_length=256)
    role: Literal["freelancer", "employer"]
    full_name: Name
    phone: Phone = Field(description="E.164, e.g. +14155550100")
    date_of_birth: date = Field(description="YYYY-MM-DD")
    accepted_policy_version: str = Field(min_length=1, max_length=40)
    marketing_opt_in: bool | None = None
    guardian: Guardian | None = None

    @field_validator("password")
    @classmethod
    def _strong(cls, value: str) -> str:
        problems = rules.password_problems(value)
        if problems:
            raise ValueError("must contain " + ", ".join(problems))
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _plausible(cls, value: date) -> date:
        today = clock.now().date()
        if value > today:
            raise ValueError("is in the future")
        if rules.age_on(value, today) > 130:
            raise ValueError("is not a plausible date of birth")
        return value


class SignupOut(Model):
    user_id: str
    status: str


class VerifyPhone(Strict):
    email: Email
    code: Code


class EmailOnly(Strict):
    email: Email


class Login(Strict):
    email: Email
    password: str = Field(min_length=1, max_length=256)


class LoginOut(Model):
    token: str
    refresh_token: str
    expires_in: int
    user_id: str
    role: str


class Refresh(Strict):
    refresh_token: str = Field(min_length=1, max_length=8192)


class RefreshOut(Model):
    token: str
    expires_in: int


class MePatch(Strict):
    full_name: Name | None = None
    phone: Phone | None = None
    address: Text | None = None
    timezone: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$", max_length=64)] | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")] | None = None


class IdentityStatus(Model):
    status: str


class PolicyState(Model):
    accepted_version: str | None
    restricted: bool


class Me(Model):
    user_id: str
    email: str
    role: str
    full_name: str
    phone: str | None
    date_of_birth: str | None
    address: str | None
    timezone: str
    language: str
    status: str
    phone_verified: bool
    supervised: bool
    anonymous: bool
    identity: IdentityStatus
    policy: PolicyState


def _authenticate(request: Any, auth: str, prefetch: http.Prefetch | None, want: http.Want) -> tuple[service.Caller | None, dict]:
    header = (request.headers or {}).get("authorization")

    def keys(user_id: str | None) -> list:
        want.caller_id = user_id
        return prefetch(want) if prefetch else []

    if auth == "optional" and not header:
        return None, service.fetch(keys(None))
    caller, items = service.authenticate(header, keys)
    if auth == "admin" and caller.role != "admin":
        raise errors.Forbidden("This needs an administrator")
    return caller, items


http.set_authenticator(_authenticate)


@endpoint(bp, "/auth/signup", "POST", body=Signup, response=SignupOut, status=201, auth=None, tags=TAGS,
          errors_=(403, 409), summary="Create a freelancer or employer account; an SMS code goes to the phone")
def signup(call: Call) -> dict:
    return service.signup(call.body, policies.current_version())


@endpoint(bp, "/auth/verify-phone", "POST", body=VerifyPhone, auth=None, tags=TAGS, errors_=(429,),
          summary="Confirm the phone number with the SMS code")
def verify_phone(call: Call) -> dict:
    service.verify_phone(call.body.email, call.body.code)
    return {"phone_verified": True}


@endpoint(bp, "/auth/resend-code", "POST", body=EmailOnly, status=202, auth=None, tags=TAGS, errors_=(429,),
          summary="Send a new SMS code (rate-limited)")
def resend_code(call: Call) -> dict:
    service.resend_code(call.body.email)
    return {"status": "sent_if_pending"}


@endpoint(bp, "/auth/login", "POST", body=Login, response=LoginOut, auth=None, tags=TAGS, errors_=(401, 403),
          summary="Sign in; returns an access token and a refresh token")
def login(call: Call) -> dict:
    return service.login(call.body.email, call.body.password, call.source_ip, call.user_agent)


@endpoint(bp, "/auth/refresh", "POST", body=Refresh, response=RefreshOut, auth=None, tags=TAGS, errors_=(401,),
          summary="A new access token from a refresh token")
def refresh(call: Call) -> dict:
    return service.refresh(call.body.refresh_token)


@endpoint(bp, "/auth/logout", "POST", tags=TAGS, errors_=(401,),
          summary="Sign out: this token stops working at once and refresh tokens are revoked")
def logout(call: Call) -> dict:
    service.logout(call.caller)
    return {"status": "signed_out"}


def _me(caller: service.Caller) -> dict:
    return service.me(caller.user, policies.current_version(), privacy.active().policy_explicit_acceptance)


@endpoint(bp, "/me", response=Me, tags=TAGS, summary="The caller's own account, every field in clear")
def get_me(call: Call) -> dict:
    return _me(call.caller)


@endpoint(bp, "/me", "PATCH", body=MePatch, response=Me, tags=TAGS, errors_=(409,),
          summary="Correct one's own data; a new phone number is verified again")
def patch_me(call: Call) -> dict:
    changes = call.body.model_dump(exclude_unset=True)
    for required in ("full_name", "timezone", "language"):
        if required in changes and changes[required] is None:
            raise errors.BadRequest(f"Invalid body field '{required}': may not be null", details={"field": required})
    service.update_me(call.caller.user, changes)
    return _me(call.caller)
