"""Signed links that act without signing in (one-click unsubscribe, and later accept or
reject links of policy notices).

A token is `<payload>.<signature>`: the payload (base64url JSON of the purpose, the user
id and the expiry) signed with HMAC-SHA256 under a key derived from the platform's own
data key (KMS-wrapped, like every key here). It cannot be forged without that key, is
bound to one user and one purpose (a marketing link cannot be used as anything else, or
for anyone else), and expires."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from chalicelib.core import clock
from chalicelib.security import vault

UNSUBSCRIBE_DAYS = 365  # a marketing email is often opened months later; RFC 8058 asks links to keep working


class InvalidLink(Exception):
    """Forged, tampered, expired or for another purpose."""


def _key() -> bytes:
    return hmac.new(vault.platform_key(), b"signed-links-v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(purpose: str, user_id: str, days: int) -> str:
    payload = _b64(json.dumps({"p": purpose, "u": user_id, "e": int(clock.now_ts() + days * 86400)}, separators=(",", ":")).encode())
    signature = _b64(hmac.new(_key(), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify(token: str, purpose: str) -> str:
    """The user id the token was made for; raises `InvalidLink` otherwise."""
    try:
        payload, signature = token.split(".")
        expected = _b64(hmac.new(_key(), payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(signature, expected):
            raise InvalidLink("signature")
        claims = json.loads(_unb64(payload))
    except (ValueError, TypeError) as exc:
        raise InvalidLink("malformed") from exc
    if claims.get("p") != purpose:
        raise InvalidLink("purpose")
    if not isinstance(claims.get("e"), int) or claims["e"] < clock.now_ts():
        raise InvalidLink("expired")
    return str(claims["u"])
