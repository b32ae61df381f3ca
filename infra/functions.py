"""The app's functions as the stack sees them: their names, logical ids and kinds, and how
long their logs are kept. `infra.stack` (roles, policies, settings) and `infra.operations`
(alarms, dashboard, the API's logs) both build on these; neither imports the other's
internals.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.core import resources as r

LOG_RETENTION_DAYS = {"prod": 90, "dev": 14}


def log_retention_days(stage: str) -> int:
    """Days the stage's log groups (the functions' and the API's) keep their lines."""
    return LOG_RETENTION_DAYS.get(stage, 14)


@dataclass(frozen=True)
class Function:
    name: str  # the Chalice name: api_handler, settle_payments, ...
    logical: str  # the template's logical id Chalice gives it
    kind: str  # api | stream | queue | schedule
    source: Any = None  # the Chalice event-source config

    @property
    def physical(self) -> str:
        return f"{r.settings.resource_prefix()}-{self.name}"  # observability strips the prefix again


def functions() -> list[Function]:
    """Every function of the app, as `chalice package` names them."""
    from chalice.app import DynamoDBEventConfig, SQSEventConfig
    from chalice.utils import to_cfn_resource_name

    from app import app

    out = [Function("api_handler", "APIHandler", "api")]
    for source in app.event_sources:
        kind = "stream" if isinstance(source, DynamoDBEventConfig) else "queue" if isinstance(source, SQSEventConfig) else "schedule"
        out.append(Function(source.name, to_cfn_resource_name(source.name), kind, source))
    return out
