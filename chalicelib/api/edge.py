"""What the API answers at its edge, the same locally and behind API Gateway: CORS for the stage's
web origins, preflights, and `405` for a method a path lacks.

- **CORS.** Chalice's `CORSConfig` names one origin, and a stage may have several (`WEB_ORIGINS`,
  `core.settings.web_origins`). So the app answers CORS itself: an HTTP middleware adds
  `Access-Control-Allow-Origin: <the request's Origin>` (when allowed), `Vary: Origin` and
  `Access-Control-Expose-Headers: X-Correlation-Id, Retry-After` to every answer, errors included
  (Chalice's own 405 and 415 pass through middleware). No credentials mode: tokens are bearer headers.
- **Preflights.** Every path gets an `OPTIONS` route here. Chalice local then dispatches OPTIONS to
  it instead of answering itself, and Chalice's deployment integrates it with the API function like
  any route, so one piece of code answers preflights in every stage. `Access-Control-Max-Age` is
  7200 s, Chromium's ceiling (Firefox allows a day): a browser asks once per two hours per path.
  A preflight from an origin not allowed is answered without `Access-Control-Allow-Origin`, which
  the browser reads as a refusal.
- **Unknown methods.** API Gateway answers a method a resource lacks with its own 403 "Missing
  Authentication Token"; here every path gets the standard methods it lacks as routes answering
  `405 MethodNotAllowedError` with `Allow`, as Chalice answers locally.

None of these routes is in the OpenAPI document (`openapi.build` skips `EDGE_METHODS` routes it has
no spec for); `info.description` states the 404/405 convention once.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core import settings

ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Correlation-Id"
EXPOSE_HEADERS = "X-Correlation-Id, Retry-After"
MAX_AGE_SECONDS = 7200
STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EDGE_METHODS = frozenset({"OPTIONS", *STANDARD_METHODS})
NOT_FOUND = {"Code": "NotFoundError", "Message": "No route matches this path"}
"""The answer to a path no route has: locally (local/stack.py) and from API Gateway (infra/stack.py)."""


def allowed_origin(origin: str | None) -> str | None:
    """The request's `Origin` if the stage allows it, else None."""
    if not origin:
        return None
    for pattern in settings.web_origins():
        if origin == pattern:
            return origin
        if pattern.endswith(":*"):  # any port of that scheme and host
            prefix = pattern[:-1]
            if origin.startswith(prefix) and origin[len(prefix):].isdigit():
                return origin
    return None


def cors_headers(origin: str | None) -> dict[str, str]:
    """The headers an answer to a request from `origin` carries (none if it is not allowed)."""
    allowed = allowed_origin(origin)
    if allowed is None:
        return {"Vary": "Origin"} if settings.web_origins() else {}
    return {"Access-Control-Allow-Origin": allowed, "Access-Control-Expose-Headers": EXPOSE_HEADERS, "Vary": "Origin"}


def register(app: Any) -> None:
    """After every Blueprint: the CORS middleware, a preflight route and the 405 routes of every path.
    A malformed `WEB_ORIGINS` stops the app here, at import, not at its first request."""
    from chalice.app import Request, Response

    settings.web_origins()

    @app.middleware("http")
    def cross_origin(event: Any, get_response: Any) -> Any:
        response = get_response(event)
        if isinstance(event, Request) and isinstance(response, Response):
            origin: str | None = event.headers.get("origin") if event.headers else None
            response.headers.update(cors_headers(origin))
        return response

    for path, methods in list(app.routes.items()):
        served = sorted(m for m in methods if m != "OPTIONS")

        def preflight(_served: list[str] = served, **_params: str) -> Response:
            request = app.current_request
            headers: dict[str, str | list[str]] = {"Allow": ", ".join([*_served, "OPTIONS"])}
            if allowed_origin((request.headers or {}).get("origin")) is not None:
                headers.update({"Access-Control-Allow-Methods": ", ".join([*_served, "OPTIONS"]),
                                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                                "Access-Control-Max-Age": str(MAX_AGE_SECONDS)})
            return Response(body="", status_code=204, headers=headers)

        def not_allowed(_served: list[str] = served, **_params: str) -> Response:
            method = app.current_request.method
            return Response(body={"Code": "MethodNotAllowedError", "Message": f"Unsupported method: {method}"},
                            status_code=405, headers={"Allow": ", ".join([*_served, "OPTIONS"])})

        if "OPTIONS" not in methods:
            app.route(path, methods=["OPTIONS"], name=f"preflight {path}")(preflight)
        missing = [m for m in STANDARD_METHODS if m not in methods]
        if missing:
            app.route(path, methods=missing, name=f"not allowed {path}")(not_allowed)
