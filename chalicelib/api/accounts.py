"""Accounts and sign-in: `/auth/*`, `GET|PATCH /me`. (The authenticator of the protected
routes is `api/auth.py`, which every Blueprint names.)"""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.accounts  # noqa: F401

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("accounts",)


@route("/auth/signup", "POST", body=lambda: schemas.accounts.Signup, response=lambda: schemas.accounts.SignupOut, status=201, auth=None, tags=TAGS,
          errors_=(403, 409, 422), summary="Create a freelancer or employer account; an SMS code goes to the phone")
def signup(call: Call) -> dict:
    from chalicelib.services import accounts as service

    return service.signup(call.body)


@route("/auth/verify-phone", "POST", body=lambda: schemas.accounts.VerifyPhone, response=lambda: schemas.accounts.PhoneVerified, auth=None, tags=TAGS, errors_=(409, 429),
          summary="Confirm the phone number with the SMS code")
def verify_phone(call: Call) -> dict:
    from chalicelib.services import accounts as service

    service.verify_phone(call.body.email, call.body.code)
    return {"phone_verified": True}


@route("/auth/resend-code", "POST", body=lambda: schemas.accounts.EmailOnly, response=lambda: schemas.accounts.CodeSent, status=202, auth=None, tags=TAGS, errors_=(429,),
          summary="Send a new SMS code (rate-limited)")
def resend_code(call: Call) -> dict:
    from chalicelib.services import accounts as service

    service.resend_code(call.body.email)
    return {"status": "sent_if_pending"}


@route("/auth/login", "POST", body=lambda: schemas.accounts.Login, response=lambda: schemas.accounts.LoginOut, auth=None, tags=TAGS, errors_=(401, 403),
          summary="Sign in; returns an access token and a refresh token")
def login(call: Call) -> dict:
    from chalicelib.services import accounts as service

    return service.login(call.body.email, call.body.password, call.source_ip, call.user_agent)


@route("/auth/refresh", "POST", body=lambda: schemas.accounts.Refresh, response=lambda: schemas.accounts.RefreshOut, auth=None, tags=TAGS, errors_=(401,),
          summary="A new access token from a refresh token")
def refresh(call: Call) -> dict:
    from chalicelib.services import accounts as service

    return service.refresh(call.body.refresh_token)


@route("/auth/logout", "POST", response=lambda: schemas.accounts.SignedOut, tags=TAGS, errors_=(401,),
          summary="Sign out: this token stops working at once and refresh tokens are revoked")
def logout(call: Call) -> dict:
    from chalicelib.services import accounts as service

    service.logout(call.caller)
    return {"status": "signed_out"}


@route("/me", response=lambda: schemas.accounts.Me, tags=TAGS, summary="The caller's own account, every field in clear")
def get_me(call: Call) -> dict:
    from chalicelib.services import accounts as service

    return service.me(call.caller.user)


@route("/me", "PATCH", body=lambda: schemas.accounts.MePatch, response=lambda: schemas.accounts.Me, tags=TAGS, errors_=(409, 422, 429),
          summary="Correct one's own data; a new phone number is verified again")
def patch_me(call: Call) -> dict:
    from chalicelib.services import accounts as service

    changes = call.body.model_dump(exclude_unset=True)
    service.update_me(call.caller.user, changes)
    return service.me(call.caller.user)
