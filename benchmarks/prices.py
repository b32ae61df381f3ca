"""AWS list prices, us-east-1, in US dollars: the one place `benchmarks/costs.py` takes them from.

As known on 2025-06-01, written from memory of AWS's public pricing pages (this machine
has no network): re-check each at its `source` before budgeting. Free tiers are left out
(they matter for a small month, not for the cost of an operation), and so are storage,
data transfer, CloudWatch (logs, metrics, alarms) and X-Ray.
"""
from __future__ import annotations

from dataclasses import dataclass

AS_KNOWN_ON = "2025-06-01"


@dataclass(frozen=True)
class Price:
    usd: float  # per `per` units
    per: int
    unit: str
    source: str
    note: str = ""

    @property
    def each(self) -> float:
        return self.usd / self.per


PRICES: dict[str, Price] = {
    # on-demand throughput, standard table class (AWS halved it on 2024-11-01)
    "dynamodb.wru": Price(0.625, 1_000_000, "write request unit (1 KB written; x2 in a transaction)",
                          "https://aws.amazon.com/dynamodb/pricing/on-demand/"),
    "dynamodb.rru": Price(0.125, 1_000_000, "read request unit (4 KB strongly consistent; half for eventual; x2 in a transaction)",
                          "https://aws.amazon.com/dynamodb/pricing/on-demand/"),
    "dynamodb.streams_read": Price(0.02, 100_000, "streams read request unit (GetRecords)",
                                   "https://aws.amazon.com/dynamodb/pricing/on-demand/",
                                   "GetRecords calls made by a Lambda trigger of the stream are not charged; only the function's time is"),
    "kms.request": Price(0.03, 10_000, "request", "https://aws.amazon.com/kms/pricing/"),
    "sqs.request": Price(0.40, 1_000_000, "request (standard queue; each 64 KB chunk of a payload is one)",
                         "https://aws.amazon.com/sqs/pricing/"),
    "ses.email": Price(0.10, 1_000, "email (per recipient)", "https://aws.amazon.com/ses/pricing/"),
    "sns.sms": Price(0.00581, 1, "SMS to a US number (base price, one part)", "https://aws.amazon.com/sns/sms-pricing/",
                     "US carrier fees (about $0.003 a message) and 10DLC/toll-free registration come on top"),
    "sns.publish": Price(0.50, 1_000_000, "publish to a topic (64 KB chunks)", "https://aws.amazon.com/sns/pricing/"),
    "s3.write": Price(0.005, 1_000, "PUT, COPY, POST or LIST request (S3 Standard)", "https://aws.amazon.com/s3/pricing/"),
    "s3.read": Price(0.0004, 1_000, "GET and every other request (S3 Standard)", "https://aws.amazon.com/s3/pricing/"),
    "cognito.mau": Price(0.015, 1, "monthly active user (Essentials tier, past the 10,000 free)",
                         "https://aws.amazon.com/cognito/pricing/",
                         "charged per user active in a month, not per call: counted in the months only"),
    "apigateway.request": Price(3.50, 1_000_000, "REST API request (first 333 million a month)",
                                "https://aws.amazon.com/api-gateway/pricing/"),
    "lambda.request": Price(0.20, 1_000_000, "invocation", "https://aws.amazon.com/lambda/pricing/"),
    "lambda.gb_second": Price(0.0000166667, 1, "GB-second (x86; billed per 1 ms)", "https://aws.amazon.com/lambda/pricing/"),
}


def each(name: str) -> float:
    """The price of one unit of `name`, in US dollars."""
    return PRICES[name].each
