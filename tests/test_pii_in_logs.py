"""The sweep of every test's output for test users' personal data (tests/pii.py and the
hook in tests/conftest.py) works: it finds a planted value in the app's own JSON log
line, and it fails a test that printed one. And no trace carries data: nothing in the
code adds X-Ray annotations or metadata, or captures responses."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent


def test_the_sweep_finds_a_users_email_in_the_apps_json_log_line():
    import io
    import logging

    from chalicelib.core.observability import logger
    from tests import pii

    email = f"planted-{uuid.uuid4().hex[:8]}@example.com"
    pii.remember(email)
    # the app's own handler and formatter, writing here only (not to this test's output,
    # which the sweep would then rightly fail)
    buffer, own = io.StringIO(), logging.StreamHandler()
    own.setFormatter(logger.registered_handler.formatter)
    own.setStream(buffer)
    underlying = logging.getLogger(logger.name)
    saved, underlying.handlers = underlying.handlers, [own]
    try:
        logger.info("a careless line", extra={"who": email})
    finally:
        underlying.handlers = saved
    line = buffer.getvalue()
    assert '"message":"a careless line"' in line
    assert pii.found_in(line) == [email]
    assert pii.found_in(line.replace(email, "<user id>")) == []


def test_a_test_that_logs_a_users_phone_fails_on_that_alone(pytester, monkeypatch):
    pytester.makeconftest("from tests.pii import pytest_runtest_makereport  # noqa: F401\n")
    pytester.makepyfile(test_leak="""
from tests import pii

def test_prints_a_phone():
    pii.remember("+14155550123")
    print('{"level": "INFO", "message": "sms sent", "to": "14155550123"}')
    assert True
""")
    # in a process of its own: this process does not learn the planted number, so its own
    # sweep does not flag this test for printing the inner run's report
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1, errors=1)
    assert "personal data of test users" in result.stdout.str() and "14155550123" in result.stdout.str()



def test_nothing_adds_trace_annotations_or_metadata_or_captures_responses():
    found = [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in (ROOT / "chalicelib").rglob("*.py")
             for m in re.finditer(r"put_annotation|put_metadata|capture_method|capture_lambda_handler|capture_response",
                                  path.read_text())]
    assert found == []
