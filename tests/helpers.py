"""Helpers that act as a frontend would: over HTTP, reading codes from the outbox."""
from __future__ import annotations

import json
import re
import uuid
from datetime import date
from typing import Any

PASSWORD = "Correct-Horse-9"


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def call(client: Any, method: str, path: str, payload: Any = None, token: str | None = None, headers: dict | None = None) -> tuple[int, Any]:
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = payload if isinstance(payload, (str, bytes)) or payload is None else json.dumps(payload)
    response = getattr(client, method.lower())(path, headers=h, body=data) if data is not None else getattr(client, method.lower())(path, headers=h)
    return response.status_code, body(response)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def unique_phone() -> str:
    return "+1415" + str(uuid.uuid4().int)[:7]


def years_ago(years: int, days: int = 0) -> str:
    today = date.today()
    from datetime import timedelta

    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


def signup_payload(role: str = "freelancer", **over: Any) -> dict[str, Any]:
    payload = {
        "email": unique_email(role),
        "password": PASSWORD,
        "role": role,
        "full_name": "Ada Lovelace",
        "phone": unique_phone(),
        "date_of_birth": years_ago(30),
        "accepted_policy_version": "1.0",
    }
    payload.update(over)
    return payload


def otp_from_outbox(client: Any, runtime: Any, phone: str) -> str:
    drained = runtime.drain()
    status, outbox = call(client, "GET", f"/_dev/outbox?to={phone.replace('+', '%2B')}")
    from local import outbox as sent

    assert status == 200 and outbox["items"], f"no SMS for {phone}: {list(runtime.failures)[-3:]} {sent.messages(None)[-2:]} {drained}"
    return re.search(r"\b(\d{6})\b", outbox["items"][-1]["body"]).group(1)


def register(client: Any, runtime: Any, role: str = "freelancer", **over: Any) -> dict[str, Any]:
    """Sign up, verify the phone, sign in. Returns the payload plus user_id and token."""
    payload = signup_payload(role, **over)
    status, created = call(client, "POST", "/auth/signup", payload)
    assert status == 201, created
    code = otp_from_outbox(client, runtime, payload["phone"])
    status, verified = call(client, "POST", "/auth/verify-phone", {"email": payload["email"], "code": code})
    assert status == 200, verified
    status, session = call(client, "POST", "/auth/login", {"email": payload["email"], "password": payload["password"]})
    assert status == 200, session
    return {**payload, **session}


# --- identity verification, as the user and an admin would do it ----------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
ID_NUMBER = "35202-1234567-1"


def admin_token(client: Any, admin: tuple[str, str]) -> str:
    status, session = call(client, "POST", "/auth/login", {"email": admin[0], "password": admin[1]})
    assert status == 200 and session["role"] == "admin"
    return session["token"]


def upload(target: dict, content: bytes, content_type: str) -> int:
    import requests

    fields = {**target["fields"], "Content-Type": content_type}
    return requests.post(target["url"], data=fields, files={"file": ("upload", content, content_type)}, timeout=10).status_code


def verify_identity(client: Any, admin_tok: str, user: dict[str, Any]) -> None:
    """Upload a document and a selfie, submit, and have an admin approve."""
    status, started = call(client, "POST", "/me/identity", {"id_type": "passport", "id_number": "AB1234567"}, token=user["token"])
    assert status == 201, started
    for which in ("document", "selfie"):
        assert upload(started["uploads"][which], PNG, "image/png") in (200, 204)
    status, submitted = call(client, "POST", "/me/identity/submit", token=user["token"])
    assert status == 200, submitted
    status, decided = call(client, "POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "approve"}, token=admin_tok)
    assert status == 200, decided


def verified(client: Any, runtime: Any, admin_tok: str, role: str, **over: Any) -> dict[str, Any]:
    user = register(client, runtime, role, **over)
    verify_identity(client, admin_tok, user)
    return user
