"""The model-based test: a Hypothesis `RuleBasedStateMachine` that drives a fresh local
stack (tests/live.py) over HTTP as several users at once, keeps what it expects in plain
dicts, and checks the product's cross-feature invariants after every step.

Every answer is checked as it arrives (tests/model/client.py). The costlier checks run
after the steps that can break them: the books after a money step or a drain, the
erasure checks (sweep, receipt against the stores, what the erased user still owns)
once per user when the model sees their erasure, the exports after each drain, the
policy notices after the clock moves or a version is published.

Rules take small integers that pick among the model's users, projects, bids and
contracts (`who % len(...)`), so the shrunk sequence Hypothesis prints on a failure
(`state = ...; state.bid(freelancer=1, project=0, ...)`) replays the same steps. Nothing
personal is printed: users are labels (`e1`, `f2`), failures name operations and codes.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests import pii
from tests.live import PNG, ROOT
from tests.model import stores
from tests.model.client import Client, Violation
from tests.model.pool import STACKS

PASSWORD = "Correct-Horse-9"
ADMIN = {"email": "admin@local.test", "password": "Admin-Passw0rd!"}
SURVEY = os.environ.get("MODEL_SURVEY") == "1"
FOUND: dict[str, str] = {}  # MODEL_SURVEY: each kind of failure, first seen
TIMES: dict[str, float] = {}  # seconds spent per rule, over the session
CODE = re.compile(r"\b(\d{6})\b")
CODES_PER_HOUR, CODE_GAP_SECONDS = 5, 60  # chalicelib/domain/accounts.py: what every path that sends a code must keep
CURRENCIES = ["USD", "EUR", "PKR"]
# contact details in disguise (issue 20, defect 9) and plain: a profile must refuse each
CONTACT_PROBES = [
    "call me on 0300-123-4567", "call 0300\u2013123\u20134567", "0300_123_4567 anytime", "0300,123,4567 evenings",
    "0300*123*4567", "dial 415|555|0100", "0300~1234567", "ada at example dot dev", "write to ada at example dot com",
    "ig ada.lovelace", "ada.lovelace@example.com",
]
SYLLABLES = ["zor", "vek", "qui", "lan", "dra", "mox", "tey", "bry", "ush", "pel", "gorn", "fiz", "ny", "kha", "wex"]
UNICODE_BITS = ["Zoë", "Łukasz", "Ñandú", "Ærø", "Søren", "İlkay", "Đặng", "Ümit", "Chloé", "Øyvind"]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=24)
SURROGATE = "abc\ud800"
VISIBILITY_FIELDS = ["full_name", "headline", "bio", "skills", "experience", "education", "portfolio", "location", "company"]
LEVELS = ["public", "registered", "hired", "private"]


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _unique_name() -> str:
    first = secrets.choice(UNICODE_BITS)
    last = "".join(secrets.choice(SYLLABLES) for _ in range(3)).capitalize()
    return f"{first} {last}{secrets.token_hex(2)}"


@dataclass
class User:
    label: str
    role: str
    user_id: str
    email: str
    phone: str
    name: str
    minor: bool = False
    guardian: dict | None = None
    token: str | None = None
    token_until: float = 0.0
    phones: list[str] = field(default_factory=list)
    phone_pending: str | None = None  # a new phone not verified yet
    identity: str | None = None  # started | submitted | approved | rejected
    id_number: str | None = None
    anonymous: bool = False
    bank: str | None = None
    upi: str | None = None
    receipts: dict[str, str] = field(default_factory=dict)  # receipt token -> scheduled | cancelled | erased | archived
    erase_after: float | None = None
    gone: str | None = None  # erased | archived, once the model saw it
    checked_gone: bool = False
    holds: set[str] = field(default_factory=set)
    decisions: dict[str, str] = field(default_factory=dict)  # policy version -> the user's last decision
    untold: list[str] = field(default_factory=list)  # markers of disclosures recorded with notify_user false
    told: list[str] = field(default_factory=list)  # disclosure ids the user may be told of
    exports: list[dict] = field(default_factory=list)
    created: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in ("projects", "bids", "contracts", "messages", "payouts", "files")})
    profile_set: bool = False

    @property
    def live(self) -> bool:
        return self.gone is None

    def needles(self) -> list[str]:
        found = [self.email, self.name, *self.phones, self.phone, self.id_number, self.bank, self.upi]
        if self.guardian:
            found += [self.guardian["email"], self.guardian["full_name"]]
        return [n for n in found if n]


class Marketplace(RuleBasedStateMachine):
    """One example: a fresh stack under `PROFILE`, users made by the rules."""

    PROFILE = "strict"
    steps_run = 0  # over every example of the session (printed at the end)
    examples_run = 0

    def __init__(self) -> None:
        super().__init__()
        self.users: list[User] = []
        self.seq = 0
        self.trace: list[str] = []
        self.stack = STACKS.take(self.PROFILE)
        try:
            self.client = Client(self.stack, self.fail)
        except BaseException:
            self.stack.stop()
            raise
        self.client.listeners.append(self._watch_answer)
        self.profile = self.client.ok("GET", "/policies/profile")
        self.projects: list[dict] = []
        self.bids: list[dict] = []
        self.contracts: list[dict] = []
        self.versions: list[dict] = [{"version": self.client.ok("GET", "/policies/current")["version"], "effective": 0.0, "published": 0.0}]
        self.admin_token: str | None = None
        self.admin_until = 0.0
        self.now = _ts(self.client.ok("GET", "/_dev/clock")["now"])
        self.money_dirty = False
        self.drained_since_export = False
        self.fired: set[str] = set()
        self.policy_dirty = False
        type(self).examples_run += 1

    def teardown(self) -> None:
        type(self).steps_run += self.seq
        try:
            self.stack.stop()
        except AssertionError as exc:  # its message holds the values that leaked: not printed
            self.fail(f"the stack logged personal data of test users ({str(exc).count(',') + 1} values)")

    # --- helpers ---------------------------------------------------------------------

    def _label(self, role: str) -> str:
        return f"{role[0]}{sum(1 for u in self.users if u.role == role) + 1}"

    def _watch_answer(self, viewer: str | None, method: str, template: str, text: str) -> None:
        """An anonymous user's real name reaches nobody else; an untold disclosure reaches
        nobody it was about."""
        if viewer == "admin" or template.startswith("/_dev/") and viewer is None:
            return
        for user in self.users:
            if user.anonymous and user.label != viewer and user.name in text:
                self.fail(f"{method} {template}: the real name of anonymous user {user.label} was shown to {viewer or 'the public'}")
            if user.label == viewer and any(m in text for m in user.untold):
                self.fail(f"{method} {template}: {user.label} was shown a disclosure recorded with notify_user false")

    def _clock(self) -> None:
        self.now = _ts(self.client.ok("GET", "/_dev/clock")["now"])

    def admin(self) -> str:
        if self.admin_token is None or self.now > self.admin_until:
            session = self.client.ok("POST", "/auth/login", ADMIN)
            self.admin_token, self.admin_until = session["token"], self.now + int(session["expires_in"]) - 120
        return self.admin_token

    def token(self, user: User) -> str | None:
        """The user's token, signing in again when the test clock outran it."""
        if not user.live:
            return user.token  # an erased user's old token: refused, which is checked
        if user.token is None or self.now > user.token_until:
            status, session = self.client.call("POST", "/auth/login", {"email": user.email, "password": PASSWORD}, viewer=user.label)
            if status != 200:
                user.token = None
                return None
            user.token, user.token_until = session["token"], self.now + int(session["expires_in"]) - 120
        return user.token

    def pick(self, items: list, i: int, cond: Any = None) -> Any:
        pool = [x for x in items if cond is None or cond(x)]
        return pool[i % len(pool)] if pool else None

    def user_of(self, user_id: str) -> User:
        return next(u for u in self.users if u.user_id == user_id)

    def live_users(self, role: str | None = None) -> list[User]:
        return [u for u in self.users if u.live and (role is None or u.role == role)]

    def may_act(self, role: str) -> Any:
        kyc = self.profile["identity_verification_required"]
        return lambda u: u.live and u.role == role and (u.identity == "approved" or not kyc)

    def drain(self) -> dict:
        drained = self.client.ok("POST", "/_dev/drain")
        if not drained["complete"]:
            self.fail("POST /_dev/drain did not finish")
        self.money_dirty = True
        self.drained_since_export = True
        return drained

    def step(self, what: str) -> None:
        self.seq += 1
        self.trace.append(what)
        now = time.monotonic()
        if self.trace[:-1]:
            last = self.trace[-2]
            TIMES[last] = TIMES.get(last, 0.0) + now - self._step_started
        self._step_started = now

    def fail(self, message: str) -> None:
        """An invariant failed: raise (Hypothesis shrinks and prints the steps), or, with
        MODEL_SURVEY=1, note it with the steps so far and go on (to list every kind of
        failure of one run; the first of each kind is printed at the end)."""
        if not SURVEY:
            raise Violation(message)
        kind = re.sub(r"\b[efa]\d+\b|\d+", "#", message)
        if kind not in FOUND:
            FOUND[kind] = f"{self.PROFILE}: {message}\n    after: {' '.join(self.trace[-25:])}"

    # --- accounts ----------------------------------------------------------------------

    @initialize(employers=st.integers(1, 2), freelancers=st.integers(1, 2))
    def start(self, employers: int, freelancers: int) -> None:
        """Every example starts with members who may act (KYC done where the profile asks)."""
        for _ in range(employers):
            self.signup(role="employer", minor=False, kyc=True)
        for _ in range(freelancers):
            self.signup(role="freelancer", minor=False, kyc=True)

    @rule(role=st.sampled_from(["employer", "freelancer"]), minor=st.booleans(), kyc=st.booleans())
    def signup(self, role: str, minor: bool, kyc: bool) -> None:
        self.step("signup")
        admits_minor = self.profile["guardian_consent_minimum_age"].get(role) is not None
        minor = minor and admits_minor
        today = datetime.fromtimestamp(self.now, UTC).date()
        dob = today.replace(year=today.year - (15 if minor else 30)) - timedelta(days=3)
        name, email = _unique_name(), f"model-{uuid.uuid4().hex[:12]}@example.com"
        phone = "+1415" + str(uuid.uuid4().int)[:7]
        payload = {"email": email, "password": PASSWORD, "role": role, "full_name": name, "phone": phone,
                   "date_of_birth": dob.isoformat(), "accepted_policy_version": self.current_version()}
        guardian = None
        if minor:
            guardian = {"full_name": _unique_name(), "email": f"guardian-{uuid.uuid4().hex[:10]}@example.com", "consent": True}
            payload["guardian"] = guardian
            pii.remember_user(guardian)
        pii.remember_user(payload)
        created = self.client.ok("POST", "/auth/signup", payload, expect=201)
        user = User(self._label(role), role, created["user_id"], email, phone, name, minor=minor, guardian=guardian, phones=[phone])
        self.users.append(user)
        if created["status"] == "pending_verification":
            self.drain()
            self._verify_phone(user, phone)
        if self.token(user) is None:
            self.fail(f"{user.label} could not sign in after signing up")
        if kyc and self.profile["identity_verification_required"]:
            self._identity(user, decide="approve")
        self._check_codes(user)

    def current_version(self) -> str:
        return self.client.ok("GET", "/policies/current")["version"]

    def _code(self, phone: str) -> str | None:
        items = self.client.ok("GET", "/_dev/outbox?to=" + requests.utils.quote(phone, safe=""))["items"]
        sms = [m for m in items if m["channel"] == "sms" and CODE.search(m["body"])]
        return CODE.search(sms[-1]["body"]).group(1) if sms else None

    def _verify_phone(self, user: User, phone: str) -> int:
        code = self._code(phone)
        if code is None:
            self.fail(f"no code was sent to the phone of {user.label}")
        status, _ = self.client.call("POST", "/auth/verify-phone", {"email": user.email, "code": code}, viewer=user.label)
        return status

    def _identity(self, user: User, decide: str | None) -> None:
        token = self.token(user)
        user.id_number = user.id_number or f"P{secrets.randbelow(10**9):09d}"
        pii.remember(user.id_number)
        status, started = self.client.call("POST", "/me/identity", {"id_type": "passport", "id_number": user.id_number}, token, viewer=user.label)
        if status != 201:
            return
        user.identity = "started"
        for which in ("document", "selfie"):
            target = started["uploads"][which]
            reply = requests.post(target["url"], data={**target["fields"], "Content-Type": "image/png"},
                                  files={"file": ("upload", PNG, "image/png")}, timeout=30)
            if reply.status_code not in (200, 204):
                self.fail(f"the identity {which} upload of {user.label} was refused: {reply.status_code}")
        if self.client.call("POST", "/me/identity/submit", None, token, viewer=user.label)[0] == 200:
            user.identity = "submitted"
        if decide and user.identity == "submitted":
            self.identity_decide(who=self.users.index(user), decision=decide)

    @precondition(lambda self: any(u.live and u.identity in (None, "started", "rejected") for u in self.users))
    @rule(who=st.integers(0, 20))
    def identity_submit(self, who: int) -> None:
        self.step("identity_submit")
        user = self.pick(self.users, who, lambda u: u.live and u.identity in (None, "started", "rejected"))
        self._identity(user, decide=None)
        self._admin_lists()

    @precondition(lambda self: any(u.identity == "submitted" for u in self.users))
    @rule(who=st.integers(0, 20), decision=st.sampled_from(["approve", "approve", "reject"]))
    def identity_decide(self, who: int, decision: str) -> None:
        self.step("identity_decide")
        user = self.pick(self.users, who, lambda u: u.identity == "submitted")
        status, _ = self.client.call("POST", f"/admin/identity/{user.user_id}/decision", {"decision": decision, "reason": "model"},
                                     self.admin(), viewer="admin")
        if not user.live:
            if status == 200:
                self.fail(f"an admin decided the identity verification of erased user {user.label} (expected 404)")
            return
        if status != 200:
            self.fail(f"the identity decision on {user.label}'s submitted verification answered {status}")
        user.identity = "approved" if decision == "approve" else "rejected"

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20), texts=st.lists(TEXT, min_size=3, max_size=3), surrogate=st.booleans(),
          visibility=st.dictionaries(st.sampled_from(VISIBILITY_FIELDS), st.sampled_from(LEVELS), max_size=4))
    def set_profile(self, who: int, texts: list[str], surrogate: bool, visibility: dict) -> None:
        self.step("set_profile")
        user = self.pick(self.users, who, lambda u: u.live)
        headline = texts[0] + (SURROGATE if surrogate else "")
        body = {"headline": headline, "bio": texts[1], "skills": [texts[2][:50]], "location": "Lahore", "visibility": visibility}
        status, found = self.client.call("PUT", "/me/profile", body, self.token(user), viewer=user.label)
        if surrogate and status == 200:
            self.fail("PUT /me/profile stored a lone surrogate (expected 400 BadRequestError naming the field)")
        if status == 200:
            user.profile_set = True

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20), probe=st.sampled_from(CONTACT_PROBES))
    def profile_with_contact(self, who: int, probe: str) -> None:
        """Contact details in profile text are refused, in any disguise."""
        self.step("profile_with_contact")
        user = self.pick(self.users, who, lambda u: u.live)
        status, found = self.client.call("PUT", "/me/profile", {"headline": "Engineer", "bio": f"Hire me, {probe}"}, self.token(user),
                                         viewer=user.label)
        if status == 200:
            self.fail(f"PUT /me/profile accepted contact details in the bio (probe {CONTACT_PROBES.index(probe)})")
        if self.token(user) and status == 422 and (found or {}).get("Code") != "ContactInfoNotAllowed":
            self.fail(f"PUT /me/profile refused contact details with {found.get('Code')}, not ContactInfoNotAllowed")

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20), route=st.sampled_from(["/projects", "/me", "/phishing-reports", "/auth/signup", "/me/payout-method"]))
    def lone_surrogate(self, who: int, route: str) -> None:
        """A lone surrogate in any string field is a 400 naming the field, never a 5xx."""
        self.step("lone_surrogate")
        user = self.pick(self.users, who, lambda u: u.live)
        lone = "LONE-SURROGATE"
        bodies = {
            "/projects": ("POST", {"title": lone, "description": "Work to do here", "budget": {"amount": 5000, "currency": "USD"}}),
            "/me": ("PATCH", {"full_name": lone}),
            "/phishing-reports": ("POST", {"reported_sender": lone, "channel": "email", "content": "x", "received_at": "2026-01-01"}),
            "/auth/signup": ("POST", {"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD, "role": "freelancer",
                                      "full_name": lone, "phone": "+14155550111", "date_of_birth": "1990-01-01",
                                      "accepted_policy_version": self.current_version()}),
            "/me/payout-method": ("PUT", {"type": "bank", "account_holder": lone, "account_number": "123456789012", "ifsc": "HDFC0001234"}),
        }
        method, body = bodies[route]
        raw = json.dumps(body).replace(lone, "abc\\ud800")
        status, found = self.client.call(method, route, None, self.token(user), viewer=user.label, raw=raw)
        if status < 400:
            self.fail(f"{method} {route} accepted a lone surrogate")

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20))
    def change_phone(self, who: int) -> None:
        """A new phone must be verified again; the code it sends counts against the limit."""
        self.step("change_phone")
        user = self.pick(self.users, who, lambda u: u.live)
        phone = "+1415" + str(uuid.uuid4().int)[:7]
        pii.remember(phone)
        status, _ = self.client.call("PATCH", "/me", {"phone": phone}, self.token(user), viewer=user.label)
        if status == 200:
            user.phones.append(phone)
            user.phone = phone
            user.phone_pending = phone if self.profile["phone_otp_required"] else None
            self.drain()
            self._check_codes(user)

    @precondition(lambda self: any(u.live and u.phone_pending for u in self.users))
    @rule(who=st.integers(0, 20))
    def verify_new_phone(self, who: int) -> None:
        self.step("verify_new_phone")
        user = self.pick(self.users, who, lambda u: u.live and u.phone_pending)
        if self._verify_phone(user, user.phone_pending) == 200:
            user.phone_pending = None

    @precondition(lambda self: any(u.live for u in self.users))
    @rule(who=st.integers(0, 20))
    def resend_code(self, who: int) -> None:
        self.step("resend_code")
        user = self.pick(self.users, who, lambda u: u.live)
        self.client.call("POST", "/auth/resend-code", {"email": user.email})
        self.drain()
        self._check_codes(user)

    def _check_codes(self, user: User) -> None:
        """At most CODES_PER_HOUR codes an hour to one account, CODE_GAP_SECONDS apart,
        whichever path sent them (signup, resend, phone change)."""
        sent = []
        for phone in dict.fromkeys(user.phones):
            items = self.client.ok("GET", "/_dev/outbox?to=" + requests.utils.quote(phone, safe=""), viewer=user.label)["items"]
            sent += [_ts(m["sent_at"]) for m in items if m["channel"] == "sms" and CODE.search(m["body"])]
        sent.sort()
        for i, at in enumerate(sent):
            window = [t for t in sent[: i + 1] if at - t < 3600]
            if len(window) > CODES_PER_HOUR:
                self.fail(f"{len(window)} codes were sent to {user.label} within an hour (at most {CODES_PER_HOUR}), "
                          f"the last by {self.trace[-1]}")
            if i and at - sent[i - 1] < CODE_GAP_SECONDS:
                self.fail(f"two codes were sent to {user.label} {int(at - sent[i - 1])} s apart (at least {CODE_GAP_SECONDS}), "
                          f"the second by {self.trace[-1]}")

    @precondition(lambda self: self.profile["anonymity_allowed"] and self.live_users())
    @rule(who=st.integers(0, 20), enabled=st.booleans())
    def anonymity(self, who: int, enabled: bool) -> None:
        self.step("anonymity")
        user = self.pick(self.users, who, lambda u: u.live)
        status, _ = self.client.call("POST", "/me/anonymity", {"enabled": enabled}, self.token(user), viewer=user.label)
        if status == 200:
            user.anonymous = enabled
            self._look_at(user)

    def _look_at(self, user: User) -> None:
        """What others see of the user: their profile, publicly and signed in, and the
        contracts and bid lists they are on (the anonymity check reads every answer)."""
        self.client.call("GET", f"/users/{user.user_id}/profile", viewer="public")
        self.client.call("GET", f"/users/{user.user_id}/reviews", viewer="public")
        for other in self.live_users():
            if other is user:
                continue
            self.client.call("GET", f"/users/{user.user_id}/profile", None, self.token(other), viewer=other.label)
            break
        for c in self.contracts:
            if user.user_id in (c["employer"], c["freelancer"]):
                other = self.user_of(c["freelancer"] if c["employer"] == user.user_id else c["employer"])
                if other.live and self.token(other):
                    self.client.call("GET", f"/contracts/{c['id']}", None, self.token(other), viewer=other.label)
        for b in self.bids:
            if b["freelancer"] == user.user_id:
                owner = self.user_of(b["owner"])
                if owner.live and self.token(owner):
                    self.client.call("GET", f"/projects/{b['project']}/bids", None, self.token(owner), viewer=owner.label)

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20), marketing=st.booleans(), analytics=st.booleans(), sharing=st.booleans())
    def consents(self, who: int, marketing: bool, analytics: bool, sharing: bool) -> None:
        self.step("consents")
        user = self.pick(self.users, who, lambda u: u.live)
        self.client.call("PUT", "/me/consents", {"marketing": marketing, "analytics": analytics, "third_party_sharing": sharing},
                         self.token(user), viewer=user.label)

    # --- marketplace --------------------------------------------------------------------

    @precondition(lambda self: any(self.may_act("employer")(u) for u in self.users))
    @rule(who=st.integers(0, 20), currency=st.sampled_from(CURRENCIES), amount=st.integers(1000, 90000), title=TEXT)
    def post_project(self, who: int, currency: str, amount: int, title: str) -> None:
        self.step("post_project")
        owner = self.pick(self.users, who, self.may_act("employer"))
        body = {"title": f"Build {title}".strip()[:100], "description": "A project the model posted, with enough words.",
                "budget": {"amount": amount, "currency": currency}, "skills": ["python"]}
        status, found = self.client.call("POST", "/projects", body, self.token(owner), viewer=owner.label)
        if status == 201:
            self.projects.append({"id": found["project_id"], "owner": owner.user_id, "status": "open", "currency": currency})
            owner.created["projects"].add(found["project_id"])

    @precondition(lambda self: self.projects)
    @rule(p=st.integers(0, 50), currency=st.sampled_from(CURRENCIES), wrong=st.booleans())
    def edit_project(self, p: int, currency: str, wrong: bool) -> None:
        """The owner changes the budget (its currency too); anyone else is refused."""
        self.step("edit_project")
        project = self.pick(self.projects, p)
        owner = self.user_of(project["owner"])
        actor = self.pick(self.users, p, lambda u: u.live and u is not owner) if wrong else owner
        if actor is None:
            return
        status, found = self.client.call("PATCH", f"/projects/{project['id']}", {"budget": {"amount": 20000, "currency": currency}},
                                         self.token(actor), viewer=actor.label)
        if actor is not owner:
            if status < 400:
                self.fail(f"{actor.label} edited a project of {owner.label}")
            return
        if status == 200:
            project["currency"] = currency
        self._bids_match_currency(project)

    def _bids_match_currency(self, project: dict) -> None:
        owner = self.user_of(project["owner"])
        if not owner.live or not self.token(owner):
            return
        status, found = self.client.call("GET", f"/projects/{project['id']}", None, self.token(owner), viewer=owner.label)
        if status != 200:
            return
        currency = found["budget"]["currency"]
        project["currency"] = currency
        status, bids = self.client.call("GET", f"/projects/{project['id']}/bids?limit=100", None, self.token(owner), viewer=owner.label)
        for bid in (bids or {}).get("items", []) if status == 200 else []:
            if bid["status"] == "live" and bid["amount"]["currency"] != currency:
                self.fail(f"a live {bid['amount']['currency']} bid on a {currency} project")

    @precondition(lambda self: any(p["status"] == "open" for p in self.projects))
    @rule(p=st.integers(0, 50), wrong=st.booleans())
    def close_project(self, p: int, wrong: bool) -> None:
        self.step("close_project")
        project = self.pick(self.projects, p, lambda x: x["status"] == "open")
        owner = self.user_of(project["owner"])
        actor = self.pick(self.users, p, lambda u: u.live and u is not owner) if wrong else owner
        if actor is None or not actor.live:
            return
        status, _ = self.client.call("POST", f"/projects/{project['id']}/close", None, self.token(actor), viewer=actor.label)
        if actor is not owner:
            if status < 400:
                self.fail(f"{actor.label} closed a project of {owner.label}")
            return
        if status == 200:
            project["status"] = "closed"
            for b in self.bids:
                if b["project"] == project["id"] and b["status"] == "live":
                    b["status"] = "rejected"

    @precondition(lambda self: self.projects and any(self.may_act("freelancer")(u) for u in self.users))
    @rule(who=st.integers(0, 20), p=st.integers(0, 50), amount=st.integers(500, 90000), same_currency=st.booleans())
    def bid(self, who: int, p: int, amount: int, same_currency: bool) -> None:
        """A bid on an open project of a live owner, in its currency, may succeed; on an
        erased or closed owner's project it must not."""
        self.step("bid")
        freelancer = self.pick(self.users, who, self.may_act("freelancer"))
        project = self.pick(self.projects, p)
        owner = self.user_of(project["owner"])
        currency = project["currency"] if same_currency else next(c for c in CURRENCIES if c != project["currency"])
        body = {"amount": {"amount": amount, "currency": currency}, "cover_letter": "I can do this well.", "delivery_days": 7}
        status, found = self.client.call("POST", f"/projects/{project['id']}/bids", body, self.token(freelancer), viewer=freelancer.label)
        if status == 201:
            if not owner.live:
                self.fail(f"{freelancer.label} could bid on a project of {owner.gone} employer {owner.label}")
            if currency != project["currency"]:
                self.fail(f"a {currency} bid was taken on a {project['currency']} project")
            self.bids.append({"id": found["bid_id"], "project": project["id"], "owner": owner.user_id, "freelancer": freelancer.user_id,
                              "status": "live", "amount": amount, "currency": currency})
            freelancer.created["bids"].add(found["bid_id"])

    @precondition(lambda self: any(b["status"] == "live" for b in self.bids))
    @rule(b=st.integers(0, 50), wrong=st.booleans())
    def withdraw(self, b: int, wrong: bool) -> None:
        self.step("withdraw")
        bid = self.pick(self.bids, b, lambda x: x["status"] == "live")
        bidder = self.user_of(bid["freelancer"])
        actor = self.pick(self.users, b, lambda u: u.live and u is not bidder) if wrong or not bidder.live else bidder
        if actor is None:
            return
        status, _ = self.client.call("DELETE", f"/projects/{bid['project']}/bids/{bid['id']}", None, self.token(actor), viewer=actor.label)
        if actor is not bidder:
            if status < 400:
                self.fail(f"{actor.label} withdrew a bid of {bidder.label}")
            return
        if status == 200:
            bid["status"] = "withdrawn"

    @precondition(lambda self: any(b["status"] == "live" for b in self.bids))
    @rule(b=st.integers(0, 50), wrong=st.booleans())
    def accept(self, b: int, wrong: bool) -> None:
        """The owner accepts a live bid: a contract. Never with an erased or closed bidder."""
        self.step("accept")
        bid = self.pick(self.bids, b, lambda x: x["status"] == "live")
        owner, bidder = self.user_of(bid["owner"]), self.user_of(bid["freelancer"])
        actor = self.pick(self.users, b, lambda u: u.live and u is not owner) if wrong or not owner.live else owner
        if actor is None:
            return
        status, found = self.client.call("POST", f"/projects/{bid['project']}/bids/{bid['id']}/accept", None, self.token(actor),
                                         viewer=actor.label)
        if actor is not owner:
            if status < 400:
                self.fail(f"{actor.label} accepted a bid on a project of {owner.label}")
            return
        if status == 201:
            if not bidder.live:
                self.fail(f"a bid of {bidder.gone} freelancer {bidder.label} was accepted: a contract with them")
            self._contracted(bid, found["contract_id"])

    def _contracted(self, bid: dict, contract_id: str) -> None:
        project = next(p for p in self.projects if p["id"] == bid["project"])
        project["status"] = "in_progress"
        for other in self.bids:
            if other["project"] == bid["project"] and other["status"] == "live":
                other["status"] = "rejected"
        bid["status"] = "accepted"
        self.contracts.append({"id": contract_id, "employer": bid["owner"], "freelancer": bid["freelancer"], "status": "active",
                               "escrow": "unfunded", "amount": bid["amount"], "currency": bid["currency"], "reviews": set()})
        for uid in (bid["owner"], bid["freelancer"]):
            self.user_of(uid).created["contracts"].add(contract_id)
        if bid["currency"] != project["currency"]:
            self.fail(f"a {bid['currency']} contract on a {project['currency']} project")

    def _party(self, contract: dict, which: str) -> User:
        return self.user_of(contract[which])

    @precondition(lambda self: any(c["status"] == "active" and c["escrow"] in ("unfunded", "pending") for c in self.contracts))
    @rule(c=st.integers(0, 50), source=st.sampled_from(["gateway", "gateway", "wallet"]), wrong=st.booleans())
    def fund(self, c: int, source: str, wrong: bool) -> None:
        self.step("fund")
        contract = self.pick(self.contracts, c, lambda x: x["status"] == "active" and x["escrow"] in ("unfunded", "pending"))
        employer, freelancer = self._party(contract, "employer"), self._party(contract, "freelancer")
        actor = freelancer if wrong else employer
        if not actor.live:
            return
        status, found = self.client.call("POST", f"/contracts/{contract['id']}/fund", {"source": source}, self.token(actor), viewer=actor.label,
                                         headers={"Idempotency-Key": uuid.uuid4().hex})
        if actor is freelancer:
            if status < 400:
                self.fail(f"the freelancer {actor.label} could fund a contract")
            return
        if status == 202:
            if not freelancer.live:
                self.fail(f"a contract with {freelancer.gone} freelancer {freelancer.label} was funded")
            self.drain()
            self._refresh_contract(contract)
        self.money_dirty = True

    def _refresh_contract(self, contract: dict) -> dict | None:
        for which in ("employer", "freelancer"):
            party = self._party(contract, which)
            if party.live and self.token(party):
                status, found = self.client.call("GET", f"/contracts/{contract['id']}", None, self.token(party), viewer=party.label)
                if status == 200:
                    contract["status"], contract["escrow"] = found["status"], found["escrow_status"]
                    return found
        return None

    @precondition(lambda self: any(c["status"] in ("active", "disputed") for c in self.contracts))
    @rule(c=st.integers(0, 50), by_employer=st.booleans(), count=st.sampled_from([1, 1, 1, 2, 22]), text=TEXT)
    def message(self, c: int, by_employer: bool, count: int, text: str) -> None:
        """The work chat (sometimes a burst past one page: the export must hold them all)."""
        self.step("message")
        contract = self.pick(self.contracts, c, lambda x: x["status"] in ("active", "disputed"))
        sender = self._party(contract, "employer" if by_employer else "freelancer")
        if not sender.live or not self.token(sender):
            return
        for i in range(count):
            status, found = self.client.call("POST", f"/contracts/{contract['id']}/messages", {"body": f"Update {i}: {text}"},
                                             self.token(sender), viewer=sender.label)
            if status == 201:
                sender.created["messages"].add(found["message_id"])
            elif status == 429:
                break
        other = self._party(contract, "freelancer" if by_employer else "employer")
        if other.live and self.token(other):
            self.client.call("GET", f"/contracts/{contract['id']}/messages?limit=100", None, self.token(other), viewer=other.label)

    @precondition(lambda self: any(c["status"] == "active" for c in self.contracts))
    @rule(c=st.integers(0, 50), wrong=st.booleans())
    def complete(self, c: int, wrong: bool) -> None:
        self.step("complete")
        contract = self.pick(self.contracts, c, lambda x: x["status"] == "active")
        employer, freelancer = self._party(contract, "employer"), self._party(contract, "freelancer")
        actor = freelancer if wrong else employer
        if not actor.live:
            return
        status, found = self.client.call("POST", f"/contracts/{contract['id']}/complete", None, self.token(actor), viewer=actor.label)
        if actor is freelancer:
            if status < 400:
                self.fail(f"the freelancer {actor.label} completed a contract")
            return
        if status == 200:
            if not freelancer.live:
                self.fail(f"escrow was released to {freelancer.gone} freelancer {freelancer.label}")
            contract["status"], contract["escrow"] = found["status"], found["escrow_status"]
        self.money_dirty = True

    @precondition(lambda self: any(c["status"] == "active" for c in self.contracts))
    @rule(c=st.integers(0, 50), by_employer=st.booleans())
    def dispute(self, c: int, by_employer: bool) -> None:
        self.step("dispute")
        contract = self.pick(self.contracts, c, lambda x: x["status"] == "active")
        actor = self._party(contract, "employer" if by_employer else "freelancer")
        if not actor.live:
            return
        status, found = self.client.call("POST", f"/contracts/{contract['id']}/dispute", {"reason": "Not as agreed"}, self.token(actor),
                                         viewer=actor.label)
        if status == 200:
            contract["status"] = found["status"]

    @precondition(lambda self: any(c["status"] == "disputed" for c in self.contracts))
    @rule(c=st.integers(0, 50), to=st.sampled_from(["freelancer", "employer"]))
    def resolve(self, c: int, to: str) -> None:
        self.step("resolve")
        contract = self.pick(self.contracts, c, lambda x: x["status"] == "disputed")
        status, found = self.client.call("POST", f"/admin/disputes/{contract['id']}/resolve", {"release_to": to}, self.admin(), viewer="admin")
        if status == 200:
            receiver = self._party(contract, to)
            if not receiver.live and contract["escrow"] == "funded":
                self.fail(f"a dispute released escrow to {receiver.gone} {to} {receiver.label}")
            contract["status"], contract["escrow"] = found["status"], found["escrow_status"]
        self.money_dirty = True

    @precondition(lambda self: any(c["status"] == "completed" for c in self.contracts))
    @rule(c=st.integers(0, 50), by_employer=st.booleans(), rating=st.integers(1, 5))
    def review(self, c: int, by_employer: bool, rating: int) -> None:
        self.step("review")
        contract = self.pick(self.contracts, c, lambda x: x["status"] == "completed")
        actor = self._party(contract, "employer" if by_employer else "freelancer")
        if not actor.live:
            return
        status, _ = self.client.call("POST", f"/contracts/{contract['id']}/reviews", {"rating": rating, "comment": "Fine work"},
                                     self.token(actor), viewer=actor.label)
        if status == 201 and actor.label in contract["reviews"]:
            self.fail(f"{actor.label} reviewed one contract twice")
        if status == 201:
            contract["reviews"].add(actor.label)

    @precondition(lambda self: any(p["status"] in ("open", "in_progress") for p in self.projects))
    @rule(p=st.integers(0, 50))
    def upload_file(self, p: int) -> None:
        self.step("upload_file")
        project = self.pick(self.projects, p, lambda x: x["status"] in ("open", "in_progress"))
        owner = self.user_of(project["owner"])
        if not owner.live:
            return
        status, found = self.client.call("POST", f"/projects/{project['id']}/files", {"filename": "brief.png", "content_type": "image/png",
                                                                                     "size": len(PNG)}, self.token(owner), viewer=owner.label)
        if status == 201:
            target = found.get("upload", found)
            requests.post(target["url"], data={**target["fields"]}, files={"file": ("brief.png", PNG, "image/png")}, timeout=30)
            owner.created["files"].add(found.get("file_id", ""))

    # --- money ---------------------------------------------------------------------------

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20), kind=st.sampled_from(["bank", "upi"]), failing=st.booleans())
    def payout_method(self, who: int, kind: str, failing: bool) -> None:
        self.step("payout_method")
        user = self.pick(self.users, who, lambda u: u.live)
        if kind == "bank":
            number = f"{secrets.randbelow(10**8):08d}" + ("0002" if failing else "1234")
            pii.remember(number)
            body = {"type": "bank", "account_holder": "Account Holder", "account_number": number, "ifsc": "HDFC0001234", "branch_name": "Main"}
        else:
            upi = ("fail" if failing else "pay") + secrets.token_hex(4) + "@okbank"
            pii.remember(upi)
            body = {"type": "upi", "upi_id": upi}
        status, _ = self.client.call("PUT", "/me/payout-method", body, self.token(user), viewer=user.label)
        if status == 200:
            user.bank, user.upi = (body.get("account_number"), None) if kind == "bank" else (None, body["upi_id"])

    @precondition(lambda self: any(u.live and (u.bank or u.upi) for u in self.users))
    @rule(who=st.integers(0, 20), part=st.sampled_from([1, 2, 1000]))
    def payout(self, who: int, part: int) -> None:
        """Pay out a part of the wallet (1000: more than it holds, refused)."""
        self.step("payout")
        user = self.pick(self.users, who, lambda u: u.live and (u.bank or u.upi))
        token = self.token(user)
        for currency in CURRENCIES:
            status, wallet = self.client.call("GET", f"/me/wallet?currency={currency}", None, token, viewer=user.label)
            if status != 200:
                return
            balance = wallet["balance"]["amount"]
            if balance <= 0 and part != 1000:
                continue
            amount = balance * 2 + 1 if part == 1000 else max(1, balance // part)
            status, found = self.client.call("POST", "/me/payouts", {"amount": {"amount": amount, "currency": currency}}, token,
                                             viewer=user.label, headers={"Idempotency-Key": uuid.uuid4().hex})
            if part == 1000 and status == 202:
                self.fail(f"a payout of more than the wallet held was taken from {user.label}")
            if status == 202:
                user.created["payouts"].add(found["payout_id"])
                self.drain()
            self.money_dirty = True
            return

    # --- privacy rights --------------------------------------------------------------------

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20))
    def export(self, who: int) -> None:
        """Ask for an export; the model notes what it must hold (checked after the drain)."""
        self.step("export")
        user = self.pick(self.users, who, lambda u: u.live)
        token = self.token(user)
        status, found = self.client.call("POST", "/me/exports", None, token, viewer=user.label)
        if status != 202:
            return
        notices = self.client.call("GET", "/me/notices?limit=100", None, token, viewer=user.label)[1] or {}
        snapshot = {k: set(v) - {""} for k, v in user.created.items()}
        snapshot["notices"] = {n["notice_id"] for n in notices.get("items", [])}
        snapshot["disclosures"] = set(user.told)
        user.exports.append({"id": found["export_id"], "at": self.now, "snapshot": snapshot, "profile": user.profile_set,
                             "status": "pending", "checked": False})

    @precondition(lambda self: any(u.live and not any(s == "scheduled" for s in u.receipts.values()) for u in self.users))
    @rule(who=st.integers(0, 20))
    def schedule_deletion(self, who: int) -> None:
        self.step("schedule_deletion")
        user = self.pick(self.users, who, lambda u: u.live and not any(s == "scheduled" for s in u.receipts.values()))
        status, found = self.client.call("POST", "/me/deletion", None, self.token(user), viewer=user.label)
        if status == 202:
            user.receipts[found["receipt_token"]] = "scheduled"
            user.erase_after = _ts(found["erase_after"])

    @precondition(lambda self: any(u.live and "scheduled" in u.receipts.values() for u in self.users))
    @rule(who=st.integers(0, 20))
    def cancel_deletion(self, who: int) -> None:
        self.step("cancel_deletion")
        user = self.pick(self.users, who, lambda u: u.live and "scheduled" in u.receipts.values())
        status, _ = self.client.call("DELETE", "/me/deletion", None, self.token(user), viewer=user.label)
        if status == 200:
            for t, s in user.receipts.items():
                if s == "scheduled":
                    user.receipts[t] = "cancelled"

    @precondition(lambda self: any(u.live and "scheduled" in u.receipts.values() for u in self.users))
    @rule(who=st.integers(0, 20))
    def race_cancel_and_erasure(self, who: int) -> None:
        """Cancel while erasure may be starting (the clock past erase_after, the jobs and
        the queues running at once). A cancel that answered 200 must never erase."""
        self.step("race_cancel_and_erasure")
        user = self.pick(self.users, who, lambda u: u.live and "scheduled" in u.receipts.values())
        token = self.token(user)
        if user.erase_after and self.now < user.erase_after + 3600:
            self._advance(user.erase_after + 3700 - self.now)
        results: dict[str, int] = {}

        def cancel() -> None:
            results["cancel"] = self.client.call("DELETE", "/me/deletion", None, token, viewer=user.label)[0]

        def erase() -> None:
            self.client.call("POST", "/_dev/jobs/erase_closed_accounts")
            self.client.call("POST", "/_dev/drain")

        threads = [threading.Thread(target=cancel), threading.Thread(target=erase)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if results.get("cancel") == 200:
            for t, s in user.receipts.items():
                if s == "scheduled":
                    user.receipts[t] = "cancelled"
        self.drain()
        self._see_erasures()

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20))
    def legal_hold(self, who: int) -> None:
        self.step("legal_hold")
        user = self.pick(self.users, who, lambda u: u.live)
        status, found = self.client.call("POST", "/admin/legal-holds", {"user_id": user.user_id, "reason": "case 2026-117"}, self.admin(),
                                         viewer="admin")
        if status == 201:
            user.holds.add(found["hold_id"])

    @precondition(lambda self: any(u.holds for u in self.users))
    @rule(who=st.integers(0, 20))
    def release_hold(self, who: int) -> None:
        self.step("release_hold")
        user = self.pick(self.users, who, lambda u: u.holds)
        hold = sorted(user.holds)[0]
        status, _ = self.client.call("DELETE", f"/admin/legal-holds/{hold}", None, self.admin(), viewer="admin")
        if status == 200:
            user.holds.discard(hold)

    @precondition(lambda self: self.live_users())
    @rule(who=st.integers(0, 20), notify=st.booleans())
    def disclosure(self, who: int, notify: bool) -> None:
        """A disclosure to an authority; one recorded with notify_user false reaches nothing
        the user can read (the listener checks every answer, the export is checked too)."""
        self.step("disclosure")
        user = self.pick(self.users, who, lambda u: u.live)
        marker = f"Authority {secrets.token_hex(5)}"
        body = {"user_id": user.user_id, "recipient": marker, "purpose": "court order", "legal_basis": "statute",
                "data_categories": ["user.contact.email"], "notify_user": notify}
        status, found = self.client.call("POST", "/admin/disclosures", body, self.admin(), viewer="admin")
        if status != 201:
            return
        if notify and self.profile["legal_disclosures_told"]:
            user.told.append(found["disclosure_id"])
        if not notify:
            user.untold += [marker, found["disclosure_id"]]
        self.drain()
        token = self.token(user)
        self.client.call("GET", "/me/disclosures?limit=100", None, token, viewer=user.label)
        self.client.call("GET", "/me/notices?limit=100", None, token, viewer=user.label)
        for address in [user.email, user.phone]:
            self.client.call("GET", "/_dev/outbox?to=" + requests.utils.quote(address, safe=""), viewer=user.label)

    # --- policy versions -------------------------------------------------------------------

    @rule(days=st.integers(0, 20), material=st.booleans())
    def publish_policy(self, days: int, material: bool) -> None:
        self.step("publish_policy")
        version = f"{len(self.versions) + 1}.0"
        effective = self.now + (self.profile["policy_notice_days"] + days) * 86400 + 600
        body = {"version": version, "summary": "What changed", "text": "The new policy text.",
                "effective_at": datetime.fromtimestamp(effective, UTC).isoformat(), "material": material}
        status, _ = self.client.call("POST", "/admin/policies", body, self.admin(), viewer="admin")
        if status == 201:
            self.versions.append({"version": version, "effective": effective, "published": self.now})
            self.policy_dirty = True
            self.drain()

    @precondition(lambda self: len(self.versions) > 1 and self.live_users())
    @rule(who=st.integers(0, 20), v=st.integers(0, 10), decision=st.sampled_from(["accept", "reject"]))
    def policy_decision(self, who: int, v: int, decision: str) -> None:
        self.step("policy_decision")
        user = self.pick(self.users, who, lambda u: u.live)
        version = self.versions[1 + v % (len(self.versions) - 1)]["version"]
        status, _ = self.client.call("POST", "/me/policy-decisions", {"version": version, "decision": decision}, self.token(user),
                                     viewer=user.label)
        if status == 200:
            user.decisions[version] = decision
            self.policy_dirty = True

    # --- time, jobs, queues ----------------------------------------------------------------

    def _advance(self, seconds: float) -> None:
        moved = self.client.ok("POST", "/_dev/clock", {"advance_seconds": int(seconds)})
        self.fired |= {f["function"] for f in moved.get("fired", [])}
        self.policy_dirty = True
        self.now = _ts(moved["now"])

    @rule(hours=st.sampled_from([1, 6, 25, 24 * 7, 24 * 15, 24 * 31]))
    def advance_clock(self, hours: int) -> None:
        self.step("advance_clock")
        self._advance(hours * 3600)
        self._see_erasures()

    @rule(job=st.sampled_from(["erase_closed_accounts", "watch_erasures", "watch_payments", "apply_policy_versions", "expire_exports",
                               "release_due_notifications", "purge_identity_documents", "purge_usage_data", "remove_abandoned_signups"]))
    def run_job(self, job: str) -> None:
        self.step("run_job")
        self.client.ok("POST", f"/_dev/jobs/{job}")
        self.fired.add(job)
        self._see_erasures()

    @rule()
    def drain_all(self) -> None:
        self.step("drain")
        self.drain()
        self._see_erasures(settled=True)

    @rule()
    def redrive_dead_letters(self) -> None:
        """What an operator does after fixing a cause: `python -m ops dlq redrive QUEUE`."""
        self.step("redrive")
        waiting = {q: n for q, n in stores.dead_letters(self.stack).items() if n}
        for queue in waiting:
            done = subprocess.run([sys.executable, "-m", "ops", "--endpoint", f"http://127.0.0.1:{self.stack.aws_port}", "dlq", "redrive", queue],
                                  cwd=ROOT, env=self.stack.env, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                self.fail(f"python -m ops dlq redrive {queue} failed")
        if waiting:
            self.drain()
            self._see_erasures()

    # --- concurrency ------------------------------------------------------------------------

    @precondition(lambda self: any(p["status"] == "open" for p in self.projects)
                  and sum(1 for u in self.users if self.may_act("freelancer")(u)) >= 1)
    @rule(p=st.integers(0, 50))
    def race_currency(self, p: int) -> None:
        """The owner changes the currency while freelancers bid in the old one: no live bid
        may end in another currency than its project's."""
        self.step("race_currency")
        project = self.pick(self.projects, p, lambda x: x["status"] == "open")
        owner = self.user_of(project["owner"])
        if not owner.live or not self.token(owner):
            return
        old = project["currency"]
        new = next(c for c in CURRENCIES if c != old)
        bidders = [u for u in self.users if self.may_act("freelancer")(u) and self.token(u)]
        bidding = [u for u in bidders if not any(b["freelancer"] == u.user_id and b["project"] == project["id"] and b["status"] == "live"
                                                 for b in self.bids)]
        results: list[tuple[User, int, Any]] = []

        def patch() -> None:
            self.client.call("PATCH", f"/projects/{project['id']}", {"budget": {"amount": 30000, "currency": new}}, self.token(owner),
                             viewer=owner.label)

        def bid(u: User) -> None:
            body = {"amount": {"amount": 25000, "currency": old}, "cover_letter": "Quick bid", "delivery_days": 3}
            status, found = self.client.call("POST", f"/projects/{project['id']}/bids", body, self.token(u), viewer=u.label)
            results.append((u, status, found))

        threads = [threading.Thread(target=patch)] + [threading.Thread(target=bid, args=(u,)) for u in bidding]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for u, status, found in results:
            if status == 201:
                self.bids.append({"id": found["bid_id"], "project": project["id"], "owner": owner.user_id, "freelancer": u.user_id,
                                  "status": "live", "amount": 25000, "currency": old})
                u.created["bids"].add(found["bid_id"])
        self._bids_match_currency(project)
        for b in self.bids:
            if b["project"] == project["id"] and b["status"] == "live" and b["currency"] != project["currency"]:
                b["status"] = "mismatched"  # reported by _bids_match_currency; kept out of later steps

    @precondition(lambda self: any(sum(1 for b in self.bids if b["project"] == p["id"] and b["status"] == "live") >= 2 for p in self.projects))
    @rule(p=st.integers(0, 50))
    def race_accept(self, p: int) -> None:
        """Two bids of one project accepted at once: exactly one contract."""
        self.step("race_accept")
        project = self.pick(self.projects, p, lambda x: sum(1 for b in self.bids if b["project"] == x["id"] and b["status"] == "live") >= 2)
        owner = self.user_of(project["owner"])
        if not owner.live or not self.token(owner):
            return
        two = [b for b in self.bids if b["project"] == project["id"] and b["status"] == "live"][:2]
        results: list[tuple[dict, int, Any]] = []

        def accept(b: dict) -> None:
            status, found = self.client.call("POST", f"/projects/{project['id']}/bids/{b['id']}/accept", None, self.token(owner), viewer=owner.label)
            results.append((b, status, found))

        threads = [threading.Thread(target=accept, args=(b,)) for b in two]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = [(b, f) for b, s, f in results if s == 201]
        if len(won) > 1:
            self.fail("two bids of one project were accepted at once: two contracts")
        for b, f in won:
            if not self.user_of(b["freelancer"]).live:
                self.fail("a bid of an erased freelancer was accepted")
            self._contracted(b, f["contract_id"])

    # --- wrong calls ------------------------------------------------------------------------

    @precondition(lambda self: self.contracts and len(self.live_users()) >= 3)
    @rule(c=st.integers(0, 50), who=st.integers(0, 20))
    def outsider_reads_contract(self, c: int, who: int) -> None:
        self.step("outsider_reads_contract")
        contract = self.pick(self.contracts, c)
        outsider = self.pick(self.users, who, lambda u: u.live and u.user_id not in (contract["employer"], contract["freelancer"]))
        if outsider is None:
            return
        for path in (f"/contracts/{contract['id']}", f"/contracts/{contract['id']}/messages"):
            status, _ = self.client.call("GET", path, None, self.token(outsider), viewer=outsider.label)
            if status != 404:
                self.fail(f"GET {self.client.template(path)} by an outsider answered {status}, not 404")

    @precondition(lambda self: any(not u.live for u in self.users))
    @rule(who=st.integers(0, 20))
    def gone_user_token(self, who: int) -> None:
        """The token of an erased or closed user opens nothing."""
        self.step("gone_user_token")
        user = self.pick(self.users, who, lambda u: not u.live)
        for method, path, body in (("GET", "/me", None), ("POST", "/me/exports", None), ("GET", "/me/wallet", None)):
            status, _ = self.client.call(method, path, body, user.token, viewer=user.label)
            if status < 400:
                self.fail(f"{method} {path} with the token of {user.gone} user {user.label} answered {status}")
        status, _ = self.client.call("POST", "/auth/login", {"email": user.email, "password": PASSWORD})
        if status != 401:
            self.fail(f"the sign-in of {user.gone} user {user.label} answered {status}, not 401")

    # --- the costlier checks, run when a step could have broken them --------------------------

    def _see_erasures(self, settled: bool = False) -> None:
        """Read every receipt the model holds: a cancelled one never becomes erased; a user
        whose receipt says erased (or archived) is checked once, all over. `settled`: just
        after a drain, when whatever a clock move made due has run (the stack's runtime
        delivers TTL expiries and queues in the background, as AWS does: right after the
        move an erasure may still be on its way), so a deletion past its time that still
        says scheduled is stuck."""
        for user in self.users:
            for receipt_token, state in list(user.receipts.items()):
                status, receipt = self.client.call("GET", "/me/deletion-receipt?token=" + receipt_token)
                if status != 200:
                    self.fail(f"the deletion receipt of {user.label} answered {status}")
                now_state = receipt["status"]
                if state == "cancelled" and now_state != "cancelled":
                    self.fail(f"a deletion of {user.label} that was cancelled is now {now_state}")
                if state == "scheduled" and now_state in ("erased", "archived"):
                    user.receipts[receipt_token] = now_state
                    if user.live:
                        user.gone = now_state
                        user.receipt = receipt
                if (settled and state == "scheduled" and now_state == "scheduled" and user.erase_after
                        and self.now > user.erase_after + 2 * 3600 and {"erase_closed_accounts"} <= self.fired):
                    self._stuck(user)
            if any(s == "cancelled" for s in user.receipts.values()) and user.live and not any(s == "scheduled" for s in user.receipts.values()):
                if self.token(user) is None and not user.phone_pending:
                    self.fail(f"{user.label} cancelled their deletion and cannot sign in")
        for user in self.users:
            if not user.live and not user.checked_gone:
                user.checked_gone = True
                self._check_gone(user)

    def blockers(self) -> set[str]:
        """What stands in the way of a deletion here: the profile's blockers, money under
        every profile (README "Money blocks deletion under every profile"; a funded
        contract is an active one) and legal holds, which stop any erasure."""
        return set(self.profile["deletion_blockers"]) | {"wallet_balance", "pending_payout", "open_dispute", "legal_hold"}

    def _stuck(self, user: User) -> None:
        """A deletion past its time that still says scheduled: only a blocker may hold it."""
        blockers = self.blockers()
        has = set()
        if user.holds:
            has.add("legal_hold")
        for c in self.contracts:
            if user.user_id in (c["employer"], c["freelancer"]):
                if c["status"] == "disputed":
                    has.add("open_dispute")
                elif c["status"] == "active":
                    has.add("active_contract")
                    if c["escrow"] in ("pending", "funded"):
                        has.add("wallet_balance")  # money in its escrow blocks under every profile
        balances = stores.books(stores.scan(self.stack))
        if any(pk.endswith(user.user_id) and amount > 0 for (pk, _, _), amount in balances.items()):
            has |= {"wallet_balance", "pending_payout"}
        if not has & blockers:
            self.fired.discard("erase_closed_accounts")  # once more after the next run of the job, then it is stuck
            self.fail(f"the deletion of {user.label} is past its time with no blocker and is still scheduled")

    def _check_gone(self, user: User) -> None:
        blockers = self.blockers()
        if "legal_hold" in blockers and user.holds:
            self.fail(f"{user.label} was {user.gone} under a legal hold")
        for c in self.contracts:
            if user.user_id in (c["employer"], c["freelancer"]):
                self._refresh_contract(c)
                if c["status"] == "active" and "active_contract" in blockers:
                    self.fail(f"{user.label} was {user.gone} with an active contract")
                if c["status"] == "disputed" and "open_dispute" in blockers:
                    self.fail(f"{user.label} was {user.gone} with an open dispute")
                if c["status"] in ("active", "disputed"):
                    self.fail(f"{user.label} was {user.gone} and still has a {c['status']} contract")
        viewer = next((u for u in self.live_users("freelancer") if self.token(u)), None)
        for project in self.projects:
            if project["owner"] == user.user_id and viewer:
                status, found = self.client.call("GET", f"/projects/{project['id']}", None, self.token(viewer), viewer=viewer.label)
                if status == 200 and found["status"] == "open":
                    self.fail(f"a project of {user.gone} employer {user.label} is still open")
        for bid in self.bids:
            if bid["freelancer"] == user.user_id:
                owner = self.user_of(bid["owner"])
                if not owner.live or not self.token(owner):
                    continue
                status, found = self.client.call("GET", f"/projects/{bid['project']}/bids?limit=100", None, self.token(owner), viewer=owner.label)
                for item in (found or {}).get("items", []) if status == 200 else []:
                    if item["bid_id"] == bid["id"] and item["status"] == "live":
                        self.fail(f"a bid of {user.gone} freelancer {user.label} is still live")
        status, _ = self.client.call("GET", f"/users/{user.user_id}/profile", viewer="public")
        if status != 404:
            self.fail(f"the profile of {user.gone} user {user.label} answered {status}, not 404")
        reviews_status, reviews = self.client.call("GET", f"/users/{user.user_id}/reviews", viewer="public")
        if reviews_status == 200 and (reviews or {}).get("items"):
            self.fail(f"GET /users/{{user_id}}/reviews of {user.gone} user {user.label} lists reviews while the profile is 404")
        self._admin_lists()
        items = stores.scan(self.stack)
        self._books(items)
        if user.gone == "erased":
            found = stores.sweep(self.stack, user.needles())
            if found:
                self.fail(f"after the erasure of {user.label} their personal data is still in: {found[:6]}")
            receipt = getattr(user, "receipt", {})
            kept = {k["category"] for k in receipt.get("kept", [])}
            held = stores.categories_held(items, user.user_id)
            missing = {c: where[:3] for c, where in held.items() if c not in kept}
            if missing:
                self.fail(f"the receipt of {user.label} does not list as kept what the stores hold: {missing}")

    def _admin_lists(self) -> None:
        for path in ("/admin/identity?status=submitted", "/admin/identity?status=approved", "/admin/identity?status=rejected",
                     "/admin/profile-reviews", "/admin/audit"):
            status, _ = self.client.call("GET", path, None, self.admin(), viewer="admin")
            if status != 200:
                self.fail(f"GET {path} answered {status}")

    def _books(self, items: list[dict] | None = None) -> None:
        balances = stores.books(items if items is not None else stores.scan(self.stack))
        blockers = self.blockers()
        for user in self.users:
            if user.live:
                continue
            for (pk, account, currency), amount in balances.items():
                if user.user_id in pk and account in ("wallet", "held", "escrow") and amount:
                    why = "" if "wallet_balance" in blockers else " (the profile names no wallet blocker)"
                    self.fail(f"{amount} {currency} sits in the {account} of {user.gone} user {user.label}{why}")
        for contract in self.contracts:
            for which in ("employer", "freelancer"):
                party = self.user_of(contract[which])
                if party.live:
                    continue
                for (pk, account, currency), amount in balances.items():
                    if contract["id"] in pk and account == "escrow" and amount:
                        self.fail(f"{amount} {currency} sits in the escrow of a contract with {party.gone} {which} {party.label}")
        self.money_dirty = False

    def _check_exports(self) -> None:
        for user in self.users:
            for export in user.exports:
                if export["checked"] or not user.live:
                    continue
                token = self.token(user)
                status, found = self.client.call("GET", f"/me/exports/{export['id']}", None, token, viewer=user.label)
                if status != 200:
                    self.fail(f"GET /me/exports/{{id}} of {user.label} answered {status}")
                if found["status"] == "pending":
                    self.fail(f"the export of {user.label} is still pending after the drain")
                export["checked"] = True
                if found["status"] != "ready":
                    continue
                document = requests.get(found["json_url"], timeout=30).json()
                text = json.dumps(document, ensure_ascii=False)
                for kind, ids in export["snapshot"].items():
                    missing = [i for i in ids if i not in text]
                    if missing:
                        self.fail(f"the export of {user.label} lacks {len(missing)} of {len(ids)} {kind}")
                if any(m in text for m in user.untold):
                    self.fail(f"the export of {user.label} holds a disclosure recorded with notify_user false")
                categories = document.get("categories", {})
                guardian = (categories.get("account") or {}).get("guardian") or any("guardian" in k and categories[k] for k in categories)
                if user.guardian and not guardian:
                    self.fail(f"the export of minor {user.label} lacks the guardian the data map marks for export")
                if export["profile"] and not (categories.get("profile") or {}).get("published"):
                    self.fail(f"the export of {user.label} lacks the profile they published")
            for export in user.exports:
                if export.get("status") != "expired" and export["checked"] and user.live and self.now > export["at"] + 8 * 86400 \
                        and "expire_exports" in self.fired:
                    status, found = self.client.call("GET", f"/me/exports/{export['id']}", None, self.token(user), viewer=user.label)
                    if status == 200 and found["status"] != "expired" and self.now > _ts(found.get("expires_at") or found["requested_at"]) + 3600:
                        self.fail(f"an export of {user.label} is {found['status']} past its expiry")
                    export["status"] = "expired"

    def _check_policy(self) -> None:
        """Every member is told of every version before it restricts them; a rejection never
        turns into an acceptance without the user."""
        in_effect = [v for v in self.versions if v["effective"] <= self.now]
        latest = in_effect[-1]["version"] if in_effect else None
        for user in self.live_users():
            token = self.token(user)
            if token is None:
                continue
            status, me = self.client.call("GET", "/me", None, token, viewer=user.label)
            if status != 200:
                continue
            policy = me["policy"]
            accepted = policy["accepted_version"]
            if accepted and user.decisions.get(accepted) == "reject":
                self.fail(f"{user.label} rejected version {accepted} and it now reads as accepted")
            if policy["restricted"] and latest and latest != self.versions[0]["version"]:
                told = self.client.call("GET", "/me/notices?limit=100", None, token, viewer=user.label)[1] or {}
                topics = {n.get("topic") for n in told.get("items", [])}
                mail = self.client.ok("GET", "/_dev/outbox?to=" + requests.utils.quote(user.email, safe=""), viewer=user.label)["items"]
                if latest not in topics and not any(latest in (m.get("subject", "") + m.get("body", "")) for m in mail):
                    self.fail(f"{user.label} is restricted by version {latest} and was never told of it")

    @invariant()
    def checks(self) -> None:
        if not hasattr(self, "seq"):
            return
        if self.money_dirty:
            self._books()
        if self.drained_since_export:
            self.drained_since_export = False
            self._check_exports()
        failures = self.client.ok("GET", "/_dev/jobs")["failures"]
        # an erasure may fail on purpose (a blocker that appeared: into the DLQ, named); nothing else may
        bad = [f for f in failures if "erase" not in f["function"]]
        if bad:
            self.fail(f"background work failed: {sorted({(f['function'], str(f.get('error', ''))[:40].split(':')[0]) for f in bad})}")
        if self.policy_dirty:
            self.policy_dirty = False
            self._check_policy()
