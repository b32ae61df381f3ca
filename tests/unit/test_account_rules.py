"""Account rules (`chalicelib.domain.accounts`, the profile's age rules in
`chalicelib.core.privacy`): ages, who may join as which role, passwords, the limit on
one-time codes, signed-out tokens."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core import privacy
from chalicelib.domain import accounts
from tests.unit.properties import rule

# --- ages ----------------------------------------------------------------------------

@pytest.mark.parametrize("birth, today, age", [
    (date(2000, 6, 15), date(2018, 6, 14), 17),  # the day before the birthday
    (date(2000, 6, 15), date(2018, 6, 15), 18),  # on the birthday
    (date(2000, 2, 29), date(2018, 2, 28), 17),  # born on a leap day: 18 only on 1 March
    (date(2000, 2, 29), date(2018, 3, 1), 18),
])
def test_age_on_a_day(birth, today, age):
    assert accounts.age_on(birth, today) == age


@rule
@given(birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)), years=st.integers(0, 100))
def test_age_grows_by_one_each_birthday(birth, years):
    try:
        birthday = birth.replace(year=birth.year + years)
    except ValueError:  # 29 February in a year that has none
        return
    assert accounts.age_on(birth, birthday) == years


def test_strict_admits_adults_only_as_freelancers_and_minors_from_13_as_employers_with_a_guardian():
    strict = privacy.load("strict")
    assert strict.age_decision("freelancer", 18, guardian_consent=False) == "adult"
    assert strict.age_decision("freelancer", 17, guardian_consent=True) == "refused"
    assert strict.age_decision("employer", 15, guardian_consent=True) == "supervised"
    assert strict.age_decision("employer", 15, guardian_consent=False) == "guardian_required"
    assert strict.age_decision("employer", 12, guardian_consent=True) == "refused"


@pytest.mark.parametrize("name", privacy.available())
def test_every_profile_admits_an_adult_and_refuses_a_child(name):
    profile = privacy.load(name)
    for role in ("freelancer", "employer"):
        assert profile.age_decision(role, 40, guardian_consent=False) == "adult"
        assert profile.age_decision(role, 5, guardian_consent=True) == "refused"


@pytest.mark.parametrize("name", privacy.available())
@rule
@given(age=st.integers(0, 120), consent=st.booleans())
def test_consent_of_a_guardian_never_refuses_whom_it_would_admit(name, age, consent):
    """With a guardian's consent, a user is admitted wherever they would be without it."""
    profile = privacy.load(name)
    for role in ("freelancer", "employer"):
        without = profile.age_decision(role, age, guardian_consent=False)
        with_consent = profile.age_decision(role, age, guardian_consent=True)
        assert (without == "adult") == (with_consent == "adult")
        if without == "guardian_required":
            assert with_consent == "supervised"


def test_a_profile_whose_guardian_age_is_not_below_the_minimum_is_refused():
    data = privacy.load("strict").model_dump()
    data["guardian_consent_minimum_age"]["employer"] = 18
    with pytest.raises(ValueError, match="guardian_consent_minimum_age.employer"):
        privacy.Profile.model_validate(data)


def test_every_profile_gives_each_role_a_role():
    for name in privacy.available():
        roles = privacy.load(name).roles
        assert set(roles) == {"freelancer", "employer"} and all(roles.values()), name


# --- passwords -------------------------------------------------------------------------

def test_a_good_password_has_no_problems():
    assert accounts.password_problems("Correct-Horse-9") == []


@pytest.mark.parametrize("password, problem", [
    ("Sh0rt-", "characters"),
    ("correct-horse-9", "upper-case"),
    ("CORRECT-HORSE-9", "lower-case"),
    ("Correct-Horse-X", "digit"),
    ("Correct\x00Horse-9", "control"),
])
def test_each_problem_is_named(password, problem):
    assert any(problem in p for p in accounts.password_problems(password))


@rule
@given(st.text(max_size=40))
def test_the_published_pattern_matches_exactly_the_passwords_without_problems(password):
    import re

    assert bool(re.fullmatch(accounts.password_pattern(), password)) == (not accounts.password_problems(password))


# --- one-time codes -----------------------------------------------------------------------

def test_a_new_code_is_six_digits():
    code = accounts.new_code()
    assert len(code) == accounts.OTP_DIGITS and code.isdigit()


def test_a_first_code_may_be_sent():
    assert accounts.code_refusal([], 1000.0) is None


def test_a_second_code_within_a_minute_waits_the_rest_of_the_minute():
    refusal = accounts.code_refusal([1000.0], 1020.0)
    assert refusal is not None and refusal.retry_after == 40 and "40 seconds" in refusal.message


def test_the_sixth_code_in_an_hour_waits_until_the_oldest_leaves_the_hour():
    sends = [0.0, 600.0, 1200.0, 1800.0, 2400.0]
    refusal = accounts.code_refusal(sends, 3000.0)
    assert refusal is not None and refusal.retry_after == 600
    assert accounts.code_refusal(sends, 3600.0) is None  # the first one has left the window


@rule
@given(sends=st.lists(st.floats(0, 10_000), max_size=12), now=st.floats(10_000, 20_000))
def test_a_refusal_always_says_when_to_come_back_and_a_client_that_waits_so_gets_a_code(sends, now):
    for _ in range(3):  # the minute, then the hour: at most two waits
        refusal = accounts.code_refusal(sends, now)
        if refusal is None:
            return
        assert refusal.retry_after >= 1
        now += refusal.retry_after
    raise AssertionError("still refused after waiting as told twice")


def test_retry_after_is_the_whole_wait_when_both_limits_apply():
    sends = [0.0, 600.0, 1200.0, 1800.0, 3000.0]
    refusal = accounts.code_refusal(sends, 3010.0)
    assert refusal is not None and accounts.code_refusal(sends, 3010.0 + refusal.retry_after) is None


def test_signed_out_tokens_are_forgotten_once_they_would_have_expired():
    assert accounts.prune_revoked({"a": 100, "b": 200}, 150) == {"b": 200}


def test_mask_tail_shows_the_last_four_only():
    assert accounts.mask_tail("123456780001") == "0001"
    assert accounts.mask_tail("123") == ""


# --- identity uploads ----------------------------------------------------------------------

def test_an_upload_is_the_image_its_bytes_say_whatever_its_name():
    from chalicelib.domain import identity

    assert identity.sniff_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8) == "image/png"
    assert identity.sniff_image(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert identity.sniff_image(b"RIFF\x00\x00\x00\x00WEBP") == "image/webp"
    assert identity.sniff_image(b"%PDF-1.7") is None
    assert identity.last4("35202-1234567-1") == "67-1"
