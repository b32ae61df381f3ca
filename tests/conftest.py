"""Fixtures: one embedded moto per test session, provisioned from the same resource
definition as the local stack (`chalicelib.core.resources` via `local.provision`).

Tests share the session's cloud the way users share a deployment: every test makes
its own users and objects with unique ids.
"""
from __future__ import annotations

import os
import socket

import pytest

from local import env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_AWS_PORT = free_port()
env.configure(_AWS_PORT)
os.environ.setdefault("PRIVACY_PROFILE", "strict")


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
