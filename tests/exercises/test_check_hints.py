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
    assert "keys" in hints.explain_error(KeyError("x"))


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


def test_name_and_missing_nnkit_errors_get_their_own_hints():
    assert "run the cells above" in hints.explain_error(NameError("name 'net_curves' is not defined"))
    missing = ModuleNotFoundError("No module named 'nnkit'", name="nnkit")
    assert "set-up cell" in hints.explain_error(missing)
    assert hints.explain_error(ModuleNotFoundError("x", name="torch")) is None


@pytest.fixture()
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    yield sh
    sh.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def _traceback_of(shell, source: str, capsys) -> str:
    """The traceback text a notebook shows: ipykernel sends the structured traceback that
    `_showtraceback` receives, so that is what is captured here."""
    shown = []
    shell._showtraceback = lambda etype, evalue, stb: shown.append(shell.InteractiveTB.stb2text(stb))
    result = shell.run_cell(source)
    assert not result.success and len(shown) == 1
    return shown[0]


def test_every_cell_error_in_jupyter_ends_with_the_hint(shell, capsys):
    """A NumPy error from a student's function called directly (no checks.call) is explained."""
    assert hints.install_hints(shell)
    shell.run_cell("import numpy as np\n"
                   "def dense(A, W, b):\n    return A @ W + b\n")
    text = _traceback_of(shell, "dense(np.ones((5, 2)), np.ones((3, 2)), np.zeros(3))", capsys)
    assert "ValueError" in text and "matmul" in text            # the real traceback stays
    assert "Hint: the matrix product failed" in text and "(n_out, n_in)" in text
    text = _traceback_of(shell, "print(undefined_curves)", capsys)
    assert "Hint: undefined_curves is not defined yet" in text
    # a failed check already carries its own hint: nothing is added
    text = _traceback_of(shell, "from nnkit import checks\n"
                                "checks.check_close('t.x', np.ones(2), np.zeros(2), hint='mine')", capsys)
    assert "mine" in text and "Hint: the matrix" not in text and text.count("Hint:") == 1
    # an error without a known diagnosis shows the plain traceback
    text = _traceback_of(shell, "raise RuntimeError('W3')", capsys)
    assert "RuntimeError" in text and "Hint:" not in text
    # a missing key of a dict is explained (issue 24)
    text = _traceback_of(shell, "{'W1': 1}['W3']", capsys)
    assert "KeyError" in text and "Hint: the key 'W3' is not in the dict" in text
    # syntax errors keep IPython's own display, and the shell still records every error
    assert "SyntaxError" in _traceback_of(shell, "def f(:\n    pass", capsys)
    assert isinstance(shell.run_cell("np.ones(2) @ np.ones(3)").error_in_exec, ValueError)


def test_importing_checks_in_ipython_installs_the_hints_once(shell):
    import importlib

    import nnkit.checks as checks_module

    importlib.reload(checks_module)          # the import-time call, now with a shell running
    assert shell.custom_exceptions == (Exception,)
    assert hints.install_hints(shell)        # idempotent
    shell.set_custom_exc((KeyError,), lambda *a, **k: None)
    assert not hints.install_hints(shell)    # another handler is left alone
    assert not hints.install_hints(object())  # not an IPython shell


