"""Consent routes: the caller's consents per purpose, changing them, and their history."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import PAGE, Call, endpoint
from chalicelib.core.lazy import lazy, refs

service = lazy("chalicelib.services.consents")
M = refs("chalicelib.api.schemas.consents")
bp = Blueprint(__name__)
TAGS = ("privacy",)


@endpoint(bp, "/me/consents", response=M.Consents, tags=TAGS, summary="The caller's consent per purpose")
def get_consents(call: Call) -> dict:
    return service.state(call.caller.user)


@endpoint(bp, "/me/consents", "PUT", body=M.ConsentsIn, response=M.Consents, tags=TAGS,
          summary="Turn purposes on or off; each change is recorded with its time, source and policy version")
def put_consents(call: Call) -> dict:
    return service.update(call.caller.user, call.body.model_dump(), "settings")


@endpoint(bp, "/me/consents/history", query=PAGE, response=M.ConsentChangePage, tags=TAGS,
          summary="Every consent change and policy decision, newest first")
def consent_history(call: Call) -> dict:
    return service.history(call.caller.user_id, call.query.limit, call.query.cursor)
