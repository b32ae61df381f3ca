"""Export routes: ask for a copy of everything kept about me, and fetch it."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint, path_id
from chalicelib.core.lazy import lazy, refs

service = lazy("chalicelib.services.exports")
M = refs("chalicelib.api.schemas.exports")
bp = Blueprint(__name__)
TAGS = ("privacy",)


@endpoint(bp, "/me/exports", "POST", response=M.ExportAccepted, status=202, tags=TAGS,
          summary="Export every category of data kept about me (JSON and PDF), built asynchronously")
def request_export(call: Call) -> dict:
    return service.request(call.caller)


@endpoint(bp, "/me/exports/{export_id}", response=M.ExportOut, tags=TAGS, errors_=(404,),
          summary="An export's status and, while ready, short-lived links to the JSON and the PDF")
def get_export(call: Call) -> dict:
    return service.status(call.caller, path_id(call.path, "export_id"))
