"""Marketplace notices, sent off the request path from the table's stream: the owner
hears of a new bid; a bidder hears whether their bid was accepted or not.

Each notice's id is derived from its cause (bid and new status), so a redelivered
stream record sends nothing twice. Notices name the project by its title and carry no
one else's personal data; a user erased meanwhile gets nothing (their address is
unreadable by then).
"""
from __future__ import annotations

from typing import Any

from chalicelib.core.observability import logger
from chalicelib.domain import marketplace as rules
from chalicelib.repos import notifications, users
from chalicelib.repos import projects as project_repo
from chalicelib.repos.db import Entity
from chalicelib.security import vault


def _s(image: dict[str, Any] | None, name: str) -> str | None:
    return ((image or {}).get(name) or {}).get("S")


def bid_changes(records: list[tuple[dict | None, dict | None]]) -> int:
    """Queue the notices these stream records call for; returns how many were new."""
    wanted = []
    for old, new in records:
        if _s(new, "kind") != "bid":
            continue
        notice = rules.bid_notice(_s(old, "status"), _s(new, "status") or "")
        if notice is not None:
            to, subject, body = notice
            recipient = _s(new, "owner_id") if to == "owner" else _s(new, "freelancer_id")
            project_id = _s(new, "project_id")
            if recipient is None or project_id is None:
                continue  # not a bid this code wrote; nobody to tell
            wanted.append((recipient, project_id, f"bid-{_s(new, 'bid_id')}-{_s(new, 'status')}", subject, body))
    if not wanted:
        return 0
    keys = [(users.user_pk(r), "ACCOUNT") for r, *_ in wanted] + [project_repo.key(p) for _, p, *_ in wanted]
    found = {(i.pk, i.sk): i for i in Entity.batch_get(list(dict.fromkeys(keys)))}
    vault.preload([r for r, *_ in wanted])
    queued = 0
    for recipient, project_id, nid, subject, body in wanted:
        account = found.get((users.user_pk(recipient), "ACCOUNT"))
        project = found.get(project_repo.key(project_id))
        email = vault.readable(recipient, "email", account.email_enc) if isinstance(account, users.UserItem) else None
        if not email or not isinstance(project, project_repo.Project):
            continue
        item = notifications.new("email", email, subject, body.format(title=project.title), user_id=recipient,
                                 purpose="marketplace", notification_id=nid)
        queued += notifications.save_once(item)
    logger.info("bid notices queued", extra={"queued": queued, "wanted": len(wanted)})
    return queued
