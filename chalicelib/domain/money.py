"""Money as the API writes it: `{"amount": <integer minor units>, "currency": "<ISO 4217>"}`.

A value of the domain (Pydantic, no AWS): request bodies embed it, services and the
ledger compute with it. Unknown fields are refused, like every request body."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.numbers import Whole

# The currencies the platform settles in (ISO 4217); others are a 400 naming the field.
Currency = Literal["USD", "EUR", "GBP", "INR", "PKR", "AED", "SAR", "CAD", "AUD"]


class Money(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    amount: Whole = Field(ge=1, le=10**11, description="integer minor units (cents, paise, ...)")
    currency: Currency
