"""Request and response models, one module per API area.

A module here is imported, and its classes built, only when a route of its area first
runs (or the OpenAPI document is built): a cold start pays for the models its first
request needs, not for all. A Blueprint imports this package (cheap: nothing is built)
and names a route's models as `lambda: schemas.<area>.<Model>`; `schemas.<area>` imports
the module on first use. The Blueprint also imports the module under `TYPE_CHECKING`,
so that mypy checks every model it names and import-linter sees the edge."""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if not TYPE_CHECKING:  # hidden from mypy: an area a Blueprint does not import is an error there

    def __getattr__(name: str) -> ModuleType:
        if name.startswith("_"):
            raise AttributeError(name)
        return importlib.import_module(f"{__name__}.{name}")  # kept in sys.modules, and as our attribute
