"""The double-entry ledger's rules: accounts, movements, the fee. Plain Python, no AWS.

Every movement of money is a set of postings to accounts whose amounts sum to zero
(per currency), booked in one DynamoDB transaction (`repos.ledger`). An account's
balance is the sum of its postings; the balance is also kept on the account item so
that a condition can refuse a movement that would take a wallet below zero.

Accounts (sign: what the platform owes to / holds for the account's owner is positive):
- `wallet`   a user's spendable money (releases, refunds), per currency;
- `held`     a user's payouts in flight: moved out of the wallet when requested,
             out of `held` when the gateway pays (or back to the wallet when it fails);
- `escrow`   one per contract: funded by the employer's charge, emptied by the release
             (or the refund of a dispute);
- `fees`     the platform's fee income;
- `clearing` the payment gateway's clearing account: money charged from payers comes
             in through it (it goes negative), money paid out to banks leaves through it.

Movements (the `kind` of each posting, as `GET /me/wallet` shows them):
    funding        clearing -> escrow                 (the employer's charge confirmed)
    release, fee   escrow -> freelancer wallet (the whole amount, `release`), then the
                   fee from that wallet to fees (`fee`): the freelancer's ledger shows both
                   (completion, or a dispute resolved for the freelancer)
    refund         escrow -> employer wallet          (a dispute resolved for the employer)
    payout         wallet -> held                     (payout requested)
    payout_paid    held -> clearing                   (the gateway paid it)
    payout_reversal held -> wallet                    (the gateway failed it: the money is back)
"""
from __future__ import annotations

from dataclasses import dataclass

WALLET, HELD, ESCROW, FEES, CLEARING = "wallet", "held", "escrow", "fees", "clearing"
USER_ACCOUNTS = (WALLET, HELD)
# accounts that may never go below zero; clearing and fees belong to the platform
NON_NEGATIVE = (WALLET, HELD, ESCROW)

FUNDING, RELEASE, FEE, REFUND = "funding", "release", "fee", "refund"
PAYOUT, PAYOUT_PAID, PAYOUT_REVERSAL = "payout", "payout_paid", "payout_reversal"

BPS = 10_000


class Unbalanced(ValueError):
    """A movement whose postings do not sum to zero: a programming error, never booked."""


@dataclass(frozen=True)
class Account:
    kind: str  # one of WALLET, HELD, ESCROW, FEES, CLEARING
    owner: str  # a user id, a contract id, or "platform"
    currency: str

    @property
    def non_negative(self) -> bool:
        return self.kind in NON_NEGATIVE


@dataclass(frozen=True)
class Posting:
    account: Account
    amount: int  # signed minor units
    kind: str


@dataclass(frozen=True)
class Movement:
    """A balanced set of postings with one id: booked once, or not at all."""

    movement_id: str
    ref: str  # what it is about: a contract id or a payout id (never personal data)
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        totals: dict[str, int] = {}
        for p in self.postings:
            if not isinstance(p.amount, int) or p.amount == 0:
                raise Unbalanced(f"posting of {p.amount!r} to {p.account.kind}")
            totals[p.account.currency] = totals.get(p.account.currency, 0) + p.amount
        if any(totals.values()):
            raise Unbalanced(f"movement {self.movement_id} does not sum to zero: {totals}")

    def net_by_account(self) -> dict[Account, int]:
        """What the movement adds to each account (an account may take several postings,
        e.g. a release and its fee: one balance update each, one entry per posting)."""
        net: dict[Account, int] = {}
        for p in self.postings:
            net[p.account] = net.get(p.account, 0) + p.amount
        return net


def fee_of(amount: int, fee_bps: int) -> int:
    """The platform's fee on `amount`: `fee_bps` basis points, rounded half up to a whole
    minor unit (10% of 12,345 paise is 1,235; 10% of 12,344 is 1,234). Never more than
    the amount, never negative."""
    if amount <= 0 or fee_bps <= 0:
        return 0
    return min(amount, (amount * fee_bps + BPS // 2) // BPS)


def wallet(user_id: str, currency: str) -> Account:
    return Account(WALLET, user_id, currency)


def held(user_id: str, currency: str) -> Account:
    return Account(HELD, user_id, currency)


def escrow(contract_id: str, currency: str) -> Account:
    return Account(ESCROW, contract_id, currency)


def fees(currency: str) -> Account:
    return Account(FEES, "platform", currency)


def clearing(currency: str) -> Account:
    return Account(CLEARING, "platform", currency)


def funding(contract_id: str, amount: int, currency: str) -> Movement:
    return Movement(f"fund-{contract_id}", contract_id, (
        Posting(clearing(currency), -amount, FUNDING),
        Posting(escrow(contract_id, currency), amount, FUNDING),
    ))


def release(contract_id: str, freelancer_id: str, amount: int, currency: str, fee_bps: int) -> Movement:
    """The escrow to the freelancer's wallet, and the platform's fee out of it (its own
    posting, so the wallet's ledger shows the gross release and the fee)."""
    fee = fee_of(amount, fee_bps)
    postings = [Posting(escrow(contract_id, currency), -amount, RELEASE), Posting(wallet(freelancer_id, currency), amount, RELEASE)]
    if fee:
        postings += [Posting(wallet(freelancer_id, currency), -fee, FEE), Posting(fees(currency), fee, FEE)]
    return Movement(f"settle-{contract_id}", contract_id, tuple(postings))


def refund(contract_id: str, employer_id: str, amount: int, currency: str) -> Movement:
    """A dispute resolved for the employer: the escrow back to the employer's wallet,
    from which they can pay it out (no fee is taken)."""
    return Movement(f"settle-{contract_id}", contract_id, (
        Posting(escrow(contract_id, currency), -amount, REFUND),
        Posting(wallet(employer_id, currency), amount, REFUND),
    ))


def payout_requested(payout_id: str, user_id: str, amount: int, currency: str) -> Movement:
    return Movement(f"payout-{payout_id}", payout_id, (
        Posting(wallet(user_id, currency), -amount, PAYOUT),
        Posting(held(user_id, currency), amount, PAYOUT),
    ))


def payout_paid(payout_id: str, user_id: str, amount: int, currency: str) -> Movement:
    return Movement(f"payout-{payout_id}-end", payout_id, (
        Posting(held(user_id, currency), -amount, PAYOUT_PAID),
        Posting(clearing(currency), amount, PAYOUT_PAID),
    ))


def payout_failed(payout_id: str, user_id: str, amount: int, currency: str) -> Movement:
    return Movement(f"payout-{payout_id}-end", payout_id, (
        Posting(held(user_id, currency), -amount, PAYOUT_REVERSAL),
        Posting(wallet(user_id, currency), amount, PAYOUT_REVERSAL),
    ))
