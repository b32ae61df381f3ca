"""Every protected route verifies the Cognito token as AWS does: signature, issuer,
client, token use, expiry (on the shared clock), and our own sign-out list."""
from __future__ import annotations

import base64
import json

import boto3
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers import PASSWORD, call, register


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_no_token_or_a_malformed_header_is_401(client):
    assert call(client, "GET", "/me")[0] == 401
    status, error = call(client, "GET", "/me", headers={"Authorization": "Basic abc"})
    assert status == 401 and error["Code"] == "UnauthorizedError"
    assert call(client, "GET", "/me", token="not.a.jwt")[0] == 401


def test_a_token_signed_with_another_key_is_401(client, runtime):
    user = register(client, runtime)
    claims = _claims(user["token"])
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": jwt.get_unverified_header(user["token"])["kid"]})
    assert call(client, "GET", "/me", token=forged)[0] == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert call(client, "GET", "/me", token=unsigned)[0] == 401
    # the real token, its payload edited to claim the admin group
    header, payload, signature = user["token"].split(".")
    claims["cognito:groups"] = ["admin"]
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert call(client, "GET", "/me", token=f"{header}.{edited}.{signature}")[0] == 401
    assert call(client, "GET", "/me", token=user["token"])[0] == 200


def test_a_token_of_another_pool_or_client_is_401(client, runtime, cloud):
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="someone-elses-pool", UsernameAttributes=["email"])["UserPool"]["Id"]
    app_client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="intruder@example.com", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="intruder@example.com", Password=PASSWORD, Permanent=True)
    other = idp.initiate_auth(
        ClientId=app_client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "intruder@example.com", "PASSWORD": PASSWORD}
    )["AuthenticationResult"]
    assert call(client, "GET", "/me", token=other["AccessToken"])[0] == 401

    # our pool, but issued to another app client
    user = register(client, runtime)
    stranger = idp.create_user_pool_client(
        UserPoolId=cloud["COGNITO_USER_POOL_ID"], ClientName="stranger", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    foreign = idp.initiate_auth(
        ClientId=stranger, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": user["email"], "PASSWORD": PASSWORD}
    )["AuthenticationResult"]
    assert call(client, "GET", "/me", token=foreign["AccessToken"])[0] == 401
    # an id token is not an access token
    assert call(client, "GET", "/me", token=foreign["IdToken"])[0] == 401


def test_refresh_gives_a_new_working_token(client, runtime):
    user = register(client, runtime)
    status, refreshed = call(client, "POST", "/auth/refresh", {"refresh_token": user["refresh_token"]})
    assert status == 200 and refreshed["expires_in"] > 0
    assert call(client, "GET", "/me", token=refreshed["token"])[0] == 200
    assert call(client, "POST", "/auth/refresh", {"refresh_token": "garbage"})[0] == 401


def test_signed_out_tokens_are_401_and_cannot_be_refreshed(client, runtime):
    user = register(client, runtime)
    status, _ = call(client, "POST", "/auth/logout", token=user["token"])
    assert status == 200
    assert call(client, "GET", "/me", token=user["token"])[0] == 401
    assert call(client, "POST", "/auth/refresh", {"refresh_token": user["refresh_token"]})[0] == 401
    status, again = call(client, "POST", "/auth/login", {"email": user["email"], "password": PASSWORD})
    assert status == 200 and call(client, "GET", "/me", token=again["token"])[0] == 200


def test_roles_come_from_the_token_not_the_request(client, runtime):
    employer = register(client, runtime, role="employer")
    status, me = call(client, "GET", "/me", token=employer["token"])
    assert me["role"] == "employer" and employer["role"] == "employer"
    assert "employer" in _claims(employer["token"])["cognito:groups"]
