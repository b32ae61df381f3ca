"""Policy versions off the request path: the stream tells every user of a new version
(a fan-out), a schedule marks versions in effect on their date (`services.policies`)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import MAIN_TABLE, SCHEDULES, stream_arn

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def announce_policy_versions(event: Any) -> None:
    from chalicelib.services import policies as service

    service.announce([(record.old_image, record.new_image) for record in event])


@bp.schedule(SCHEDULES["apply_policy_versions"].expression, name="apply_policy_versions")
def apply_policy_versions(event: Any) -> dict:
    from chalicelib.services import policies as service

    return service.apply_due()
