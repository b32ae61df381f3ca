"""The payment gateway: charge a payer into escrow, transfer to a bank account or a UPI
id, and learn a transfer's outcome by asking again.

Every call carries our own idempotency key (the charge or payout id): a provider that
sees a key twice returns the first result and moves no money again, so retrying a call
after a timeout, a crash or a duplicate queue delivery is harmless. That is the
contract a real provider must meet to plug in here (see the README, "Payments").

`gateway()` returns the implementation `PAYMENT_GATEWAY` names. Only the sandbox
exists in this repository; it serves the local stage and the tests and is steered the
way providers' test modes are (API.md): a bank account number ending in `0002` or a
UPI id starting with `fail` makes a transfer fail. A test hook (`Sandbox.steer`) also
makes the next calls time out (after doing the work, the worst case: the money moved
and we never heard), answer late (`pending` first, the outcome on a later call) or
decline a charge. The sandbox keeps its books in this process's memory, as a
provider's test mode keeps them on its side.
"""
from __future__ import annotations

import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from chalicelib.core import settings

Status = Literal["succeeded", "failed", "pending"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    provider_ref: str | None = None
    reason: str | None = None  # the provider's failure code; never personal data


@dataclass(frozen=True)
class Destination:
    """Where a payout goes. Built from the sealed payout method just before the call,
    never stored or logged in this form."""

    type: Literal["bank", "upi"]
    account_holder: str | None = None
    account_number: str | None = None
    ifsc: str | None = None
    upi_id: str | None = None


class GatewayTimeout(Exception):
    """No answer in time. The call may or may not have taken effect: retry with the same key."""


class GatewayUnavailable(Exception):
    """The provider refused to take the call (5xx, throttled): retry later."""


class Gateway(Protocol):
    def charge(self, key: str, amount: int, currency: str, payer_ref: str) -> Outcome: ...

    def transfer(self, key: str, amount: int, currency: str, destination: Destination) -> Outcome: ...

    def status(self, key: str) -> Outcome | None: ...


# --- the sandbox -----------------------------------------------------------------------

FAIL_ACCOUNT_SUFFIX = "0002"
FAIL_UPI_PREFIX = "fail"
Behaviour = Literal["timeout", "late", "decline", "unavailable"]


@dataclass
class _Operation:
    key: str
    fingerprint: tuple
    outcome: Outcome
    late_answers: int = 0  # how many more times it answers `pending` before the outcome
    calls: int = 0


class Sandbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._operations: dict[str, _Operation] = {}
        self._steered: deque[Behaviour] = deque()
        self.effects: list[tuple[str, str, int, str]] = []  # (kind, key, amount, currency): money actually moved
        self.calls = 0  # every call made to the sandbox (the benchmarks count them)

    # test hook
    def steer(self, *behaviours: Behaviour) -> None:
        """The next calls (one behaviour each, in order) time out after doing the work,
        answer `pending` first, decline, or refuse to take the call."""
        with self._lock:
            self._steered.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._steered.clear()

    def moved(self, key: str) -> int:
        """How many times money moved for `key` (the tests' "exactly once")."""
        with self._lock:
            return sum(1 for _kind, k, _a, _c in self.effects if k == key)

    def _next_behaviour(self) -> Behaviour | None:
        return self._steered.popleft() if self._steered else None

    def _run(self, kind: str, key: str, amount: int, currency: str, fingerprint: tuple, decide) -> Outcome:
        with self._lock:
            self.calls += 1
            behaviour = self._next_behaviour()
            if behaviour == "unavailable":
                raise GatewayUnavailable("sandbox: steered to refuse the call")
            op = self._operations.get(key)
            if op is None:
                outcome = Outcome("failed", None, "card_declined") if behaviour == "decline" else decide()
                if outcome.status == "succeeded":
                    self.effects.append((kind, key, amount, currency))
                op = self._operations[key] = _Operation(key, fingerprint, outcome, late_answers=1 if behaviour == "late" else 0)
            elif op.fingerprint != fingerprint:
                return Outcome("failed", None, "idempotency_key_reused")
            op.calls += 1
            if behaviour == "timeout":
                raise GatewayTimeout("sandbox: steered to time out after the work was done")
            if op.late_answers > 0:
                op.late_answers -= 1
                return Outcome("pending", op.outcome.provider_ref)
            return op.outcome

    def charge(self, key: str, amount: int, currency: str, payer_ref: str) -> Outcome:
        return self._run("charge", key, amount, currency, ("charge", amount, currency, payer_ref),
                         lambda: Outcome("succeeded", f"ch_{uuid.uuid4().hex[:16]}"))

    def transfer(self, key: str, amount: int, currency: str, destination: Destination) -> Outcome:
        def decide() -> Outcome:
            if destination.type == "bank" and (destination.account_number or "").endswith(FAIL_ACCOUNT_SUFFIX):
                return Outcome("failed", f"tr_{uuid.uuid4().hex[:16]}", "account_closed")
            if destination.type == "upi" and (destination.upi_id or "").lower().startswith(FAIL_UPI_PREFIX):
                return Outcome("failed", f"tr_{uuid.uuid4().hex[:16]}", "vpa_invalid")
            return Outcome("succeeded", f"tr_{uuid.uuid4().hex[:16]}")

        # the fingerprint holds no account number: only what identifies the request's shape
        return self._run("transfer", key, amount, currency, ("transfer", amount, currency, destination.type), decide)

    def status(self, key: str) -> Outcome | None:
        with self._lock:
            self.calls += 1
            op = self._operations.get(key)
            if op is None:
                return None
            if op.late_answers > 0:
                op.late_answers -= 1
                return Outcome("pending", op.outcome.provider_ref)
            return op.outcome


_gateways: dict[str, Any] = {}
_lock = threading.Lock()


def gateway() -> Gateway:
    """The configured gateway (`PAYMENT_GATEWAY`, default `sandbox`), made on first use.
    Deployed stages name their provider; a provider's credentials come from Secrets
    Manager (`PAYMENT_GATEWAY_SECRET_ARN`), read by its adapter, never from code."""
    name = settings.env("PAYMENT_GATEWAY", "sandbox")
    with _lock:
        if name not in _gateways:
            if name != "sandbox":
                raise RuntimeError(f"PAYMENT_GATEWAY '{name}' has no adapter in this build")
            _gateways[name] = Sandbox()
        return _gateways[name]


def sandbox() -> Sandbox:
    found = gateway()
    if not isinstance(found, Sandbox):
        raise RuntimeError("the sandbox is not the configured gateway")
    return found
