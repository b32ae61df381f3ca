"""Starts the whole local cloud in one process (moto, resources, API, event sources)."""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from local import env

ROOT = Path(__file__).resolve().parent.parent


class LocalStack:
    def __init__(self, api_port: int | None = None, aws_port: int | None = None):
        self.api_port = api_port or env.api_port()
        self.aws_port = aws_port or env.aws_port()
        self.moto: Any = None
        self.http: Any = None
        self.runtime: Any = None
        self.app: Any = None

    def start(self, background: bool = True) -> None:
        from local import moto_server

        moto_server.ensure_free(self.api_port, "API server")
        from local import memory

        memory.install()  # before the servers start their threads
        env.configure(self.aws_port)
        self.moto = moto_server.start(self.aws_port)
        from local import outbox, provision, seed

        provision.everything()
        from app import app  # only now: every client must point at the running moto

        self.app = app
        seed.local_admin()
        from chalicelib.api import devtools
        from local.runtime import LocalRuntime

        self.runtime = LocalRuntime(app)
        devtools.attach(self.runtime, outbox)
        if background:
            self.runtime.start()
        self.http = _http_server(app, self.api_port)
        threading.Thread(target=self.http.serve_forever, name="local-api", daemon=True).start()

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
        if self.http is not None:
            self.http.shutdown()
        if self.moto is not None:
            self.moto.stop()


def _request_handler() -> Any:
    """Chalice's local request handler, answering methods it has no `do_` for (TRACE,
    CONNECT, anything made up) with the JSON 405 every other unsupported method gets,
    as API Gateway answers with JSON, instead of the HTTP server's HTML 501. Its access
    log leaves out query strings: they carry receipt and unsubscribe tokens and, on
    `/_dev/outbox`, addresses (a test sweeps the stack's logs for personal data)."""
    from chalice.local import ChaliceRequestHandler

    class Handler(ChaliceRequestHandler):
        def __getattr__(self, name: str) -> Any:
            if name.startswith("do_"):
                return self._method_not_allowed
            raise AttributeError(name)

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            line = self.requestline.split(" ")
            if len(line) >= 2:
                line[1] = line[1].split("?", 1)[0] + ("?..." if "?" in line[1] else "")
            self.log_message('"%s" %s %s', " ".join(line), str(code), str(size))

        def _send_error_response(self, error: Any) -> None:
            """A path no route has is `404 NotFoundError` (api/edge.py NOT_FOUND), as the deployed API's
            gateway response answers it, where Chalice local mimics API Gateway's default 403
            "Missing Authentication Token" (or, with a token, a SigV4 complaint)."""
            from chalice.local import ForbiddenError

            from chalicelib.api import edge

            if isinstance(error, ForbiddenError) and error.headers.get("x-amzn-ErrorType") == "UnauthorizedException":
                headers = {"Content-Type": "application/json", **edge.cors_headers(self.headers.get("Origin"))}
                self._send_http_response(404, headers, json.dumps(edge.NOT_FOUND).encode())
                return
            super()._send_error_response(error)

        def _method_not_allowed(self) -> None:
            from chalice.local import RouteMatcher

            self._parse_payload()  # read any body, so the connection stays usable
            body = json.dumps({"Code": "MethodNotAllowedError", "Message": f"Unsupported method: {self.command[:20]}"})
            headers = {"Content-Type": "application/json"}
            routes = self.local_gateway._app_object.routes
            try:  # RFC 9110: a 405 lists the methods the resource has (Chalice does so for the others)
                route = RouteMatcher(list(routes)).match_route(self.path.split("?", 1)[0]).route
                headers["Allow"] = ", ".join(sorted(routes[route]))
            except ValueError:
                pass  # no such resource
            self._send_http_response(405, headers, body)

    return Handler


def _http_server(app: Any, port: int) -> Any:
    from chalice.config import Config
    from chalice.local import LocalDevServer

    config_file = ROOT / ".chalice" / "config.json"
    config = Config(chalice_stage="local", config_from_disk=json.loads(config_file.read_text()))
    # chalice.local.create_local_server, with our request handler, and without its swap of the
    # app's class for one whose current request is per thread: the app's class is so already
    server = LocalDevServer(app, config, "127.0.0.1", port, handler_cls=_request_handler())
    return server.server  # the ThreadingHTTPServer: serve_forever/shutdown


def main() -> int:
    from chalicelib.core.privacy import ProfileError, active
    from local.moto_server import PortInUse

    started = time.monotonic()
    stack = LocalStack()
    try:
        active()  # check the privacy profile before starting anything
        stack.start()
    except (PortInUse, ProfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"Local stack ready in {time.monotonic() - started:.1f}s\n"
        f"  API        http://127.0.0.1:{stack.api_port}   (try /health, /openapi.json)\n"
        f"  AWS (moto) http://127.0.0.1:{stack.aws_port}   aws --endpoint-url http://127.0.0.1:{stack.aws_port} dynamodb list-tables\n"
        f"  admin      {os.environ.get('LOCAL_ADMIN_EMAIL', 'admin@local.test')}\n"
        f"  privacy    profile '{active().name}' (PRIVACY_PROFILE)\n"
        "Ctrl-C stops everything.",
        flush=True,
    )
    stopping = threading.Event()
    # SIGINT explicitly too: a shell starts background jobs with SIGINT ignored
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    try:
        stopping.wait()
        print("\nStopping the local stack...", flush=True)
    finally:
        stack.stop()
    return 0
