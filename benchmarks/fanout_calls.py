"""AWS calls and time to notify every user, and what each retention job costs.

    python benchmarks/fanout_calls.py              # or: make bench-fanout
    python benchmarks/fanout_calls.py --users 1000 --background 1000

1. **Fan-out.** `--users` members (each with a data key of their own, as signup makes
   them), then one announcement to all of them, delivered through the stream and the
   fan-out queue by the local runtime. Counted: every AWS call, by service and per
   user, with the page and batch sizes. The local SES reports a very high send rate
   here so that the time measured is the product's own; what SES's pacing adds at a
   real quota is printed apart (recipients / (quota x the pacing share)).
2. **Retention jobs.** For each job, the calls it makes with 10 and 100 items due, in a
   table that also holds `--background` and then 10x that many items of every kind that
   are not due (recent sign-ins, exports in their lifetime, deletions in their grace
   period, fresh signups...). Every job Queries an index of what falls due, so its calls
   follow the items due, never the table.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
JOBS = ("purge_usage_data", "expire_exports", "purge_identity_documents", "erase_closed_accounts", "remove_abandoned_signups")


def _members(count: int, prefix: str) -> None:
    """Active members as signup leaves them: a data key each, the account with its sealed
    address, and the email claim that lists it in the audience index."""
    from chalicelib.core import clock
    from chalicelib.repos import fanout, keys, users
    from chalicelib.security import vault

    with users.UserItem.batch_write() as batch, keys.WrappedKey.batch_write() as key_batch:
        for i in range(count):
            uid = f"{prefix}-{i:06d}"
            _, key_item = vault.create(uid)
            key_batch.save(key_item)
            now = clock.now_ts()
            batch.save(users.UserItem(users.user_pk(uid), "ACCOUNT", user_id=uid, role="freelancer", status="active",
                                      email_enc=vault.seal(uid, "email", f"{uid}@example.com"), email_hash=f"h-{uid}",
                                      full_name_enc=vault.seal(uid, "full_name", "Member"), policy_version="1.0",
                                      created_at=now, updated_at=now))
            batch.save(users.EmailClaim(f"EMAIL#h-{uid}", "EMAIL", status="taken", claim_id=uid, user_id=uid,
                                        **fanout.member_index(uid)))


def fan_out(users_count: int, runtime) -> dict:  # noqa: ANN001
    from chalicelib.security import vault
    from chalicelib.services import fanout
    from local.aws_calls import counting

    started = time.monotonic()
    _members(users_count, "member")
    seeded = time.monotonic() - started
    vault._cache.clear()  # a cold container: every data key is unwrapped again
    runtime.drain(max_rounds=100_000)  # the seeding's own stream records first
    with counting() as calls:
        started = time.monotonic()
        fanout.create("announcement", "Planned maintenance", "The platform is down on Sunday from 02:00 to 03:00 UTC.", "benchmark",
                      topic="service")
        drained = runtime.drain(max_rounds=100_000)
        took = time.monotonic() - started
    assert drained["complete"], "the fan-out did not finish"
    from local import outbox

    reached = sum(1 for m in outbox.messages() if m["subject"] == "Planned maintenance")
    return {"users": users_count, "reached": reached, "calls": calls, "seconds": took, "seed_seconds": seeded}


def _item(kind: str, uid: str, when: float) -> object:
    """One item the job `kind` looks at, falling due (or due since) `when`."""
    import zlib

    from chalicelib.repos import deletion, identity, users
    from chalicelib.repos import exports as export_repo
    from chalicelib.repos.db import time_key

    if kind == "purge_usage_data":
        sk = f"SIGNIN#{time_key(when)}#{zlib.crc32(uid.encode()):08x}"
        return users.SignIn(users.user_pk(uid), sk, user_id=uid, at=when, expires_at=int(when + 400 * 86400),
                            gsi2pk=f"USAGE#{zlib.crc32(uid.encode()) % users.USAGE_SHARDS}", gsi2sk=f"{time_key(when)}#{uid}#x")
    if kind == "expire_exports":
        return export_repo.ExportExpiry(f"EXPORT_EXPIRY#{uid}", "EXPIRY", export_id=uid, user_id=uid, expires_at=int(when + 400 * 86400),
                                        gsi2pk=export_repo.EXPIRING, gsi2sk=f"{when:017.3f}#{uid}")
    if kind == "purge_identity_documents":
        pk, sk = identity.purge_keys(when, uid)
        return identity.IdentityItem(users.user_pk(uid), "IDENTITY", user_id=uid, status="approved", id_type="passport",
                                     id_number_enc="x", upload_id=uid, decided_at=when, documents_delete_after=when, gsi1pk=pk, gsi1sk=sk)
    if kind == "erase_closed_accounts":
        return deletion.DeletionRequest(*deletion.request_key(uid), user_id=uid, status="scheduled", requested_at=when,
                                        erase_after=when, token_hash=uid, outcome="erase", **deletion.scheduled_index(when, uid))
    return users.EmailClaim(f"EMAIL#{uid}", "EMAIL", status="taken", claim_id=uid, user_id=uid,
                            gsi1pk=users.UNVERIFIED, gsi1sk=f"{when:017.3f}#{uid}")


def _seed(kind: str, count: int, tag: str, when: float) -> None:
    from chalicelib.repos.db import Entity

    with Entity.batch_write() as batch:
        for i in range(count):
            batch.save(_item(kind, f"{tag}-{kind}-{i:06d}", when))


def retention(background: int) -> list[tuple[int, int, str, dict]]:
    """Items due are dated 400 days back, items not due today (sign-ins are kept 90 days)
    or in the future, so no scenario leaves the next one anything due."""
    from chalicelib.core import clock
    from chalicelib.services import retention as jobs
    from local.aws_calls import counting

    rows = []
    seeded = 0
    now = clock.now_ts()
    for table_size in (background, background * 10):
        for kind in JOBS:  # the table grows by what is not due, of every kind
            _seed(kind, table_size - seeded, f"bg{table_size}", now + (0 if kind == "purge_usage_data" else 400 * 86400))
        seeded = table_size
        for due in (10, 100):
            for kind in JOBS:
                _seed(kind, due, f"due{table_size}x{due}", now - 400 * 86400)
            for kind in JOBS:
                with counting() as calls:
                    result = getattr(jobs, kind)()
                rows.append((table_size, due, kind, {"calls": calls, "removed": result["removed"]}))
            # erase_closed_accounts queues its due requests; the erasure itself removes the request
            for i in range(due):
                _item("erase_closed_accounts", f"due{table_size}x{due}-erase_closed_accounts-{i:06d}", 0).delete()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--background", type=int, default=1_000)
    args = parser.parse_args()
    os.environ.setdefault("LOCAL_SES_MAX_SEND_RATE", "1000000")
    from benchmarks.stack import local_stack

    with local_stack() as (_, runtime):
        from chalicelib.core.resources import FANOUT_CONCURRENCY
        from chalicelib.services import fanout as fanout_service

        sent = fan_out(args.users, runtime)
        rows = retention(args.background)

    calls, n = sent["calls"], sent["users"]
    batches = -(-n // fanout_service.BATCH_SIZE)
    print(f"## Notifying {n:,} users (page {fanout_service.PAGE_SIZE}, batch {fanout_service.BATCH_SIZE})\n")
    print(f"Reached {sent['reached']:,} of {n:,} in {sent['seconds']:.1f} s of the product's own work "
          f"({sent['seconds'] / n * 1000:.2f} ms a user; {batches:,} batches).\n")
    print("| AWS service | calls | per user | per batch |")
    print("|---|---|---|---|")
    for service in sorted({k.split(':')[0] for k in calls}):
        c = calls.of(service)
        print(f"| {service} | {c:,} | {c / n:.3f} | {c / batches:.2f} |")
    total = sum(calls.values())
    print(f"| all | {total:,} | {total / n:.3f} | {total / batches:.2f} |\n")
    print("Per operation: " + ", ".join(f"{k} {v:,}" for k, v in sorted(calls.items(), key=lambda kv: -kv[1])) + ".\n")
    share = 0.8 / FANOUT_CONCURRENCY
    for quota in (14, 100):
        print(f"At an SES quota of {quota}/s the pace (each of {FANOUT_CONCURRENCY} functions at {share:.0%} of it) "
              f"makes {n:,} emails take at least {n / (quota * 0.8):,.0f} s.")
    print("\n## Retention jobs: AWS calls against items due and table size\n")
    print("| job | items not due in the table | items due | removed | AWS calls | Query calls | Scan calls |")
    print("|---|---|---|---|---|---|---|")
    for table_size, due, kind, found in rows:
        c = found["calls"]
        print(f"| {kind} | {table_size:,} | {due} | {found['removed']} | {sum(c.values())} | {c.get('dynamodb:Query', 0)} "
              f"| {c.get('dynamodb:Scan', 0)} |")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PRIVACY_PROFILE", "strict")
    sys.exit(main())
