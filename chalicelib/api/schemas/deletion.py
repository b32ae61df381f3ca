"""Request and response models of the deletion routes (`api/deletion.py`)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import ISSUED, Model, Strict, Timestamp


class DeletionScheduled(Model):
    status: Literal["scheduled"]
    erase_after: str = Field(description="when erasure starts; until then DELETE /me/deletion cancels")
    receipt_token: str = Field(description="keep it: GET /me/deletion-receipt?token=... tells what was erased and kept, without signing in")


class DeletionCancelled(Model):
    status: Literal["cancelled"]


class ReceiptQuery(Strict):
    token: str = Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$", json_schema_extra=ISSUED)


class Kept(Model):
    category: str
    reason: str


class Blocker(Model):
    type: str
    id: str


class DeletionReceiptOut(Model):
    status: Literal["scheduled", "cancelled", "erased", "archived"]
    requested_at: Timestamp
    erase_after: str
    erased: list[str] = Field(description="data categories erased")
    kept: list[Kept] = Field(description="data categories kept, and why")
    completed_at: Timestamp | None
    blocked_by: list[Blocker] = Field(default_factory=list, description="while scheduled: what stopped the erasure when it was "
                                      "due (settle it, or cancel the deletion); empty otherwise")
