"""A real browser on another origin uses the API: headless Chromium (Debian's `chromium` and its
`chromium-driver`, installed by `.ci/run`; nothing is downloaded) opens a page served from another
port (tests/browser/app.html) that signs in, lists projects and places a bid through `fetch` with the
bearer token. With CORS off (`WEB_ORIGINS=` empty) the same page fails at its first call."""
from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.helpers import COVER_LETTER
from tests.live import Api, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PAGE_DIR = Path(__file__).resolve().parent / "browser"
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """tests/browser/ served on its own port: another origin than the API's."""
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PAGE_DIR))
    handler.log_message = lambda *_: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    assert not missing, f"{missing} not found: apt-get install -y chromium chromium-driver (.ci/run does)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)  # the system driver: Selenium Manager fetches nothing
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(browser: Any, page_origin: str, api: str, user: dict, project_id: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    query = urllib.parse.urlencode({"api": api, "email": user["email"], "password": user["password"], "project": project_id,
                                    "letter": COVER_LETTER})
    browser.get(f"{page_origin}/app.html?{query}")
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-done") == "1")
    return {
        "status": browser.find_element(By.ID, "status").text,
        "projects": {li.get_attribute("data-id"): li.text for li in browser.find_elements(By.CSS_SELECTOR, "#projects li")},
        "bid": browser.find_element(By.ID, "bid").text,
        "correlation": browser.find_element(By.ID, "correlation").text,
        "log": " ".join(entry["message"] for entry in browser.get_log("browser")),
    }


def _market(stack: Stack) -> tuple[Api, dict, str]:
    api = Api(stack)
    employer, freelancer = api.member("employer"), api.member("freelancer")
    status, created = api.call("POST", "/projects", {"title": "Browser-built landing page", "description": "A fast static site.",
                                                     "budget": {"amount": 50000, "currency": "USD"}, "skills": ["html"]},
                               employer["token"])
    assert status == 201, created
    api.drain()
    return api, freelancer, created["project_id"]


def test_a_page_on_another_origin_signs_in_lists_projects_and_bids_through_fetch(browser, page_origin):
    stack = Stack().start()
    try:
        api, freelancer, project_id = _market(stack)
        shown = _open(browser, page_origin, stack.base, freelancer, project_id)
        assert shown["status"] == "signed in", shown
        assert shown["projects"].get(project_id) == "Browser-built landing page"
        assert shown["bid"].startswith("bid "), shown
        assert shown["correlation"] not in ("", "not exposed")  # X-Correlation-Id is exposed to the page
        bid_id = shown["bid"].removeprefix("bid ")
        mine = api.get("/me/bids", freelancer["token"])
        assert bid_id in {b["bid_id"] for b in mine["items"]}
    finally:
        stack.stop()


def test_with_cors_off_the_same_page_is_refused_by_the_browser(browser, page_origin):
    stack = Stack(WEB_ORIGINS="").start()
    try:
        api, freelancer, project_id = _market(stack)
        shown = _open(browser, page_origin, stack.base, freelancer, project_id)
        assert shown["status"].startswith("failed: ") and "sign-in" not in shown["status"], shown  # fetch itself failed
        assert shown["projects"] == {} and shown["bid"] == ""
        assert "CORS" in shown["log"] or "Access-Control-Allow-Origin" in shown["log"], shown["log"]
        assert api.get("/me/bids", freelancer["token"])["items"] == []
    finally:
        stack.stop()
