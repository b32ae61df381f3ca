"""Verify Cognito access tokens locally, as API Gateway's Cognito authorizer does:
RS256 signature against the pool's published keys, issuer, token use, client id and
expiry, expiry read from the one clock (so moving the test clock expires tokens).

The pool's keys are fetched once per container and again (at most once a minute)
when a token names a key id not seen yet, as after a key rotation.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from chalicelib.adapters import cognito
from chalicelib.core import clock

_lock = threading.Lock()
_keys: dict[str, Any] = {}
_fetched_at = 0.0
REFETCH_SECONDS = 60


class InvalidToken(Exception):
    """Why a token was refused (for logs only; callers answer a generic 401)."""


@dataclass(frozen=True)
class Claims:
    sub: str
    groups: tuple[str, ...]
    jti: str
    exp: int
    iat: int


def _key(kid: str) -> Any:
    global _fetched_at
    with _lock:
        if not _keys or (kid not in _keys and clock.now_ts() - _fetched_at > REFETCH_SECONDS):
            document = cognito.signing_keys()
            _keys.clear()
            for jwk in document.get("keys", []):
                _keys[jwk["kid"]] = RSAAlgorithm.from_jwk(jwk)
            _fetched_at = clock.now_ts()
        if kid not in _keys:
            raise InvalidToken("unknown signing key")
        return _keys[kid]


def verify(token: str) -> Claims:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("not a JWT") from None
    if header.get("alg") != "RS256":
        raise InvalidToken("unexpected algorithm")
    try:
        claims = jwt.decode(
            token, _key(str(header.get("kid"))), algorithms=["RS256"], issuer=cognito.issuer(),
            options={"verify_exp": False, "verify_aud": False, "verify_iat": False,
                     "require": ["exp", "iat", "iss", "sub", "token_use", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from None
    if claims["token_use"] != "access":
        raise InvalidToken("not an access token")
    if claims.get("client_id") != cognito.client_id():
        raise InvalidToken("issued to another client")
    if int(claims["exp"]) <= clock.now_ts():
        raise InvalidToken("expired")
    return Claims(
        sub=str(claims["sub"]), groups=tuple(claims.get("cognito:groups") or ()), jti=str(claims["jti"]),
        exp=int(claims["exp"]), iat=int(claims["iat"]),
    )


def forget_keys() -> None:
    global _fetched_at
    with _lock:
        _keys.clear()
        _fetched_at = 0.0
