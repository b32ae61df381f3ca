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