def test_a_section_ends_only_its_own_group_while_grading(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(checks.RECORD_ENV, str(tmp_path / "records"))
    with checks.section("t.first"):
        checks.check_close("t.before", np.ones(2), np.ones(2), points=0.5)
        np.ones(2) @ np.ones(3)                       # the student's function crashes here
        checks.check_close("t.never", np.ones(2), np.ones(2), points=0.25)
    with checks.section("t.second"):
        checks.check_close("t.after", np.zeros(2), np.zeros(2), points=0.25)
    err = capsys.readouterr().err
    assert err.startswith(f"{checks.SECTION_MARK} 't.first' stopped: ValueError: matmul")
    assert "Hint: the matrix product failed" in err
    records, problems = checks.load_records(tmp_path / "records")
    assert not problems and sorted(name for name, _ in records) == ["t.after", "t.before"]
    with pytest.raises(KeyboardInterrupt):            # only errors are contained
        with checks.section("t.third"):
            raise KeyboardInterrupt


def test_a_section_raises_as_usual_in_jupyter(monkeypatch):
    monkeypatch.delenv(checks.RECORD_ENV, raising=False)
    with pytest.raises(ValueError, match="matmul"):
        with checks.section("t.first"):
            np.ones(2) @ np.ones(3)


# ---------------------------------------------------------------- common Python/NumPy errors (issue 24)
COMMON_ERRORS = [
    # (what the student's code does, words the hint must contain)
    (lambda: {"W": 1}["w"], ["'w'", "keys"]),
    (lambda: bool(np.ones(3) > 0), ["single True or False", "np.where", ".any()"]),
    (lambda: np.zeros((3, 2)).__setitem__(slice(0, 2), np.ones(3)), ["assignment", "(3,)", "(2,2)"]),
    (lambda: np.zeros(3)[3], ["out of range", "axis 0 has only 3 entries", "index 3"]),
    (lambda: [1, 2][2], ["out of range"]),
    (lambda: np.zeros(3)[0, 1], ["fewer dimensions"]),
    (lambda: None + 1, ["None", "return"]),
    (lambda: len(None), ["None", "return"]),
    (lambda: None[0], ["None", "return"]),
    (lambda: 1 / 0, ["division by zero"]),
    (lambda: (lambda z: z)(1, 2), ["signature"]),
    (lambda: (lambda z: z)(1, alpha=2), ["signature"]),
    (lambda: 3.0(2), ["not a function"]),
    (lambda: [1.0, 2.0].shape, ["np.asarray"]),
    (lambda: np.array([[1.0, 2.0], [3.0]], dtype=float), ["different lengths"]),
    (lambda: np.ones(5).reshape(2, 3), ["reshape"]),
]


def _unbound():
    if False:
        x = 1
    return x  # noqa: F821


@pytest.mark.parametrize("i", range(len(COMMON_ERRORS)))
def test_common_python_and_numpy_errors_get_a_hint(i):
    func, words = COMMON_ERRORS[i]
    exc = _raised(func)
    hint = hints.explain_error(exc)
    assert hint, f"no hint for {type(exc).__name__}: {exc}"
    for word in words:
        assert word in hint, (word, hint)
    assert "UnboundLocalError" in hints.describe_error(_raised(_unbound)) and "every" in hints.describe_error(_raised(_unbound))


def test_call_names_the_error_with_its_hint():
    with pytest.raises(AssertionError, match=r"(?s)t\.key.*KeyError.*keys"):
        checks.call("t.key", lambda d: d["b"], {"a": np.ones(2)})


def test_call_refuses_none_unless_allowed():
    with pytest.raises(AssertionError, match="(?s)returned None.*raise it"):
        checks.call("t.none", lambda x: None, np.ones(2))
    assert checks.call("t.none_ok", lambda x: None, np.ones(2), allow_none=True) is None


def test_call_sees_a_list_emptied_or_changed_in_place():
    with pytest.raises(AssertionError, match="changed its input params"):
        checks.call("t.pop", lambda params: params.pop(), [np.ones(2), np.ones(3)])
    with pytest.raises(AssertionError, match="changed its input rates"):
        checks.call("t.rates", lambda rates: rates.__setitem__(0, 5.0) or 1.0, [0.1, 0.2])
    with pytest.raises(AssertionError, match="changed its input names"):
        checks.call("t.names", lambda names: names.sort() or 1, ["b", "a"])
    assert checks.call("t.fine", lambda rates: sum(rates), [0.1, float("nan")]) > 0 or True


def test_call_refuses_a_value_that_is_not_a_function():
    with pytest.raises(AssertionError, match="not a function"):
        checks.call("t.shadowed", 0.5, np.ones(2))
