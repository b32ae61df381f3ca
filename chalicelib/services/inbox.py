"""The in-app list of notices (`GET /me/notices`) and announcements to every member.
Both go through the fan-out (`services.fanout`): a user's notice items are its record
of who was told what, and are what the list shows (marketing email is not listed)."""
from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.observability import logger
from chalicelib.repos import audit, cursors
from chalicelib.repos import fanout as repo
from chalicelib.services import fanout

LISTED = ("policy", "announcement")


def page(user_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    found, last = repo.notices(user_id, limit, cursors.decode(cursor), LISTED)
    return {
        "items": [{"notice_id": n.fanout_id, "purpose": n.purpose, "topic": n.topic, "subject": n.subject,
                   "channels": [c for c in n.channels if c != "in_app"], "received_at": clock.iso(n.at)} for n in found],
        "next_cursor": cursors.encode(last),
    }


def announce(admin_id: str, kind: str, subject: str, body: str) -> dict[str, str]:
    announcement_id = fanout.create("announcement", subject, body, admin_id, topic=kind, channels=["email", "in_app"])
    audit.build(admin_id, "announcement.created", None, {"announcement_id": announcement_id, "kind": kind}).save()
    logger.info("announcement created", extra={"announcement_id": announcement_id, "kind": kind})
    return {"announcement_id": announcement_id}
