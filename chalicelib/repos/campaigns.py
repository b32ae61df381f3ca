"""Marketing campaigns: `CAMPAIGN#<id>` / `CAMPAIGN`, what an admin asked to send."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.repos.db import Entity
from chalicelib.repos.users import MARKETING_ON, UserItem


class Campaign(Entity, discriminator="campaign"):
    campaign_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = NumberAttribute()


def key(campaign_id: str) -> tuple[str, str]:
    return f"CAMPAIGN#{campaign_id}", "CAMPAIGN"


def audience_page(limit: int, start: dict | None) -> tuple[list[UserItem], dict | None]:
    """One page of the accounts whose marketing consent is on now (a Query of the sparse index)."""
    result = UserItem.gsi2.query(MARKETING_ON, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key
