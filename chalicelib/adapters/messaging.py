"""Email through SES and SMS through SNS."""
from __future__ import annotations

from chalicelib.core import aws
from chalicelib.core.resources import mail_sender


def send_email(to: str, subject: str, body: str) -> str:
    reply = aws.client("ses").send_email(
        Source=mail_sender(),
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": {"Text": {"Data": body, "Charset": "UTF-8"}}},
    )
    return reply["MessageId"]


def send_marketing_email(to: str, subject: str, body: str, unsubscribe_url: str) -> str:
    """A marketing email with RFC 8058 one-click unsubscribe headers (SES's simple
    send_email cannot carry headers, so this one goes as raw MIME)."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = mail_sender(), to, subject
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body)
    reply = aws.client("ses").send_raw_email(Source=mail_sender(), Destinations=[to], RawMessage={"Data": message.as_bytes()})
    return reply["MessageId"]


def send_sms(phone: str, text: str) -> str:
    reply = aws.client("sns").publish(
        PhoneNumber=phone,
        Message=text,
        MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    )
    return reply["MessageId"]


def send_bulk_templated(template: str, shared: dict[str, str], recipients: list[tuple[str, dict[str, str]]]) -> list[bool]:
    """One SES call for up to 50 recipients of a template: `shared` fills the values
    every copy has, each recipient's dict the rest. Returns, per recipient, whether SES
    accepted it; a refusal of the whole call (throttling, quota, outage) raises."""
    import json

    reply = aws.client("ses").send_bulk_templated_email(
        Source=mail_sender(), Template=template, DefaultTemplateData=json.dumps(shared),
        Destinations=[{"Destination": {"ToAddresses": [to]}, "ReplacementTemplateData": json.dumps(data)} for to, data in recipients],
    )
    statuses = reply.get("Status", [])
    return [(s.get("Status") in (None, "Success")) for s in statuses] + [False] * (len(recipients) - len(statuses))


_rate: list[float] = []  # the account's send rate, asked once per container


def send_rate() -> float:
    """Recipients a second this account may send to (SES `MaxSendRate`)."""
    if not _rate:
        _rate.append(float(aws.client("ses").get_send_quota()["MaxSendRate"]))
    return _rate[0]


class Pacer:
    """Keeps this container under `share` of the account's SES send rate: before each
    send, wait until the recipients sent so far fit in the rate (a token bucket that
    refills continuously). Real time: the quota is AWS's, not the local test clock's."""

    def __init__(self, share: float) -> None:
        self.share = share
        self._next = 0.0

    def wait(self, recipients: int) -> float:
        import time

        now = time.monotonic()
        start = max(now, self._next)
        self._next = start + recipients / (send_rate() * self.share)
        if start > now:
            time.sleep(start - now)
        return start - now
