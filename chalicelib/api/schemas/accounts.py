"""Request and response models of the accounts routes (`api/accounts.py`)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from chalicelib.api.models import ISSUED, FreeText, Model, Strict, omittable
from chalicelib.domain import accounts as rules

Name = Annotated[str, FreeText(200, 1)]
DATE_OF_BIRTH = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=rules.E164.pattern, max_length=16)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=rules.EMAIL.pattern)]
Text = Annotated[str, FreeText(500, multiline=True)]
Code = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class Guardian(Strict):
    full_name: Name
    email: Email
    consent: Literal[True]


class Signup(Strict):
    email: Email
    password: str = Field(max_length=rules.PASSWORD_MAX, json_schema_extra={"pattern": rules.password_pattern()},
                          description="at least 10 characters with A-Z, a-z and 0-9; no control characters")
    role: Literal["freelancer", "employer"]
    full_name: Name
    phone: Phone = Field(description="E.164, e.g. +14155550100")
    date_of_birth: date = Field(description="YYYY-MM-DD, 1900 or later (one in the future does not meet any age requirement: 403)",
                                json_schema_extra={"pattern": DATE_OF_BIRTH})
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
        if value.year < 1900 or value.year > 2099:
            raise ValueError("must be a date from 1900 to 2099")
        return value


class SignupOut(Model):
    user_id: str
    status: str


class VerifyPhone(Strict):
    email: Email
    code: Code = Field(json_schema_extra=ISSUED, description="the code of the last SMS")


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
    refresh_token: str = Field(min_length=1, max_length=8192, json_schema_extra=ISSUED)


class RefreshOut(Model):
    token: str
    expires_in: int


class MePatch(Strict):
    """Send only what changes. `phone` and `address` may be null (removed); the others may
    be left out but not set to null."""

    full_name: Name = omittable()
    phone: Phone | None = None
    address: Text | None = None
    timezone: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$", max_length=64)] = omittable()
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")] = omittable()


class IdentityStatus(Model):
    status: str


class PhoneVerified(Model):
    phone_verified: bool


class CodeSent(Model):
    status: Literal["sent_if_pending"] = Field(description="a code went out if the account waits for one (the answer is the same either way)")


class SignedOut(Model):
    status: Literal["signed_out"]


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

