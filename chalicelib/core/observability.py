"""Powertools Logger (JSON), Metrics (EMF) and Tracer, wired the same way on every
function by one Chalice middleware.

Every log line carries the correlation id: an HTTP caller may send
`X-Correlation-Id`, otherwise API Gateway's request id (or a new id) is used, and it
is returned in the `X-Correlation-Id` response header and in every 500 body.
No personal data is ever put in a log key, metric dimension or trace annotation.
"""
from __future__ import annotations

import os
import traceback
import uuid
import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.tracing import Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "marketplace")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Marketplace"), service=SERVICE)
_tracer: Tracer | None = None


def tracer() -> Tracer:
    """The Tracer, built on first use: the X-Ray SDK creates its sampling client when
    it is imported, and importing the app must create no AWS client (cold start)."""
    global _tracer
    if _tracer is None:
        _tracer = Tracer(service=SERVICE)
    return _tracer

_MAX_CORRELATION_ID = 128
# a function that recorded no metric is normal; do not warn on every invocation
warnings.filterwarnings("ignore", message="No application metrics to publish")


def correlation_id_from_request(request: Any) -> str:
    supplied = (request.headers or {}).get("x-correlation-id", "")
    if supplied and len(supplied) <= _MAX_CORRELATION_ID and supplied.replace("-", "").isalnum():
        return supplied
    context = getattr(request, "context", None) or {}
    return context.get("requestId") or str(uuid.uuid4())


def log_failure(message: str, exc: BaseException, **extra: Any) -> None:
    """Log an unexpected failure with where it happened, but not the exception's text,
    which may quote personal data (an email in a validation message, say)."""
    frames = [
        {"file": f.filename.rsplit("/", 2)[-1], "line": f.lineno, "function": f.name}
        for f in traceback.extract_tb(exc.__traceback__)
    ]
    logger.error(message, extra={"exception_name": type(exc).__name__, "frames": frames, **extra})


def current_correlation_id() -> str | None:
    return logger.thread_safe_get_current_keys().get("correlation_id")


def _function_name(event: Any) -> str:
    """The Chalice name of the function an event came to (`watch_erasures`): deployed
    functions are named `<resource prefix>-<name>` (`infra.stack`), so that logs, the
    `function` metric dimension and the alarms on it all say which one."""
    from chalicelib.core import settings

    name = getattr(getattr(event, "context", None), "function_name", None)
    if not name:
        return type(event).__name__
    prefix = settings.resource_prefix() + "-"
    return name[len(prefix):] if name.startswith(prefix) else name


def install(app: Any) -> None:
    """Register the middleware on the app (HTTP and every event source)."""
    from chalice.app import Request, Response

    @app.middleware("all")
    def observe(event: Any, get_response: Any) -> Any:
        is_http = isinstance(event, Request)
        if is_http:
            cid = correlation_id_from_request(event)
            function = f"{event.method} {event.context.get('resourcePath', event.path)}"
        else:
            cid = str(uuid.uuid4())
            function = _function_name(event)
        # per thread (a context variable): locally the API threads and the stream, queue and
        # schedule runners share one process, and each invocation keeps its own keys
        outer = dict(logger.thread_safe_get_current_keys())  # locally a job can run inside a /_dev request
        logger.thread_safe_clear_keys()
        logger.thread_safe_append_keys(correlation_id=cid, function=function)
        if "function" not in metrics.dimension_set:  # locally a job can run inside a /_dev request
            metrics.add_dimension(name="function", value=function if not is_http else "api")
        try:
            with tracer().provider.in_subsegment(f"## {function}"):
                response = get_response(event)
        finally:
            metrics.flush_metrics(raise_on_empty_metrics=False)
            metrics.clear_metrics()  # an empty flush keeps dimensions; start clean
            logger.thread_safe_clear_keys()
            logger.thread_safe_append_keys(**outer)
        if is_http and isinstance(response, Response):
            response.headers["X-Correlation-Id"] = cid
        return response
