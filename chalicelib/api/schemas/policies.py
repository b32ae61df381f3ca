"""Response models of the policy routes (`api/policies.py`)."""
from __future__ import annotations

from typing import Any

from chalicelib.api.models import Model
from chalicelib.core import clock


class PolicyOut(Model):
    version: str
    effective_at: str
    summary: str
    text: str
    material: bool
    in_effect: bool

    @classmethod
    def of(cls, item: Any) -> PolicyOut:
        return cls(
            version=item.version, effective_at=clock.iso(item.effective_at), summary=item.summary, text=item.text,
            material=item.material, in_effect=item.effective_at <= clock.now_ts(),
        )


class PolicyList(Model):
    items: list[PolicyOut]
    next_cursor: str | None = None
