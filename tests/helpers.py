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
