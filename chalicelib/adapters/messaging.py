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


def send_sms(phone: str, text: str) -> str:
    reply = aws.client("sns").publish(
        PhoneNumber=phone,
        Message=text,
        MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    )
    return reply["MessageId"]
