"""Money as the API writes it: `{"amount": <integer minor units>, "currency": "<ISO 4217>"}`."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.models import Strict

# The currencies the platform settles in (ISO 4217); others are a 400 naming the field.
Currency = Literal["USD", "EUR", "GBP", "INR", "PKR", "AED", "SAR", "CAD", "AUD"]


class Money(Strict):
    amount: int = Field(ge=1, le=10**11, description="integer minor units (cents, paise, ...)", strict=True)
    currency: Currency
