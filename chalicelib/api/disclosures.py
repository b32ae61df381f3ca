"""Disclosure routes (admins record them, users list the ones they are told about),
legal holds (admin) and phishing reports (sign-in optional)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call, page_query, path_id

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.disclosures  # noqa: F401

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)


@route("/admin/disclosures", "POST", body=lambda: schemas.disclosures.DisclosureIn, response=lambda: schemas.disclosures.DisclosureRecorded, status=201, auth="admin",
          tags=("admin",), errors_=(404,), summary="Record a disclosure of a user's data; the user is told unless the law forbids it")
def record_disclosure(call: Call) -> dict:
    from chalicelib.services import disclosures as service

    return service.record_disclosure(call.caller.user_id, call.body.model_dump())


@route("/me/disclosures", query=page_query, response=lambda: schemas.disclosures.DisclosureOutPage, tags=("privacy",),
          summary="Every disclosure of my data I may be told about, newest first")
def my_disclosures(call: Call) -> dict:
    from chalicelib.services import disclosures as service

    return service.mine(call.caller, call.query.limit, call.query.cursor)


@route("/admin/legal-holds", "POST", body=lambda: schemas.disclosures.HoldIn, response=lambda: schemas.disclosures.HoldPlaced, status=201, auth="admin", tags=("admin",),
          errors_=(404,), summary="Place a legal hold on an account: it blocks deletion and erasure")
def place_hold(call: Call) -> dict:
    from chalicelib.services import disclosures as service

    return service.place_hold(call.caller.user_id, call.body.user_id, call.body.reason)


@route("/admin/legal-holds/{hold_id}", "DELETE", response=lambda: schemas.disclosures.HoldLifted, auth="admin", tags=("admin",), errors_=(404,),
          summary="Lift a legal hold")
def lift_hold(call: Call) -> dict:
    from chalicelib.services import disclosures as service

    return service.lift_hold(call.caller.user_id, path_id(call.path, "hold_id"))


@route("/phishing-reports", "POST", body=lambda: schemas.disclosures.PhishingIn, response=lambda: schemas.disclosures.PhishingStored, status=201, auth="optional",
          tags=("privacy",), errors_=(403, 429), summary="Report a phishing attempt made in the platform's name")
def report_phishing(call: Call) -> dict:
    from chalicelib.services import disclosures as service

    return service.report_phishing(call.caller, call.source_ip, call.body.model_dump())
