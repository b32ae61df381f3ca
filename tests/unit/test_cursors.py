"""A list's cursor: what the API returned reads back; anything else is a 400 naming `cursor`."""
from __future__ import annotations

import base64
import json

import pytest

from chalicelib.core import errors
from chalicelib.repos import cursors


def _forged(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_cursor_the_api_returned_reads_back_as_its_start_key():
    key = {"pk": {"S": "USER#u1"}, "sk": {"S": "BID#00001.000000#b1"}}
    assert cursors.decode(cursors.encode(key)) == key


@pytest.mark.parametrize("value", [
    {"pk": {"N": "1"}},  # a number where every key attribute is a string
    {"pk": {"S": 1}},
    {"pk": {"S": "a", "N": "1"}},
    {"pk": {"B": "AAAA"}},
    {},
    [1],
    {"pk": "USER#u1"},
])
def test_a_forged_start_key_is_a_400_naming_the_cursor(value):
    with pytest.raises(errors.BadRequest) as refused:
        cursors.decode(_forged(value))
    assert refused.value.details == {"field": "cursor"}


def test_text_that_is_not_base64_json_is_a_400():
    with pytest.raises(errors.BadRequest):
        cursors.decode("!!!!")
