"""Policy versions off the request path: the stream's router queues each new version and
the members who joined since (`services.policy_notices.select`), the `policies` queue tells them
(a fan-out), a schedule marks versions in effect on their date (`services.policy_versions.apply_due`)."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import POLICIES_QUEUE, SCHEDULES

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=POLICIES_QUEUE.name, batch_size=1)
def announce_policy_versions(event: Any) -> None:
    from chalicelib.services import changes, policy_notices

    for record in event:
        message = json.loads(record.body)
        changes.refuse_unselected(message)
        policy_notices.handle(message)


@bp.schedule(SCHEDULES["apply_policy_versions"].expression, name="apply_policy_versions")
def apply_policy_versions(event: Any) -> dict:
    from chalicelib.services import policy_versions

    return policy_versions.apply_due()
