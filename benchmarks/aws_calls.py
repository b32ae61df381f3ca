"""AWS calls per request for the account routes, on an embedded moto.

    make bench-calls      # or: python benchmarks/aws_calls.py

"cold" is a new container (no cached keys, JWKS or policy index), "warm" the next
request in the same container. Printed per service and operation.
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
    from local import env

    port = _free_port()
    env.configure(port)
    from local import moto_server, provision

    server = moto_server.start(port)
    try:
        provision.everything()
        from chalice.test import Client

        from app import app
        from chalicelib import devtools, policies, tokens, vault
        from local import outbox, seed
        from local.aws_calls import counting
        from local.runtime import LocalRuntime

        seed.local_admin()
        runtime = LocalRuntime(app)
        devtools.attach(runtime, outbox)
        rows = []

        def cold() -> None:
            vault.forget_cache()
            tokens.forget_keys()
            policies._index.clear()

        with Client(app, stage_name="local") as client:
            def request(label: str, method: str, path: str, payload=None, token=None, reset=False):
                if reset:
                    cold()
                headers = {"Content-Type": "application/json"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                with counting() as calls:
                    reply = getattr(client.http, method)(path, headers=headers, body=json.dumps(payload) if payload else None)
                rows.append((label, reply.status_code, calls))
                return json.loads(reply.body) if reply.body else None

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
    finally:
        server.stop()

    print(f"{'request':32} {'status':>6} {'DynamoDB':>8} {'KMS':>4} {'Cognito':>7} {'other':>5}  calls")
    for label, status, calls in rows:
        ddb, kms, idp = calls.of("dynamodb"), calls.of("kms"), calls.of("cognito-idp")
        other = sum(calls.values()) - ddb - kms - idp
        detail = ", ".join(f"{k} x{v}" for k, v in sorted(calls.items()))
        print(f"{label:32} {status:>6} {ddb:>8} {kms:>4} {idp:>7} {other:>5}  {detail}")
    print("JWKS fetches are plain HTTPS (not AWS API calls): one per container, cached.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PRIVACY_PROFILE", "strict")
    sys.exit(main())
