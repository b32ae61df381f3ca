"""AWS calls per request for the account and marketplace routes, on an embedded moto.

    make bench            # or: python benchmarks/aws_calls.py

"cold" is a new container (no cached keys, JWKS or policy index), "warm" the next
request in the same container. Printed per service and operation. Then the scaling
check: `GET /projects` with 100 and with 10,000 projects in the table.
"""
from __future__ import annotations

import json
import os
import re
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    from benchmarks.figures import app_logs_to_stderr

    app_logs_to_stderr()  # stdout: the figures alone
    from local import env

    port = _free_port()
    env.configure(port)
    from local import moto_server, provision

    server = moto_server.start(port)
    try:
        provision.everything()
        from chalice.test import Client

        from app import app
        from chalicelib.adapters import gateway
        from chalicelib.api import devtools
        from chalicelib.security import tokens, vault
        from chalicelib.services import policy_versions
        from local import outbox, seed
        from local.aws_calls import counting
        from local.runtime import LocalRuntime

        sandbox = gateway.sandbox()
        seed.local_admin()
        runtime = LocalRuntime(app)
        devtools.attach(runtime, outbox)
        rows = []

        def cold() -> None:
            vault.forget_cache()
            tokens.forget_keys()
            policy_versions.forget_index()

        with Client(app, stage_name="local") as client:
            def request(label: str, method: str, path: str, payload=None, token=None, reset=False, headers=None):
                if reset:
                    cold()
                headers = {"Content-Type": "application/json", **(headers or {})}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                gateway_before = sandbox.calls
                with counting() as calls:
                    reply = getattr(client.http, method)(path, headers=headers, body=json.dumps(payload) if payload else None)
                rows.append((label, reply.status_code, calls, sandbox.calls - gateway_before))
                return json.loads(reply.body) if reply.body else None

            def settle(label: str, message: dict) -> None:
                """The settlement function on its own, for one queue message."""
                from chalicelib.services import settlement

                gateway_before = sandbox.calls
                with counting() as calls:
                    settlement.settle(message)
                rows.append((label, "-", calls, sandbox.calls - gateway_before))

            phone = "+14155550123"
            signup = {"email": "bench@example.com", "password": "Correct-Horse-9", "role": "freelancer", "full_name": "Bench Mark",
                      "phone": phone, "date_of_birth": "1990-01-01", "accepted_policy_version": "1.0"}
            request("POST /auth/signup (cold)", "post", "/auth/signup", signup, reset=True)
            runtime.drain()
            code = re.search(r"\d{6}", outbox.messages(phone)[-1]["body"]).group(0)
            request("POST /auth/verify-phone", "post", "/auth/verify-phone", {"email": signup["email"], "code": code})
            session = request("POST /auth/login (cold)", "post", "/auth/login", {"email": signup["email"], "password": signup["password"]}, reset=True)
            request("POST /auth/login (warm)", "post", "/auth/login", {"email": signup["email"], "password": signup["password"]})
            request("GET /me (cold)", "get", "/me", token=session["token"], reset=True)
            request("GET /me (warm)", "get", "/me", token=session["token"])
            marketplace(client.http, runtime, request)
            payments(client.http, runtime, request, settle)
            scaling = projects_scaling(client.http, runtime, request)
    finally:
        server.stop()

    print(f"{'request':44} {'status':>6} {'DynamoDB':>8} {'KMS':>4} {'Cognito':>7} {'other':>5} {'gateway':>7}  calls")
    for label, status, calls, gateway_calls in rows:
        ddb, kms, idp = calls.of("dynamodb"), calls.of("kms"), calls.of("cognito-idp")
        other = sum(calls.values()) - ddb - kms - idp
        detail = ", ".join(f"{k} x{v}" for k, v in sorted(calls.items()))
        print(f"{label:44} {status:>6} {ddb:>8} {kms:>4} {idp:>7} {other:>5} {gateway_calls:>7}  {detail}")
    print("JWKS fetches are plain HTTPS (not AWS API calls): one per container, cached.")
    print()
    print("GET /projects (a freelancer's first page of 20) as the table grows:")
    for count, calls in scaling:
        print(f"  {count:>6} projects in the table: {calls.of('dynamodb')} DynamoDB calls ({', '.join(f'{k} x{v}' for k, v in sorted(calls.items()))})")
    return 0


