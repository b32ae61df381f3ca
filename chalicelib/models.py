"""Base classes of the request and response models.

`defer_build`: Pydantic builds a model's validator when it is first used, not when
the module is imported, so a cold start pays only for the models its request needs.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)


class Strict(Model):
    """A request body: unknown fields are a 400 naming them."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
