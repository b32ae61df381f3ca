"""Injection and abuse: each attempt gets a clear 4xx naming what is wrong, never a 5xx,
and nothing it tried reaches storage or an email.

- oversized and deeply nested JSON;
- contact details disguised from the detector: full-width forms, zero-width and other
  invisible characters, look-alike letters of other scripts, digits written as words;
- path traversal and control characters in file names;
- header injection through an email subject;
- tampered, forged and replayed links and tokens (unsubscribe, policy decisions,
  access and refresh tokens after sign-out, a one-time code used twice);
- presigned S3 URLs and POST policies used after they expired.
"""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.helpers import admin_token, call, register, signup_payload, verified


@pytest.fixture(scope="module")
def people(http, runtime, admin):
    tok = admin_token(http, admin)
    return {"admin": tok, "employer": verified(http, runtime, tok, "employer"), "freelancer": verified(http, runtime, tok, "freelancer")}


# --- bodies -------------------------------------------------------------------------------------

def test_an_oversized_body_is_a_400_naming_the_body(http, people):
    status, error = call(http, "PUT", "/me/profile", {"headline": "x", "bio": "y" * 70_000}, token=people["freelancer"]["token"])
    assert status == 400 and error["Code"] == "BadRequestError" and error["Details"]["field"] == "body"


@pytest.mark.parametrize("depth", [50, 5_000, 100_000])
def test_deeply_nested_json_is_a_400_not_a_crash(http, people, depth):
    nested = "[" * depth + "]" * depth
    for raw in (nested, '{"headline": ' + nested + "}"):
        status, error = call(http, "PUT", "/me/profile", raw, token=people["freelancer"]["token"])
        assert status == 400 and error["Code"] == "BadRequestError", (depth, error)


# --- contact details in disguise ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "write to ada＠example．com",  # full-width at sign and full stop
    "call ０３００ １２３ ４５６７",  # full-width digits
    "ada@exa\u200bmple.com",  # a zero-width space inside the address
    "ada\u2060@\u2060example\u2060.\u2060com",  # word joiners around every part
    "ѕkуpe: ada.lovelace",  # Cyrillic s and y in the app's name
    "tele\u200dgram: @ada_l",  # a zero-width joiner inside the app's name
    "nine eight seven six five four three two one zero",  # digits as words
    "①⑤⑤⑤ ②③④ ⑤⑥⑦⑧",  # circled digits
    "ada [at] example [dot] com",
])
def test_disguised_contact_details_are_refused_naming_the_field(http, people, text):
    status, error = call(http, "PUT", "/me/profile", {"headline": "Engineer", "bio": f"Hello! {text}"}, token=people["freelancer"]["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "bio", error


def test_ordinary_text_in_full_width_or_other_scripts_is_accepted(http, people):
    bio = "５ years of Python. Работал в Москве 2015-2019. Δουλεύω με δεδομένα."
    status, saved = call(http, "PUT", "/me/profile", {"headline": "Engineer", "bio": bio}, token=people["freelancer"]["token"])
    assert status == 200, saved


# --- file names -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def project_id(http, people):
    status, created = call(http, "POST", "/projects", {"title": "Abuse project", "description": "Files",
                                                       "budget": {"amount": 1000, "currency": "USD"}}, token=people["employer"]["token"])
    assert status == 201, created
    return created["project_id"]


@pytest.mark.parametrize("name", ["../../../etc/passwd", "..\\..\\windows\\win.ini", "/absolute/key.pdf", "....//....//x.pdf",
                                  "%2e%2e%2fsecret.pdf", "exports/user/data.json"])
def test_path_traversal_in_a_file_name_stays_inside_the_projects_folder(http, people, project_id, name):
    status, created = call(http, "POST", f"/projects/{project_id}/files", {"filename": name, "content_type": "application/pdf", "size": 10},
                           token=people["employer"]["token"])
    assert status == 201, created
    key = created["upload"]["fields"]["key"]
    prefix, _, stored = key.rpartition("/")
    assert prefix.startswith("projects/") and project_id in prefix
    assert ".." not in key and "\\" not in key and "%" not in stored and stored and not stored.startswith(".")


@pytest.mark.parametrize("name", ["report\x00.pdf", "line\r\nbreak.pdf", "bell\x07.pdf", "next\x85line.pdf", "   ", "x" * 201])
def test_control_characters_in_a_file_name_are_a_400(http, people, project_id, name):
    status, error = call(http, "POST", f"/projects/{project_id}/files", {"filename": name, "content_type": "application/pdf", "size": 10},
                         token=people["employer"]["token"])
    assert status == 400 and error["Details"]["field"] == "filename", error


# --- email subjects -------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body"), [
    ("/admin/campaigns", {"subject": "News\r\nBcc: everyone@example.com", "body": "Hello"}),
    ("/admin/campaigns", {"subject": "News\nContent-Type: text/html", "body": "Hello"}),
    ("/admin/announcements", {"kind": "service", "subject": "Update\r\nReply-To: phish@example.com", "body": "Hello"}),
    ("/admin/announcements", {"kind": "service", "subject": "Update\u2028X-Header: 1", "body": "Hello"}),
])
def test_a_line_break_in_an_email_subject_is_a_400(http, people, runtime, path, body):
    status, error = call(http, "POST", path, body, token=people["admin"])
    assert status == 400 and error["Details"]["field"] == "subject", error
    assert runtime.drain() is not None


