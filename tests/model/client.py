"""The model-based test's HTTP client: every answer is checked against the stack's own
`GET /openapi.json` as it arrives (no 5xx; a refusal is a 4xx the document lists for that
operation, with a `Code`), and every answer is shown to the listeners the machine
registers (the anonymity and untold-disclosure checks read what each caller received).

Failures name the operation, the status and the `Code`, never a body (bodies hold the
test users' personal data, which tests/pii.py forbids in the output)."""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import requests

from tests.live import Stack


class Violation(AssertionError):
    """An invariant of the model failed."""


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


class Client:
    def __init__(self, stack: Stack, fail: Callable[[str], None] | None = None) -> None:
        self.stack = stack
        self.fail = fail or self._raise
        self.local = threading.local()
        self.calls = 0
        self.lock = threading.Lock()
        self.listeners: list[Callable[[str | None, str, str, str], None]] = []
        self.document = self._session().get(stack.base + "/openapi.json", timeout=60).json()
        # literal templates first: /me/identity/submit before /me/identity/{x}
        self.templates = sorted(((t, _template_regex(t)) for t in self.document["paths"]), key=lambda p: p[0].count("{"))

    @staticmethod
    def _raise(message: str) -> None:
        raise Violation(message)

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def template(self, path: str) -> str:
        bare = path.split("?", 1)[0]
        for template, regex in self.templates:
            if regex.match(bare):
                return template
        raise Violation(f"no operation of GET /openapi.json has the path of {bare!r}")

    def documented(self, method: str, path: str) -> set[str]:
        op = self.document["paths"][self.template(path)].get(method.lower())
        if op is None:
            raise Violation(f"{method} {self.template(path)} is not in GET /openapi.json")
        return set(op.get("responses", {}))

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, *, viewer: str | None = None,
             headers: dict[str, str] | None = None, raw: str | None = None) -> tuple[int, Any]:
        """One request, checked. `viewer` names the model user the answer is shown to
        (for the listeners); `raw` sends a JSON text as it is (a lone surrogate)."""
        h = {**(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if raw is not None:
            h["Content-Type"] = "application/json"
            reply = self._session().request(method, self.stack.base + path, data=raw.encode(), headers=h, timeout=60)
        else:
            reply = self._session().request(method, self.stack.base + path, json=body, headers=h, timeout=60)
        with self.lock:
            self.calls += 1
        template = self.template(path)
        try:
            found = reply.json() if reply.content else None
        except ValueError:
            found = None
        code = found.get("Code") if isinstance(found, dict) else None
        if reply.status_code >= 500:
            self.fail(f"{method} {template} answered {reply.status_code} {code}")
        elif reply.status_code >= 400:
            if str(reply.status_code) not in self.documented(method, path):
                self.fail(f"{method} {template} answered {reply.status_code} {code}, not documented for it in GET /openapi.json")
            if not code:
                self.fail(f"{method} {template} answered {reply.status_code} without a Code")
        for listener in self.listeners:
            listener(viewer, method, template, reply.text)
        return reply.status_code, found

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None, *, expect: int = 200,
           viewer: str | None = None, headers: dict[str, str] | None = None) -> Any:
        status, found = self.call(method, path, body, token, viewer=viewer, headers=headers)
        if status != expect:
            code = found.get("Code") if isinstance(found, dict) else None
            raise Violation(f"{method} {self.template(path)} answered {status} {code}, the model expected {expect}")  # the model cannot go on
        return found
