"""Marketplace events: bid notices, selected from the table's stream by its router
(`services.notices.select`) and written from the `notices` queue."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import NOTICES_QUEUE

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=NOTICES_QUEUE.name, batch_size=1)
def bid_notices(event: Any) -> None:
    """New bids and bid decisions: an email to whoever they concern."""
    from chalicelib.services import changes, notices

    for record in event:
        message = json.loads(record.body)
        changes.refuse_unselected(message)
        notices.write([message])