# --- links and tokens -----------------------------------------------------------------------------

def _tampered(token: str) -> list[str]:
    payload, _, signature = token.partition(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [f"{payload}.{flipped}", f"{payload[:-2]}{payload[-1]}{payload[-2]}.{signature}", payload, f"{payload}.", "x" * 40]


def test_tampered_and_forged_unsubscribe_links_are_refused_and_a_genuine_one_may_be_used_again(http, people):
    from chalicelib.security import links

    user = people["freelancer"]
    call(http, "PUT", "/me/consents", {"marketing": True}, token=user["token"])
    genuine = links.sign("unsubscribe:marketing", user["user_id"], links.UNSUBSCRIBE_DAYS)
    for bad in _tampered(genuine) + [links.sign("policy:1.0:accept", user["user_id"], 30)]:  # another purpose
        status, error = call(http, "POST", f"/unsubscribe?token={bad}")
        assert status == 400 and error["Details"]["field"] == "token", (bad, error)
    assert call(http, "GET", "/me/consents", token=user["token"])[1]["marketing"] is True  # nothing changed
    # one-click unsubscribe (RFC 8058): the same link works again and changes nothing more
    for _ in range(2):
        assert call(http, "POST", f"/unsubscribe?token={genuine}")[0] == 200
    assert call(http, "GET", "/me/consents", token=user["token"])[1]["marketing"] is False


def test_tampered_policy_decision_links_and_links_for_another_decision_are_refused(http, people):
    from chalicelib.security import links

    user = people["freelancer"]
    accept = links.sign("policy:1.0:accept", user["user_id"], 30)
    for version, decision, token in [("1.0", "accept", t) for t in _tampered(accept)] + [
            ("1.0", "reject", accept), ("2.0", "accept", accept)]:
        status, error = call(http, "POST", f"/policy-decisions/link?version={version}&decision={decision}&token={token}")
        assert status == 400 and error["Details"]["field"] == "token", (version, decision, error)


def test_after_sign_out_neither_the_access_nor_the_refresh_token_works(http, runtime):
    user = register(http, runtime, "freelancer")
    status, session = call(http, "POST", "/auth/login", {"email": user["email"], "password": user["password"]})
    assert status == 200
    assert call(http, "POST", "/auth/logout", token=session["token"])[0] in (200, 204)
    assert call(http, "GET", "/me", token=session["token"])[0] == 401
    assert call(http, "POST", "/auth/refresh", {"refresh_token": session["refresh_token"]})[0] == 401
    forged = session["token"].rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    assert call(http, "GET", "/me", token=forged)[0] == 401


def test_a_one_time_code_cannot_be_used_twice(http, runtime):
    from tests.helpers import otp_from_outbox

    payload = signup_payload("freelancer")
    assert call(http, "POST", "/auth/signup", payload)[0] == 201
    code = otp_from_outbox(http, runtime, payload["phone"])
    assert call(http, "POST", "/auth/verify-phone", {"email": payload["email"], "code": code})[0] == 200
    status, error = call(http, "POST", "/auth/verify-phone", {"email": payload["email"], "code": code})
    assert status in (400, 409) and status != 200, error


# --- presigned URLs -------------------------------------------------------------------------------

def test_a_presigned_download_or_upload_used_after_it_expired_is_refused():
    from chalicelib.adapters import storage
    from chalicelib.core.resources import FILES_BUCKET

    key = f"projects/expiry-{uuid.uuid4().hex}/note.txt"
    storage.put(FILES_BUCKET.name, key, b"note", "text/plain")
    fresh = storage.presigned_get(FILES_BUCKET.name, key, 1)
    upload = storage.presigned_post(FILES_BUCKET.name, key + ".up", "text/plain", 100, 1)
    assert requests.get(fresh, timeout=10).status_code == 200
    time.sleep(2.2)
    expired = requests.get(fresh, timeout=10)
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    sent = requests.post(upload["url"], data={**upload["fields"], "Content-Type": "text/plain"},
                         files={"file": ("up.txt", b"late", "text/plain")}, timeout=10)
    assert sent.status_code == 403 and b"Policy expired" in sent.content


# --- text that is not Unicode: lone surrogates ----------------------------------------------------
# JSON may carry "\ud800" on its own (half of a pair): Python reads it as a str that no UTF-8
# encoder accepts, so anything sealed, stored or exported later would fail on it. The edge
# refuses it in every string of every body and every query parameter, naming where it is.

LONE = "abc\ud800"
LONE_LOW = "\udfffxyz"


@pytest.fixture(scope="module")
def bank():
    from tests.helpers import BANK

    return BANK


@pytest.mark.parametrize(("who", "method", "path", "payload", "field"), [
    ("employer", "POST", "/projects", {"title": LONE, "description": "Files", "budget": {"amount": 10, "currency": "USD"}}, "title"),
    ("employer", "POST", "/projects", {"title": "Title", "description": "Desc", "budget": {"amount": 10, "currency": "USD"},
                                       "skills": ["go", LONE_LOW]}, "skills.1"),
    ("freelancer", "POST", "/projects/{project_id}/bids", {"amount": {"amount": 10, "currency": "USD"}, "cover_letter": LONE,
                                                           "delivery_days": 3}, "cover_letter"),
    ("freelancer", "PATCH", "/me", {"full_name": LONE}, "full_name"),
    ("freelancer", "PATCH", "/me", {"address": LONE_LOW}, "address"),
    (None, "POST", "/phishing-reports", {"reported_sender": "x@phish.example", "channel": "email", "content": LONE,
                                         "received_at": "2026-01-01"}, "content"),
    (None, "POST", "/auth/signup", {"full_name": LONE}, "full_name"),
    ("freelancer", "PUT", "/me/payout-method", {"account_holder": LONE}, "account_holder"),
    ("freelancer", "PUT", "/me/payout-method", {"type": "upi", "upi_id": LONE}, "upi_id"),
    ("freelancer", "PUT", "/me/profile", {"headline": "x", "experience": [{"title": "Dev", "description": LONE}]},
     "experience.0.description"),
    ("freelancer", "PUT", "/me/profile", {"headline": "x", "visibility": {LONE: "public"}}, "visibility.abc\\ud800"),
])
def test_a_lone_surrogate_in_any_body_string_is_a_400_naming_the_field(http, people, project_id, bank, who, method, path, payload, field):
    if path == "/auth/signup":
        payload = signup_payload(**payload)
    elif path == "/me/payout-method" and "type" not in payload:
        payload = {**bank, **payload}
    token = people[who]["token"] if who else None
    status, error = call(http, method, path.format(project_id=project_id), payload, token=token)
    assert status == 400 and error["Code"] == "BadRequestError", error
    assert error["Details"]["field"] == field and field in error["Message"], error
    assert "\ud800" not in error["Message"] and "\udfff" not in error["Message"]


@pytest.mark.parametrize(("auth", "path", "field"), [
    ("admin", "/admin/audit?user_id=" + LONE, "user_id"),
    ("freelancer", "/me/contracts?cursor=" + LONE, "cursor"),
    (None, "/me/deletion-receipt?token=" + LONE, "token"),
    (None, "/unsubscribe?token=" + LONE_LOW, "token"),
])
def test_a_lone_surrogate_in_a_query_parameter_is_a_400_naming_it(http, people, auth, path, field):
    token = (people["admin"] if auth == "admin" else people[auth]["token"]) if auth else None
    status, error = call(http, "GET", path, token=token)
    assert status == 400 and error["Code"] == "BadRequestError" and error["Details"]["field"] == field, error


def test_a_refused_surrogate_stores_nothing_and_the_export_still_finishes(http, runtime):
    user = register(http, runtime, full_name="Grace Hopper")
    token = user["token"]
    assert call(http, "PUT", "/me/profile", {"headline": "Compilers", "bio": "COBOL"}, token=token)[0] == 200

    assert call(http, "PUT", "/me/profile", {"headline": "Compilers", "bio": LONE}, token=token)[0] == 400
    assert call(http, "PATCH", "/me", {"full_name": LONE}, token=token)[0] == 400
    assert call(http, "GET", f"/users/{user['user_id']}/profile", token=token)[1]["bio"] == "COBOL"
    assert call(http, "GET", "/me", token=token)[1]["full_name"] == "Grace Hopper"

    status, started = call(http, "POST", "/me/exports", token=token)
    assert status == 202, started
    runtime.drain()
    status, ready = call(http, "GET", f"/me/exports/{started['export_id']}", token=token)
    assert status == 200 and ready["status"] == "ready", ready


def test_a_signup_refused_for_a_surrogate_leaves_the_email_free(http, runtime):
    payload = signup_payload(full_name=LONE)
    assert call(http, "POST", "/auth/signup", payload)[0] == 400
    status, created = call(http, "POST", "/auth/signup", {**payload, "full_name": "Ada Lovelace"})
    assert status == 201, created


def test_a_valid_surrogate_pair_is_an_ordinary_character(http, people):
    bio = "Ships fast \U0001F680"  # sent as the escape pair "\ud83d\ude80"
    assert call(http, "PUT", "/me/profile", {"headline": "Engineer", "bio": bio}, token=people["freelancer"]["token"])[0] == 200
    shown = call(http, "GET", f"/users/{people['freelancer']['user_id']}/profile", token=people["freelancer"]["token"])[1]
    assert shown["bio"] == bio


def test_a_surrogate_written_raw_in_utf_8_is_refused_too(http, people):
    raw = b'{"headline": "Engineer", "bio": "abc\xed\xa0\x80"}'  # json.loads reads it with surrogatepass
    status, error = call(http, "PUT", "/me/profile", raw, token=people["freelancer"]["token"])
    assert status == 400 and error["Code"] == "BadRequestError" and error["Details"]["field"] == "bio", error


@pytest.mark.parametrize("path", ["/projects/" + LONE, "/users/" + LONE + "/profile"])
def test_a_lone_surrogate_in_a_path_id_is_simply_not_found(http, people, path):
    assert call(http, "GET", path, token=people["freelancer"]["token"])[0] == 404
