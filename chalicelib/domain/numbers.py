"""Whole numbers as JSON writes them.

JSON has one number type: `4125.0` is the integer 4125 to JSON Schema (and to many
clients' serializers). Request fields typed `Whole` accept it, and still refuse
`10.5`, `"100"`, `true` and anything else that is not a whole number, with a 400
naming the field."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Strict


def _integral_float_to_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Whole = Annotated[int, BeforeValidator(_integral_float_to_int), Strict()]
