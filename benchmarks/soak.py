"""Soak: a real day's load on a freshly started local stack, over HTTP, from several
concurrent clients, printing latency per 1,000 operations and the stack's memory.

    make bench-soak                      # 20,000 signups, 2,000 projects, 10,000 bids, 1,000 contracts
    python benchmarks/soak.py --signups 2000 --projects 200 --bids 1000 --contracts 100

Every signup is verified (SMS code read from the local outbox). Under the default
privacy profile (strict) posting and bidding need identity verification, so the
employers who post and the freelancers who bid go through it first (uploads, submit,
an admin's approval). Operations are timed one by one; for each kind the figures are
p50/p95 per block of 1,000 (or of `--block`), and the stack's resident memory (RSS,
from /proc) is sampled after each block. Only loopback addresses are used; the run
stops by itself.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Correct-Horse-9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """`python -m local run` in its own process, its output discarded."""

    def __init__(self) -> None:
        self.api_port, self.aws_port = _free_port(), _free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STAGE", "STREAM_ARN", "COGNITO", "DATA_KEY"))}
        env.update(LOCAL_API_PORT=str(self.api_port), LOCAL_AWS_PORT=str(self.aws_port), PYTHONUNBUFFERED="1")
        # the stack's own output goes to a file, for when a run stops on an error
        self.log_path = os.path.join(tempfile.gettempdir(), f"soak-stack-{self.api_port}.log")
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "local", "run"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the local stack exited while starting")
            try:
                if requests.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("the local stack did not serve /health within 90 s")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class Load:
    def __init__(self, stack: Stack, clients: int, block: int, quiet: bool = False) -> None:
        self.stack, self.clients, self.block, self.quiet = stack, clients, block, quiet
        self.times: dict[str, list[float]] = defaultdict(list)
        self.rss: list[tuple[str, int, float]] = [("start", 0, stack.rss_mb())]
        self.lock = threading.Lock()
        self.local = threading.local()
        self.phones = itertools.count(1)

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def call(self, kind: str | None, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        reply = self.session().request(method, self.stack.base + path, data=None if body is None else json.dumps(body),
                                       headers=headers, timeout=60)
        elapsed = time.perf_counter() - started
        if kind:
            self._record(kind, elapsed)
        return reply.status_code, (reply.json() if reply.content else None)

    def _record(self, kind: str, elapsed: float) -> None:
        with self.lock:
            series = self.times[kind]
            series.append(elapsed)
            if len(series) % self.block == 0:
                rss = self.stack.rss_mb()
                self.rss.append((kind, len(series), rss))
                if not self.quiet:
                    block = sorted(series[-self.block:])
                    print(f"{kind:8} {len(series):6}  p50 {_ms(_p(block, 50)):7.1f} ms  p95 {_ms(_p(block, 95)):7.1f} ms"
                          f"  stack RSS {rss:7.0f} MB", flush=True)

    def expect(self, status: int, wanted: int, what: Any) -> None:
        if status != wanted:
            raise RuntimeError(f"expected {wanted}, got {status}: {what}")

    # --- the user journeys ---------------------------------------------------------

    def signup(self, role: str) -> dict[str, Any]:
        phone = f"+1415{next(self.phones):07d}"  # unique in the run: the outbox is searched by number
        email = f"soak-{uuid.uuid4().hex[:12]}@example.com"
        payload = {"email": email, "password": PASSWORD, "role": role, "full_name": "Soak Tester", "phone": phone,
                   "date_of_birth": "1990-01-01", "accepted_policy_version": "1.0"}
        status, created = self.call("signup", "POST", "/auth/signup", payload)
        self.expect(status, 201, created)
        code = None
        for _ in range(100):  # the SMS goes out through the stream, the queue and SNS
            _, outbox = self.call(None, "GET", "/_dev/outbox?to=" + phone.replace("+", "%2B"))
            if outbox["items"]:
                code = re.search(r"\b(\d{6})\b", outbox["items"][-1]["body"]).group(1)
                break
            time.sleep(0.1)
        if code is None:
            raise RuntimeError(f"no SMS code arrived within 10 s (the stack's log: {self.stack.log_path})")
        status, verified = self.call("verify", "POST", "/auth/verify-phone", {"email": email, "code": code})
        self.expect(status, 200, verified)
        return {"email": email, "user_id": created["user_id"], "role": role}

    def login(self, user: dict[str, Any]) -> str:
        status, session = self.call("login", "POST", "/auth/login", {"email": user["email"], "password": PASSWORD})
        self.expect(status, 200, session)
        return session["token"]

    def verify_identity(self, user: dict[str, Any], admin: str) -> None:
        token = user["token"]
        status, started = self.call("kyc", "POST", "/me/identity", {"id_type": "passport", "id_number": "AB1234567"}, token)
        self.expect(status, 201, started)
        for which in ("document", "selfie"):
            target = started["uploads"][which]
            fields = {**target["fields"], "Content-Type": "image/png"}
            reply = self.session().post(target["url"], data=fields, files={"file": ("upload", PNG, "image/png")}, timeout=30)
            if reply.status_code not in (200, 204):
                raise RuntimeError(f"upload refused: {reply.status_code} {reply.text[:200]}")
        status, submitted = self.call("kyc", "POST", "/me/identity/submit", None, token)
        self.expect(status, 200, submitted)
        status, decided = self.call("kyc", "POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "approve"}, admin)
        self.expect(status, 200, decided)

    def post_project(self, employer: dict[str, Any], n: int) -> str:
        body = {"title": f"Soak project {n}", "description": "Build a small web page with a contact form and tests.",
                "budget": {"amount": 50000, "currency": "USD"}, "skills": ["python", "html"]}
        status, created = self.call("project", "POST", "/projects", body, employer["token"])
        self.expect(status, 201, created)
        return created["project_id"]

    def bid(self, freelancer: dict[str, Any], project_id: str) -> str:
        body = {"amount": {"amount": 45000, "currency": "USD"}, "cover_letter": "I have built many of these.",
                "delivery_days": 7}
        status, created = self.call("bid", "POST", f"/projects/{project_id}/bids", body, freelancer["token"])
        self.expect(status, 201, created)
        return created["bid_id"]

    def accept(self, employer: dict[str, Any], project_id: str, bid_id: str) -> None:
        status, created = self.call("accept", "POST", f"/projects/{project_id}/bids/{bid_id}/accept", None, employer["token"])
        self.expect(status, 201, created)


def _p(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _ms(seconds: float) -> float:
    return seconds * 1000


def _fan_out(load: Load, fn: Any, jobs: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=load.clients) as pool:
        return list(pool.map(fn, jobs))


def run(signups: int, projects: int, bids: int, contracts: int, clients: int = 4, block: int = 1000,
        quiet: bool = False) -> dict[str, Any]:
    """Start a fresh stack, drive the load, stop the stack; returns the figures."""
    employers_n = max(1, projects // 20) if projects else 0
    bids_per_project = max(1, bids // projects) if projects else 0
    bidders_n = min(max(bids_per_project, bids // 20), max(0, signups - employers_n)) if bids else 0
    stack = Stack()
    started = time.monotonic()
    try:
        load = Load(stack, clients, block, quiet)
        roles = ["employer"] * employers_n + ["freelancer"] * (signups - employers_n)
        users = _fan_out(load, load.signup, roles)
        if projects:
            status, session = load.call(None, "POST", "/auth/login", {"email": "admin@local.test", "password": "Admin-Passw0rd!"})
            admin = session["token"]
            employers = [u for u in users if u["role"] == "employer"]
            bidders = [u for u in users if u["role"] == "freelancer"][:bidders_n]
            for user in employers + bidders:
                user["token"] = load.login(user)
            _fan_out(load, lambda u: load.verify_identity(u, admin), employers + bidders)
            project_ids = _fan_out(load, lambda n: load.post_project(employers[n % len(employers)], n), list(range(projects)))
            plan = [(bidders[(p * 7 + k) % len(bidders)], project_ids[p]) for k in range(bids_per_project)
                    for p in range(len(project_ids))][:bids]
            bid_ids = _fan_out(load, lambda job: (job[1], load.bid(*job)), plan)
            first_bid: dict[str, str] = {}
            for project_id, bid_id in bid_ids:
                first_bid.setdefault(project_id, bid_id)
            owners = {pid: employers[n % len(employers)] for n, pid in enumerate(project_ids)}
            chosen = list(first_bid.items())[:contracts]
            _fan_out(load, lambda job: load.accept(owners[job[0]], job[0], job[1]), chosen)
        load.rss.append(("end", 0, stack.rss_mb()))
    finally:
        stack.stop()
    figures: dict[str, Any] = {"seconds": time.monotonic() - started, "rss": load.rss, "kinds": {}, "times": dict(load.times)}
    for kind, series in load.times.items():
        first, last = sorted(series[:block]), sorted(series[-block:])
        figures["kinds"][kind] = {
            "count": len(series),
            "first_p50": _p(first, 50), "first_p95": _p(first, 95),
            "last_p50": _p(last, 50), "last_p95": _p(last, 95),
        }
    return figures


def table(figures: dict[str, Any], block: int) -> str:
    lines = [f"| operation | count | first {block}: p50 / p95 | last {block}: p50 / p95 | last / first (p50) |",
             "|---|---|---|---|---|"]
    for kind, f in figures["kinds"].items():
        lines.append(f"| {kind} | {f['count']} | {_ms(f['first_p50']):.0f} / {_ms(f['first_p95']):.0f} ms | "
                     f"{_ms(f['last_p50']):.0f} / {_ms(f['last_p95']):.0f} ms | {f['last_p50'] / f['first_p50']:.2f} |")
    rss = figures["rss"]
    lines.append("")
    lines.append(f"Stack RSS: {rss[0][2]:.0f} MB at start, {max(r[2] for r in rss):.0f} MB at most, {rss[-1][2]:.0f} MB at the end; "
                 f"{figures['seconds'] / 60:.1f} minutes in all.")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signups", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=2_000)
    parser.add_argument("--bids", type=int, default=10_000)
    parser.add_argument("--contracts", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--block", type=int, default=1_000)
    args = parser.parse_args()
    figures = run(args.signups, args.projects, args.bids, args.contracts, args.clients, args.block)
    print()
    print(table(figures, args.block))
    return 0


if __name__ == "__main__":
    sys.exit(main())
