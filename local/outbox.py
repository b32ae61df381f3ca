"""Every email (SES) and SMS (SNS) that reaches the embedded moto, exactly as it went
out, with the local clock's time. Served by `GET /_dev/outbox`. The newest `KEEP`
are kept, so a stack left running does not grow with every message sent.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Any

from chalicelib.core import clock

_lock = threading.Lock()
KEEP = 10_000
_messages: deque[dict[str, Any]] = deque(maxlen=KEEP)
_installed = False


_by_address: dict[str, deque[dict[str, Any]]] = {}  # the same messages by lower-cased address: `?to=` is one lookup


def _record(channel: str, to: str, subject: str | None, body: str, headers: dict[str, str] | None = None) -> None:
    with _lock:
        entry = {"channel": channel, "to": to, "subject": subject, "body": body, "sent_at": clock.iso()}
        if headers:
            entry["headers"] = headers
        if len(_messages) == KEEP:  # the oldest leaves both views
            oldest = _messages[0]
            kept = _by_address.get(oldest["to"].lower())
            if kept:
                kept.popleft()
                if not kept:
                    del _by_address[oldest["to"].lower()]
        _messages.append(entry)
        _by_address.setdefault(to.lower(), deque()).append(entry)


def install() -> None:
    """Wrap moto's SES and SNS backends so that each accepted message is recorded."""
    global _installed
    if _installed:
        return
    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    original_send_email = SESBackend.send_email
    original_publish = SNSBackend.publish

    def send_email(self: Any, source: str, subject: str, body: str, destinations: dict) -> Any:
        message = original_send_email(self, source, subject, body, destinations)
        for kind in ("ToAddresses", "CcAddresses", "BccAddresses"):
            for to in destinations.get(kind, []):
                _record("email", to, subject, body)
        return message

    def publish(self: Any, message: str, *args: Any, **kwargs: Any) -> Any:
        result = original_publish(self, message, *args, **kwargs)
        phone = kwargs.get("phone_number")
        if phone:
            _record("sms", phone, None, message)
        return result

    original_send_raw = SESBackend.send_raw_email

    def send_raw_email(self: Any, source: str, destinations: list[str], raw_data: str) -> Any:
        import email
        from email import policy

        wanted = list(destinations or [])  # moto appends the To/Cc addresses to this same list
        message = original_send_raw(self, source, destinations, raw_data)
        parsed = email.message_from_string(raw_data, policy=policy.default)
        part = parsed.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
        headers = {k: str(parsed[k]) for k in ("List-Unsubscribe", "List-Unsubscribe-Post") if parsed[k]}
        for to in dict.fromkeys(wanted or [str(parsed["To"])]):
            _record("email", to, str(parsed["Subject"]), text.rstrip("\n"), headers)
        return message

    original_bulk = SESBackend.send_bulk_templated_email

    def send_bulk_templated_email(self: Any, source: str, template: str, template_data: str, destinations: list) -> Any:
        import json

        from moto.ses.template import parse_template

        message = original_bulk(self, source, template, template_data, destinations)
        stored = self.templates[template]
        shared = json.loads(template_data or "{}")
        for destination in destinations:
            data = {**shared, **json.loads(destination.get("ReplacementTemplateData") or "{}")}
            subject = parse_template(str(stored["subject_part"]), data)
            text = parse_template(str(stored["text_part"]), data)
            for kind in ("ToAddresses", "CcAddresses", "BccAddresses"):
                for to in destination["Destination"].get(kind, []):
                    _record("email", to, subject, text)
        return message

    SESBackend.send_bulk_templated_email = send_bulk_templated_email  # type: ignore[method-assign]
    _send_rate()
    SESBackend.send_email = send_email  # type: ignore[method-assign]
    SESBackend.send_raw_email = send_raw_email  # type: ignore[method-assign]
    SNSBackend.publish = publish  # type: ignore[method-assign]
    _installed = True


def _send_rate() -> None:
    """moto reports the SES sandbox's send rate, one recipient a second, at which a
    fan-out to a few hundred test users would take minutes; the local cloud reports
    `LOCAL_SES_MAX_SEND_RATE` (default 500) instead, as a production account would
    report its own quota. The pacing code is the same either way."""
    import os

    from moto.ses.models import SESQuota

    original_init = SESQuota.__init__

    def init(self: Any, sent: int) -> None:
        original_init(self, sent)
        self.max_send_rate = float(os.environ.get("LOCAL_SES_MAX_SEND_RATE", "500"))

    SESQuota.__init__ = init  # type: ignore[method-assign]


def messages(to: str | None = None) -> list[dict[str, Any]]:
    with _lock:
        found = _messages if to is None else _by_address.get(to.lower(), ())
        return [dict(m) for m in found]
