"""Load on the local stack with Locust: bounded in users and time, prints throughput and
p50/p99 per route (reads and writes).

    make bench-load    # or: python benchmarks/load.py [--users 20] [--seconds 60]

A fresh local stack (its own process), seeded with employers (each with open
projects) and freelancers, all signed in; then `locust --headless` runs the scenario
of benchmarks/locustfile.py against it. On the 2-core machine the stack and Locust
share the two cores: the figures are the local stack's, not Lambda's.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--employers", type=int, default=5)
    parser.add_argument("--freelancers", type=int, default=15)
    args = parser.parse_args()
    from tests.live import Api, Stack

    stack = Stack().start()
    try:
        api = Api(stack)
        money = {"amount": 5000, "currency": "USD"}
        employers, open_projects = [], []
        for _ in range(args.employers):
            user = api.member("employer")
            projects = []
            for n in range(4):
                status, made = api.call("POST", "/projects", {"title": f"Seed project {n}", "description": "Seeded", "budget": money},
                                        user["token"])
                assert status == 201, made
                projects.append(made["project_id"])
            employers.append({"token": user["token"], "projects": projects})
            open_projects += projects
        freelancers = [{"token": api.member("freelancer")["token"]} for _ in range(args.freelancers)]
        api.drain()
        with tempfile.TemporaryDirectory(prefix="load-") as work:
            seed = Path(work) / "users.json"
            seed.write_text(json.dumps({"employers": employers, "freelancers": freelancers, "open_projects": open_projects}))
            prefix = Path(work) / "stats"
            locust = Path(sys.executable).with_name("locust")
            ran = subprocess.run(
                [str(locust), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless", "--users", str(args.users),
                 "--spawn-rate", str(max(1, args.users // 5)), "--run-time", f"{args.seconds}s", "--host", stack.base,
                 "--csv", str(prefix), "--only-summary", "--stop-timeout", "5"],
                env={**os.environ, "LOAD_USERS": str(seed)}, capture_output=True, text=True, timeout=args.seconds + 120,
            )
            rows = list(csv.DictReader((prefix.parent / "stats_stats.csv").open()))
        print(f"{args.users} simulated users (1 employer : 3 freelancers), {args.seconds} s, against a fresh local stack")
        print(f"{'route':30} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}")
        for row in rows:
            name = row["Name"] if row["Name"] != "Aggregated" else "all"
            print(f"{name:30} {row['Request Count']:>9} {row['Failure Count']:>9} "
                  f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['99%']:>7}")
        failures = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
        if ran.returncode not in (0, 1) or not rows:
            print(ran.stdout[-2000:], ran.stderr[-2000:], file=sys.stderr)
            return 1
        return 0 if failures == 0 else 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
