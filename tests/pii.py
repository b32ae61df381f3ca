"""Personal data of every test user, and a sweep of every log line for it.

Each user the tests create (`helpers.signup_payload`, `live.Api.signup`) and each
identity or bank number they send is remembered here. After each test, everything the
test printed (the app's JSON logs and EMF metrics on stdout, log records, warnings)
is swept for all of it and the test that printed it fails (`pytest_runtest_makereport`
below, which tests/conftest.py imports); each live
stack's own output is swept when it stops (`live.Stack.stop`). The X-Ray subsegments
carry function names only: nothing in chalicelib adds an annotation or metadata
(tests/test_pii_in_logs.py)."""
from __future__ import annotations

import re
import threading

import pytest

_lock = threading.Lock()
_needles: set[str] = set()
_compiled: re.Pattern[str] | None = None
MIN_LENGTH = 6  # shorter values (a first name, "Tester") would match ordinary words


def remember(*values: object) -> None:
    global _compiled
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_LENGTH and value not in _needles:
                _needles.add(value)
                if value.startswith("+"):
                    _needles.add(value[1:])  # a phone number without its plus
                _compiled = None


def remember_user(payload: dict) -> None:
    remember(payload.get("email"), payload.get("phone"), payload.get("full_name"))


def found_in(text: str) -> list[str]:
    global _compiled
    if not text:
        return []
    with _lock:
        if not _needles:
            return []
        if _compiled is None:
            _compiled = re.compile("|".join(map(re.escape, sorted(_needles, key=len, reverse=True))))
        pattern = _compiled
    return sorted({m.group(0) for m in pattern.finditer(text)})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001
    """A test whose output holds any test user's personal data fails, naming what leaked."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "teardown":
        return
    leaked = found_in("\n".join(content for _, _, content in item._report_sections))
    if leaked and report.outcome == "passed":
        report.outcome = "failed"
        report.longrepr = f"personal data of test users in what the test logged: {leaked}"

