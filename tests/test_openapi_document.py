"""The generated document says what the API answers (issue: a frontend can ship on it): every
operation has a 2xx schema, public operations say so, timestamps are date-time, the statuses the
edge returns are listed, and the document is complete enough for linters and generators."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    import app
    from chalicelib.api import openapi

    return openapi.build(app.app)


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, methods in doc["paths"].items() for method, op in methods.items()]


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_every_operation_answers_a_described_body_or_none(document):
    from chalicelib.api.http import ROUTES

    missing = []
    for path, method, op in _operations(document):
        ok = {k: v for k, v in op["responses"].items() if k.startswith("2")}
        assert len(ok) == 1, (method, path)
        (status, response), = ok.items()
        if status == "204":
            assert "content" not in response
        elif "content" not in response:
            missing.append(f"{method.upper()} {path}")
        assert ROUTES.get((path, method.upper())) is not None, f"{method.upper()} {path} is not registered through http.endpoint"
    assert not missing, missing


def test_public_operations_say_so_and_optional_ones_list_401(document):
    from chalicelib.api.http import ROUTES

    for path, method, op in _operations(document):
        spec = ROUTES[(path, method.upper())]
        if spec.auth is None:
            assert op["security"] == [], (method, path)
        elif spec.auth == "optional":
            assert op["security"] == [{}, {"bearer": []}] and "401" in op["responses"], (method, path)
        else:
            assert op["security"] == [{"bearer": []}] and "401" in op["responses"], (method, path)
    # the four routes where sign-in is optional answer a revoked token with 401, and say so
    for path, method in [("/projects/{project_id}", "get"), ("/phishing-reports", "post")]:
        if path in document["paths"]:
            assert "401" in document["paths"][path][method]["responses"]


def test_bodies_list_415_and_every_429_promises_retry_after(document):
    for path, method, op in _operations(document):
        if "requestBody" in op:
            assert "415" in op["responses"], (method, path)
        if "429" in op["responses"]:
            header = op["responses"]["429"]["headers"]["Retry-After"]
            assert header["required"] is True and header["schema"]["minimum"] == 1


def test_tags_are_declared_with_descriptions_and_operations_are_described(document):
    from chalicelib.api import openapi

    declared = {t["name"]: t["description"] for t in document["tags"]}
    for path, method, op in _operations(document):
        assert op.get("description"), (method, path)
        for tag in op.get("tags", ()):
            assert tag in declared and declared[tag] != tag, f"tag {tag} of {method} {path} has no description in openapi.TAGS"
    assert set(declared) <= set(openapi.TAGS)
    assert document["info"]["contact"]["email"] and document["info"]["license"]["name"]
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))


def _walk(doc: dict[str, Any], schema: Any, seen: set[str], found: list[str], where: str) -> None:
    if isinstance(schema, list):
        for s in schema:
            _walk(doc, s, seen, found, where)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _walk(doc, doc["components"]["schemas"][name], seen, found, name)
        return
    for name, prop in (schema.get("properties") or {}).items():
        variants = prop.get("anyOf", [prop])
        if (name.endswith("_at") or name == "at") and not any(v.get("format") == "date-time" for v in variants) \
                and not any("$ref" in v for v in variants):
            found.append(f"{where}.{name}")
        _walk(doc, prop, seen, found, where)
    for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
        _walk(doc, schema.get(key), seen, found, where)


def test_every_timestamp_answered_is_a_date_time(document):
    found: list[str] = []
    seen: set[str] = set()
    for _, _, op in _operations(document):
        for status, response in op["responses"].items():
            if status.startswith("2"):
                _walk(document, response.get("content", {}).get("application/json", {}).get("schema"), seen, found, "")
    assert not found, found
    assert len(seen) > 40  # the walk reached the answers' schemas


def test_the_error_shape_types_its_details_and_every_key_the_code_sends_is_in_it(document):
    import re

    error = document["components"]["schemas"]["Error"]
    details = error["properties"]["Details"]
    assert error["additionalProperties"] is False and details["additionalProperties"] is False
    sent = set()
    for source in (ROOT / "chalicelib").rglob("*.py"):
        for literal in re.findall(r"details=\{([^}]*)\}", source.read_text()):
            sent |= set(re.findall(r'"([a-z_]+)":', literal))
    assert {"field", "errors", "blockers", "earliest"} <= sent <= set(details["properties"]) | {"reason"}


def test_no_schema_is_named_like_one_of_its_properties(document):
    """A property named like its own schema (`Balance.balance`) makes generated clients clash."""
    clashes = [name for name, schema in document["components"]["schemas"].items()
               if name.lower() in {p.lower() for p in schema.get("properties", {})}]
    assert not clashes, clashes


def test_the_timestamps_the_api_writes_are_rfc_3339(document):
    import re

    from chalicelib.core import clock

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", clock.iso(0)) and clock.iso(0) == "1970-01-01T00:00:00Z"
