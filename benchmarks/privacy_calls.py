"""AWS calls to export and to erase one user, against the size of the table.

    python benchmarks/privacy_calls.py        # or: make bench-privacy

A user with 10, then one with 1,000 items of their own (projects posted and sign-in
records), in a table holding 1,000 and then 20,000 other users (seeded straight through
the repositories). Export and erasure find everything from the user's id (Queries of
their partition and activity indexes), so the counts must not change with the number
of other users; they grow with the user's own items (a Query page holds up to 1 MB).
"""
from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_others(count: int, already: int) -> None:
    from chalicelib.core import clock
    from chalicelib.repos import users

    with users.UserItem.batch_write() as batch:
        for i in range(already, count):
            uid = f"other-{i:06d}"
            now = clock.now_ts()
            batch.save(users.UserItem(users.user_pk(uid), "ACCOUNT", user_id=uid, role="freelancer", status="active",
                                      email_enc="x", email_hash=f"h{i}", full_name_enc="x", policy_version="1.0",
                                      created_at=now, updated_at=now))
            batch.save(users.consent_record(uid, "marketing", "off", "1.0", "signup"))


def _seed_own(user_id: str, items: int) -> None:
    from chalicelib.core import clock
    from chalicelib.repos import projects, users
    from chalicelib.repos.ids import new_id

    with projects.Project.batch_write() as batch:
        for i in range(items // 2):
            now = clock.now_ts()
            project = projects.Project(*projects.key(pid := new_id()), project_id=pid, owner_id=user_id, title=f"Own {i}", description="x",
                                       budget_amount=100, budget_currency="USD", skills=[], status="closed", created_at=now, updated_at=now)
            projects.list_keys(project)
            batch.save(project)
        for _ in range(items - items // 2):
            batch.save(users.sign_in(user_id, None, None, 90))


def main() -> int:
    from benchmarks.figures import app_logs_to_stderr

    app_logs_to_stderr()  # stdout: the figures alone
    from local import env

    port = _free_port()
    env.configure(port)
    from local import moto_server, provision

    server = moto_server.start(port)
    rows = []
    try:
        provision.everything()
        from chalice.test import Client

        from app import app
        from chalicelib.api import devtools
        from chalicelib.repos import deletion
        from chalicelib.services import erasure, exports
        from local import outbox
        from local.aws_calls import counting
        from local.runtime import LocalRuntime
        from tests.helpers import call, register

        runtime = LocalRuntime(app)
        devtools.attach(runtime, outbox)
        with Client(app, stage_name="local") as client:
            seeded = 0
            for others in (1_000, 20_000):
                started = time.monotonic()
                _seed_others(others, seeded)
                seeded = others
                runtime.drain(max_rounds=100_000)  # the seeded users' stream records, before anything is measured
                print(f"seeded {others} other users ({time.monotonic() - started:.0f} s)", file=sys.stderr)
                for own in (10, 1_000):
                    user = register(client.http, runtime, "freelancer")
                    _seed_own(user["user_id"], own)
                    export_id = call(client.http, "POST", "/me/exports", token=user["token"])[1]["export_id"]
                    with counting() as export_calls:
                        exports.build(user["user_id"], export_id)
                    token = call(client.http, "POST", "/me/deletion", token=user["token"])[1]["receipt_token"]
                    with counting() as erase_calls:
                        erasure.run(user["user_id"], deletion.token_hash(token), "erase")
                    rows.append((others, own, export_calls, erase_calls))
                    runtime.drain()
    finally:
        server.stop()

    print("| other users in the table | the user's own items | export: AWS calls | erasure: AWS calls |")
    print("|---|---|---|---|")
    for others, own, e, x in rows:
        print(f"| {others:,} | {own:,} | {sum(e.values())} ({e.of('dynamodb')} DynamoDB, {e.of('s3')} S3) "
              f"| {sum(x.values())} ({x.of('dynamodb')} DynamoDB, {x.of('s3')} S3) |")
    print("\nScan calls in all of it:", sum(c.get("dynamodb:Scan", 0) for _, _, e, x in rows for c in (e, x)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PRIVACY_PROFILE", "strict")
    sys.exit(main())
