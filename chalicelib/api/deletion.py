"""Deletion routes: ask for the account's deletion, cancel it while scheduled, and the
receipt (no sign-in: the token is the proof)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call, Want

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.deletion  # noqa: F401
    from chalicelib.services.deletion import DeletionLoad
    from chalicelib.services.loads import Load

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("privacy",)


def _scheduled(want: Want) -> Load[DeletionLoad]:
    from chalicelib.services import deletion as service

    return service.load_scheduled()


@route("/me/deletion", "POST", response=lambda: schemas.deletion.DeletionScheduled, status=202, tags=TAGS, errors_=(403, 409),
          summary="Delete my account: scheduled after the profile's grace period, or 409 DeletionBlocked with the blockers")
def request_deletion(call: Call) -> dict:
    from chalicelib.services import deletion as service

    return service.request(call.caller)


@route("/me/deletion", "DELETE", response=lambda: schemas.deletion.DeletionCancelled, tags=TAGS, errors_=(404, 409), load=_scheduled,
          summary="Cancel a scheduled deletion")
def cancel_deletion(call: Call[DeletionLoad]) -> dict:
    from chalicelib.services import deletion as service

    return service.cancel(call.caller, call.loaded)


@route("/me/deletion-receipt", query=lambda: schemas.deletion.ReceiptQuery, response=lambda: schemas.deletion.DeletionReceiptOut, auth=None, tags=TAGS, errors_=(404,),
          summary="What was erased and what was kept, and why (no sign-in; holds no personal data)")
def deletion_receipt(call: Call) -> dict:
    from chalicelib.services import deletion as service

    return service.receipt(call.query.token)
