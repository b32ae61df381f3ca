"""The audit log of privileged actions: who, what, when, on whom; never PII values.

Newest first in partition `AUDIT`; by subject on gsi1 (`AUDIT#USER#<id>`), by action
on gsi2 (`AUDIT#ACTION#<action>`).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.repos.db import Entity, time_key


class AuditEntry(Entity, discriminator="audit"):
    entry_id = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    action = UnicodeAttribute()
    subject_id = UnicodeAttribute(null=True)
    at = NumberAttribute()
    details = UnicodeAttribute(null=True)  # JSON of non-personal facts (ids, decisions, document names)


def build(actor_id: str, action: str, subject_id: str | None, details: dict[str, Any] | None = None) -> AuditEntry:
    now = clock.now_ts()
    entry_id = uuid.uuid4().hex
    sk = f"{time_key(now)}#{entry_id}"
    entry = AuditEntry(
        pk="AUDIT", sk=sk, entry_id=entry_id, actor_id=actor_id, action=action, subject_id=subject_id, at=now,
        details=json.dumps(details) if details else None, gsi2pk=f"AUDIT#ACTION#{action}", gsi2sk=sk,
    )
    if subject_id:
        entry.gsi1pk, entry.gsi1sk = f"AUDIT#USER#{subject_id}", sk
    return entry


def page(user_id: str | None, action: str | None, limit: int, start: dict | None) -> tuple[list[AuditEntry], dict | None]:
    if user_id:
        condition = AuditEntry.action == action if action else None
        result = AuditEntry.gsi1.query(
            f"AUDIT#USER#{user_id}", filter_condition=condition, scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start,
        )
    elif action:
        result = AuditEntry.gsi2.query(f"AUDIT#ACTION#{action}", scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    else:
        result = AuditEntry.query("AUDIT", scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    items = list(result)
    return items, result.last_evaluated_key


def about(user_id: str) -> Iterator[AuditEntry]:
    """Every entry about one user, newest first, page by page to the end (the export)."""
    yield from AuditEntry.gsi1.query(f"AUDIT#USER#{user_id}", scan_index_forward=False, page_size=100)
