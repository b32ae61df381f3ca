"""Exports: the stream's router queues new exports and the ends of expired ones; the queue
builds or ends them (`services.exports`)."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import EXPORTS_QUEUE

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=EXPORTS_QUEUE.name, batch_size=1)
def build_exports(event: Any) -> None:
    from chalicelib.services import changes, exports

    for record in event:
        job = json.loads(record.body)
        changes.refuse_unselected(job)
        exports.handle(job)
