"""Marketplace notices, sent off the request path from the table's stream: the owner
hears of a new bid; a bidder hears whether their bid was accepted or not.

stream (a bid's status changes) -> `select`: a message of ids and statuses only -> SQS
`notices` -> `write`: the notification, whose own path sends it (`services.notifications`).
Each notice's id is derived from its cause (bid and new status), so a redelivered
stream record or message sends nothing twice. Notices name the project by its title and carry no
one else's personal data; a user erased meanwhile gets nothing (their address is
unreadable by then).
"""
from __future__ import annotations

from typing import Any

from chalicelib.core.changes import Change
from chalicelib.core.observability import logger
from chalicelib.domain import marketplace as rules
from chalicelib.repos import notifications, users
from chalicelib.repos import projects as project_repo
from chalicelib.repos.db import Entity
from chalicelib.security import vault


def _s(image: dict[str, Any] | None, name: str) -> str | None:
    value = (image or {}).get(name)
    return value if isinstance(value, str) else None


def select(changes: list[Change]) -> list[dict[str, Any]]:
    """The stream's concern: the bid notices these changes call for, for the `notices`
    queue (ids and statuses only: who to tell, the bid, its project)."""
    out: list[dict[str, Any]] = []
    for c in changes:
        old, new = c.old, c.new
        if _s(new, "kind") != "bid":
            continue
        was, now = _s(old, "status"), _s(new, "status") or ""
        notice = rules.bid_notice(was, now)
        if notice is None:
            continue
        recipient = _s(new, "owner_id") if notice[0] == "owner" else _s(new, "freelancer_id")
        project_id = _s(new, "project_id")
        if recipient is None or project_id is None:
            continue  # not a bid this code wrote; nobody to tell
        out.append({"bid_id": _s(new, "bid_id"), "project_id": project_id, "recipient": recipient, "was": was, "status": now})
    return out


def write(messages: list[dict[str, Any]]) -> int:
    """Record the notices these messages ask for; returns how many were new."""
    wanted = []
    for m in messages:
        notice = rules.bid_notice(m.get("was"), m["status"])
        if notice is None:
            continue
        _, subject, body = notice
        wanted.append((m["recipient"], m["project_id"], f"bid-{m['bid_id']}-{m['status']}", subject, body))
    if not wanted:
        return 0
    keys = [users.account_key(r) for r, *_ in wanted] + [project_repo.key(p) for _, p, *_ in wanted]
    found = {(i.pk, i.sk): i for i in Entity.batch_get(list(dict.fromkeys(keys)))}
    vault.preload([r for r, *_ in wanted])
    queued = 0
    for recipient, project_id, nid, subject, body in wanted:
        account = found.get(users.account_key(recipient))
        project = found.get(project_repo.key(project_id))
        email = vault.readable(recipient, "email", account.email_enc) if isinstance(account, users.UserItem) else None
        if not email or not isinstance(project, project_repo.Project):
            continue
        item = notifications.new("email", email, subject, body.format(title=project.title), user_id=recipient,
                                 purpose="marketplace", notification_id=nid)
        queued += notifications.save_once(item)
    logger.info("bid notices queued", extra={"queued": queued, "wanted": len(wanted)})
    return queued
