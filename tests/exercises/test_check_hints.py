"""The diagnoses of nnkit.checks.hints: each names the real problem (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from nnkit.checks import hints
from nnkit import checks

GENERIC = "which axis you sum or average over"


def test_shape_messages_name_the_real_problem():
    assert "empty" in hints.shape_message((0,), (1,)) and GENERIC not in hints.shape_message((0,), (1,))
    assert "single number" in hints.shape_message((), (3,))
    assert "single number is expected" in hints.shape_message((3,), ())
    assert "transpose or a reshape" in hints.shape_message((3, 2), (2, 3))
    assert GENERIC in hints.shape_message((3, 1), (3,)) or "arranged" in hints.shape_message((3, 1), (3,))
    assert GENERIC in hints.shape_message((4, 2), (3, 2))


def test_judge_uses_the_diagnosis_for_an_empty_result():
    with pytest.raises(AssertionError) as info:
        checks.check_close("t.empty", np.zeros(0), np.ones(2))
    assert "empty" in str(info.value) and GENERIC not in str(info.value)


def _raised(func, *args):
    try:
        func(*args)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no exception")


def test_numpy_errors_become_hints():
    matmul = hints.explain_error(_raised(lambda: np.ones((2, 3)) @ np.ones((2, 3))))
    assert "matrix product" in matmul and "transposed" in matmul
    broadcast = hints.explain_error(_raised(lambda: np.ones((2, 3)) + np.ones((2,))))
    assert "Broadcasting" in broadcast
    with np.errstate(over="raise"):
        overflow = hints.explain_error(_raised(np.exp, np.array([1000.0])))
    assert "np.exp overflowed" in overflow and GENERIC not in overflow
    none = hints.explain_error(_raised(lambda: None + np.ones(2)))
    assert "return" in none
    assert hints.explain_error(KeyError("x")) is None


def test_call_reports_an_in_place_update_before_any_value():
    def in_place(theta, grad):
        theta -= 0.1 * grad
        return theta

    with pytest.raises(AssertionError) as info:
        checks.call("t.step", in_place, np.ones(3), np.ones(3))
    assert "changed its input theta in place" in str(info.value)
    nested = {"W": np.ones(2)}
    with pytest.raises(AssertionError, match="params"):
        checks.call("t.nested", lambda params: params["W"].__imul__(2), nested)
    assert checks.call("t.fine", lambda a, b: a + b, np.ones(2), b=np.ones(2)).tolist() == [2.0, 2.0]


def test_call_explains_errors_and_applies_errstate():
    with pytest.raises(AssertionError, match="matrix product"):
        checks.call("t.dense", lambda A, W: A @ W, np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(AssertionError, match="np.exp overflowed"):
        checks.call("t.sigmoid", lambda z: 1 / (1 + np.exp(-z)), np.array([-1000.0]), errstate={"over": "raise"})
    with pytest.raises(AssertionError, match="my own hint"):
        checks.call("t.other", lambda: {}["x"], hint="my own hint")
