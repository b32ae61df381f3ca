"""The operator CLI (`python -m ops`) driven against a running local stack, as an operator
would against a stage: each command in its own process, through the stack's endpoint."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.live import Api, Stack

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live():
    stack = Stack().start()
    yield stack, Api(stack)
    stack.stop()


def ops(stack: Stack, *args: str) -> tuple[int, object, str]:
    env = {**stack.env, "LOCAL_API_PORT": str(stack.api_port)}
    done = subprocess.run([sys.executable, "-m", "ops", "--endpoint", f"http://127.0.0.1:{stack.aws_port}", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    try:
        out = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        out = done.stdout
    return done.returncode, out, done.stderr


def test_job_run_runs_a_retention_job_now_and_refuses_an_unknown_one(live):
    stack, _ = live
    code, out, err = ops(stack, "job", "run", "purge_usage_data")
    assert code == 0, err
    assert out["job"] == "purge_usage_data" and isinstance(out["result"]["removed"], int)
    code, _, err = ops(stack, "job", "run", "drop_everything")
    assert code != 0 and "no scheduled job named drop_everything" in err


def test_dlq_list_and_redrive_move_dead_letters_back_to_their_queue(live):
    stack, _ = live
    sqs = stack.aws("sqs")
    dlq = sqs.get_queue_url(QueueName="marketplace-local-notifications-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"notification_id": uuid.uuid4().hex}))
    code, listed, err = ops(stack, "dlq", "list")
    assert code == 0, err
    waiting = {row["queue"]: row["waiting"] for row in listed}
    assert waiting["notifications"] == 1 and set(waiting) >= {"payments", "erasure", "fanout", "exports", "stream-failures"}
    code, out, err = ops(stack, "dlq", "redrive", "notifications")
    assert code == 0, err
    assert out == {"queue": "notifications", "moved": 1}
    attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    code, _, err = ops(stack, "dlq", "redrive", "stream-failures")
    assert code != 0 and "replayed from the table" in err


def test_legal_hold_placed_blocks_deletion_and_lifted_frees_it_and_the_receipt_is_looked_up(live):
    stack, api = live
    user = api.register("freelancer")
    code, held, err = ops(stack, "hold", "place", user["user_id"], "court order 2026-117")
    assert code == 0, err
    status, refused = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 409 and "legal_hold" in json.dumps(refused)
    code, lifted, err = ops(stack, "hold", "lift", held["hold_id"])
    assert code == 0 and lifted["status"] == "lifted", err
    assert ops(stack, "hold", "lift", held["hold_id"])[0] == 1  # gone: refused, not crashed
    status, scheduled = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 202, scheduled
    # hex, so a token never starts with '-' (which the command line would take for an option)
    assert re.fullmatch(r"[0-9a-f]{64}", scheduled["receipt_token"]), scheduled["receipt_token"]
    code, receipt, err = ops(stack, "erasure", "receipt", scheduled["receipt_token"])
    assert code == 0, err
    assert receipt["status"] == "scheduled" and receipt["completed_at"] is None
    code, _, err = ops(stack, "erasure", "receipt", "not-a-token")
    assert code == 1 and "refused" in err


def test_policy_publish_from_a_file_obeys_the_notice_period(live, tmp_path):
    stack, api = live
    notice_days = api.get("/policies/profile")["policy_notice_days"]
    version = f"2027.{uuid.uuid4().hex[:4]}"
    body = {"version": version, "summary": "Clearer retention table", "text": "The full text.", "material": True,
            "effective_at": (datetime.now(UTC) + timedelta(days=notice_days + 1)).isoformat()}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(body))
    code, out, err = ops(stack, "policy", "publish", str(path))
    assert code == 0, err
    assert out["version"] == version
    assert any(v["version"] == version for v in api.get("/policies?limit=100")["items"])
    early = {**body, "version": version + "b", "effective_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    path.write_text(json.dumps(early))
    code, _, err = ops(stack, "policy", "publish", str(path))
    assert code == 1 and "refused" in err
