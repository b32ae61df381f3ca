"""Request and response models of the money routes (`api/money.py`, and `fund` in
`api/contracts.py`)."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, RootModel, StringConstraints, model_validator

from chalicelib.api.models import FreeText, Model, Page, Strict, Timestamp, paged
from chalicelib.domain.money import Currency, Money

IFSC = r"^[A-Z]{4}0[A-Z0-9]{6}$"  # India: 4 letters of the bank, 0, 6 of the branch
PK_IBAN = re.compile(r"^PK\d{2}[A-Z]{4}\d{16}$")  # Pakistan: account numbers are IBANs


class BankMethod(Strict):
    """A bank account: Indian (account number and IFSC) or Pakistani (the IBAN as the
    account number; the IFSC does not apply there and may be left out)."""

    # an Indian account number (digits) needs an IFSC; said in the schema as well
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"account_number": {"pattern": "^\\s*[0-9]"}}, "required": ["account_number"]},
        "then": {"required": ["ifsc"], "properties": {"ifsc": {"type": "string"}}},
    })

    type: Literal["bank"]
    account_holder: Annotated[str, FreeText(120, 2)]
    account_number: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^(\d{9,18}|PK\d{2}[A-Z]{4}\d{16})$")] = Field(
        description="9 to 18 digits (India), or a Pakistani IBAN (PK + 22 characters)")
    ifsc: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=IFSC)] | None = None
    branch_name: Annotated[str, FreeText(120, 1)] | None = None

    @model_validator(mode="after")
    def _ifsc_for_indian_accounts(self) -> BankMethod:
        if self.ifsc is None and not PK_IBAN.match(self.account_number):
            raise ValueError("ifsc is required for an Indian bank account")
        return self


class UpiMethod(Strict):
    type: Literal["upi"]
    upi_id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{2,256}@[A-Za-z][A-Za-z0-9]{1,63}$")] = Field(
        description="name@handle")


class PayoutMethodIn(RootModel[Annotated[BankMethod | UpiMethod, Field(discriminator="type")]]):
    """`{type: "bank", account_holder, account_number, ifsc, branch_name}` or `{type: "upi", upi_id}`."""

    model_config = {"defer_build": True}


class SignedMoney(Model):
    """Money in an answer: like `Money`, but it may be zero (a balance) or negative (an entry)."""

    amount: int = Field(description="integer minor units")
    currency: Currency


class PayoutMethodOut(Model):
    type: Literal["bank", "upi"]
    account_number_last4: str | None = None
    upi_id_masked: str | None = None
    updated_at: Timestamp


class Entry(Model):
    entry_id: str
    kind: Literal["funding", "release", "fee", "refund", "payout", "payout_paid", "payout_reversal"]
    amount: SignedMoney = Field(description="signed: what the entry added to (or took from) the wallet")
    created_at: Timestamp
    ref: str = Field(description="the contract or payout the entry is about")


class CurrencyBalance(Model):
    balance: SignedMoney
    held: SignedMoney


class Wallet(Model):
    balance: SignedMoney = Field(description="available to pay out, in the currency asked (?currency=) or the wallet's latest")
    held: SignedMoney = Field(description="payouts requested and not yet paid or failed")
    balances: list[CurrencyBalance] = Field(description="every currency the wallet holds")
    ledger: list[Entry] = Field(description="the wallet's entries, newest first, every currency")
    next_cursor: str | None = None


class WalletQuery(Page):
    currency: Currency | None = None


class PayoutIn(Strict):
    amount: Money


class PayoutAccepted(Model):
    payout_id: str
    status: Literal["pending", "paid", "failed"]


class PayoutOut(Model):
    payout_id: str
    amount: Money
    status: Literal["pending", "paid", "failed"]
    destination: str = Field(description="masked: 'bank ****1234' or 'upi ab***@handle'")
    failure_reason: str | None = None
    created_at: Timestamp
    settled_at: Timestamp | None = None


PayoutOutPage = paged(PayoutOut)


class ReceiptOut(Model):
    receipt_id: str
    kind: Literal["funding", "release", "refund", "payout"]
    ref: str
    gross: SignedMoney
    fee: SignedMoney
    net: SignedMoney
    created_at: Timestamp


ReceiptOutPage = paged(ReceiptOut)


class FundAccepted(Model):
    contract_id: str
    charge_id: str
    escrow_status: Literal["pending", "funded"]