def marketplace(http, runtime, request) -> None:
    """Every route of the marketplace, warm, and the reads also cold."""
    from local import seed
    from tests.helpers import admin_token, verified

    admin = admin_token(http, seed.admin_credentials())
    employer = verified(http, runtime, admin, "employer")
    freelancer = verified(http, runtime, admin, "freelancer")
    other = verified(http, runtime, admin, "freelancer")
    e, f, o = employer["token"], freelancer["token"], other["token"]
    money = {"amount": 1000, "currency": "USD"}
    bid = {"amount": money, "cover_letter": "Ready to start", "delivery_days": 5}
    request("PUT /me/profile", "put", "/me/profile", {"headline": "Bench", "skills": ["x"]}, token=f)
    request("PUT /me/profile (other)", "put", "/me/profile", {"headline": "Other", "skills": ["y"]}, token=o)
    for reset in (True, False):
        request(f"GET /users/{{id}}/profile ({'cold' if reset else 'warm'})", "get", f"/users/{freelancer['user_id']}/profile", token=e, reset=reset)
    request("GET /users/{id}/profile (no token)", "get", f"/users/{freelancer['user_id']}/profile")
    request("GET /users/{id}/reviews", "get", f"/users/{freelancer['user_id']}/reviews", token=e)
    request("POST /me/anonymity", "post", "/me/anonymity", {"enabled": False}, token=f)
    project = request("POST /projects", "post", "/projects", {"title": "Bench project", "description": "x", "budget": money}, token=e)
    pid = project["project_id"]
    request("GET /projects (freelancer)", "get", "/projects", token=f)
    request("GET /projects (employer)", "get", "/projects", token=e)
    for reset in (True, False):
        request(f"GET /projects/{{id}} ({'cold' if reset else 'warm'})", "get", f"/projects/{pid}", token=f, reset=reset)
    request("PATCH /projects/{id}", "patch", f"/projects/{pid}", {"title": "Bench project 2"}, token=e)
    request("POST /projects/{id}/files", "post", f"/projects/{pid}/files", {"filename": "a.txt", "content_type": "text/plain", "size": 3}, token=e)
    request("GET /projects/{id}/files", "get", f"/projects/{pid}/files", token=f)
    bid_id = request("POST /projects/{id}/bids", "post", f"/projects/{pid}/bids", bid, token=f)["bid_id"]
    other_bid = request("POST /projects/{id}/bids (2nd)", "post", f"/projects/{pid}/bids", bid, token=o)["bid_id"]
    for reset in (True, False):
        request(f"GET /projects/{{id}}/bids ({'cold' if reset else 'warm'})", "get", f"/projects/{pid}/bids", token=e, reset=reset)
    request("GET /me/bids", "get", "/me/bids", token=f)
    request("DELETE /projects/{id}/bids/{bid}", "delete", f"/projects/{pid}/bids/{other_bid}", token=o)
    contract = request("POST .../bids/{bid}/accept", "post", f"/projects/{pid}/bids/{bid_id}/accept", token=e)
    cid = contract["contract_id"]
    for reset in (True, False):
        request(f"GET /contracts/{{id}} ({'cold' if reset else 'warm'})", "get", f"/contracts/{cid}", token=e, reset=reset)
    request("GET /me/contracts", "get", "/me/contracts", token=e)
    request("POST /contracts/{id}/messages", "post", f"/contracts/{cid}/messages", {"body": "hello"}, token=e)
    request("POST /contracts/{id}/messages (2)", "post", f"/contracts/{cid}/messages", {"body": "hi"}, token=f)
    for reset in (True, False):
        request(f"GET /contracts/{{id}}/messages ({'cold' if reset else 'warm'})", "get", f"/contracts/{cid}/messages", token=e, reset=reset)
    request("POST /contracts/{id}/fund", "post", f"/contracts/{cid}/fund", token=e, headers={"Idempotency-Key": "bench-fund-0001"})
    runtime.drain()
    request("POST /contracts/{id}/complete", "post", f"/contracts/{cid}/complete", token=e)
    request("POST /contracts/{id}/reviews", "post", f"/contracts/{cid}/reviews", {"rating": 5, "comment": "good"}, token=e)
    request("POST /projects/{id}/close", "post", f"/projects/{request('POST /projects (2nd)', 'post', '/projects', {'title': 'Second', 'description': 'x', 'budget': money}, token=e)['project_id']}/close", token=e)
    p2 = request("POST /projects (3rd)", "post", "/projects", {"title": "Third", "description": "x", "budget": money}, token=e)["project_id"]
    b2 = request("POST /projects/{id}/bids (3rd)", "post", f"/projects/{p2}/bids", bid, token=f)["bid_id"]
    c2 = request("POST .../accept (3rd)", "post", f"/projects/{p2}/bids/{b2}/accept", token=e)["contract_id"]
    request("POST /contracts/{id}/dispute", "post", f"/contracts/{c2}/dispute", {"reason": "late"}, token=f)
    request("POST /admin/disputes/{id}/resolve", "post", f"/admin/disputes/{c2}/resolve", {"release_to": "freelancer"}, token=admin)
    request("GET /admin/profile-reviews", "get", "/admin/profile-reviews", token=admin)
    request("POST /admin/profile-reviews/{id}/decision (none waits)", "post", f"/admin/profile-reviews/{freelancer['user_id']}/decision",
            {"decision": "approve"}, token=admin)


