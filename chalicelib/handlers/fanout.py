"""Fan-out (policy notices, announcements, campaigns): the stream's router queues each
new one's first page, the queue splits pages and sends batches (`services.fanout` says how)."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import FANOUT_CONCURRENCY, FANOUT_QUEUE

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=FANOUT_QUEUE.name, batch_size=1, maximum_concurrency=FANOUT_CONCURRENCY)
def send_fanouts(event: Any) -> None:
    from chalicelib.services import changes, fanout

    for record in event:
        try:
            message = json.loads(record.body)
            changes.refuse_unselected(message)
            fanout.handle(message)
        except Exception:
            attempt = int((record.to_dict().get("attributes") or {}).get("ApproximateReceiveCount", "1"))
            fanout.back_off(record.receipt_handle, attempt)
            raise
