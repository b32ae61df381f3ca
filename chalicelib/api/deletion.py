"""Deletion routes: ask for the account's deletion, cancel it while scheduled, and the
receipt (no sign-in: the token is the proof)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import Call, Want, endpoint
from chalicelib.core.lazy import lazy, refs

repo = lazy("chalicelib.repos.deletion")
service = lazy("chalicelib.services.deletion")
M = refs("chalicelib.api.schemas.deletion")
bp = Blueprint(__name__)
TAGS = ("privacy",)


def _scheduled(want: Want) -> list:
    return [repo.request_key(want.caller_id)] if want.caller_id else []


@endpoint(bp, "/me/deletion", "POST", response=M.DeletionScheduled, status=202, tags=TAGS, errors_=(403, 409),
          summary="Delete my account: scheduled after the profile's grace period, or 409 DeletionBlocked with the blockers")
def request_deletion(call: Call) -> dict:
    return service.request(call.caller)


@endpoint(bp, "/me/deletion", "DELETE", response=M.DeletionCancelled, tags=TAGS, errors_=(404, 409), prefetch=_scheduled,
          summary="Cancel a scheduled deletion")
def cancel_deletion(call: Call) -> dict:
    return service.cancel(call.caller, call.items)


@endpoint(bp, "/me/deletion-receipt", query=M.ReceiptQuery, response=M.DeletionReceiptOut, auth=None, tags=TAGS, errors_=(404,),
          summary="What was erased and what was kept, and why (no sign-in; holds no personal data)")
def deletion_receipt(call: Call) -> dict:
    return service.receipt(call.query.token)