def payments(http, runtime, request, settle) -> None:
    """Every money route, warm (and the reads cold), and the settlement function."""
    from local import seed
    from tests.helpers import admin_token, verified

    admin = admin_token(http, seed.admin_credentials())
    employer = verified(http, runtime, admin, "employer")
    freelancer = verified(http, runtime, admin, "freelancer")
    e, f = employer["token"], freelancer["token"]
    price = {"amount": 100000, "currency": "USD"}
    pid = json.loads(http.post("/projects", headers={"Authorization": f"Bearer {e}", "Content-Type": "application/json"},
                               body=json.dumps({"title": "Pay", "description": "x", "budget": price})).body)["project_id"]
    bid = json.loads(http.post(f"/projects/{pid}/bids", headers={"Authorization": f"Bearer {f}", "Content-Type": "application/json"},
                               body=json.dumps({"amount": price, "cover_letter": "ok", "delivery_days": 3})).body)["bid_id"]
    cid = json.loads(http.post(f"/projects/{pid}/bids/{bid}/accept", headers={"Authorization": f"Bearer {e}"}).body)["contract_id"]
    request("POST /contracts/{id}/fund (warm)", "post", f"/contracts/{cid}/fund", token=e, headers={"Idempotency-Key": "bench-fund-0002"})
    request("POST /contracts/{id}/fund (retry)", "post", f"/contracts/{cid}/fund", token=e, headers={"Idempotency-Key": "bench-fund-0002"})
    runtime.pump_streams()
    from chalicelib.repos import ledger

    funding = ledger.get(ledger.Funding, *ledger.funding_key(cid))
    settle("settle a funding (queue function)", {"what": "funding", "contract_id": cid, "id": funding.charge_id})
    runtime.drain()
    request("POST /contracts/{id}/complete (funded)", "post", f"/contracts/{cid}/complete", token=e)
    bank = {"type": "bank", "account_holder": "Bench Mark", "account_number": "123456780001", "ifsc": "HDFC0001234", "branch_name": "Fort"}
    request("PUT /me/payout-method", "put", "/me/payout-method", bank, token=f)
    for reset in (True, False):
        request(f"GET /me/payout-method ({'cold' if reset else 'warm'})", "get", "/me/payout-method", token=f, reset=reset)
        request(f"GET /me/wallet ({'cold' if reset else 'warm'})", "get", "/me/wallet", token=f, reset=reset)
    body = {"amount": {"amount": 5000, "currency": "USD"}}
    request("POST /me/payouts (cold)", "post", "/me/payouts", body, token=f, reset=True, headers={"Idempotency-Key": "bench-payout-01"})
    payout = request("POST /me/payouts (warm)", "post", "/me/payouts", body, token=f, headers={"Idempotency-Key": "bench-payout-02"})
    request("POST /me/payouts (retry, same key)", "post", "/me/payouts", body, token=f, headers={"Idempotency-Key": "bench-payout-02"})
    request("POST /me/payouts (over the balance)", "post", "/me/payouts", {"amount": {"amount": 10**9, "currency": "USD"}}, token=f,
            headers={"Idempotency-Key": "bench-payout-03"})
    settle("settle a payout (queue function)", {"what": "payout", "user_id": freelancer["user_id"], "id": payout["payout_id"]})
    settle("settle it again (a duplicate message)", {"what": "payout", "user_id": freelancer["user_id"], "id": payout["payout_id"]})
    runtime.drain()
    request("GET /me/payouts", "get", "/me/payouts", token=f)
    request("GET /me/receipts", "get", "/me/receipts", token=f)


def projects_scaling(http, runtime, request) -> list:
    """Fill the table to 100, then 10,000 open projects; count GET /projects each time."""
    from chalicelib.core import clock
    from chalicelib.repos import projects as repo
    from chalicelib.repos.ids import new_id
    from local import seed
    from local.aws_calls import counting
    from tests.helpers import admin_token, register, verified

    reader = verified(http, runtime, admin_token(http, seed.admin_credentials()), "freelancer")
    owner = register(http, runtime, "employer")["user_id"]
    results, made = [], 0
    for target in (100, 10_000):
        with repo.Project.batch_write() as batch:
            for _ in range(target - made):
                now = clock.now_ts()
                project = repo.Project(*repo.key(pid := new_id()), project_id=pid, owner_id=owner, title="Filler", description="x",
                                       budget_amount=100, budget_currency="USD", skills=[], status="open", created_at=now, updated_at=now)
                repo.list_keys(project)
                batch.save(project)
        made = target
        headers = {"Authorization": f"Bearer {reader['token']}"}
        http.get("/projects", headers=headers)  # warm the container first
        with counting() as calls:
            reply = http.get("/projects", headers=headers)
        assert reply.status_code == 200 and len(json.loads(reply.body)["items"]) == 20
        results.append((target, calls))
    return results


if __name__ == "__main__":
    os.environ.setdefault("PRIVACY_PROFILE", "strict")
    sys.exit(main())
