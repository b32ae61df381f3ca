"""Stream reads and Lambda invocations per 1,000 table writes: one router (now) against
seven stream functions (before).

    python benchmarks/stream_readers.py            # or: make bench-streams
    python benchmarks/stream_readers.py --writes 2000

Drives the app in process over a fresh embedded moto, as users would (the local runtime
delivers the stream and the queues after each request, so batches are as small as at a
quiet hour): signups with their phone codes, identity checks, projects, bids, accepts and
exports, until the main table's stream has carried `--writes` records (one per item
written, each item of a transaction included). Counted: the stream's GetRecords calls and
records read, the router's invocations, and every queue consumer's.

"Before" is computed from the old wiring, seven stream functions each with its own
event-source mapping on the one shard (batch size 100, as now): each read every record,
made the same GetRecords calls and was invoked for the same batches; what three of them
did inside the stream function (bid notices, policy announcements, ending expired
exports) now runs in a queue consumer, so those consumer runs are taken off the "before"
count. Also printed: the same at saturation (full batches of 100) and an idle shard's
polling (Lambda polls each shard 4 times a second per mapping).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
OLD_STREAM_READERS = 7  # queue_notifications, bid_notices, queue_payments, queue_erasures, queue_exports, start_fanouts, announce_policy_versions
MOVED_OFF_THE_STREAM = {"bid_notices", "announce_policy_versions"}  # consumers of work the old stream functions did themselves
POLLS_PER_SECOND = 4  # Lambda's poll rate of a DynamoDB stream shard, per event-source mapping
BATCH = 100


def drive(writes: int, runtime, app) -> dict:  # noqa: ANN001
    from chalice.test import Client

    from local import seed
    from local.aws_calls import counting
    from tests.helpers import admin_token, call, register, verified

    ran: list[dict] = []
    original = runtime.pump_streams
    original_poll = runtime.poll_queues
    runtime.pump_streams = lambda: ran.extend(step := original()) or step
    runtime.poll_queues = lambda retry_now=False: ran.extend(step := original_poll(retry_now)) or step

    def records() -> int:
        return sum(x["records"] for x in ran if x["function"] == "route_changes" and x.get("attempt", 1) == 1)

    seed.local_admin()
    with Client(app, stage_name="local") as c, counting() as calls:
        http = c.http
        admin = admin_token(http, seed.admin_credentials())
        employers = [verified(http, runtime, admin, "employer") for _ in range(2)]
        freelancers = [verified(http, runtime, admin, "freelancer") for _ in range(4)]
        budget = {"amount": 900, "currency": "USD"}
        round_ = 0
        while records() < writes:
            round_ += 1
            employer = employers[round_ % len(employers)]
            _, project = call(http, "POST", "/projects", {"title": f"Logo {uuid.uuid4().hex[:6]}", "description": "A logo.",
                                                          "budget": budget}, token=employer["token"])
            bids = []
            for f in freelancers:
                status, bid = call(http, "POST", f"/projects/{project['project_id']}/bids",
                                   {"amount": budget, "cover_letter": "I can.", "delivery_days": 3}, token=f["token"])
                runtime.drain()
                if status == 201:
                    bids.append(bid["bid_id"])
            if bids:
                call(http, "POST", f"/projects/{project['project_id']}/bids/{bids[0]}/accept", token=employer["token"])
            if round_ % 3 == 0:
                call(http, "POST", "/me/exports", token=freelancers[round_ % len(freelancers)]["token"])
            if round_ % 2 == 0:
                register(http, runtime, "freelancer")  # a newcomer: signup, code by SMS, verification, sign-in
            runtime.drain()
    runtime.pump_streams, runtime.poll_queues = original, original_poll
    consumers = Counter(x["function"] for x in ran if x["source"] == "queue")
    return {"records": records(), "router": sum(1 for x in ran if x["function"] == "route_changes"),
            "get_records": calls.get("dynamodbstreams:GetRecords", 0), "consumers": consumers, "rounds": round_}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=1000)
    args = parser.parse_args()
    from benchmarks.stack import local_stack

    with local_stack() as (app, runtime):
        found = drive(args.writes, runtime, app)

    n = found["records"]
    per = 1000 / n

    def k(x: float) -> str:
        return f"{x * per:,.0f}"

    consumers = found["consumers"]
    after_consumers = sum(consumers.values())
    before_consumers = after_consumers - sum(consumers[f] for f in MOVED_OFF_THE_STREAM)
    reads, batches = found["get_records"], found["router"]
    print(f"## Stream readers: per 1,000 table writes ({n:,} stream records measured, {found['rounds']} rounds of the mix)\n")
    print("| | stream readers | GetRecords calls | records read | stream invocations | queue consumer invocations | all invocations |")
    print("|---|---|---|---|---|---|---|")
    print(f"| before (7 stream functions) | {OLD_STREAM_READERS} | {k(OLD_STREAM_READERS * reads)} | {k(OLD_STREAM_READERS * n)} "
          f"| {k(OLD_STREAM_READERS * batches)} | {k(before_consumers)} | {k(OLD_STREAM_READERS * batches + before_consumers)} |")
    print(f"| after (route_changes) | 1 | {k(reads)} | {k(n)} | {k(batches)} | {k(after_consumers)} | {k(batches + after_consumers)} |\n")
    full = math.ceil(1000 / BATCH)
    print(f"At saturation (full batches of {BATCH}): before {OLD_STREAM_READERS * full} GetRecords calls, "
          f"{OLD_STREAM_READERS * 1000:,} records read and {OLD_STREAM_READERS * full} stream invocations per 1,000 writes; "
          f"after {full}, 1,000 and {full}.")
    print(f"An idle shard: Lambda polls it {POLLS_PER_SECOND} times a second per mapping: before "
          f"{OLD_STREAM_READERS * POLLS_PER_SECOND} GetRecords a second ({OLD_STREAM_READERS * POLLS_PER_SECOND * 86400:,} a day), "
          f"after {POLLS_PER_SECOND} ({POLLS_PER_SECOND * 86400:,} a day).\n")
    print("Queue consumer invocations per 1,000 writes, after: " + ", ".join(
        f"{f} {k(c)}" for f, c in sorted(consumers.items(), key=lambda kv: -kv[1])) + ".")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PRIVACY_PROFILE", "strict")
    sys.exit(main())
