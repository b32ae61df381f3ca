"""A real local stack (`python -m local run`) in its own process, and an HTTP client for
it: what the end-to-end, policy-lifecycle and profile-conformance tests drive.

Each stack has its own embedded moto, clock and privacy profile, so a test that
publishes a policy version or moves the clock a month ahead changes no other test.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import requests

from tests import pii
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Correct-Horse-9"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


class Stack:
    def __init__(self, **env: str) -> None:
        self.api_port, self.aws_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STAGE", "STREAM_ARN", "COGNITO", "DATA_KEY"))}
        self.env.update(LOCAL_API_PORT=str(self.api_port), LOCAL_AWS_PORT=str(self.aws_port), PYTHONUNBUFFERED="1", **env)
        self.process: subprocess.Popen | None = None
        self.startup_seconds = 0.0
        # the stack's output goes to files (a pipe nobody reads would fill and stall it)
        self.out_path = Path(tempfile.mkdtemp(prefix="stack-")) / "stdout.log"
        self.err_path = self.out_path.with_name("stderr.log")

    def logs(self) -> str:
        return self.out_path.read_text(errors="replace") + self.err_path.read_text(errors="replace")

    def start(self) -> Stack:
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local", "run"], cwd=ROOT, env=self.env,
            stdout=self.out_path.open("w"), stderr=self.err_path.open("w"), text=True,
        )
        deadline = started + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.err_path.read_text()
            try:
                if requests.get(self.base + "/health", timeout=2).status_code == 200:
                    self.startup_seconds = time.monotonic() - started
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError("the local stack did not serve /health within 90 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        leaked = pii.found_in(self.logs())
        assert not leaked, f"the stack logged personal data of test users: {leaked}"

    def aws(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=f"http://127.0.0.1:{self.aws_port}", region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )


class Api:
    """The stack's HTTP API as a frontend (and a tester with the `/_dev` routes) sees it."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.session = requests.Session()
        self._admin: str | None = None
        self._phones = iter(range(10**6, 10**7))

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = self.session.request(method, self.stack.base + path, json=body, headers=headers, timeout=60)
        return reply.status_code, (reply.json() if reply.content else None)

    def get(self, path: str, token: str | None = None) -> Any:
        status, found = self.call("GET", path, token=token)
        assert status == 200, (path, status, found)
        return found

    def drain(self) -> dict:
        status, drained = self.call("POST", "/_dev/drain")
        assert status == 200 and drained["complete"], drained
        return drained

    def advance(self, days: float = 0, seconds: float = 0) -> dict:
        status, moved = self.call("POST", "/_dev/clock", {"advance_seconds": int(days * 86400 + seconds)})
        assert status == 200, moved
        self._admin = None  # tokens carry the clock's time: the admin's may have expired
        return moved

    def run_job(self, name: str) -> Any:
        status, ran = self.call("POST", f"/_dev/jobs/{name}")
        assert status == 200, ran
        return ran

    def outbox(self, to: str) -> list[dict]:
        return self.get("/_dev/outbox?to=" + requests.utils.quote(to, safe=""))["items"]

    def current_version(self) -> str:
        return self.get("/policies/current")["version"]

    def signup(self, role: str = "freelancer", **over: Any) -> tuple[int, Any, dict]:
        payload = {"email": f"live-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD, "role": role,
                   "full_name": "Live Tester", "phone": f"+1415{next(self._phones)}", "date_of_birth": "1990-04-04",
                   "accepted_policy_version": self.current_version(), **over}
        pii.remember_user(payload)
        status, created = self.call("POST", "/auth/signup", payload)
        return status, created, payload

    def register(self, role: str = "freelancer", **over: Any) -> dict[str, Any]:
        """Sign up, verify the phone where the profile asks it, sign in."""
        status, created, payload = self.signup(role, **over)
        assert status == 201, created
        if created["status"] == "pending_verification":
            self.drain()
            code = re.search(r"\b(\d{6})\b", self.outbox(payload["phone"])[-1]["body"]).group(1)
            status, verified = self.call("POST", "/auth/verify-phone", {"email": payload["email"], "code": code})
            assert status == 200, verified
        return {**payload, **self.login(payload)}

    def login(self, user: dict[str, Any]) -> dict[str, Any]:
        status, session = self.call("POST", "/auth/login", {"email": user["email"], "password": user.get("password", PASSWORD)})
        assert status == 200, session
        return session

    def admin(self) -> str:
        if self._admin is None:
            self._admin = self.login({"email": "admin@local.test", "password": "Admin-Passw0rd!"})["token"]
        return self._admin

    def verify_identity(self, user: dict[str, Any]) -> None:
        status, started = self.call("POST", "/me/identity", {"id_type": "passport", "id_number": "AB1234567"}, user["token"])
        assert status == 201, started
        for which in ("document", "selfie"):
            target = started["uploads"][which]
            reply = requests.post(target["url"], data={**target["fields"], "Content-Type": "image/png"},
                                  files={"file": ("upload", PNG, "image/png")}, timeout=30)
            assert reply.status_code in (200, 204), reply.text
        assert self.call("POST", "/me/identity/submit", None, user["token"])[0] == 200
        status, decided = self.call("POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "approve"}, self.admin())
        assert status == 200, decided

    def member(self, role: str) -> dict[str, Any]:
        """A registered user who may post (employer) or bid (freelancer) under the profile."""
        user = self.register(role)
        if self.get("/policies/profile")["identity_verification_required"]:
            self.verify_identity(user)
        return user
