"""Response models of the export routes (`api/exports.py`)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import Model, Timestamp


class ExportAccepted(Model):
    export_id: str
    status: Literal["pending"]


class ExportOut(Model):
    export_id: str
    status: Literal["pending", "ready", "expired"]
    requested_at: Timestamp
    json_url: str | None = Field(description="a 5-minute link to the machine-readable JSON, while ready")
    pdf_url: str | None = Field(description="a 5-minute link to the human-readable PDF, while ready")
    expires_at: Timestamp | None = Field(description="when the export is deleted")
