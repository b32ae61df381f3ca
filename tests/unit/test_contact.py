"""Contact-detail detection (`chalicelib.domain.contact`): what a profile may not carry,
however it is written, and the ordinary text that must still pass."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import contact
from tests.unit.properties import rule

EMAIL, PHONE, HANDLE, LINK = "an email address", "a phone number", "a messaging handle", "a link to a contact or messaging channel"

names = st.from_regex(r"[a-z]{3,10}", fullmatch=True)
tlds = st.sampled_from(["com", "dev", "design", "io", "org", "co"])


@rule
@given(local=names, domain=names, tld=tlds)
def test_an_email_spelled_with_at_and_dot_is_found(local, domain, tld):
    assert contact.find(f"Write to {local} at {domain} dot {tld} for work") == EMAIL


@rule
@given(local=names, domain=names, tld=tlds, at=st.sampled_from(["@", "[at]", "(at)", " -at- "]))
def test_an_email_in_any_of_its_disguises_is_found(local, domain, tld, at):
    assert contact.find(f"{local}{at}{domain}.{tld}") == EMAIL


@rule
@given(digits=st.from_regex(r"[1-9][0-9]{9}", fullmatch=True), sep=st.sampled_from(["", " ", "-", ".", "|", "_", "~"]))
def test_ten_digits_are_a_phone_number_whatever_separates_them(digits, sep):
    written = sep.join([digits[:4], digits[4:7], digits[7:]])
    assert contact.find(f"Call {written} any time") == PHONE


@pytest.mark.parametrize("text, kind", [
    ("ada.lovelace@example.com", EMAIL),
    ("ada%40example.com", EMAIL),
    ("ada @ example . com", EMAIL),
    ("ada at gmail", EMAIL),
    ("write to ada at example.net", EMAIL),  # .net is an address; ASP.NET is a framework
    ("mail me: asp at webhost.net", EMAIL),
    ("ada\uff20example.com", EMAIL),  # a full-width at sign
    ("+92 300 1234567", PHONE),
    ("nine eight seven six five four three two one", PHONE),
    ("O3OO-I234567", PHONE),  # letters that pass for digits
    ("\uff10\uff13\uff10\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17", PHONE),  # full-width digits
    ("0300\u200b1234567", PHONE),  # a zero-width space inside
    ("skype: ada.l", LINK),  # the skype: scheme
    ("telegram: ada.l", HANDLE),
    ("\u0455k\u0443pe ada.l", HANDLE),  # Cyrillic s and y
    ("telegram ada_l", HANDLE),
    ("whatsapp me", HANDLE),
    ("@ada_l", HANDLE),
    ("https://wa.me/923001234567", LINK),
    ("linkedin.com/in/ada-l", LINK),
])
def test_contact_details_are_found(text, kind):
    assert contact.find(text) == kind


@pytest.mark.parametrize("text", [
    "",
    "Ten years of Python; I delivered 40 projects.",
    "Available 09:00-17:00, from 2026-12-01",
    "Rates from $1,500 to $2,000; Python 3.11.4",
    "Worked 2019-2023 at a studio, 1500 - 2000 words a day",
    "Expert at vue.js and node.js",
    "I worked at Gmail for two years",
    "I build telegram bots",
    "Our linkedin.com integration",
])
def test_ordinary_text_passes(text):
    assert contact.find(text) is None


def test_a_skill_at_a_dotted_framework_passes():
    assert contact.find("good at ASP.NET") is None


def test_the_first_field_with_contact_details_is_named():
    fields = [("headline", "Python developer"), ("bio", "mail ada at example dot com"), ("skills", "call 0300 1234567")]
    assert contact.first_in(fields) == ("bio", EMAIL)
    assert contact.first_in(fields[:1]) is None


@rule
@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Zs")), max_size=200))
def test_words_alone_are_never_a_phone_number(text):
    assert contact.find(text) != PHONE or any(w in text.lower() for w in contact._DIGIT_WORDS)


@pytest.mark.parametrize("text", ["write to ada at asp.net.pk", "ada at vb.net.in please", "ada dot lovelace at ado.net.au"])
def test_an_address_at_a_longer_domain_than_asp_net_is_still_contact_details(text):
    assert contact.first_in([("bio", text)]) is not None, text
    assert contact.first_in([("bio", "good at ASP.NET and VB.NET.")]) is None  # the skill stays allowed, sentence end too
