"""Health and the generated API description."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import http, schemas
from chalicelib.api.http import Call

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.platform  # noqa: F401

bp = Blueprint(__name__)
route = http.Routes(bp)  # public routes only: no authenticator


@route("/health", summary="Liveness check", response=lambda: schemas.platform.Health, auth=None, tags=("platform",))
def health(call: Call) -> dict:
    return {"status": "ok"}


@route("/openapi.json", response=lambda: schemas.platform.OpenApiDocument, summary="This document: OpenAPI 3, generated from the routes", auth=None, tags=("platform",))
def openapi_document(call: Call) -> dict:
    from chalicelib.api import openapi

    return openapi.document(bp.current_app)
