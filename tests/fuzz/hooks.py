"""Schemathesis hooks for fuzzing the local stack (`SCHEMATHESIS_HOOKS=tests.fuzz.hooks`).

One check of our own: a schema-valid request must not be refused with 400, except
for a value only the server can issue (a cursor, a signed link's token, a one-time
code; marked `x-server-issued` in the OpenAPI document), which no schema can tell
from a forged one. The built-in positive-data check is configured to leave 400s to
this one (tests/fuzz/schemathesis.toml)."""
from __future__ import annotations

from typing import Any

import schemathesis


def _issued(case: Any) -> set[str]:
    """Names of the operation's parameters and top-level body fields marked x-server-issued."""
    names: set[str] = set()
    definition = case.operation.definition.raw
    for param in definition.get("parameters", []):
        if (param.get("schema") or {}).get("x-server-issued"):
            names.add(param["name"])
    body = (definition.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref:
        body = case.operation.schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    for name, prop in (body.get("properties") or {}).items():
        if prop.get("x-server-issued"):
            names.add(name)
    return names


@schemathesis.check
def schema_valid_requests_are_not_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    if _is_probe(case):
        return None
    try:
        field = (response.json().get("Details") or {}).get("field", "")
    except ValueError:
        field = ""
    if field.split(".")[0] in _issued(case):
        return None
    raise AssertionError(f"400 for a schema-valid request to {case.operation.label}: {response.text[:300]}")


def _is_probe(case: Any) -> bool:
    """Coverage-phase probes that deliberately send something the schema does not
    describe (an unexpected method, a missing header) are not positive data."""
    from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

    return bool(is_unexpected_http_status_case(case))
