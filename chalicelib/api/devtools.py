"""`/_dev` endpoints of the local stage: outbox, test clock, jobs, drain.

Registered by `app.py` only when STAGE is `local`, so every deployed stage answers
them like any unknown path. The local cloud attaches its runtime with `attach()`.
"""
from __future__ import annotations

from typing import Any, Literal

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import http
from chalicelib.api.http import Call
from chalicelib.api.models import Model, Strict, Timestamp
from chalicelib.core import clock, errors

bp = Blueprint(__name__)
route = http.Routes(bp)  # public routes only: no authenticator
_control: dict[str, Any] = {}


def attach(runtime: Any, outbox: Any) -> None:
    _control["runtime"] = runtime
    _control["outbox"] = outbox


def _get(name: str) -> Any:
    if name not in _control:
        raise errors.ServiceUnavailable("The local cloud is not running in this process")
    return _control[name]


class OutboxQuery(Strict):
    to: str | None = Field(default=None, max_length=320, description="email address or E.164 phone")


class ClockAdvance(Strict):
    advance_seconds: int = Field(ge=0, le=10 * 365 * 86400)


class Sent(Model):
    channel: Literal["email", "sms"]
    to: str
    subject: str | None
    body: str
    sent_at: Timestamp
    headers: dict[str, str] | None = Field(default=None, description="mail headers sent (e.g. List-Unsubscribe), if any")


class Outbox(Model):
    items: list[Sent]


class Fired(Model):
    function: str
    source: Literal["schedule", "stream", "queue", "ttl"]
    ok: bool
    records: int | None = Field(default=None, description="records delivered (streams and queues)")
    attempt: int | None = Field(default=None, description="the delivery's attempt (streams)")
    table: str | None = Field(default=None, description="the table whose expired items were removed (TTL)")


class Clock(Model):
    now: Timestamp
    offset_seconds: float
    fired: list[Fired] | None = Field(default=None, description="the schedules that came due and ran (after a move)")


class JobState(Model):
    name: str
    schedule: str
    next_run: Timestamp
    last_run: Timestamp | None
    last_status: str | None
    runs: int


class Failure(Model):
    function: str
    source: str
    error: str | None
    at: Timestamp
    records: int | None = None


class Jobs(Model):
    items: list[JobState]
    failures: list[Failure]


class Drained(Model):
    ran: list[Fired]
    rounds: int
    complete: bool


TAGS = ("local",)


@route("/_dev/outbox", query=OutboxQuery, response=Outbox, auth=None, tags=TAGS, summary="Every email and SMS sent, oldest first")
def outbox(call: Call) -> dict:
    return {"items": _get("outbox").messages(call.query.to)}


@route("/_dev/clock", response=Clock, auth=None, tags=TAGS, summary="The test clock")
def get_clock(call: Call) -> dict:
    return {"now": clock.iso(), "offset_seconds": clock.offset()}


@route("/_dev/clock", "POST", body=ClockAdvance, response=Clock, auth=None, tags=TAGS, summary="Move the test clock forward; due schedules fire")
def advance_clock(call: Call) -> dict:
    fired = _get("runtime").advance_clock(call.body.advance_seconds)
    return {"now": clock.iso(), "offset_seconds": clock.offset(), "fired": fired}


@route("/_dev/jobs", response=Jobs, auth=None, tags=TAGS, summary="Scheduled jobs and their last runs")
def jobs(call: Call) -> dict:
    runtime = _get("runtime")
    return {"items": runtime.job_list(), "failures": list(runtime.failures)}


@route("/_dev/jobs/{name}", "POST", response=Fired, auth=None, tags=TAGS, summary="Run one scheduled job now", errors_=(404,))
def run_job(call: Call) -> dict:
    runtime = _get("runtime")
    name = call.path["name"]
    if name not in runtime.jobs:
        raise errors.NotFound(f"No scheduled job named '{name}'")
    return runtime.run_job(name)


@route("/_dev/drain", "POST", response=Drained, auth=None, tags=TAGS, summary="Deliver every pending stream record, message and TTL expiry")
def drain(call: Call) -> dict:
    return _get("runtime").drain()
