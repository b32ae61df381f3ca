"""Builds the OpenAPI 3 document from the app's own route table and the models each
route declared through `chalicelib.api.http.endpoint`: never written by hand, so it
lists exactly the routes the app serves.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Literal

from pydantic import BaseModel

from chalicelib.api.edge import EDGE_METHODS
from chalicelib.api.http import ROUTES, RouteSpec

_STATUS_TEXT = {
    400: "Bad request: malformed JSON, wrong type, unknown or missing field",
    401: "Missing, malformed, forged, expired or revoked token",
    403: "Known caller, not allowed",
    404: "Not found, or not visible to this caller",
    409: "Conflict with the current state",
    422: "Refused by a rule",
    415: "The body is not JSON: send Content-Type: application/json",
    429: "Too many requests; Retry-After says how many seconds to wait",
}

TAGS = {
    "accounts": "Signup, phone verification, sign-in and the caller's own account",
    "identity": "Identity verification: the documents a user submits and the admin's decision",
    "profiles": "Public profiles, their edits, photos and reviews",
    "projects": "Projects, their listing and the bids on them",
    "contracts": "Contracts between an employer and a freelancer, their messages and reviews",
    "money": "Escrow, wallets, payout methods and payouts",
    "privacy": "The privacy profile, policies, consents, exports, deletion and disclosures",
    "admin": "Operator tasks: identity review, audit, legal holds and moderation",
    "platform": "The API's own description and health",
    "local": "The local stack's test controls (absent, 404, in every deployed stage)",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["Code", "Message"],
    "properties": {
        "Code": {"type": "string", "description": "Stable error name, e.g. BadRequestError"},
        "Message": {"type": "string", "description": "Human sentence"},
        "Details": {
            "type": "object",
            "additionalProperties": False,
            "description": "For validation errors the field and why (`field`, `errors`); for a refused deletion what stands "
            "in its way (`blockers`)",
            "properties": {
                "field": {"type": "string", "description": "The first field (or header) refused"},
                "errors": {"type": "array", "description": "Every field refused, and why", "items": {
                    "type": "object", "additionalProperties": False, "required": ["field", "reason"],
                    "properties": {"field": {"type": "string"}, "reason": {"type": "string"}}}},
                "earliest": {"type": "string", "format": "date-time",
                             "description": "NoticePeriodTooShort: the earliest effective_at the profile's notice period allows"},
                "blockers": {"type": "array", "description": "What stands in the way of deleting the account", "items": {
                    "type": "object", "additionalProperties": False, "required": ["type", "id"],
                    "properties": {"type": {"type": "string"}, "id": {"type": "string"}}}},
            },
        },
        "correlation_id": {"type": "string", "description": "Present on 500s: quote it when reporting the failure"},
    },
}


def _schema_ref(model: type[BaseModel], components: dict[str, Any],
                mode: Literal["validation", "serialization"] = "serialization") -> dict[str, str]:
    """The model's schema (as answered, or as accepted with `mode="validation"`) put in
    `components`, and a reference to it."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(spec: RouteSpec | None, path: str, method: str, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_') or 'root'}",
        "responses": {},
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", path)
    ]
    if spec is None:
        op["summary"] = f"{method} {path}"
        op["responses"]["200"] = {"description": "OK"}
        op["parameters"] = params
        return op
    op["summary"] = spec.summary or f"{method} {path}"
    op["description"] = spec.description or op["summary"]
    if spec.tags:
        op["tags"] = list(spec.tags)
    codes = set(spec.errors)
    if spec.query is not None:
        qschema = spec.query.model_json_schema()
        required = set(qschema.get("required", []))
        for name, prop in qschema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    for name in spec.headers:
        params.append({"name": name, "in": "header", "required": True,
                       "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"},
                       "description": "A unique key per operation; a retry with the same key and body returns the first answer"})
    if params:
        op["parameters"] = params
    if spec.body is not None:
        codes.add(415)
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(spec.body, components, "validation")}},
        }
    ok: dict[str, Any] = {"description": "Success" if spec.status != 204 else "Done; no body"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": _schema_ref(spec.response, components)}}
    op["responses"][str(spec.status)] = ok
    if spec.body is not None or spec.query is not None or spec.headers:
        codes.add(400)
    if "{" in path:
        codes.add(404)  # the object named in the path does not exist, or is not the caller's to see
    if spec.auth in ("user", "admin"):
        codes.add(401)
        op["security"] = [{"bearer": []}]
    elif spec.auth == "optional":
        codes.add(401)  # a token is optional, but one sent is checked: forged, expired or revoked is 401
        op["security"] = [{}, {"bearer": []}]
    else:
        op["security"] = []  # public
    if spec.auth == "admin":
        codes.add(403)
    for code in sorted(codes):
        op["responses"][str(code)] = {
            "description": _STATUS_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if code == 429:
            op["responses"]["429"]["headers"] = {"Retry-After": {
                "description": "Seconds to wait before trying again",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }}
    op["responses"]["500"] = {
        "description": "Unexpected failure; the body carries the correlation id",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return op


@functools.lru_cache(maxsize=4)
def document(app: Any) -> dict[str, Any]:
    """`build`, once per app: the routes and models are fixed once the app is imported, and
    building (schemas, links between operations) takes tens of milliseconds."""
    return build(app)


def build(app: Any, version: str = "1.0.0") -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for path in sorted(app.routes):
        for method, _entry in sorted(app.routes[path].items()):
            if (path, method) not in ROUTES and method in EDGE_METHODS:
                continue  # the edge's preflights and 405s (api/edge.py): conventions, stated in info.description
            paths.setdefault(path, {})[method.lower()] = _operation(
                ROUTES.get((path, method)), path, method, components
            )
    _link(paths, components)
    used = sorted({tag for methods in paths.values() for op in methods.values() for tag in op.get("tags", ())})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Freelance marketplace API",
            "version": version,
            "description": "Employers post projects, freelancers bid; contracts, escrow and payouts, "
            "under an enforceable privacy profile. Errors are {Code, Message, Details?}. "
            "Lists take ?limit= (default 20, max 100) and return next_cursor. A path no route has is "
            "404 NotFoundError, a method the path lacks 405 MethodNotAllowedError (with Allow), both {Code, Message}; "
            "every 429 carries Retry-After. Browsers may call it from the stage's web origins (CORS).",
            "contact": {"name": "API support", "email": "api@example.com", "url": "https://example.com/support"},
            "license": {"name": "Proprietary: for the platform's own frontends and partners",
                        "url": "https://example.com/terms"},
        },
        "tags": [{"name": tag, "description": TAGS.get(tag, tag)} for tag in used],
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _answer_fields(op: dict[str, Any], components: dict[str, Any]) -> dict[str, str]:
    """The ids a success answer carries, each with the JSON pointer to it: its own
    `*_id` properties, or those of the first item of a page."""
    found: dict[str, str] = {}
    for status, response in op["responses"].items():
        if not status.startswith("2"):
            continue
        ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        schema = components.get(ref.rsplit("/", 1)[-1], {})
        props = schema.get("properties", {})
        for name in props:
            if name.endswith("_id"):
                found.setdefault(name, f"$response.body#/{name}")
        item_ref = props.get("items", {}).get("items", {}).get("$ref", "")
        for name in components.get(item_ref.rsplit("/", 1)[-1], {}).get("properties", {}):
            if name.endswith("_id"):
                found.setdefault(name, f"$response.body#/items/0/{name}")
    return found


def _link(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """OpenAPI links from each operation whose answer carries an id to every operation
    whose path takes it (the rest of that path from the request), so that clients and
    stateful fuzzers can follow `POST /projects` into `/projects/{project_id}/...`."""
    operations = [(path, method, op) for path, methods in paths.items() for method, op in methods.items()]
    for path, _method, op in operations:
        carried = _answer_fields(op, components)
        if not carried:
            continue
        own = set(re.findall(r"{([^}]+)}", path))
        for target_path, _target_method, target in operations:
            wanted = re.findall(r"{([^}]+)}", target_path)
            if not wanted or not set(wanted) & set(carried) or not set(wanted) <= set(carried) | own:
                continue
            parameters = {name: carried.get(name) or f"$request.path.{name}" for name in wanted}
            for status, response in op["responses"].items():
                if status.startswith("2"):
                    response.setdefault("links", {})[target["operationId"]] = {
                        "operationId": target["operationId"], "parameters": parameters,
                    }

