"""Account rules in plain Python: ages, passwords, one-time codes, token revocation."""
from __future__ import annotations

import re
import secrets
from datetime import date

from chalicelib.core.resources import USER_POOL

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)
OTP_DIGITS = 6
OTP_SECONDS = 10 * 60
OTP_MAX_ATTEMPTS = 5
RESEND_MIN_SECONDS = 60
RESEND_PER_HOUR = 5


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def password_problems(password: str) -> list[str]:
    """What the pool's password policy (the resource definition) finds wrong."""
    policy = USER_POOL.password_policy
    problems = []
    if len(password) < policy["MinimumLength"]:
        problems.append(f"at least {policy['MinimumLength']} characters")
    if policy.get("RequireUppercase") and not any(c.isupper() for c in password):
        problems.append("an upper-case letter")
    if policy.get("RequireLowercase") and not any(c.islower() for c in password):
        problems.append("a lower-case letter")
    if policy.get("RequireNumbers") and not any(c.isdigit() for c in password):
        problems.append("a digit")
    if policy.get("RequireSymbols") and all(c.isalnum() for c in password):
        problems.append("a symbol")
    return problems


def new_code() -> str:
    return f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"


def resend_refusal(sends: list[float], now: float) -> str | None:
    """Why another code may not be sent now, or None."""
    recent = [t for t in sends if now - t < 3600]
    if recent and now - max(recent) < RESEND_MIN_SECONDS:
        return f"Wait {int(RESEND_MIN_SECONDS - (now - max(recent))) + 1} seconds before asking for another code"
    if len(recent) >= RESEND_PER_HOUR:
        return "Too many codes were sent in the last hour; try again later"
    return None


def prune_revoked(revoked: dict[str, int], now: float) -> dict[str, int]:
    """Signed-out tokens are remembered only until they would have expired anyway."""
    return {jti: exp for jti, exp in revoked.items() if exp > now}


def mask_tail(value: str, keep: int = 4) -> str:
    return value[-keep:] if len(value) > keep else ""
