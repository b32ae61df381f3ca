"""Base classes of the request and response models.

`defer_build`: Pydantic builds a model's validator when it is first used, not when
the module is imported, so a cold start pays only for the models its request needs.
"""
from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


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


class Page(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None, max_length=2048, validation_alias=AliasChoices("cursor", "next_cursor"),
        description="the next_cursor of the previous page",
    )
