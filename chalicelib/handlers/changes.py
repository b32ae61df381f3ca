"""The table's stream has one reader: `route_changes` decodes each record once and hands
each concern what it selects to the concern's own queue (`services.changes` says how and
why; README, "How it flows")."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import MAIN_TABLE, stream_arn

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def route_changes(event: Any) -> None:
    from chalicelib.core.changes import decode_batch
    from chalicelib.services import changes

    decoded, undecodable = decode_batch(event.to_dict()["Records"])  # the raw records: decoded once, here, each on its own
    changes.route(decoded, undecodable=undecodable)
