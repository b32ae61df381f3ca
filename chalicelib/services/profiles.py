"""Profiles: publishing (or queueing for review), showing each viewer exactly the
fields their standing allows, anonymity, and the admins' review queue.

A profile's text is sealed with its owner's key, so erasure (shredding the key) makes
every copy unreadable, backups included. Contact details never appear in a profile:
text carrying them is refused (`domain.contact`), and email, phone, address and
identity numbers are not profile fields at all.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core import clock, errors, privacy
from chalicelib.domain import contact
from chalicelib.domain import marketplace as rules
from chalicelib.repos import audit, cursors, db, notifications, users
from chalicelib.repos import contracts as contract_repo
from chalicelib.repos import profiles as repo
from chalicelib.repos.batch import Batch
from chalicelib.security import vault
from chalicelib.services import guards
from chalicelib.services.caller import Caller
from chalicelib.services.loads import Load

DELETED_USER = "Deleted user"


def texts(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every string inside `data` with its field path (`experience.0.description`)."""
    found: list[tuple[str, str]] = []
    if isinstance(data, str):
        return [(prefix, data)]
    if isinstance(data, dict):
        for k, v in data.items():
            found += texts(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += texts(v, f"{prefix}.{i}")
    return found


def refuse_contact_details(data: dict[str, Any]) -> None:
    hit = contact.first_in(texts(data))
    if hit:
        raise errors.contact_info_not_allowed(*hit)


def save(caller: Caller, data: dict[str, Any], visibility: dict[str, str]) -> dict[str, Any]:
    """Publish the caller's profile, or queue it for review where the profile says so."""
    guards.member(caller, "have a profile")
    refuse_contact_details(data)
    uid, now = caller.user_id, clock.now_ts()
    sealed = vault.seal(uid, "profile", json.dumps(data, separators=(",", ":")))
    if privacy.active().profile_review_required:
        repo.draft(uid, sealed, visibility, now).save()
        return {"status": repo.PENDING_REVIEW}
    repo.published(uid, sealed, visibility, now).save()
    return {"status": repo.PUBLISHED}


@dataclass
class ProfileLoad:
    """What showing `owner_id`'s profile to `viewer_id` reads: the owner's account, the
    published profile, and whether the viewer has hired or been hired by the owner."""

    owner_id: str
    viewer_id: str | None
    account: users.UserItem | None
    profile: repo.ProfileItem | None
    hired: bool


def want_profile(batch: Batch, owner_id: str, viewer_id: str | None) -> Callable[[], ProfileLoad]:
    """Names in `batch` what showing `owner_id`'s profile to `viewer_id` reads."""
    account = batch.want(users.account_key(owner_id), users.UserItem)
    profile = batch.want(repo.key(owner_id), repo.ProfileItem)
    party = batch.want(contract_repo.party_key(viewer_id, owner_id), contract_repo.Party) if viewer_id and viewer_id != owner_id else None
    return lambda: ProfileLoad(owner_id, viewer_id, account.item, profile.item, party is not None and party.found)


def load_profile(owner_id: str) -> Load[ProfileLoad]:
    """`GET /users/{id}/profile`: the viewer is the caller, if any."""
    return Load(lambda batch, viewer_id: want_profile(batch, owner_id, viewer_id))


def shown_name(account: users.UserItem, name_visible: bool) -> str | None:
    """The name this viewer sees: the pseudonym while anonymous, the real name where its
    visibility allows (decrypted only then), "Deleted user" once the key is gone."""
    if account.anonymous and privacy.active().anonymity_allowed:
        return account.pseudonym or account.role.capitalize()
    if not name_visible:
        return None
    return vault.readable(account.user_id, "full_name", account.full_name_enc) or DELETED_USER


def render(load: ProfileLoad) -> dict[str, Any] | None:
    """The profile as `load.viewer_id` may see it, from what `want_profile` read; None
    where there is nothing to show (no such user, erased, an admin)."""
    owner_id, viewer_id, account = load.owner_id, load.viewer_id, load.account
    if account is None or account.status in (users.ERASED, users.CLOSED) or account.role == "admin":
        return None
    hired = viewer_id is not None and load.hired
    standing = rules.relation(viewer_id, owner_id, hired)
    profile = load.profile
    visibility = profile.visibility.as_dict() if profile else {}
    fields = rules.visible_fields(visibility, standing)
    data = json.loads(vault.readable(owner_id, "profile", profile.data_enc) or "{}") if profile else {}
    anonymous = account.anonymous and privacy.active().anonymity_allowed
    out: dict[str, Any] = {
        "user_id": owner_id,
        "role": account.role,
        "anonymous": anonymous,
        "display_name": shown_name(account, "full_name" in fields),
        "photo_url": None,
        "rating": {"average": round(account.rating_sum / account.rating_count, 2) if account.rating_count else None,
                   "count": int(account.rating_count)},
    }
    for field in rules.PROFILE_FIELDS[1:]:
        out[field] = data.get(field) if field in fields else None
    if anonymous and standing != rules.OWNER:
        out["location"] = out["company"] = None  # they would point back at the person
    if standing == rules.OWNER:
        out["visibility"] = {f: visibility.get(f, rules.DEFAULT_VISIBILITY) for f in rules.PROFILE_FIELDS}
        out["published"] = profile is not None
        out["pending_review"] = repo.get_draft(owner_id) is not None if privacy.active().profile_review_required else False
    return out


def view(load: ProfileLoad) -> dict[str, Any]:
    found = render(load)
    if found is None:
        raise errors.NotFound("No such user profile")
    return found


def set_anonymity(caller: Caller, enabled: bool) -> dict[str, Any]:
    guards.member(caller, "be anonymous")
    if not privacy.active().anonymity_allowed:
        raise errors.Forbidden("This platform does not offer anonymous mode", code="AnonymityNotOffered")
    user = caller.user
    new_pseudonym = None
    if enabled and not user.pseudonym:
        new_pseudonym = user.pseudonym = rules.new_pseudonym(user.role)
    users.set_anonymous(user, enabled, clock.now_ts(), new_pseudonym)
    return {"anonymous": enabled, "display_name": user.pseudonym if enabled else vault.unseal(user.user_id, "full_name", user.full_name_enc),
            "warning": ANONYMITY_WARNING if enabled else None}


ANONYMITY_WARNING = ("While anonymous, others see a pseudonym instead of your name and photo. Anonymous freelancers and employers "
                     "often find it harder to win projects or find freelancers; you can turn it off at any time.")


# --- the admins' review queue -------------------------------------------------------

def review_queue(limit: int, cursor: str | None) -> dict[str, Any]:
    drafts, last = repo.review_page(limit, cursors.decode(cursor))
    vault.preload([d.user_id for d in drafts])
    return {
        "items": [
            {"user_id": d.user_id, "submitted_at": clock.iso(d.submitted_at), "profile": json.loads(vault.readable(d.user_id, "profile", d.data_enc) or "{}"),
             "visibility": d.visibility.as_dict()}
            for d in drafts
        ],
        "next_cursor": cursors.encode(last),
    }


def decide_review(admin_id: str, user_id: str, decision: str, reason: str | None) -> dict[str, Any]:
    """Publish or reject a waiting edit; the user is told by email either way (with the
    reason, if one was given). The audit log records only that a reason was given."""
    draft = repo.get_draft(user_id)
    account = users.get(user_id)
    if draft is None or account is None:
        raise errors.NotFound("No profile edit waits for review for this user")
    approved = decision == "approve"
    email = vault.readable(user_id, "email", account.email_enc)
    together: list[Any] = [audit.build(admin_id, f"profile.{'approved' if approved else 'rejected'}", user_id, {"reason_given": bool(reason)})]
    if email:
        subject = "Your profile edit is published" if approved else "Your profile edit was not published"
        body = ("Your edited profile is now visible." if approved else "Your edited profile was not published; the previous "
                "version stays visible.") + (f"\n\nReviewer's note: {reason}" if reason else "")
        together.append(notifications.new("email", email, subject, body, user_id=user_id, purpose="profile_review"))
    try:
        repo.decide_draft(draft, approved, clock.now_ts(), *together)
    except db.Conflict:
        raise errors.Conflict("The edit changed or was decided meanwhile; reload the queue") from None
    return {"user_id": user_id, "status": repo.PUBLISHED if approved else "rejected"}


@dataclass
class RevieweeLoad:
    """What `GET /users/{id}/reviews` reads with the caller's account: the reviewee's."""

    user_id: str
    account: users.UserItem | None


def load_reviewee(user_id: str) -> Load[RevieweeLoad]:
    def want(batch: Batch, caller_id: str | None) -> Callable[[], RevieweeLoad]:
        account = batch.want(users.account_key(user_id), users.UserItem)
        return lambda: RevieweeLoad(user_id, account.item)

    return Load(want)


def reviews_received(load: RevieweeLoad, limit: int, cursor: str | None) -> dict[str, Any]:
    """The reviews a user received, shown where their profile is: none (`404`) for a user
    who is not there (no such user, erased, closed, an admin), as `GET .../profile`. The
    reviewee's account was read with the caller's (`load_reviewee`): with the page, 2 calls."""
    user_id, account = load.user_id, load.account
    if account is None or account.status in (users.ERASED, users.CLOSED) or account.role == "admin":
        raise errors.NotFound("No such user profile")
    found, last = contract_repo.reviews_of(user_id, limit, cursors.decode(cursor))
    vault.preload([r.reviewer_id for r in found])
    return {
        "items": [
            {"contract_id": r.contract_id, "rating": int(r.rating), "comment": vault.readable(r.reviewer_id, "review.comment", r.comment_enc),
             "reviewer_id": r.reviewer_id, "at": clock.iso(r.at)}
            for r in found
        ],
        "next_cursor": cursors.encode(last),
    }
