"""Marketplace events from the table's stream."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import MAIN_TABLE, stream_arn

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def bid_notices(event: Any) -> None:
    """New bids and bid decisions, from the table's stream: an email to whoever they concern."""
    from chalicelib.services import notices

    notices.bid_changes([(record.old_image, record.new_image) for record in event])
