"""Response models of the policy routes (`api/policies.py`)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

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


class MappedField(Model):
    name: str = Field(description="the attribute, object prefix or payload field")
    category: str = Field(description="its data category (Fides taxonomy)")
    rule: Literal["erase", "pseudonymise", "keep"]
    exported: bool = Field(description="whether the user's export includes it")
    says: str = Field(description="what happens to it on erasure, in plain words")


class MappedStore(Model):
    store: str = Field(description="where it is kept: a table entity, a bucket, Cognito or a queue")
    fields: list[MappedField]


class DataMap(Model):
    items: list[MappedStore]
