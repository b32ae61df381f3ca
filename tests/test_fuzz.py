"""Fuzzing the running local stack with Schemathesis, from its own `GET /openapi.json`.

Every operation of the deployed API (the `/_dev` routes exist only locally) is fuzzed
once, as the caller it is for: public operations anonymously, `/admin` as the admin,
`/projects` and `/contracts` as an employer who owns a project and a contract, the
rest as a freelancer who bid on it. Phases: coverage (boundary values of every
constraint, missing and wrong fields, unexpected methods), fuzzing (at least
`FUZZ_EXAMPLES` generated cases per operation, 100 in CI) and stateful (ids flow
through the document's links, e.g. from `POST /projects` into `/projects/{project_id}/...`).
All of Schemathesis's checks run, plus ours (tests/fuzz/hooks.py): no 5xx, every answer
matches its documented schema and status codes, no schema-valid request refused.

`make fuzz-ci` runs it as CI does (a step of .ci/run after `make test`, about 5 minutes on
the 2-core machine); `make fuzz` runs the nightly size (FUZZ_EXAMPLES=1000, a fresh
random seed). `make test` leaves it out (marker `fuzz`).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.live import ROOT, Api, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
SEED = os.environ.get("FUZZ_SEED", "20261123")  # fixed in CI so that a red run can be replayed; `make fuzz` draws one
NOT_FUZZED = {"post_auth_logout"}  # ends the run's own session; tests/test_tokens.py covers it
EMPLOYER_PATHS = re.compile(r"^/(projects|contracts)\b")


@pytest.fixture(scope="module")
def scene():
    """A stack, and the callers with something to act on: an employer's project with the
    freelancer's bid, and a contract between them."""
    stack = Stack().start()
    try:
        api = Api(stack)
        employer, freelancer = api.member("employer"), api.member("freelancer")
        money = {"amount": 5000, "currency": "USD"}
        for accept in (True, False):
            status, project = api.call("POST", "/projects", {"title": "Fuzzed project", "description": "For the fuzzer",
                                                              "budget": money, "skills": ["python"]}, employer["token"])
            assert status == 201, project
            status, bid = api.call("POST", f"/projects/{project['project_id']}/bids",
                                   {"amount": money, "cover_letter": "Ready", "delivery_days": 5}, freelancer["token"])
            assert status == 201, bid
            if accept:
                path = f"/projects/{project['project_id']}/bids/{bid['bid_id']}/accept"
                assert api.call("POST", path, None, employer["token"])[0] == 201
        api.drain()
        tokens = {"anonymous": None, "freelancer": freelancer["token"], "employer": employer["token"], "admin": api.admin()}
        yield stack, tokens
    finally:
        stack.stop()


def _callers(document: dict) -> dict[str, list[str]]:
    """The operation ids each caller fuzzes: every operation exactly once."""
    chosen: dict[str, list[str]] = {"anonymous": [], "freelancer": [], "employer": [], "admin": []}
    for path, methods in document["paths"].items():
        if path.startswith("/_dev"):
            continue
        for op in methods.values():
            if op["operationId"] in NOT_FUZZED:
                continue
            security = op.get("security")
            if not security or {} in security:
                who = "anonymous"
            elif path.startswith("/admin"):
                who = "admin"
            elif EMPLOYER_PATHS.match(path):
                who = "employer"
            else:
                who = "freelancer"
            chosen[who].append(op["operationId"])
    return chosen


def _fuzz(stack: Stack, token: str | None, operation_ids: list[str], out: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("st")), "--config-file", str(ROOT / "tests" / "fuzz" / "schemathesis.toml"),
        "run", f"{stack.base}/openapi.json", "--checks", "all", "--max-examples", str(EXAMPLES), "--workers", "1",
        "--phases", "coverage,fuzzing,stateful", "--include-operation-id-regex", "^(" + "|".join(map(re.escape, operation_ids)) + ")$",
        "--report", "junit", "--report-dir", str(out.with_suffix("")), "--no-color",
    ]
    if SEED:
        command += ["--seed", SEED]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT)}
    with out.open("w") as sink:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)


def test_every_operation_is_fuzzed_as_its_caller_without_a_failure(scene):
    stack, tokens = scene
    document = requests.get(f"{stack.base}/openapi.json", timeout=30).json()
    chosen = _callers(document)
    deployed = {op["operationId"] for path, methods in document["paths"].items() if not path.startswith("/_dev")
                for op in methods.values()}
    assert {op for ops in chosen.values() for op in ops} == deployed - NOT_FUZZED  # none left out, none twice
    failed = []
    started, stack_cpu = time.monotonic(), _cpu_seconds(stack)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as reports:
        # the four callers at once: each Schemathesis process spends most of its time generating
        # data (one core at most), and the stack answers the others meanwhile
        runs = {who: (_fuzz(stack, tokens[who], ops, Path(reports) / f"{who}.txt"), Path(reports) / f"{who}.txt")
                for who, ops in chosen.items()}
        for who, (process, out) in runs.items():
            process.wait(timeout=1800)
            text = out.read_text(errors="replace")
            summary = text[text.rfind("SUMMARY"):]
            print(f"--- as {who}: {len(chosen[who])} operations\n{summary}")
            tested = re.search(r"Tested: (\d+)", summary)
            assert tested and int(tested.group(1)) == len(chosen[who]), text[-3000:]
            if process.returncode != 0:
                failed.append(f"as {who}:\n{text[-6000:]}")
    print(f"fuzzing took {time.monotonic() - started:.0f} s; the stack's CPU {_cpu_seconds(stack) - stack_cpu:.0f} s")
    assert not failed, "\n\n".join(failed)


def _cpu_seconds(stack: Stack) -> float:
    """CPU time the stack's process has used so far (Linux /proc)."""
    assert stack.process is not None
    fields = Path(f"/proc/{stack.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

