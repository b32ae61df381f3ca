"""Imports deferred to first use: `lazy(module)` and `refs(module)`.

`lazy("chalicelib.services.projects")`: a module imported on first attribute access.

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


class Ref:
    """`module.name`, imported only when `get()` is first called, then kept."""

    __slots__ = ("_module", "_name", "_value")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name, self._value = module, name, None

    def get(self) -> Any:
        if self._value is None:
            self._value = getattr(importlib.import_module(self._module), self._name)
        return self._value

    def __repr__(self) -> str:
        return f"Ref({self._module}.{self._name})"


class _Refs:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Ref:
        return Ref(self._name, attr)


def refs(name: str) -> Any:
    """`refs("chalicelib.api.schemas.projects").ProjectIn`: a `Ref` to that class that
    imports nothing yet. Routes name their request and response models this way, so
    a cold start builds no model class until a route that uses it runs."""
    return _Refs(name)


def resolve(value: Any) -> Any:
    """A `Ref`'s target; anything else as it is."""
    return value.get() if isinstance(value, Ref) else value
