"""`lazy("chalicelib.services.projects")`: a module imported on first attribute access.

Blueprints refer to their services and repositories through it, so that a cold start
imports only what its first request uses (the routes themselves must be registered
at import, their service code need not be)."""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _Lazy:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module: ModuleType = importlib.import_module(self._name)  # cached in sys.modules after the first time
        return getattr(module, attr)


def lazy(name: str) -> Any:
    return _Lazy(name)
