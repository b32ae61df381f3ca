"""The data map covers every stored attribute: a field nobody classified fails here."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

from chalicelib.domain import datamap


def _entities() -> dict[str, type]:
    import chalicelib.repos as repos
    from chalicelib.repos.db import Entity

    for module in pkgutil.iter_modules(repos.__path__):
        importlib.import_module(f"chalicelib.repos.{module.name}")
    found: dict[str, type] = {}
    stack = list(Entity.__subclasses__())
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        found[Entity.kind.get_discriminator(cls)] = cls
    return found


ENTITIES = _entities()


@pytest.mark.parametrize("kind", sorted(ENTITIES))
def test_every_attribute_of_every_entity_says_what_happens_to_it(kind):
    attributes = set(ENTITIES[kind].get_attributes())
    mapped = set(datamap.ENTITIES.get(kind, {})) | set(datamap.KEYS)
    assert attributes - mapped == set(), f"{kind}: unclassified attributes"
    assert set(datamap.ENTITIES.get(kind, {})) - attributes == set(), f"{kind}: the map names attributes the model lacks"


def test_the_map_names_no_entity_that_does_not_exist():
    assert set(datamap.ENTITIES) == set(ENTITIES)


def test_the_keys_table_every_bucket_and_the_cognito_attributes_are_mapped():
    from chalicelib.core.resources import BUCKETS
    from chalicelib.repos.keys import WrappedKey

    assert set(WrappedKey.get_attributes()) == set(datamap.WRAPPED_KEY)
    assert {b.logical for b in BUCKETS} == {bucket for bucket, _ in datamap.OBJECTS}
    assert {"sub", "email", "email_verified"} == set(datamap.COGNITO)


def test_what_is_kept_says_why_and_contact_details_are_erased():
    with pytest.raises(ValueError):
        datamap.keep("user.name", "")
    fields = [f for attrs in datamap.ENTITIES.values() for f in attrs.values()]
    assert all(f.reason for f in fields if f.rule != "erase")
    for f in fields:
        if f.category.startswith(("user.contact", "user.name", "user.government_id", "user.financial.bank_account")):
            assert f.rule == "erase", f


def test_the_data_map_is_published_in_plain_words(http):
    from tests.helpers import call

    status, published = call(http, "GET", "/policies/data-map")
    assert status == 200
    stores = {s["store"]: {f["name"]: f for f in s["fields"]} for s in published["items"]}
    assert stores["table item 'user'"]["email_enc"] == {
        "name": "email_enc", "category": "user.contact.email", "rule": "erase", "exported": True, "says": "erased when the account is erased"}
    entry = stores["table item 'ledger_entry'"]["amount"]
    assert entry["rule"] == "keep" and "accounting" in entry["says"]
    assert stores["table item 'payout_method'"]["account_number_enc"]["rule"] == "erase"
    assert "Cognito user pool" in stores and "bucket 'documents'" in stores and "queue 'payments'" in stores
