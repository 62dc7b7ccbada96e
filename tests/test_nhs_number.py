"""NHS numbers: ten digits, the last a modulus 11 check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotspots.model import nhs_number


@pytest.mark.parametrize("text", ["9434765919", "943 476 5919", "943-476-5919", " 4010232137 "])
def test_a_valid_number_passes_however_it_is_grouped(text):
    assert nhs_number.problem(text) is None
    assert len(nhs_number.normalise(text)) == 10


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("9434765918", "check digit is wrong"),
        ("", "is empty"),
        ("943476591", "should be 10 digits"),
        ("94347659190", "should be 10 digits"),
        ("943476591x", "should be 10 digits"),
        ("９４３４７６５９１９", "should be 10 digits"),  # full-width digits are not ASCII digits
    ],
)
def test_an_invalid_number_is_explained(text, words):
    assert words in nhs_number.problem(text)


def test_a_number_whose_check_digit_would_be_10_is_never_valid():
    # 1000000010: weights give 10*1 + 2*1 = 12 -> 11 - 1 = 10, which no digit can be.
    assert [d for d in "0123456789" if nhs_number.is_valid("100000001" + d)] == []


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 8))
def test_changing_any_one_digit_of_a_valid_number_makes_it_invalid(first_nine, position):
    valid = [first_nine + d for d in "0123456789" if nhs_number.is_valid(first_nine + d)]
    for number in valid:
        digit = int(number[position])
        changed = number[:position] + str((digit + 1) % 10) + number[position + 1 :]
        assert not nhs_number.is_valid(changed)


def test_only_the_last_three_digits_are_given_for_a_list():
    assert nhs_number.last_digits("943 476 5919") == "919"
