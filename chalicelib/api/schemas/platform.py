"""Response models of the platform routes (`api/platform.py`)."""
from __future__ import annotations

from chalicelib.api.models import Model


class Health(Model):
    status: str
