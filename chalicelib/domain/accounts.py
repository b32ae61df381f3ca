"""Account rules in plain Python: ages, passwords, one-time codes, token revocation."""
from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
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
# One limit on the codes sent to an account, whichever path sends them (signup, resend,
# a phone change): at least RESEND_MIN_SECONDS apart, at most RESEND_PER_HOUR an hour.
RESEND_MIN_SECONDS = 60
RESEND_PER_HOUR = 5
RESEND_WINDOW_SECONDS = 3600


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


PASSWORD_MAX = 256
_PASSWORD_CONTROL = r"\x00-\x1f\x7f"  # a character class's content: what no password may hold
_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"  # the symbols Cognito counts


def password_problems(password: str) -> list[str]:
    """What the pool's password policy (the resource definition) finds wrong. Letters and
    digits are counted as Cognito counts them: A-Z, a-z, 0-9."""
    policy = USER_POOL.password_policy
    problems = []
    if len(password) < policy["MinimumLength"]:
        problems.append(f"at least {policy['MinimumLength']} characters")
    if policy.get("RequireUppercase") and not re.search(r"[A-Z]", password):
        problems.append("an upper-case letter (A-Z)")
    if policy.get("RequireLowercase") and not re.search(r"[a-z]", password):
        problems.append("a lower-case letter (a-z)")
    if policy.get("RequireNumbers") and not re.search(r"[0-9]", password):
        problems.append("a digit")
    if policy.get("RequireSymbols") and not any(c in _SYMBOLS for c in password):
        problems.append("a symbol")
    if re.search(f"[{_PASSWORD_CONTROL}]", password):
        problems.append("no control characters")
    return problems


def password_pattern() -> str:
    """The same policy as a JSON Schema pattern, for the OpenAPI document (a password
    matches it exactly when `password_problems` finds nothing)."""
    policy = USER_POOL.password_policy
    ahead = "".join(
        f"(?=[^{cls}]*[{cls}])" for key, cls in (("RequireUppercase", "A-Z"), ("RequireLowercase", "a-z"), ("RequireNumbers", "0-9"))
        if policy.get(key)
    )
    if policy.get("RequireSymbols"):
        symbols = re.escape(_SYMBOLS)
        ahead += f"(?=[^{symbols}]*[{symbols}])"
    return f"^{ahead}[^{_PASSWORD_CONTROL}]{{{policy['MinimumLength']},{PASSWORD_MAX}}}$"


def new_code() -> str:
    return f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"


@dataclass(frozen=True)
class Refusal:
    """Why no code may be sent now, and in how many whole seconds one may (`Retry-After`)."""

    message: str
    retry_after: int


def recent_sends(sends: list[float], now: float) -> list[float]:
    """The sends still inside the hourly window, oldest first."""
    return sorted(t for t in sends if now - t < RESEND_WINDOW_SECONDS)


def code_refusal(sends: list[float], now: float) -> Refusal | None:
    """Why another code may not be sent now, or None. Where both limits apply, the wait
    is the longer one: a client that waits as told is not refused again."""
    recent = recent_sends(sends, now)
    gap = max(1, math.ceil(RESEND_MIN_SECONDS - (now - recent[-1]))) if recent and now - recent[-1] < RESEND_MIN_SECONDS else 0
    # the send that has to leave the window for one more to fit in it
    hour = max(1, math.ceil(recent[len(recent) - RESEND_PER_HOUR] + RESEND_WINDOW_SECONDS - now)) if len(recent) >= RESEND_PER_HOUR else 0
    if hour > gap:
        return Refusal(f"Too many codes were sent in the last hour; try again in {math.ceil(hour / 60)} minutes", hour)
    if gap:
        return Refusal(f"Wait {gap} seconds before asking for another code", gap)
    return None


def prune_revoked(revoked: dict[str, int], now: float) -> dict[str, int]:
    """Signed-out tokens are remembered only until they would have expired anyway."""
    return {jti: exp for jti, exp in revoked.items() if exp > now}


def mask_tail(value: str, keep: int = 4) -> str:
    return value[-keep:] if len(value) > keep else ""
