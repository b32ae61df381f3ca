"""The data map's rules (`chalicelib.domain.datamap`): what erasure removes, and what a
deletion receipt says was erased and why the rest is kept. (Whether every stored
attribute has an entry is tests/test_datamap.py's, against the models.)"""
from __future__ import annotations

import pytest

from chalicelib.domain import datamap


def test_a_field_kept_or_pseudonymised_must_say_why():
    with pytest.raises(ValueError, match="reason"):
        datamap.keep("user.financial", "")
    with pytest.raises(ValueError, match="reason"):
        datamap.pseudonymise("user.unique_id", "")
    assert datamap.erase("user.name").reason == ""


def test_every_entry_of_the_map_is_erased_or_gives_its_reason():
    for kind, fields in datamap.ENTITIES.items():
        for name, f in fields.items():
            assert f.rule == "erase" or f.reason, f"{kind}.{name}"


def test_erasure_removes_a_users_contact_details_and_keeps_the_account_kind():
    erased = datamap.erased_fields("user")
    assert {"email_enc", "phone_enc", "full_name_enc", "date_of_birth_enc"} <= set(erased)
    assert "role" not in erased and "user_id" not in erased


def test_a_contract_keeps_its_amount_for_the_books_and_loses_the_dispute_reason():
    assert datamap.erased_fields("contract") == ["dispute_reason_enc"]


def test_a_kind_the_map_does_not_know_erases_nothing():
    assert datamap.erased_fields("no_such_kind") == []


def test_every_kind_erasure_deletes_or_strips_is_in_the_map():
    assert set(datamap.ITEM_ON_ERASURE.values()) <= {"delete", "strip"}
    assert set(datamap.ITEM_ON_ERASURE) <= set(datamap.ENTITIES)


def test_a_receipt_names_what_was_erased_and_always_the_data_key():
    erased, kept = datamap.receipt_lines(["user"], [])
    assert "user.contact.email" in erased and "user.authorization.credentials" in erased
    assert datamap.SYSTEM not in erased  # system fields are not the user's data
    assert kept == []
    assert erased == sorted(erased)


def test_a_receipt_says_why_what_remains_is_kept():
    _, kept = datamap.receipt_lines(["user"], [("contract", ["pk", "status", "amount", "disputed_by"])])
    assert kept == [{"category": "user.financial", "reason": datamap.BOOKS},
                    {"category": "user.unique_id", "reason": datamap.OTHER_PARTY}]


def test_an_erased_field_still_stored_is_another_users_record():
    """A review's comment is erased with its author; if it is still there, it is the other's."""
    _, kept = datamap.receipt_lines([], [("review", ["comment_enc"])])
    assert kept == [{"category": "user.content.public", "reason": datamap.OTHER_AUTHOR}]


def test_a_receipt_lists_each_reason_once_per_category():
    _, kept = datamap.receipt_lines([], [("contract", ["amount", "currency"]), ("contract", ["amount"])])
    assert kept == [{"category": "user.financial", "reason": datamap.BOOKS}]


def test_a_receipt_carries_no_personal_data():
    erased, kept = datamap.receipt_lines(["user", "contract"], [("contract", ["amount", "disputed_by", "employer_id"])])
    text = " ".join(erased) + " ".join(v for line in kept for v in line.values())
    assert "@" not in text and not any(c.isdigit() for c in text)
