"""What an operator runs by hand, against a deployed stage or the local stack.

    python -m ops [--stage dev | --endpoint http://127.0.0.1:4566] COMMAND

    job run NAME                 run a scheduled job now (retention, watches, policy application)
    dlq list                     every dead-letter queue and how many messages wait in it
    dlq redrive QUEUE            move a queue's dead letters back to it (after fixing the cause)
    erasure receipt TOKEN        the receipt of an account's deletion (the token the user was given)
    policy publish FILE          publish a policy version from a JSON file (the body of POST /admin/policies)
    hold place USER_ID REASON    place a legal hold (REASON: the authority's reference, no personal data)
    hold lift HOLD_ID            lift it

Against a deployed stage the CLI reads the stage's settings from its API function's
configuration and acts with the operator's own AWS credentials: a job runs as its Lambda
(`lambda:InvokeFunction`, so it runs with the function's role and logs where the function
logs); the others call the same services the API's admin routes call, recorded in the audit
log under the operator's IAM identity. With `--endpoint` (the local stack's moto) the job
runs in this process against it, as `make invoke` does.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
import urllib.request
from typing import Any

import boto3


class Target:
    """Where the commands act, and as whom."""

    def __init__(self, stage: str, endpoint: str | None):
        self.stage, self.endpoint = stage, endpoint
        self.local = endpoint is not None
        if self.local:
            from local import env

            port = urllib.parse.urlparse(endpoint).port
            env.configure(port)
            self._local_clock()
            from local import provision

            provision.everything()  # idempotent: finds the running stack's pool and key
            self.operator = "operator:local"
        else:
            os.environ["STAGE"] = stage
            config = boto3.client("lambda").get_function_configuration(FunctionName=self.function("api_handler"))
            for name, value in config["Environment"]["Variables"].items():
                if not name.startswith("AWS_"):
                    os.environ.setdefault(name, value)
            self.operator = "operator:" + boto3.client("sts").get_caller_identity()["Arn"]

    @staticmethod
    def _local_clock() -> None:
        """The local stack's test clock may have been moved: act at its time."""
        from chalicelib.core import clock
        from local import env

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{env.api_port()}/_dev/clock", timeout=5) as reply:
                clock.set_offset(json.load(reply)["offset_seconds"])
        except OSError:
            pass  # the API is not up: the real time

    def function(self, name: str) -> str:
        from chalicelib.core import settings

        return f"{settings.resource_prefix()}-{name}"


def _scheduled_event(name: str) -> dict[str, Any]:
    from chalicelib.core import clock

    return {"version": "0", "id": "ops", "detail-type": "Scheduled Event", "source": "aws.events", "account": "000000000000",
            "time": clock.iso(), "region": "us-east-1", "resources": [f"arn:aws:events:::rule/{name}"], "detail": {}}


def job_run(target: Target, name: str) -> Any:
    from chalicelib.core import resources as r

    if name not in r.SCHEDULES:
        raise SystemExit(f"no scheduled job named {name}; known: {', '.join(sorted(r.SCHEDULES))}")
    event = _scheduled_event(name)
    if target.local:
        from app import app
        from local.runtime import _context

        return {"job": name, "where": "local", "result": app.handler_map[name](event, _context(name))}
    reply = boto3.client("lambda").invoke(FunctionName=target.function(name), Payload=json.dumps(event).encode())
    body = json.loads(reply["Payload"].read() or b"null")
    if reply.get("FunctionError"):
        raise SystemExit(f"{name} failed: {body}")
    return {"job": name, "where": target.function(name), "result": body}


def _queues() -> list[Any]:
    from chalicelib.core import resources as r

    return list(r.QUEUES)


