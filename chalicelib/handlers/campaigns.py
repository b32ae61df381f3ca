"""Marketing campaigns: the stream starts a campaign's fan-out, the queue sends it page by
page (`services.campaigns`)."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.core.lazy import lazy
from chalicelib.core.resources import CAMPAIGNS_QUEUE, MAIN_TABLE, stream_arn

service = lazy("chalicelib.services.campaigns")
bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def start_campaigns(event: Any) -> None:
    service.started([(record.old_image, record.new_image) for record in event])


@bp.on_sqs_message(queue=CAMPAIGNS_QUEUE.name, batch_size=1)
def send_campaign_pages(event: Any) -> None:
    for record in event:
        page = json.loads(record.body)
        service.send_page(page["campaign_id"], json.loads(page["cursor"]) if page.get("cursor") else None)
