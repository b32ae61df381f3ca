"""Response models of the platform routes (`api/platform.py`)."""
from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from chalicelib.api.models import Model


class Health(Model):
    status: str


class OpenApiDocument(Model):
    """An OpenAPI 3.1 document (its full shape is OpenAPI's own schema, https://spec.openapis.org/oas/3.1/schema)."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]
