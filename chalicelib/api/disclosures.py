"""Disclosure routes (admins record them, users list the ones they are told about),
legal holds (admin) and phishing reports (sign-in optional)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import PAGE, Call, endpoint, path_id
from chalicelib.core.lazy import lazy, refs

service = lazy("chalicelib.services.disclosures")
M = refs("chalicelib.api.schemas.disclosures")
bp = Blueprint(__name__)


@endpoint(bp, "/admin/disclosures", "POST", body=M.DisclosureIn, response=M.DisclosureRecorded, status=201, auth="admin",
          tags=("admin",), errors_=(404,), summary="Record a disclosure of a user's data; the user is told unless the law forbids it")
def record_disclosure(call: Call) -> dict:
    return service.record_disclosure(call.caller.user_id, call.body.model_dump())


@endpoint(bp, "/me/disclosures", query=PAGE, response=M.DisclosureOutPage, tags=("privacy",),
          summary="Every disclosure of my data I may be told about, newest first")
def my_disclosures(call: Call) -> dict:
    return service.mine(call.caller, call.query.limit, call.query.cursor)


@endpoint(bp, "/admin/legal-holds", "POST", body=M.HoldIn, response=M.HoldPlaced, status=201, auth="admin", tags=("admin",),
          errors_=(404,), summary="Place a legal hold on an account: it blocks deletion and erasure")
def place_hold(call: Call) -> dict:
    return service.place_hold(call.caller.user_id, call.body.user_id, call.body.reason)


@endpoint(bp, "/admin/legal-holds/{hold_id}", "DELETE", response=M.HoldLifted, auth="admin", tags=("admin",), errors_=(404,),
          summary="Lift a legal hold")
def lift_hold(call: Call) -> dict:
    return service.lift_hold(call.caller.user_id, path_id(call.path, "hold_id"))


@endpoint(bp, "/phishing-reports", "POST", body=M.PhishingIn, response=M.PhishingStored, status=201, auth="optional",
          tags=("privacy",), errors_=(403, 429), summary="Report a phishing attempt made in the platform's name")
def report_phishing(call: Call) -> dict:
    return service.report_phishing(call.caller, call.source_ip, call.body.model_dump())
