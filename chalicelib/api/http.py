"""The thin HTTP layer shared by every Blueprint.

`endpoint(...)` registers a Chalice route and records its request and response
models for the generated OpenAPI document; a Blueprint names it through `Routes`, built
with the authenticator its protected routes use (`route = http.Routes(bp, auth.BEARER)`).
The view it wraps receives a `Call` (parsed body and query, path parameters, caller,
and what the route declared it loads, `call.loaded`) and returns a dict, a Pydantic
model or a `Reply`. Around it:
- malformed JSON, wrong types, unknown fields, missing fields, oversized bodies and
  strings become `400 BadRequestError` naming the field, never a 5xx;
- so does text that is not Unicode (a lone surrogate such as the JSON escape `\\ud800`),
  in any string or object key of a body and in any query parameter, before any model
  or service sees it: nothing could seal, store or export it;
- domain errors (`chalicelib.core.errors`) become their status and `Code`;
- anything else is logged with its stack trace and answered with a generic 500
  that carries the correlation id, never the trace.
"""
from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from chalice.app import Response
from pydantic import BaseModel, ValidationError

from chalicelib.core import errors, settings
from chalicelib.core.observability import current_correlation_id, log_failure

if TYPE_CHECKING:
    from chalicelib.api.models import Page
    from chalicelib.services.caller import Caller, Verified
    from chalicelib.services.loads import Load

MAX_BODY_BYTES = 64 * 1024
M = TypeVar("M", bound=BaseModel)
L = TypeVar("L")
# A route's model: its class, or a function that imports and returns it (`lambda: schemas.projects.ProjectIn`),
# so that a cold start builds no model class until a route that uses it runs.
ModelRef = type[BaseModel] | Callable[[], type[BaseModel]]


def page_query() -> type[Page]:
    """The `?limit=&cursor=` query of every list (`query=page_query`), built on first use."""
    from chalicelib.api.models import Page

    return Page


def _model(ref: ModelRef | None) -> type[BaseModel] | None:
    if ref is None or isinstance(ref, type):
        return ref
    return ref()


@dataclass
class RouteSpec:
    """A route as registered. Its models may be given as functions that return them
    (`ModelRef`): they are imported, and their classes built, when first read."""

    path: str
    method: str
    summary: str
    status: int
    body_ref: ModelRef | None
    query_ref: ModelRef | None
    response_ref: ModelRef | None
    auth: str | None
    tags: tuple[str, ...]
    errors: tuple[int, ...]
    headers: tuple[str, ...] = ()  # request headers the route requires (documented in OpenAPI)
    description: str = ""  # the view's docstring: what the operation does, for the document
    _models: dict[str, type[BaseModel] | None] = field(default_factory=dict, repr=False, compare=False)

    def _read(self, which: str, ref: ModelRef | None) -> type[BaseModel] | None:
        if which not in self._models:
            self._models[which] = _model(ref)
        return self._models[which]

    @property
    def body(self) -> type[BaseModel] | None:
        return self._read("body", self.body_ref)

    @property
    def query(self) -> type[BaseModel] | None:
        return self._read("query", self.query_ref)

    @property
    def response(self) -> type[BaseModel] | None:
        return self._read("response", self.response_ref)


ROUTES: dict[tuple[str, str], RouteSpec] = {}


@dataclass
class Call(Generic[L]):
    """What a view receives. `loaded` is what the route declared it loads (`load=`), as
    the owning service's dataclass: a view takes `Call[ProjectLoad]`, and mypy checks it
    against the route's declaration."""

    body: Any = None
    query: Any = None
    path: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    caller: Any = None
    loaded: L = None  # type: ignore[assignment]  # None where the route declares no load
    source_ip: str | None = None
    user_agent: str | None = None


@dataclass
class Reply:
    body: Any
    status: int | None = None
    headers: dict[str, str | list[str]] | None = None


def error_body(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"Code": code, "Message": message}
    if details:
        body["Details"] = details
    return body


def error_response(exc: errors.AppError) -> Response:
    return Response(body=error_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=exc.headers())


def _field_name(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p != "__root__") or "body"


def validation_error(exc: ValidationError, where: str) -> errors.BadRequest:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        name = _field_name(err.get("loc", ()))
        reason = err.get("msg", "is invalid")
        if err.get("type") == "missing":
            reason = "is required"
        elif err.get("type") == "extra_forbidden":
            reason = "is not a known field"
        problems.append({"field": name, "reason": reason})
    first = problems[0]
    message = f"Invalid {where} field '{first['field']}': {first['reason']}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return errors.BadRequest(message, details={"field": first["field"], "errors": problems})


_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UNICODE = "is not valid Unicode (a lone surrogate: half of a UTF-16 pair)"


