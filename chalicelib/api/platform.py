"""Health and the generated API description."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.core.lazy import refs

M = refs("chalicelib.api.schemas.platform")
bp = Blueprint(__name__)


@endpoint(bp, "/health", summary="Liveness check", response=M.Health, auth=None, tags=("platform",))
def health(call: Call) -> dict:
    return {"status": "ok"}


@endpoint(bp, "/openapi.json", summary="This document: OpenAPI 3, generated from the routes", auth=None, tags=("platform",))
def openapi_document(call: Call) -> dict:
    from chalicelib.api import openapi

    return openapi.document(bp.current_app)
