"""Base classes of the request and response models.

`defer_build`: Pydantic builds a model's validator when it is first used, not when
the module is imported, so a cold start pays only for the models its request needs.
"""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict, WithJsonSchema

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time",
                                            "description": "RFC 3339 in UTC, e.g. 2026-12-01T09:30:00Z"})]
"""A timestamp the API answers with (`clock.iso`): RFC 3339, UTC, `Z`."""


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)


class Strict(Model):
    """A request body: unknown fields are a 400 naming them."""

    model_config = ConfigDict(defer_build=True, extra="forbid")


def paged(model: type[BaseModel]) -> type[BaseModel]:
    """The response model of a list: `{"items": [model], "next_cursor": str | null}`."""
    from pydantic import create_model

    items: Any = list[model]  # type: ignore[valid-type]  # a type built at run time
    return create_model(
        f"{model.__name__}Page", __base__=Model, __doc__=f"A page of {model.__name__}; pass next_cursor to get the next",
        items=(items, ...), next_cursor=(str | None, None),
    )


ISSUED: JsonDict = {"x-server-issued": True}
"""Marks a request value only the server can produce (a cursor, a signed link's token, a
one-time code): any string of the right shape is well formed, and one the server did
not issue is refused (400 naming it, as API.md says for a wrong code). The fuzzing in
CI counts such a refusal as expected; any other 400 for a schema-valid request fails."""


def omittable(**constraints: Any) -> Any:
    """A request field that may be left out but not set to null: its schema is the type
    alone (no `null`), and an explicit null is a 400 naming the field."""
    return Field(default=None, json_schema_extra=_no_default, **constraints)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # `null` is not a value the field accepts


class Page(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None, max_length=2048, validation_alias=AliasChoices("cursor", "next_cursor"),
        description="the next_cursor of the previous page", json_schema_extra=ISSUED,
    )


# --- free text ---------------------------------------------------------------------------
# JSON Schema reads `\s` as ECMAScript does and Python does not (`str.strip` also strips
# \x1c-\x1f and \x85; ECMAScript counts \ufeff as space). So free text is defined here
# with explicit classes, and the same pattern is checked in code and published in the
# document: no control characters, surrounding white space stripped, `min_length`
# counted after stripping and `max_length` before it. A request the document calls
# valid is accepted, and one it calls invalid is refused.
_WS_CHARS = "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
_WS = "".join(f"\\u{ord(c):04x}" for c in _WS_CHARS)  # the same set, as a pattern's character class
_CONTROL = {False: "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029", True: "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"}  # one line: no line or paragraph separators; multi-line keeps \t \n \r


def text_pattern(min_length: int, multiline: bool) -> str:
    ctl = _CONTROL[multiline]
    if min_length <= 0:
        return f"^[^{ctl}]*$"
    solid = f"[^{_WS}{ctl}]"
    if min_length == 1:
        return f"^[{_WS}]*{solid}[^{ctl}]*$"
    return f"^[{_WS}]*{solid}[^{ctl}]{{{min_length - 2},}}{solid}[{_WS}]*$"


class FreeText:
    """`Annotated[str, FreeText(max_length, min_length, multiline)]`: a free-text request
    field (see above); the value reaches the code stripped."""

    def __init__(self, max_length: int, min_length: int = 0, multiline: bool = False) -> None:
        self.max_length, self.min_length, self.multiline = max_length, min_length, multiline
        self.pattern = text_pattern(min_length, multiline)
        self._compiled = re.compile(self.pattern)

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the str type refuses it, naming the field
        if len(value) > self.max_length:
            raise ValueError(f"at most {self.max_length} characters")
        if not self._compiled.fullmatch(value):
            stripped = value.strip(_WS_CHARS)
            if self.min_length and not stripped:
                raise ValueError("may not be empty or only white space")
            if len(stripped) < self.min_length:
                raise ValueError(f"at least {self.min_length} characters")
            raise ValueError("may not contain control characters" + ("" if self.multiline else " or line breaks"))
        return value.strip(_WS_CHARS)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        found = handler(schema)
        found.update(maxLength=self.max_length, pattern=self.pattern)
        return found
