"""Marketing campaigns and one-click unsubscribe.

`POST /admin/campaigns` stores a fan-out (`services.fanout`) to the marketing audience:
the accounts whose marketing consent is on, checked again when each batch is sent.
Each email carries a signed unsubscribe link, in its text and as RFC 8058
`List-Unsubscribe` / `List-Unsubscribe-Post` headers.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core import errors
from chalicelib.security import links
from chalicelib.services import consents, fanout
from chalicelib.services.accounts import live_account


def create(admin_id: str, subject: str, body: str) -> dict[str, Any]:
    return {"campaign_id": fanout.create("campaign", subject, body, admin_id, audience="marketing", channels=["email"])}


def unsubscribe(token: str) -> dict[str, Any]:
    """Turn marketing off for the user the link was made for (no sign-in)."""
    try:
        user_id = links.verify(token, "unsubscribe:marketing")
    except links.InvalidLink:
        raise errors.BadRequest("This unsubscribe link is not valid (it was altered or has expired)",
                                details={"field": "token"}) from None
    user = live_account(user_id)
    consents.update(user, {"marketing": False}, "unsubscribe_link")
    return {"marketing": False, "message": "You will receive no more marketing email."}
