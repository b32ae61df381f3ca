"""The load scenario (benchmarks/load.py runs it): employers post and read projects and
their bids, freelancers browse, read and bid, everyone reads their account and wallet.
Users come signed in from the seed file load.py writes (LOAD_USERS)."""
from __future__ import annotations

import json
import os
import random
import uuid

from locust import HttpUser, between, task

SEED = json.loads(open(os.environ["LOAD_USERS"]).read())
MONEY = {"amount": 5000, "currency": "USD"}


class Employer(HttpUser):
    weight = 1
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        me = random.choice(SEED["employers"])
        self.headers = {"Authorization": f"Bearer {me['token']}"}
        self.projects = list(me["projects"])

    @task(3)
    def list_projects(self) -> None:
        self.client.get("/projects", headers=self.headers, name="GET /projects")

    @task(3)
    def read_project(self) -> None:
        self.client.get(f"/projects/{random.choice(self.projects)}", headers=self.headers, name="GET /projects/{id}")

    @task(2)
    def read_bids(self) -> None:
        self.client.get(f"/projects/{random.choice(self.projects)}/bids", headers=self.headers, name="GET /projects/{id}/bids")

    @task(1)
    def post_project(self) -> None:
        body = {"title": f"Load project {uuid.uuid4().hex[:6]}", "description": "Under load", "budget": MONEY, "skills": ["python"]}
        with self.client.post("/projects", json=body, headers=self.headers, name="POST /projects", catch_response=True) as reply:
            if reply.status_code == 201:
                self.projects.append(reply.json()["project_id"])
            else:
                reply.failure(f"{reply.status_code}")

    @task(2)
    def me(self) -> None:
        self.client.get("/me", headers=self.headers, name="GET /me")


class Freelancer(HttpUser):
    weight = 3
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        me = random.choice(SEED["freelancers"])
        self.headers = {"Authorization": f"Bearer {me['token']}"}

    @task(4)
    def list_projects(self) -> None:
        self.client.get("/projects", headers=self.headers, name="GET /projects")

    @task(3)
    def read_project(self) -> None:
        self.client.get(f"/projects/{random.choice(SEED['open_projects'])}", headers=self.headers, name="GET /projects/{id}")

    @task(1)
    def bid(self) -> None:
        body = {"amount": MONEY, "cover_letter": "I can do this", "delivery_days": 5}
        project = random.choice(SEED["open_projects"])
        with self.client.post(f"/projects/{project}/bids", json=body, headers=self.headers, name="POST /projects/{id}/bids",
                              catch_response=True) as reply:
            if reply.status_code in (201, 409):  # 409: this freelancer's live bid is there already
                reply.success()
            else:
                reply.failure(f"{reply.status_code}")

    @task(2)
    def wallet(self) -> None:
        self.client.get("/me/wallet", headers=self.headers, name="GET /me/wallet")

    @task(1)
    def correct(self) -> None:
        self.client.patch("/me", json={"timezone": random.choice(["Europe/Paris", "Asia/Karachi"])}, headers=self.headers,
                          name="PATCH /me")
