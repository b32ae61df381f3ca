"""Runtime settings, read from the environment once and on demand.

Nothing here talks to AWS; values are plain strings so that importing this module
is free at cold start.
"""
from __future__ import annotations

import functools
import os
from contextvars import ContextVar

LOCAL_STAGE = "local"


def stage() -> str:
    return os.environ.get("STAGE", LOCAL_STAGE)


def is_local() -> bool:
    return stage() == LOCAL_STAGE


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def resource_prefix() -> str:
    """Every physical resource name starts with this, so stages never collide."""
    return os.environ.get("RESOURCE_PREFIX", f"marketplace-{stage()}")


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


# The API's address as the current request reached it (`api.http` sets it per request):
# the API function has no PUBLIC_API_URL of its own unless a custom domain is configured.
_request_api_url: ContextVar[str | None] = ContextVar("request_api_url", default=None)


def public_api_url() -> str:
    """Where links in emails point (unsubscribe, policy decisions): the API's public address.

    Deployed, it is the stack parameter PublicApiUrl (a custom domain, which outlives the
    API's id: links in emails stay valid for months) or, without one, the execute-api
    address, both given to the functions as PUBLIC_API_URL. The API function alone is
    not given the execute-api address (the API's definition names the function, so the
    function naming the API is a circular dependency): it answers from the request it
    serves (`request_api_url`). Locally, the local stack's own address."""
    configured = os.environ.get("PUBLIC_API_URL")
    if configured:
        return configured.rstrip("/")
    if is_local():
        return f"http://127.0.0.1:{os.environ.get('LOCAL_API_PORT', '8000')}"
    requested = _request_api_url.get()
    if requested:
        return requested
    raise RuntimeError("environment variable PUBLIC_API_URL is not set")  # fail, not send broken links


def request_api_url(context: dict) -> str | None:
    """The API's public base URL from API Gateway's requestContext: the execute-api host
    and its stage, or a custom domain (mapped at its root, with no stage in the path)."""
    domain, stage_name = context.get("domainName"), context.get("stage")
    if not domain:
        return None
    if ".execute-api." in domain and stage_name:
        return f"https://{domain}/{stage_name}"
    return f"https://{domain}"


def serving(context: dict) -> None:
    """Remember the current request's public base URL (the API function calls this per request)."""
    _request_api_url.set(request_api_url(context))


LOCAL_WEB_ORIGINS = "http://localhost:*,http://127.0.0.1:*"


def web_origins() -> tuple[str, ...]:
    """The web origins browsers may call the API from (CORS), from `WEB_ORIGINS`: a comma-separated
    list of `scheme://host[:port]`, where `:*` stands for any port. The local stage allows
    `http://localhost:*` and `http://127.0.0.1:*` unless told otherwise; a deployed stage gets the
    template's `WebOrigin` list. Empty: no origin, so no CORS header at all. Parsed once per value
    (every answer asks), and checked when the app is built (`api.edge.register`)."""
    return _parsed_origins(os.environ.get("WEB_ORIGINS", LOCAL_WEB_ORIGINS if is_local() else ""))


@functools.lru_cache(maxsize=8)
def _parsed_origins(raw: str) -> tuple[str, ...]:
    import re

    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:(\d{1,5}|\*))?", origin):
            raise RuntimeError(f"WEB_ORIGINS: {origin!r} is not an origin (scheme://host[:port|:*], no path)")
    return origins
