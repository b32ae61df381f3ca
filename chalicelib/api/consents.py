"""Consent routes: the caller's consents per purpose, changing them, their history;
marketing campaigns (admin) and the one-click unsubscribe link (no sign-in)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call, page_query

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.consents  # noqa: F401

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("privacy",)


@route("/me/consents", response=lambda: schemas.consents.Consents, tags=TAGS, summary="The caller's consent per purpose")
def get_consents(call: Call) -> dict:
    from chalicelib.services import consents as service

    return service.state(call.caller.user)


@route("/me/consents", "PUT", body=lambda: schemas.consents.ConsentsIn, response=lambda: schemas.consents.Consents, tags=TAGS,
          summary="Turn purposes on or off; each change is recorded with its time, source and policy version")
def put_consents(call: Call) -> dict:
    from chalicelib.services import consents as service

    return service.update(call.caller.user, call.body.model_dump(), "settings")


@route("/me/consents/history", query=page_query, response=lambda: schemas.consents.ConsentChangePage, tags=TAGS,
          summary="Every consent change and policy decision, newest first")
def consent_history(call: Call) -> dict:
    from chalicelib.services import consents as service

    return service.history(call.caller.user_id, call.query.limit, call.query.cursor)


@route("/admin/campaigns", "POST", body=lambda: schemas.consents.CampaignIn, response=lambda: schemas.consents.CampaignAccepted, status=202, auth="admin", tags=("admin",),
          summary="Send a marketing email to every user whose marketing consent is on at sending time")
def create_campaign(call: Call) -> dict:
    from chalicelib.services import campaigns

    return campaigns.create(call.caller.user_id, call.body.subject, call.body.body)


@route("/unsubscribe", query=lambda: schemas.consents.UnsubscribeQuery, response=lambda: schemas.consents.Unsubscribed, auth=None, tags=TAGS, errors_=(404,),
          summary="One-click unsubscribe from marketing email (the link in each email; no sign-in)")
def unsubscribe_get(call: Call) -> dict:
    from chalicelib.services import campaigns

    return campaigns.unsubscribe(call.query.token)


@route("/unsubscribe", "POST", query=lambda: schemas.consents.UnsubscribeQuery, response=lambda: schemas.consents.Unsubscribed, auth=None, tags=TAGS, errors_=(404,),
          summary="RFC 8058 one-click unsubscribe (List-Unsubscribe-Post), as mail clients send it")
def unsubscribe_post(call: Call) -> dict:
    from chalicelib.services import campaigns

    return campaigns.unsubscribe(call.query.token)