def _shown(name: str) -> str:
    """A key as it may appear in a message: lone surrogates written as `\\udXXX`."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def refuse_lone_surrogates(data: Any, where: str) -> None:
    """A 400 naming the first string or object key (in document order) that holds a lone
    surrogate. JSON's `\\ud800` escape and `json.loads`' surrogatepass let one through
    as a `str` no UTF-8 encoder accepts. Iterative: nesting depth cannot break it."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                _not_unicode(loc, where)
        elif isinstance(value, dict):
            children = []
            for key, item in value.items():
                here = (*loc, _shown(str(key)))
                if isinstance(key, str) and _SURROGATE.search(key):
                    _not_unicode(here, where)
                children.append((item, here))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(item, (*loc, str(i))) for i, item in enumerate(value)]))


def _not_unicode(loc: tuple[str, ...], where: str) -> None:
    name = ".".join(loc) or where
    raise errors.BadRequest(f"Invalid {where} field '{name}': {NOT_UNICODE}",
                            details={"field": name, "errors": [{"field": name, "reason": NOT_UNICODE}]})


def parse_body(raw: bytes | None, model: type[M]) -> M:
    if raw and len(raw) > MAX_BODY_BYTES:
        raise errors.BadRequest(
            f"Request body is larger than {MAX_BODY_BYTES} bytes", details={"field": "body"}
        )
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        raise errors.BadRequest("Request body is not valid JSON", details={"field": "body"}) from None
    except RecursionError:  # thousands of nested arrays or objects
        raise errors.BadRequest("Request body is nested too deeply", details={"field": "body"}) from None
    if not isinstance(data, dict):
        raise errors.BadRequest("Request body must be a JSON object", details={"field": "body"})
    refuse_lone_surrogates(data, "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, "body") from None
    except RecursionError:
        raise errors.BadRequest("Request body is nested too deeply", details={"field": "body"}) from None


def parse_query(params: dict[str, str] | None, model: type[M]) -> M:
    query = dict(params or {})
    refuse_lone_surrogates(query, "query")
    try:
        return model.model_validate(query)
    except ValidationError as exc:
        raise validation_error(exc, "query") from None


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def internal_error_response() -> Response:
    cid = current_correlation_id()
    body = error_body("InternalServerError", "An internal server error occurred. Quote the correlation id when reporting it.")
    body["correlation_id"] = cid
    return Response(body=body, status_code=500)


_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


IDEMPOTENCY_KEY = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


def idempotency_key(call: Call) -> str:
    """The request's `Idempotency-Key` header: required, 8 to 128 letters, digits or
    `_ . : -` (a UUID fits), else a 400 naming the header."""
    value = next((v for k, v in call.headers.items() if k.lower() == IDEMPOTENCY_KEY.lower()), None)
    if value is None or not value.strip():
        raise errors.BadRequest(f"The {IDEMPOTENCY_KEY} header is required: a unique key per operation, reused only to retry it",
                                details={"field": IDEMPOTENCY_KEY})
    if not _IDEMPOTENCY_KEY.match(value.strip()):
        raise errors.BadRequest(f"The {IDEMPOTENCY_KEY} header must be 8 to 128 letters, digits or _ . : -",
                                details={"field": IDEMPOTENCY_KEY})
    return value.strip()


def path_id(path: dict[str, str], name: str) -> str:
    """An id from the path; anything that cannot be one of ours is simply not found."""
    value = path.get(name) or ""
    if not _ID.match(value):
        raise errors.NotFound(f"No such {name.removesuffix('_id').replace('_', ' ')}")
    return value


@dataclass
class Want:
    """What a route's load declaration is told: the path and the raw query. It is called
    once the token's signature is verified (a bad id in the path of a protected route is a
    401 without a token, as before), and returns the service's `Load`."""

    path: dict[str, str]
    params: dict[str, str]


Declare = Callable[[Want], "Load[L]"]


class Authenticator(Protocol):
    """What turns a request into a caller, in two steps the HTTP layer runs, with a
    route's page step (if its load has one) between them:

    - `verify(header)`: the bearer token's signature (no DynamoDB call), else 401;
    - `admit(verified, load)`: the caller's account read in one call with the load's
      items, admitted (not closed or erased, the token not revoked, the role), else 401;
    - `read(load)`: the load's items alone, for an `auth="optional"` request without a token.

    Neither runs a Query. Each Blueprint names the one its routes use (`Routes`): none is
    installed as a side effect of an import."""

    def verify(self, header: str | None) -> Verified: ...

    def admit(self, verified: Verified, load: Load[Any] | None) -> Caller: ...

    def read(self, load: Load[Any]) -> None: ...


def endpoint(
    bp: Any,
    path: str,
    method: str = "GET",
    *,
    summary: str = "",
    body: ModelRef | None = None,
    query: ModelRef | None = None,
    response: ModelRef | None = None,
    status: int = 200,
    auth: str | None = "user",
    tags: tuple[str, ...] = (),
    errors_: tuple[int, ...] = (),
    load: Declare[L] | None = None,
    headers: tuple[str, ...] = (),
    authenticator: Authenticator | None = None,
) -> Callable[[Callable[[Call[L]], Any]], Callable[..., Response]]:
    """Register `view` as `method path` on blueprint `bp`.

    `body`, `query`, `response`: model classes, or functions that return them (`ModelRef`: built on first use).
    `auth`: None (public), "optional", "user" or "admin"; every value but None needs the
    `authenticator` (given by the Blueprint's `Routes`).
    `load(want)`: what the view reads, by name and type: a function of the path and query
    that imports the owning service and returns its declaration
    (`lambda want: projects.load_project(...)`, a `services.loads.Load[ProjectLoad]`).
    Its items are read in the same call as the caller's account (one GetItem or
    BatchGetItem for both), and the view gets the service's dataclass as `call.loaded`.
    A load's page step (a Query whose results name the items, as `GET
    /projects/{id}/bids` has) runs here, after the token's signature is verified and
    before that read, outside the authenticator. Nothing read, page or item, reaches the
    view, and so the caller, before the account is admitted: `call.loaded` is built after.
    """
    if auth is not None and authenticator is None:
        raise TypeError(f"{method} {path}: auth={auth!r} needs the Blueprint's authenticator (http.Routes)")

    def decorate(view: Callable[[Call[L]], Any]) -> Callable[..., Response]:
        doc = inspect.getdoc(view) or ""
        spec = ROUTES[(path, method)] = RouteSpec(
            path, method, summary or doc.split("\n")[0], status,
            body, query, response, auth, tags, errors_, headers, doc,
        )

        @functools.wraps(view)
        def handler(**path_params: str) -> Response:
            request = bp.current_request
            try:
                call: Call[L] = Call(path=path_params, headers=dict(request.headers or {}))
                settings.serving(request.context or {})
                identity = request.context.get("identity") or {}
                call.source_ip = identity.get("sourceIp")
                call.user_agent = (request.headers or {}).get("user-agent")
                if auth is not None and authenticator is not None:
                    call.caller, loading = _authenticate(authenticator, request, auth, load, path_params)
                    if loading is not None:
                        call.loaded = loading.result()  # the account is admitted: now, and only now
                if (query_model := spec.query) is not None:
                    call.query = parse_query(request.query_params, query_model)
                if (body_model := spec.body) is not None:
                    call.body = parse_body(request.raw_body, body_model)
                result = view(call)
            except errors.AppError as exc:
                return error_response(exc)
            except Exception as exc:
                from chalicelib.services import paging

                refused = paging.refused(exc, request.query_params)
                if refused is not None:
                    return error_response(refused)
                log_failure("unhandled error", exc, route=f"{method} {path}")
                return internal_error_response()
            if isinstance(result, Response):
                return result
            if isinstance(result, Reply):
                return Response(
                    body=_to_jsonable(result.body), status_code=result.status or status, headers=result.headers or {}
                )
            return Response(body=_to_jsonable(result), status_code=status)

        bp.route(path, methods=[method])(handler)
        return handler

    return decorate


def _authenticate(authenticator: Authenticator, request: Any, auth: str, load: Declare[L] | None,
                  path: dict[str, str]) -> tuple[Caller | None, Load[L] | None]:
    """The caller (None for an `optional` route without a token) and the route's load, read.
    In order: the token's signature; the load's declaration and its page step; one read of
    the account with the load's items, and the account admitted; the role."""
    header = (request.headers or {}).get("authorization")
    want = Want(path=path, params=dict(request.query_params or {}))
    if auth == "optional" and not header:
        loading = load(want) if load is not None else None
        if loading is not None:
            authenticator.read(loading)
        return None, loading
    verified = authenticator.verify(header)
    loading, held = None, None
    try:
        loading = load(want) if load is not None else None
        if loading is not None:
            loading.prepare(verified.user_id)  # a page (Query) the load's items come from: read, not shown
    except Exception as exc:  # noqa: BLE001 - held until the account is admitted: a refused token is 401, whatever its query
        loading, held = None, exc
    caller = authenticator.admit(verified, loading)
    if auth == "admin" and caller.role != "admin":
        raise errors.Forbidden("This needs an administrator")
    if held is not None:
        raise held
    return caller, loading


class Routes:
    """A Blueprint's route decorator: `endpoint` on `bp`, with the authenticator its
    protected routes use named once (`route = http.Routes(bp, auth.BEARER)`)."""

    def __init__(self, bp: Any, authenticator: Authenticator | None = None) -> None:
        self.bp, self.authenticator = bp, authenticator

    def __call__(
        self,
        path: str,
        method: str = "GET",
        *,
        summary: str = "",
        body: ModelRef | None = None,
        query: ModelRef | None = None,
        response: ModelRef | None = None,
        status: int = 200,
        auth: str | None = "user",
        tags: tuple[str, ...] = (),
        errors_: tuple[int, ...] = (),
        load: Declare[L] | None = None,
        headers: tuple[str, ...] = (),
    ) -> Callable[[Callable[[Call[L]], Any]], Callable[..., Response]]:
        return endpoint(self.bp, path, method, summary=summary, body=body, query=query, response=response, status=status,
                        auth=auth, tags=tags, errors_=errors_, load=load, headers=headers, authenticator=self.authenticator)