def _url(name: str) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def dlq_list(target: Target) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    out = []
    for queue in _queues():
        name = queue.dlq_name if queue.dead_letter else queue.name
        attrs = sqs.get_queue_attributes(QueueUrl=_url(name), AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        out.append({"queue": queue.logical, "dead_letters": name, "waiting": int(attrs["ApproximateNumberOfMessages"])})
    return out


def dlq_redrive(target: Target, logical: str, limit: int = 10_000) -> dict[str, Any]:
    """Each dead letter is sent to its queue again, then deleted from the DLQ (at least once:
    the functions are idempotent, so a message sent twice after a crash here is harmless)."""
    queue = next((q for q in _queues() if q.logical == logical), None)
    if queue is None:
        raise SystemExit(f"no queue named {logical}; known: {', '.join(q.logical for q in _queues())}")
    if not queue.dead_letter:
        raise SystemExit(f"{logical} holds the positions of stream batches that failed; they are replayed from the "
                         "table, not re-driven (README, Operations)")
    sqs = boto3.client("sqs")
    source, destination = _url(queue.dlq_name), _url(queue.name)
    moved = kept = 0
    while moved < limit:
        received = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not received:
            break
        # a change the stream's router could not select holds keys and a stream position, not work:
        # it stays (hidden for the DLQ's visibility timeout) for the operator to replay from the table
        messages = [m for m in received if '"unselected"' not in m["Body"]]
        kept += len(received) - len(messages)
        if not messages:
            continue
        sqs.send_message_batch(QueueUrl=destination, Entries=[
            {"Id": str(i), "MessageBody": m["Body"], **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {})}
            for i, m in enumerate(messages)])
        sqs.delete_message_batch(QueueUrl=source, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        moved += len(messages)
    return {"queue": logical, "moved": moved, **({"kept_unselected": kept} if kept else {})}


def erasure_receipt(target: Target, token: str) -> dict[str, Any]:
    from chalicelib.services import deletion

    return deletion.receipt(token)


def policy_publish(target: Target, path: str) -> dict[str, Any]:
    from chalicelib.api.schemas.policies import PolicyIn
    from chalicelib.services import policy_notices, policy_versions

    with open(path) as f:
        body = PolicyIn.model_validate(json.load(f))
    published = policy_notices.publish(target.operator, body.version, body.summary, body.text, body.effective_at.timestamp(), body.material)
    return policy_versions.described(published)


def hold_place(target: Target, user_id: str, reason: str) -> dict[str, Any]:
    from chalicelib.services import disclosures

    return disclosures.place_hold(target.operator, user_id, reason)


def hold_lift(target: Target, hold_id: str) -> dict[str, Any]:
    from chalicelib.services import disclosures

    return disclosures.lift_hold(target.operator, hold_id)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ops", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", default=os.environ.get("STAGE", "dev"), help="a deployed stage (default dev)")
    p.add_argument("--endpoint", help="the local stack's AWS endpoint, e.g. http://127.0.0.1:4566")
    area = p.add_subparsers(dest="area", required=True)
    job = area.add_parser("job").add_subparsers(dest="action", required=True)
    job.add_parser("run").add_argument("name")
    dlq = area.add_parser("dlq").add_subparsers(dest="action", required=True)
    dlq.add_parser("list")
    dlq.add_parser("redrive").add_argument("queue")
    erasure = area.add_parser("erasure").add_subparsers(dest="action", required=True)
    erasure.add_parser("receipt").add_argument("token", help="the receipt token (one that starts with '-' goes after '--')")
    policy = area.add_parser("policy").add_subparsers(dest="action", required=True)
    policy.add_parser("publish").add_argument("file")
    hold = area.add_parser("hold").add_subparsers(dest="action", required=True)
    place = hold.add_parser("place")
    place.add_argument("user_id")
    place.add_argument("reason")
    hold.add_parser("lift").add_argument("hold_id")
    return p


def main(argv: list[str]) -> int:
    """The command's answer is JSON on stdout; the functions' own log lines and metrics go to stderr."""
    import contextlib
    import logging

    from chalicelib.core.observability import logger

    for handler in logging.getLogger(logger.name).handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    args = parser().parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):
        code, result = _run(args)
    if code == 0:
        print(json.dumps(result, indent=2, default=str))
    return code


def _run(args: argparse.Namespace) -> tuple[int, Any]:
    from chalicelib.core import errors

    target = Target(args.stage, args.endpoint)
    commands = {
        ("job", "run"): lambda: job_run(target, args.name),
        ("dlq", "list"): lambda: dlq_list(target),
        ("dlq", "redrive"): lambda: dlq_redrive(target, args.queue),
        ("erasure", "receipt"): lambda: erasure_receipt(target, args.token),
        ("policy", "publish"): lambda: policy_publish(target, args.file),
        ("hold", "place"): lambda: hold_place(target, args.user_id, args.reason),
        ("hold", "lift"): lambda: hold_lift(target, args.hold_id),
    }
    try:
        return 0, commands[(args.area, args.action)]()
    except errors.AppError as exc:
        print(f"refused: {exc}", file=sys.stderr)
    except ValueError as exc:  # a policy file that does not validate
        print(f"refused: {exc}", file=sys.stderr)
    return 1, None
