"""Consent: the purposes a user consents to, their defaults under a privacy profile, and
where a change came from. Plain Python, no AWS.

Defaults (decided here; the profiles name only marketing's): `marketing` follows the
profile's `marketing_default` (opt-in: off until the user turns it on; opt-out: on until
they turn it off); `analytics` follows it too (the same kind of processing the user may
refuse); `promotions` (contests, testimonials) and `third_party_sharing` are off until
the user turns them on, under every profile: no policy lets us assume them.
"""
from __future__ import annotations

from typing import Literal

PURPOSES = ("marketing", "analytics", "promotions", "third_party_sharing")
Purpose = Literal["marketing", "analytics", "promotions", "third_party_sharing"]
Source = Literal["signup", "settings", "unsubscribe_link", "admin"]


def defaults(marketing_default: str) -> dict[str, bool]:
    on = marketing_default == "opt_out"
    return {"marketing": on, "analytics": on, "promotions": False, "third_party_sharing": False}


def changes(current: dict[str, bool], wanted: dict[str, bool | None]) -> dict[str, bool]:
    """The purposes whose state `wanted` changes (None and unchanged ones are left out)."""
    return {p: v for p, v in wanted.items() if p in PURPOSES and v is not None and current.get(p) != v}
