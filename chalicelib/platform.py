"""Health and the generated API description."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import Call, endpoint
from chalicelib.models import Model

bp = Blueprint(__name__)


class Health(Model):
    status: str


@endpoint(bp, "/health", summary="Liveness check", response=Health, auth=None, tags=("platform",))
def health(call: Call) -> Health:
    return Health(status="ok")


@endpoint(bp, "/openapi.json", summary="This document: OpenAPI 3, generated from the routes", auth=None, tags=("platform",))
def openapi_document(call: Call) -> dict:
    from chalicelib import openapi

    return openapi.build(bp.current_app)
