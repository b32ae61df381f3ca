"""Fixtures: one embedded moto per test session, provisioned from the same resource
definition as the local stack (`chalicelib.core.resources` via `local.provision`).

Tests share the session's cloud the way users share a deployment: every test makes
its own users and objects with unique ids.
"""
from __future__ import annotations

import os
import socket

import pytest

from local import env, iam_check
from tests.pii import pytest_runtest_makereport  # noqa: F401 - fails a test that logged a test user's personal data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_AWS_PORT = free_port()
env.configure(_AWS_PORT)
os.environ.setdefault("PRIVACY_PROFILE", "strict")
iam_check.install()


@pytest.fixture(autouse=True)
def calls_within_each_functions_iam_policy():
    """Every AWS call a function made during the test is one its deployed IAM policy
    allows (`infra.access`, checked by `local.iam_check`): moto enforces no IAM."""
    del iam_check.violations[:]
    yield
    found = sorted({(v["function"], v["action"], v["resource"]) for v in iam_check.violations})
    del iam_check.violations[:]
    assert not found, "calls the function's IAM policy does not allow (infra/access.py): " + "; ".join(map(" ".join, found))


def pytest_sessionfinish(session):  # noqa: ANN001
    """What each function called, as IAM sees it (`python -m infra.access --observed` reads it)."""
    import json
    from pathlib import Path

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = Path(__file__).resolve().parent.parent / "build" / "iam"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"observed-{worker}.json").write_text(
        json.dumps({f: sorted(map(list, pairs)) for f, pairs in sorted(iam_check.seen.items())}, indent=1)
    )


@pytest.fixture(scope="session")
def cloud():
    """The embedded moto, provisioned. Yields the provisioning outputs."""
    from local import moto_server, provision

    server = moto_server.start(_AWS_PORT)
    outputs = provision.everything()
    yield outputs
    server.stop()


@pytest.fixture(scope="session")
def app(cloud):
    from app import app as chalice_app

    return chalice_app


@pytest.fixture(scope="session")
def runtime(app):
    """The local event-source runtime for the app, driven by the tests (no thread)."""
    from chalicelib.api import devtools
    from local import outbox
    from local.runtime import LocalRuntime

    rt = LocalRuntime(app)
    devtools.attach(rt, outbox)
    return rt


@pytest.fixture(scope="module")
def http(app, runtime):
    """A test client shared by one module's tests (for module-scoped users and objects)."""
    from chalice.test import Client

    with Client(app, stage_name="local") as c:
        yield c.http


@pytest.fixture
def client(app, runtime):
    from chalice.test import Client

    with Client(app, stage_name="local") as c:
        yield c.http


@pytest.fixture(scope="session")
def admin(app, cloud):
    """The seeded admin's (email, password)."""
    from local import seed

    seed.local_admin()
    return seed.admin_credentials()
