"""Marketing campaigns and one-click unsubscribe.

`POST /admin/campaigns` stores the campaign; the stream starts its fan-out: one message
on the `campaigns` queue per page of the audience, each carrying only the campaign id and
the page's cursor. Each page's function reads the accounts whose marketing consent is on
at that moment (the sparse index follows every consent change), queues one email per
user (its notification id is made of the campaign and user ids, so a retried page sends
nobody twice), and queues the next page. Each email carries a signed unsubscribe link,
in its text and as RFC 8058 `List-Unsubscribe` / `List-Unsubscribe-Post` headers.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters import queues
from chalicelib.core import clock, errors, settings
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import CAMPAIGNS_QUEUE
from chalicelib.repos import campaigns as repo
from chalicelib.repos import ids
from chalicelib.repos import notifications as notification_repo
from chalicelib.repos import users as users_repo
from chalicelib.security import links, vault
from chalicelib.services import consents
from chalicelib.services.accounts import live_account

PAGE_SIZE = 100


def create(admin_id: str, subject: str, body: str) -> dict[str, Any]:
    campaign_id = ids.new_id()
    repo.Campaign(*repo.key(campaign_id), campaign_id=campaign_id, subject=subject, body=body, created_by=admin_id,
                  created_at=clock.now_ts()).save(condition=repo.Campaign.pk.does_not_exist())
    logger.info("campaign created", extra={"campaign_id": campaign_id})
    return {"campaign_id": campaign_id}


def started(changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> int:
    """New campaigns in a batch of stream records: queue each one's first page."""
    first = [{"campaign_id": new["campaign_id"]["S"], "cursor": None} for old, new in changes
             if new and not old and new.get("kind", {}).get("S") == "campaign"]
    if first:
        queues.send_batch(CAMPAIGNS_QUEUE, first)
    return len(first)


def unsubscribe_url(user_id: str) -> str:
    return f"{settings.public_api_url()}/unsubscribe?token={links.sign('unsubscribe:marketing', user_id, links.UNSUBSCRIBE_DAYS)}"


def send_page(campaign_id: str, cursor: dict | None) -> int:
    """Queue the campaign's email to one page of its audience, then the next page."""
    try:
        campaign = repo.Campaign.get(*repo.key(campaign_id))
    except repo.Campaign.DoesNotExist:
        return 0
    audience, last = repo.audience_page(PAGE_SIZE, cursor)
    vault.preload([u.user_id for u in audience])
    queued = 0
    for user in audience:
        if not user.marketing or user.status != users_repo.ACTIVE:
            continue
        email = vault.readable(user.user_id, "email", user.email_enc)
        if not email:
            continue
        link = unsubscribe_url(user.user_id)
        body = f"{campaign.body}\n\n--\nYou receive this because marketing email is on in your settings. Unsubscribe: {link}"
        item = notification_repo.new("email", email, campaign.subject, body, user_id=user.user_id, purpose="marketing",
                                     notification_id=f"campaign-{campaign_id}-{user.user_id}", unsubscribe_url=link)
        queued += 1 if notification_repo.save_once(item) else 0
    if last:
        queues.send_batch(CAMPAIGNS_QUEUE, [{"campaign_id": campaign_id, "cursor": json.dumps(last, sort_keys=True)}])
    metrics.add_metric(name="CampaignEmailsQueued", unit="Count", value=queued)
    logger.info("campaign page queued", extra={"campaign_id": campaign_id, "queued": queued, "more": bool(last)})
    return queued


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
