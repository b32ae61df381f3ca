"""Marketing campaigns reach exactly the users whose consent is on when they are sent,
each email with a signed one-click unsubscribe link (in the text and as RFC 8058
headers) that works without signing in and cannot be forged or turned on another user."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.helpers import admin_token, call, register


@pytest.fixture(scope="module")
def people(http, runtime, admin):
    on = register(http, runtime, "freelancer")
    off = register(http, runtime, "employer")
    changed_mind = register(http, runtime, "freelancer")
    for user in (on, changed_mind):
        assert call(http, "PUT", "/me/consents", {"marketing": True}, token=user["token"])[1]["marketing"] is True
    return {"on": on, "off": off, "changed_mind": changed_mind, "admin": admin_token(http, admin)}


def _mail(http, user, subject):
    from local import outbox

    return [m for m in outbox.messages(user["email"]) if m["subject"] == subject]


def _link(message) -> str:
    url = re.search(r"Unsubscribe: (\S+)", message["body"]).group(1)
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"


def test_a_campaign_goes_to_those_whose_consent_is_on_when_it_is_sent(http, runtime, people):
    subject = "Spring offers"
    status, created = call(http, "POST", "/admin/campaigns", {"subject": subject, "body": "Lower fees this month."}, token=people["admin"])
    assert status == 202 and created["campaign_id"]
    # consent withdrawn after the campaign was created but before it is sent
    call(http, "PUT", "/me/consents", {"marketing": False}, token=people["changed_mind"]["token"])
    runtime.drain()
    got = _mail(http, people["on"], subject)
    assert len(got) == 1, (got, list(runtime.failures)[-3:])
    assert "Lower fees this month." in got[0]["body"]
    assert got[0]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got[0]["headers"]["List-Unsubscribe"].startswith("<http") and "/unsubscribe?token=" in got[0]["headers"]["List-Unsubscribe"]
    assert _mail(http, people["off"], subject) == [] and _mail(http, people["changed_mind"], subject) == []
    runtime.drain()  # a retried page sends nobody twice
    assert len(_mail(http, people["on"], subject)) == 1


def test_the_unsubscribe_link_works_without_signing_in_once_and_only_for_its_user(http, runtime, people):
    subject = "Summer offers"
    call(http, "POST", "/admin/campaigns", {"subject": subject, "body": "News."}, token=people["admin"])
    runtime.drain()
    link = _link(_mail(http, people["on"], subject)[0])
    token = link.split("token=")[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert call(http, "GET", f"/unsubscribe?token={tampered}")[0] == 400
    payload, signature = token.split(".")
    assert call(http, "GET", f"/unsubscribe?token={payload[:-2]}xx.{signature}")[0] == 400
    status, done = call(http, "POST", link)  # as a mail client's one-click POST
    assert status == 200 and done["marketing"] is False
    assert call(http, "GET", link)[0] == 200  # following it again is harmless
    assert call(http, "GET", "/me/consents", token=people["on"]["token"])[1]["marketing"] is False
    history = call(http, "GET", "/me/consents/history", token=people["on"]["token"])[1]["items"]
    assert (history[0]["purpose"], history[0]["decision"], history[0]["source"]) == ("marketing", "off", "unsubscribe_link")
    assert call(http, "GET", "/me/consents", token=people["changed_mind"]["token"])[1]["marketing"] is False


def test_campaign_input_and_who_may_send(http, people):
    assert call(http, "POST", "/admin/campaigns", {"subject": "Hi", "body": "x"}, token=people["on"]["token"])[0] == 403
    assert call(http, "POST", "/admin/campaigns", {"subject": "Hi\r\nBcc: all@example.com", "body": "x"}, token=people["admin"])[0] == 400
    assert call(http, "POST", "/admin/campaigns", {"subject": "", "body": "x"}, token=people["admin"])[0] == 400
    assert call(http, "GET", "/unsubscribe")[0] == 400


def test_an_expired_link_is_refused(http, runtime, people):
    from chalicelib.core import clock
    from chalicelib.security import links

    token = links.sign("unsubscribe:marketing", people["off"]["user_id"], 1)
    other_purpose = links.sign("accept:policy", people["off"]["user_id"], 30)
    assert call(http, "GET", f"/unsubscribe?token={other_purpose}")[0] == 400
    clock.advance(2 * 86400)
    assert call(http, "GET", f"/unsubscribe?token={token}")[0] == 400
