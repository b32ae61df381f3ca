"""Scheduled retention jobs: personal data kept no longer than the privacy profile says."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.core.lazy import lazy
from chalicelib.core.resources import SCHEDULES

identity = lazy("chalicelib.services.identity")
bp = Blueprint(__name__)


@bp.schedule(SCHEDULES["purge_identity_documents"].expression, name="purge_identity_documents")
def purge_identity_documents(event: Any) -> dict:
    """Identity documents are kept only `identity_documents_keep_days` after the decision."""
    return identity.purge_documents()
