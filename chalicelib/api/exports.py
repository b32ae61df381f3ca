"""Export routes: ask for a copy of everything kept about me, and fetch it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call, path_id

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.exports  # noqa: F401

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("privacy",)


@route("/me/exports", "POST", response=lambda: schemas.exports.ExportAccepted, status=202, tags=TAGS,
          summary="Export every category of data kept about me (JSON and PDF), built asynchronously")
def request_export(call: Call) -> dict:
    from chalicelib.services import exports as service

    return service.request(call.caller)


@route("/me/exports/{export_id}", response=lambda: schemas.exports.ExportOut, tags=TAGS, errors_=(404,),
          summary="An export's status and, while ready, short-lived links to the JSON and the PDF")
def get_export(call: Call) -> dict:
    from chalicelib.services import exports as service

    return service.status(call.caller, path_id(call.path, "export_id"))
