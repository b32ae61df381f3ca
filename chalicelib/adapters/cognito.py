"""Cognito: the user pool that issues every token, and its signing keys."""
from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

from chalicelib.core import aws, settings


class AuthFailed(Exception):
    """Wrong credentials, an unknown user, or a refresh token no longer valid."""


class UserExists(Exception):
    pass


def pool_id() -> str:
    return settings.env("COGNITO_USER_POOL_ID")


def client_id() -> str:
    return settings.env("COGNITO_CLIENT_ID")


def issuer() -> str:
    return f"https://cognito-idp.{settings.region()}.amazonaws.com/{pool_id()}"


def create_user(email: str, password: str, group: str) -> str:
    """Create a confirmed user with a permanent password in `group`; returns its `sub`."""
    idp = aws.client("cognito-idp")
    try:
        user = idp.admin_create_user(
            UserPoolId=pool_id(), Username=email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        )["User"]
    except idp.exceptions.UsernameExistsException:
        raise UserExists() from None
    idp.admin_set_user_password(UserPoolId=pool_id(), Username=email, Password=password, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool_id(), Username=email, GroupName=group)
    return next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")


def delete_user(email: str) -> None:
    idp = aws.client("cognito-idp")
    try:
        idp.admin_delete_user(UserPoolId=pool_id(), Username=email)
    except idp.exceptions.UserNotFoundException:
        pass


def disable_user(email: str) -> None:
    aws.client("cognito-idp").admin_disable_user(UserPoolId=pool_id(), Username=email)


def _auth(flow: str, parameters: dict[str, str]) -> dict[str, Any]:
    idp = aws.client("cognito-idp")
    try:
        return idp.initiate_auth(ClientId=client_id(), AuthFlow=flow, AuthParameters=parameters)["AuthenticationResult"]
    except (idp.exceptions.NotAuthorizedException, idp.exceptions.UserNotFoundException,
            idp.exceptions.UserNotConfirmedException, idp.exceptions.PasswordResetRequiredException):
        raise AuthFailed() from None


def login(email: str, password: str) -> dict[str, Any]:
    return _auth("USER_PASSWORD_AUTH", {"USERNAME": email, "PASSWORD": password})


def refresh(refresh_token: str) -> dict[str, Any]:
    return _auth("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token})


def sign_out(access_token: str) -> None:
    """Revoke the user's refresh tokens (Cognito global sign-out)."""
    idp = aws.client("cognito-idp")
    try:
        idp.global_sign_out(AccessToken=access_token)
    except idp.exceptions.NotAuthorizedException:
        pass


def signing_keys() -> dict[str, Any]:
    """The pool's JWKS. In AWS it is public at the issuer; locally moto serves it at
    the same path under the emulated endpoint."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDP") or os.environ.get("AWS_ENDPOINT_URL")
    base = f"{endpoint.rstrip('/')}/{pool_id()}" if endpoint else issuer()
    url = f"{base}/.well-known/jwks.json"
    if not url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
        raise ValueError("the signing keys are fetched over https (or from the local emulator) only")
    # the scheme is checked just above: no file:// or custom scheme can reach urlopen
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310  # nosec B310
        return json.load(reply)
