"""`claim`: a sentence of the book checked against the values it is about."""

from __future__ import annotations

import numpy as np
import pytest

from nnkit.book.claims import ClaimError, claim


def test_a_true_claim_is_silent():
    assert claim(np.float64(2.0) < 3, "Two is less than three.", x=2.0) is None


def test_a_false_claim_quotes_the_sentence_and_the_values():
    with pytest.raises(ClaimError) as info:
        claim(2.0 > 3, "Two exceeds three.", x=2.0, ends={"gd": np.float64(1.25), "adam": 8e-4})
    message = str(info.value)
    assert '"Two exceeds three."' in message
    assert "x = 2" in message and "'gd': 1.25" in message and "'adam': 0.0008" in message


def test_a_claim_is_an_assertion_error():
    assert issubclass(ClaimError, AssertionError)


@pytest.mark.parametrize("condition", [np.array([True, False]), 1, None, "yes"])
def test_the_condition_must_be_one_bool(condition):
    with pytest.raises(TypeError, match="Sentence"):
        claim(condition, "Sentence.")


def test_the_sentence_is_required():
    with pytest.raises(TypeError, match="sentence"):
        claim(True, "  ")
