"""The ledger and the fee (`chalicelib.domain.ledger`): every movement balances, the
fee is what the profile promises and never more than the money released."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import ledger
from tests.unit.properties import rule

amounts = st.integers(min_value=1, max_value=10**11)
fees_bps = st.integers(min_value=0, max_value=5000)  # the profile's range (core.privacy.Profile)
currencies = st.sampled_from(["USD", "EUR", "INR", "PKR"])


def balance_per_currency(movement: ledger.Movement) -> dict[str, int]:
    totals: dict[str, int] = {}
    for p in movement.postings:
        totals[p.account.currency] = totals.get(p.account.currency, 0) + p.amount
    return totals


@rule
@given(amount=st.integers(-100, 10**11), bps=st.integers(-100, 3 * ledger.BPS))  # beyond the profiles' range too
def test_the_fee_is_never_more_than_the_amount_nor_negative(amount, bps):
    assert 0 <= ledger.fee_of(amount, bps) <= max(amount, 0)


@rule
@given(amount=amounts, bps=fees_bps)
def test_the_fee_is_the_rate_rounded_to_the_nearest_minor_unit(amount, bps):
    fee = ledger.fee_of(amount, bps)
    assert abs(fee * ledger.BPS - amount * bps) <= ledger.BPS // 2


@pytest.mark.parametrize("amount, bps, fee", [
    (12_345, 1000, 1235),  # 1234.5 rounds half up
    (12_344, 1000, 1234),
    (5, 1000, 1),  # 0.5 of a cent is charged as a cent
    (4, 1000, 0),
    (10_000, 0, 0),  # a profile without a fee
    (100, 5000, 50),  # the highest rate a profile may set
    (1, 10000, 1),
    (0, 1000, 0),
    (-500, 1000, 0),
])
def test_fee_examples(amount, bps, fee):
    assert ledger.fee_of(amount, bps) == fee


@rule
@given(amount=amounts, bps=fees_bps, currency=currencies)
def test_a_release_pays_the_freelancer_the_amount_less_the_fee(amount, bps, currency):
    movement = ledger.release("c1", "u1", amount, currency, bps)
    net = movement.net_by_account()
    fee = ledger.fee_of(amount, bps)
    assert net[ledger.wallet("u1", currency)] == amount - fee
    assert net[ledger.escrow("c1", currency)] == -amount
    assert net.get(ledger.fees(currency), 0) == fee
    assert balance_per_currency(movement) == {currency: 0}


@rule
@given(amount=amounts, currency=currencies, kind=st.sampled_from(["funding", "refund", "payout_requested", "payout_paid", "payout_failed"]))
def test_every_movement_balances(amount, currency, kind):
    build = getattr(ledger, kind)
    movement = build("x1", amount, currency) if kind == "funding" else build("x1", "u1", amount, currency)
    assert balance_per_currency(movement) == {currency: 0}
    assert all(p.amount != 0 for p in movement.postings)


@rule
@given(amount=amounts, bps=fees_bps)
def test_funding_then_release_leaves_the_escrow_empty(amount, bps):
    books: dict[ledger.Account, int] = {}
    for movement in (ledger.funding("c1", amount, "USD"), ledger.release("c1", "u1", amount, "USD", bps)):
        for account, delta in movement.net_by_account().items():
            books[account] = books.get(account, 0) + delta
    assert books[ledger.escrow("c1", "USD")] == 0
    assert sum(books.values()) == 0
    assert all(books[a] >= 0 for a in books if a.non_negative)


def test_a_payout_moves_the_wallet_to_held_and_a_failure_brings_it_back():
    out = ledger.payout_requested("p1", "u1", 700, "USD").net_by_account()
    back = ledger.payout_failed("p1", "u1", 700, "USD").net_by_account()
    assert out == {ledger.wallet("u1", "USD"): -700, ledger.held("u1", "USD"): 700}
    assert back == {ledger.held("u1", "USD"): -700, ledger.wallet("u1", "USD"): 700}


def test_a_payout_paid_and_a_payout_failed_are_the_same_movement_booked_once():
    """Both end the payout: one id, so the ledger's transaction books one of them only."""
    assert ledger.payout_paid("p1", "u1", 700, "USD").movement_id == ledger.payout_failed("p1", "u1", 700, "USD").movement_id


def test_a_release_and_a_refund_of_one_contract_cannot_both_be_booked():
    assert ledger.release("c1", "f", 100, "USD", 1000).movement_id == ledger.refund("c1", "e", 100, "USD").movement_id


def test_an_unbalanced_movement_is_refused():
    with pytest.raises(ledger.Unbalanced):
        ledger.Movement("m", "r", (ledger.Posting(ledger.wallet("u", "USD"), 5, "x"), ledger.Posting(ledger.fees("USD"), -4, "x")))


def test_a_movement_across_currencies_does_not_balance_by_adding_them():
    with pytest.raises(ledger.Unbalanced):
        ledger.Movement("m", "r", (ledger.Posting(ledger.wallet("u", "USD"), 5, "x"), ledger.Posting(ledger.fees("EUR"), -5, "x")))


@pytest.mark.parametrize("amount", [0, 1.5])
def test_a_posting_of_nothing_or_of_a_fraction_is_refused(amount):
    with pytest.raises(ledger.Unbalanced):
        ledger.Movement("m", "r", (ledger.Posting(ledger.wallet("u", "USD"), amount, "x"), ledger.Posting(ledger.fees("USD"), -amount, "x")))


def test_which_accounts_may_not_go_below_zero():
    assert ledger.wallet("u", "USD").non_negative and ledger.held("u", "USD").non_negative and ledger.escrow("c", "USD").non_negative
    assert not ledger.clearing("USD").non_negative and not ledger.fees("USD").non_negative
