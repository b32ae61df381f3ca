"""Importing the app builds no AWS client (cold start; moto must come first)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import boto3.session, botocore.session
made = []
_orig_client = boto3.session.Session.client
_orig_create = botocore.session.Session.create_client
def client(self, *a, **k):
    made.append(a[0] if a else k.get("service_name"))
    return _orig_client(self, *a, **k)
def create_client(self, *a, **k):
    made.append(a[0] if a else k.get("service_name"))
    return _orig_create(self, *a, **k)
boto3.session.Session.client = client
botocore.session.Session.create_client = create_client
import app
assert app.app.routes, "the app registered no routes"
from chalicelib.core import aws
print(len(made), len(aws.created))
"""


def _import_app(stage: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    environment.update(STAGE=stage, AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_importing_the_app_creates_no_boto3_client():
    assert _import_app("prod") == "0 0"
    assert _import_app("local") == "0 0"


def test_the_dev_endpoints_exist_only_in_the_local_stage():
    listing = "import app; print(sorted(p for p in app.app.routes if p.startswith('/_dev')))"
    for stage, expected in (("prod", "[]"), ("dev", "[]")):
        environment = dict(os.environ, STAGE=stage)
        out = subprocess.run([sys.executable, "-c", listing], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == expected, out.stderr
    environment = dict(os.environ, STAGE="local")
    out = subprocess.run([sys.executable, "-c", listing], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert "/_dev/drain" in out.stdout


def test_importing_the_app_loads_nothing_heavy_before_a_route_runs():
    """Cold start: no AWS SDK session or client class (Powertools imports the bare `botocore`
    package, which is cheap), PynamoDB model, cryptography, JWT, service, repository or
    request model is loaded until a route, handler or job that needs it runs. (The package
    `chalicelib.api.schemas` itself is loaded: it defines no model, and imports an area's
    module when a route first names it.)"""
    probe = (
        "import sys, app\n"
        "heavy = ('boto3', 'botocore.session', 'botocore.client', 'pynamodb', 'cryptography', 'jwt', 'chalicelib.services', 'chalicelib.repos',\n"
        "         'chalicelib.security', 'chalicelib.adapters', 'chalicelib.api.schemas.', 'chalicelib.api.models')\n"
        "print(sorted({m.split('.')[0] if not m.startswith('chalicelib') else '.'.join(m.split('.')[:3])\n"
        "              for m in sys.modules if m.startswith(heavy)}))\n"
    )
    environment = dict(os.environ, STAGE="prod", AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
