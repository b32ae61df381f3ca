"""Payout methods: a bank account or a UPI id where a user's payouts go.

Every field is sealed with the owner's data key; only the masked forms
(`account_number_last4`, `upi_id_masked`) are kept in clear, answered, logged or put on a
queue. A payout seals its own copy of the destination (`sealed_destination`), so changing
the method later does not redirect a payout already requested.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core import clock, errors
from chalicelib.core.observability import logger
from chalicelib.repos import ledger as repo
from chalicelib.repos.batch import Batch
from chalicelib.security import vault
from chalicelib.services import guards
from chalicelib.services.caller import Caller
from chalicelib.services.loads import Load


@dataclass
class PayoutMethodLoad:
    """What `GET /me/payout-method` and `POST /me/payouts` read with the caller's account."""

    payout_method: repo.PayoutMethod | None


def load_payout_method() -> Load[PayoutMethodLoad]:
    def want(batch: Batch, caller_id: str | None) -> Callable[[], PayoutMethodLoad]:
        method = batch.want(repo.payout_method_key(caller_id), repo.PayoutMethod) if caller_id else None
        return lambda: PayoutMethodLoad(method.item if method else None)

    return Load(want)


def _mask_upi(upi_id: str) -> str:
    name, _, handle = upi_id.partition("@")
    return f"{name[:2]}***@{handle}"


def _masked(method: repo.PayoutMethod) -> dict[str, Any]:
    if method.method_type == "bank":
        return {"type": "bank", "account_number_last4": method.account_number_last4, "updated_at": clock.iso(method.updated_at)}
    return {"type": "upi", "upi_id_masked": method.upi_id_masked, "updated_at": clock.iso(method.updated_at)}


def destination_label(method: repo.PayoutMethod) -> str:
    """The destination, masked: what a payout shows and logs."""
    if method.method_type == "bank":
        return f"bank ****{method.account_number_last4}"
    return f"upi {method.upi_id_masked}"


def set_payout_method(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """Store the caller's payout method, every field sealed with their data key; only
    masked forms stay in clear. Replaces the previous one; payouts already requested
    still go where they were requested to."""
    guards.member(caller, "receive payouts")
    uid, now = caller.user_id, clock.now_ts()
    pk, sk = repo.payout_method_key(uid)
    if data["type"] == "bank":
        number = data["account_number"]
        method = repo.PayoutMethod(
            pk, sk, user_id=uid, method_type="bank", updated_at=now,
            account_holder_enc=vault.seal(uid, "payout.account_holder", data["account_holder"]),
            account_number_enc=vault.seal(uid, "payout.account_number", number),
            ifsc_enc=vault.seal(uid, "payout.ifsc", data.get("ifsc")),
            branch_name_enc=vault.seal(uid, "payout.branch_name", data.get("branch_name")),
            account_number_last4=number[-4:],
        )
    else:
        method = repo.PayoutMethod(
            pk, sk, user_id=uid, method_type="upi", updated_at=now,
            upi_id_enc=vault.seal(uid, "payout.upi_id", data["upi_id"]), upi_id_masked=_mask_upi(data["upi_id"]),
        )
    repo.save_payout_method(method)
    logger.info("payout method set", extra={"type": method.method_type, "destination": destination_label(method)})
    return _masked(method)


def payout_method(caller: Caller, load: PayoutMethodLoad) -> dict[str, Any]:
    method = load.payout_method
    if method is None:
        raise errors.NotFound("No payout method yet (PUT /me/payout-method)")
    return _masked(method)


def sealed_destination(method: repo.PayoutMethod) -> str:
    """The destination, as the payout will use it, sealed again for the payout itself."""
    uid = method.user_id
    if method.method_type == "bank":
        plain = {"type": "bank", "account_holder": vault.unseal(uid, "payout.account_holder", method.account_holder_enc),
                 "account_number": vault.unseal(uid, "payout.account_number", method.account_number_enc),
                 "ifsc": vault.unseal(uid, "payout.ifsc", method.ifsc_enc)}
    else:
        plain = {"type": "upi", "upi_id": vault.unseal(uid, "payout.upi_id", method.upi_id_enc)}
    return vault.seal(uid, "payout.destination", json.dumps(plain))
