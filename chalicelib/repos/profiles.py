"""Public profiles in the owner's partition: `USER#<id>` / `PROFILE` (published) and
`USER#<id>` / `PROFILE#DRAFT` (an edit waiting for review, listed for admins on gsi2
`PROFILE_REVIEW`, oldest first). Profile text is sealed with the owner's data key; the
visibility map (field -> level) is not personal and stays in clear."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.repos.db import Entity, plain_map
from chalicelib.repos.users import user_pk

PUBLISHED, PENDING_REVIEW = "published", "pending_review"
REVIEW_QUEUE = "PROFILE_REVIEW"


class ProfileItem(Entity, discriminator="profile"):
    user_id = UnicodeAttribute()
    data_enc = UnicodeAttribute()  # sealed JSON of the profile fields
    visibility = plain_map(default=dict)
    published_at = NumberAttribute()


class ProfileDraft(Entity, discriminator="profile_draft"):
    user_id = UnicodeAttribute()
    data_enc = UnicodeAttribute()
    visibility = plain_map(default=dict)
    submitted_at = NumberAttribute()


def key(user_id: str) -> tuple[str, str]:
    return user_pk(user_id), "PROFILE"


def draft_key(user_id: str) -> tuple[str, str]:
    return user_pk(user_id), "PROFILE#DRAFT"


def published(user_id: str, data_enc: str, visibility: dict[str, str], at: float) -> ProfileItem:
    return ProfileItem(*key(user_id), user_id=user_id, data_enc=data_enc, visibility=visibility, published_at=at)


def draft(user_id: str, data_enc: str, visibility: dict[str, str], at: float) -> ProfileDraft:
    return ProfileDraft(
        *draft_key(user_id), user_id=user_id, data_enc=data_enc, visibility=visibility, submitted_at=at,
        gsi2pk=REVIEW_QUEUE, gsi2sk=f"{at:017.6f}#{user_id}",
    )


def get_draft(user_id: str) -> ProfileDraft | None:
    try:
        return ProfileDraft.get(*draft_key(user_id), consistent_read=True)
    except ProfileDraft.DoesNotExist:
        return None


def review_page(limit: int, start: dict | None) -> tuple[list[ProfileDraft], dict | None]:
    result = ProfileDraft.gsi2.query(REVIEW_QUEUE, limit=limit, page_size=limit, last_evaluated_key=start)
    items = list(result)
    return items, result.last_evaluated_key
