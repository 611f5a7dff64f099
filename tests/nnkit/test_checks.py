"""Tests of nnkit.checks: local messages, record mode, loading garbage, grader-side compare."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from nnkit import checks


@pytest.fixture
def record_dir(tmp_path, monkeypatch):
    d = tmp_path / "records"
    monkeypatch.setenv(checks.RECORD_ENV, str(d))
    monkeypatch.setitem(checks._state, "seen", {})
    return d


@pytest.fixture(autouse=True)
def _local_mode(monkeypatch):
    monkeypatch.delenv(checks.RECORD_ENV, raising=False)


def _record(tmp_path, monkeypatch, sub, fn, *args, **kw):
    d = tmp_path / sub
    monkeypatch.setenv(checks.RECORD_ENV, str(d))
    monkeypatch.setitem(checks._state, "seen", {})
    fn(*args, **kw)
    monkeypatch.delenv(checks.RECORD_ENV)
    records, problems = checks.load_records(d)
    assert not problems
    return records


# ---------------------------------------------------------------- local mode
def test_close_passes_within_tolerance():
    checks.check_close("t.a", np.array([1.0, 2.0 + 1e-9]), [1.0, 2.0])


def test_close_message_names_worst_entry_expected_and_hint():
    with pytest.raises(AssertionError) as err:
        checks.check_close("t.a", np.array([[1.0, 2.0], [3.0, 9.0]]), [[1.0, 2.1], [3.0, 4.0]],
                           hint="divide by n")
    msg = str(err.value)
    assert "'t.a'" in msg and "(1, 1)" in msg and "2 of 4 entries" in msg
    assert "expected 4" in msg and "got 9" in msg and "Hint: divide by n" in msg


def test_shape_mismatch_is_explained():
    with pytest.raises(AssertionError, match=r"shape is \(3, 2\) but should be \(2, 3\).*transpose"):
        checks.check_close("t.s", np.zeros((3, 2)), np.zeros((2, 3)))


def test_hidden_message_never_shows_expected():
    secret = 123.456789
    with pytest.raises(AssertionError) as err:
        checks.check_close("t.hidden.x", np.array([0.5]), np.array([secret]))
    assert "123.45" not in str(err.value) and "relative error" in str(err.value)
    with pytest.raises(AssertionError) as err:
        checks.check_equal("t.hidden.lbl", "cat", "dog")
    assert "dog" not in str(err.value)
    with pytest.raises(AssertionError) as err:
        checks.check_between("t.hidden.rate", 0.2, 0.71, 0.79)
    assert "0.71" not in str(err.value) and "accepted range" in str(err.value)


def test_check_without_reference_never_passes_locally():
    """Under a plain run (or stock nbgrader) a check with no reference fails loudly."""
    for call in (lambda: checks.check_close("t.hidden.x", np.ones(3)),
                 lambda: checks.check_equal("t.hidden.y", 3),
                 lambda: checks.check_shape("t.hidden.s", np.ones((2, 3)))):
        with pytest.raises(checks.NoReference, match="autograder grade"):
            call()
    with pytest.raises(AssertionError, match="plain data"):
        checks.check_close("t.hidden.x", object())
    checks.check_between("t.hidden.b", 0.5, 0.0, 1.0)   # bounds are its reference


def test_points_are_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv(checks.RECORD_ENV, str(tmp_path))
    checks.check_close("t.hidden.p", 1.0, points=1.5)
    checks.check_equal("t.q", 2, 2)
    records, problems = checks.load_records(tmp_path)
    assert not problems
    assert records[("t.hidden.p", 0)].params["points"] == 1.5
    assert "points" not in records[("t.q", 0)].params
    with pytest.raises(ValueError, match="points"):
        checks.check_equal("t.r", 1, 1, points=-1)


def test_equal_and_between():
    checks.check_equal("t.e", np.array([1, 2]), [1, 2])
    checks.check_equal("t.str", "relu", "relu")
    with pytest.raises(AssertionError, match=r"index 1.*expected 3, got 2"):
        checks.check_equal("t.e", [1, 2], [1, 3])
    checks.check_between("t.b", 0.5, 0.4, 0.6)
    with pytest.raises(AssertionError, match=r"0.7.*outside \[0.4, 0.6\]"):
        checks.check_between("t.b", 0.7, 0.4, 0.6)
    with pytest.raises(AssertionError):
        checks.check_between("t.b", float("nan"), 0.4, 0.6)


def test_nan_is_reported():
    with pytest.raises(AssertionError, match="NaN or infinity"):
        checks.check_close("t.n", np.array([1.0, np.nan]), [1.0, 2.0])


def test_object_and_lying_values_are_refused():
    class Liar:
        def __eq__(self, other):
            return True
        __array_priority__ = 1000

        def __array_function__(self, *a, **k):
            return True

    for bad in (Liar(), np.array([Liar()], dtype=object), {"a": 1}, [1, "a", Liar()]):
        with pytest.raises(AssertionError, match="Check 't.o' failed"):
            checks.check_close("t.o", bad, [1.0])


def test_ndarray_subclass_is_judged_by_its_data():
    class Lying(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)

        def __sub__(self, other):
            return np.zeros(self.shape)

        def __abs__(self):
            return np.zeros(self.shape)

    wrong = np.array([5.0, 6.0]).view(Lying)
    with pytest.raises(AssertionError):
        checks.check_close("t.sub", wrong, [1.0, 2.0])
    with pytest.raises(AssertionError):
        checks.check_equal("t.sub", wrong, [1.0, 2.0])


def test_check_shape():
    checks.check_shape("t.shape", np.zeros((2, 3)), (2, 3))
    with pytest.raises(AssertionError, match=r"expected \(3, 2\), got \(2, 3\)"):
        checks.check_shape("t.shape", np.zeros((2, 3)), (3, 2))


# ---------------------------------------------------------------- record mode
def test_record_mode_never_raises_and_round_trips(record_dir):
    checks.set_cell("cell-a")
    checks.check_close("t.a", np.arange(3.0), [9.0, 9.0, 9.0], rtol=1e-3, hint="h")
    checks.check_close("t.a", np.arange(3.0))          # second occurrence
    checks.check_close("t.bad", object())
    checks.check_between("t.b", 0.5, 0.0, 1.0)
    checks.set_cell(None)
    records, problems = checks.load_records(record_dir)
    assert problems == []
    assert set(records) == {("t.a", 0), ("t.a", 1), ("t.bad", 0), ("t.b", 0)}
    a = records[("t.a", 0)]
    np.testing.assert_array_equal(a.value, np.arange(3.0))
    np.testing.assert_array_equal(a.expected, [9.0, 9.0, 9.0])
    assert a.params == {"rtol": 1e-3, "atol": 1e-8} and a.hint == "h" and a.cell == "cell-a"
    assert records[("t.bad", 0)].error and records[("t.bad", 0)].value is None
    assert records[("t.b", 0)].params == {"low": 0.0, "high": 1.0}
    assert not any(p.suffix == ".tmp" for p in record_dir.iterdir())


def test_load_records_tolerates_garbage(record_dir, tmp_path):
    checks.check_close("t.ok", 1.0)
    (record_dir / "zz-1.json").write_text("{not json")
    (record_dir / "zz-2.json").write_text(json.dumps({"schema": 1, "name": "t.x", "occurrence": 0,
                                                      "kind": "close", "params": {},
                                                      "value": "../../etc/passwd.npy"}))
    np.save(record_dir / "obj.npy", np.array([object()], dtype=object), allow_pickle=True)
    (record_dir / "zz-3.json").write_text(json.dumps({"schema": 1, "name": "t.y", "occurrence": 0,
                                                      "kind": "close", "params": {}, "value": "obj.npy"}))
    secret = tmp_path / "secret.npy"
    np.save(secret, np.array([42.0]))
    os.symlink(secret, record_dir / "link.npy")
    (record_dir / "zz-4.json").write_text(json.dumps({"schema": 1, "name": "t.z", "occurrence": 0,
                                                      "kind": "close", "params": {}, "value": "link.npy"}))
    big = record_dir / "zz-5.json"
    big.write_text(" " * (checks.MAX_JSON_BYTES + 10))
    records, problems = checks.load_records(record_dir)
    assert set(records) == {("t.ok", 0)}
    assert len(problems) == 5


def test_duplicate_records_become_conflicts(record_dir):
    checks.check_close("t.a", 1.0)
    first = sorted(record_dir.glob("*.json"))[0]
    (record_dir / "copy.json").write_text(first.read_text())
    records, problems = checks.load_records(record_dir)
    assert records[("t.a", 0)].error and "twice" in problems[0]


def test_missing_directory_is_no_records(tmp_path):
    records, problems = checks.load_records(tmp_path / "absent")
    assert records == {} and problems


# ---------------------------------------------------------------- grader-side compare
def test_compare_uses_reference_tolerance_not_submitted(tmp_path, monkeypatch):
    ref = _record(tmp_path, monkeypatch, "ref", checks.check_close, "t.hidden.v", np.array([1.0, 2.0]),
                  rtol=1e-6, hint="scale by 1/n")[("t.hidden.v", 0)]
    sub = _record(tmp_path, monkeypatch, "sub", checks.check_close, "t.hidden.v", np.array([1.0, 2.5]),
                  rtol=10.0)[("t.hidden.v", 0)]
    verdict = checks.compare(ref, sub)
    assert not verdict.passed
    assert "index 1" in verdict.message and "relative error of 0.25" in verdict.message
    assert "scale by 1/n" in verdict.message and "expected" not in verdict.message
    good = _record(tmp_path, monkeypatch, "good", checks.check_close, "t.hidden.v", [1.0, 2.0])
    assert checks.compare(ref, good[("t.hidden.v", 0)]).passed


def test_compare_between_uses_reference_bounds(tmp_path, monkeypatch):
    ref = _record(tmp_path, monkeypatch, "ref", checks.check_between, "t.hidden.r", 0.75, 0.7, 0.8)
    sub = _record(tmp_path, monkeypatch, "sub", checks.check_between, "t.hidden.r", 0.1, 0.0, 1.0)
    verdict = checks.compare(ref[("t.hidden.r", 0)], sub[("t.hidden.r", 0)])
    assert not verdict.passed and "0.7" not in verdict.message


def test_compare_missing_and_invalid(tmp_path, monkeypatch):
    ref = _record(tmp_path, monkeypatch, "ref", checks.check_equal, "t.e", 3)[("t.e", 0)]
    assert "never ran" in checks.compare(ref, None).message
    bad = checks.Record(name="t.e", error="not plain data")
    v = checks.compare(ref, bad)
    assert not v.passed and "not plain data" in v.message


def test_scalars_keep_their_shape(record_dir):
    checks.check_close("t.scalar", 1.5)
    records, _ = checks.load_records(record_dir)
    assert records[("t.scalar", 0)].value.shape == ()


# ---------------------------------------------------------------- substitute
def test_substitute_rebinds_for_the_block_and_restores():
    ns = {}
    exec("def part_a(x):\n    return x + 1\n\ndef part_b(x):\n    return 2 * part_a(x)\n", ns)
    original = ns["part_a"]
    assert ns["part_b"](1) == 4
    with checks.substitute(ns, part_a=lambda x: x + 10, extra=5) as bound:
        assert bound is ns
        assert ns["part_b"](1) == 22          # the later part sees the reference earlier part
        assert ns["extra"] == 5
    assert ns["part_a"] is original and "extra" not in ns
    assert ns["part_b"](1) == 4


def test_substitute_restores_after_an_error_and_a_rebinding_inside():
    ns = {"f": 1}
    with pytest.raises(ZeroDivisionError):
        with checks.substitute(ns, f=2, g=3):
            ns["f"] = 99      # the code under test rebinds the name itself
            ns["g"] = 98
            1 / 0
    assert ns == {"f": 1}


def test_substitute_refuses_bad_arguments():
    with pytest.raises(TypeError, match="globals"):
        with checks.substitute(object(), f=1):
            pass
    with pytest.raises(ValueError, match="plain names"):
        with checks.substitute({}, **{"np.exp": 1}):
            pass


def test_substitute_works_on_notebook_globals():
    """A cell's function defined at the top level reads the module's globals at call time."""
    import types

    mod = types.ModuleType("notebook")
    exec("def a():\n    return 'student'\n\ndef b():\n    return a() + '!'\n", mod.__dict__)
    with checks.substitute(mod.__dict__, a=lambda: "reference"):
        assert mod.b() == "reference!"
    assert mod.b() == "student!"


# ---------------------------------------------------------------- exact comparisons (issue 24)
# Property-based: the judge agrees with an independent, entry-by-entry statement of the rule.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e300, -1e300, 5e-324, np.inf, -np.inf, np.nan]
any_float = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True))
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
tolerances = st.tuples(st.sampled_from([0.0, 1e-9, 1e-6, 1e-2, 0.5]),
                       st.sampled_from([0.0, 1e-12, 1e-8, 1e-3, 1.0]))


def _rule(v: float, e: float, rtol: float, atol: float) -> bool:
    """The contract, one entry at a time, written without NumPy."""
    import math as m

    if m.isnan(e) or m.isnan(v):
        return m.isnan(e) and m.isnan(v)
    if m.isinf(e) or m.isinf(v):
        return v == e                      # the same infinity, sign included
    return abs(v - e) <= atol + rtol * abs(e)


def _judge(kind, value, expected, name="t.x", **params):
    return checks._judge(kind, name, np.asarray(value), np.asarray(expected), params, None)[0]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), shape=shapes, tol=tolerances)
def test_close_agrees_with_the_entrywise_rule(data, shape, tol):
    rtol, atol = tol
    expected = data.draw(hnp.arrays(np.float64, shape, elements=any_float))
    # values near the reference, exactly on it, or anywhere (special values included)
    noise = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0)))
    near = expected + noise * (atol + rtol * np.abs(np.nan_to_num(expected, posinf=0, neginf=0)))
    anywhere = data.draw(hnp.arrays(np.float64, shape, elements=any_float))
    pick = data.draw(hnp.arrays(np.int8, shape, elements=st.integers(0, 2)))
    with np.errstate(all="ignore"):
        value = np.where(pick == 0, expected, np.where(pick == 1, near, anywhere))
    want = all(_rule(float(v), float(e), rtol, atol) for v, e in zip(value.ravel(), expected.ravel()))
    assert _judge("close", value, expected, rtol=rtol, atol=atol) is want


@settings(max_examples=200, deadline=None)
@given(e=st.sampled_from([np.inf, -np.inf]), v=st.floats(allow_nan=False, allow_infinity=False),
       rtol=st.sampled_from([1e-6, 0.5, 10.0]), atol=st.sampled_from([1e-8, 1.0, 1e300]))
def test_an_infinite_reference_gives_no_infinite_tolerance(e, v, rtol, atol):
    assert not _judge("close", v, e, rtol=rtol, atol=atol)
    assert not _judge("close", [1.0, v], [1.0, e], rtol=rtol, atol=atol)
    assert _judge("close", e, e, rtol=rtol, atol=atol)
    assert not _judge("close", -e, e, rtol=rtol, atol=atol)
    assert not _judge("close", np.nan, e, rtol=rtol, atol=atol)


@settings(max_examples=200, deadline=None)
@given(x=st.floats(allow_nan=False), rtol=st.sampled_from([1e-6, 1.0]), atol=st.sampled_from([1e-8, 1e308]))
def test_nan_only_where_the_reference_is_nan(x, rtol, atol):
    assert not _judge("close", np.nan, x, rtol=rtol, atol=atol)
    assert not _judge("close", x, np.nan, rtol=rtol, atol=atol)
    assert _judge("close", [np.nan, 1.0], [np.nan, 1.0], rtol=rtol, atol=atol)
    assert not _judge("equal", np.nan, x)
    assert not _judge("equal", x, np.nan)
    assert _judge("equal", [np.nan, x], [np.nan, x])


@settings(max_examples=150, deadline=None)
@given(a=shapes, b=shapes, kind=st.sampled_from(["close", "equal"]))
def test_shapes_must_match_exactly(a, b, kind):
    """No broadcasting: (3,) is not (1, 3), a number is not a 1-element array."""
    value, expected = np.zeros(a), np.zeros(b)
    assert _judge(kind, value, expected) is (a == b)


KIND_SAMPLES = {"b": np.array([True, False]), "i": np.array([1, 0]), "u": np.array([1, 0], np.uint8),
                "f": np.array([1.0, 0.0]), "f4": np.array([1.0, 0.0], np.float32),
                "c": np.array([1 + 0j, 0j]), "U": np.array(["1", "0"])}
KIND_CLASS = {"b": "b", "i": "i", "u": "i", "f": "f", "f4": "f", "c": "c", "U": "U"}


@pytest.mark.parametrize("got", sorted(KIND_SAMPLES))
@pytest.mark.parametrize("want", sorted(KIND_SAMPLES))
@pytest.mark.parametrize("kind", ["close", "equal"])
def test_dtype_kind_must_match(kind, got, want):
    """Same kind passes (int and uint are both integers, float32 and float64 both floats); any
    other kind fails, with a message that names both kinds."""
    value, expected = KIND_SAMPLES[got], KIND_SAMPLES[want]
    passed, message = checks._judge(kind, "t.kind", value, expected, {}, None)
    same = KIND_CLASS[got] == KIND_CLASS[want]
    if kind == "close" and "U" in (KIND_CLASS[got], KIND_CLASS[want]):
        same = False   # text is never close to anything
    assert passed is same, message
    if KIND_CLASS[got] != KIND_CLASS[want]:
        assert "expected" in message


def test_kind_message_teaches():
    with pytest.raises(AssertionError, match=r"integers \(int64\), expected floating-point.*astype\(float\)"):
        checks.check_close("t.relu", np.array([0, 1]), np.array([0.0, 1.0]))


@settings(max_examples=100, deadline=None)
@given(value=hnp.arrays(np.float64, shapes, elements=any_float))
def test_equal_accepts_exactly_itself(value):
    assert _judge("equal", value, value.copy())
    assert _judge("close", value, value.copy(), rtol=0.0, atol=0.0)
    if value.size:
        changed = value.copy()
        flat = changed.reshape(-1)
        flat[0] = 7.0 if flat[0] != 7.0 else 8.0
        assert not _judge("equal", changed, value)


def test_plain_asserts_keep_python_equality_of_int_and_float(record_dir):
    """nbgrader's `assert f(x) == 3` passes for 3.0: rewritten asserts compare loosely."""
    from nnkit.checks import plain_asserts

    plain_asserts.equal("c.eq", 3.0, 3)
    plain_asserts.close("c.close", np.array([1, 2]), np.array([1.0, 2.0]), 1e-6, 1e-8)
    records, _ = checks.load_records(record_dir)
    for rec in records.values():
        if rec.name in ("c.eq", "c.close"):
            assert checks._judge(rec.kind, rec.name, rec.value, rec.expected, rec.params, None)[0]
            assert rec.params["loose_dtype"] == 1.0


@settings(max_examples=60, deadline=None)
@given(ref=hnp.arrays(np.float64, st.just((3,)), elements=any_float),
       sub=hnp.arrays(np.float64, st.just((3,)), elements=any_float))
def test_compare_of_records_is_the_same_rule(tmp_path_factory, ref, sub):
    """The grader's compare() on records read back from disk judges like the rule."""
    d = tmp_path_factory.mktemp("rec")
    recs = {}
    for label, data in (("ref", ref), ("sub", sub)):
        os.environ[checks.RECORD_ENV] = str(d / label)
        checks._state["seen"] = {}
        try:
            checks.check_close("t.hidden.x", data, rtol=1e-3, atol=1e-9)
        finally:
            del os.environ[checks.RECORD_ENV]
        recs[label] = checks.load_records(d / label)[0][("t.hidden.x", 0)]
    verdict = checks.compare(recs["ref"], recs["sub"])
    assert verdict.passed is all(_rule(float(v), float(e), 1e-3, 1e-9) for v, e in zip(sub, ref))
    assert "expected" not in verdict.message   # a hidden verdict never shows the reference


def test_hidden_message_about_an_infinite_reference_hides_it():
    passed, message = checks._judge("close", "t.hidden.sat", np.array(12.5), np.array(np.inf), {}, None)
    assert not passed and "inf" not in message and "12.5" in message
    passed, message = checks._judge("close", "t.sat", np.array(12.5), np.array(np.inf), {}, None)
    assert not passed and "expected inf" in message


# ---------------------------------------------------------------- one_of
def test_one_of_accepts_any_option_and_nothing_else(tmp_path, monkeypatch):
    checks.check_one_of("t.pick", "tanh", ["sigmoid", "tanh"])
    checks.check_one_of("t.step", 1e-5, 10.0 ** -np.arange(1, 13))
    with pytest.raises(AssertionError, match="not one of"):
        checks.check_one_of("t.pick", "relu", ["sigmoid", "tanh"])
    with pytest.raises(AssertionError, match="single answer"):
        checks.check_one_of("t.pick", ["tanh"], ["sigmoid", "tanh"])
    with pytest.raises(AssertionError, match="text"):
        checks.check_one_of("t.pick", 1, ["sigmoid", "tanh"])
    with pytest.raises(ValueError):
        checks.check_one_of("t.pick", "a", [])
    # the grader judges against the reference's options, not against the solution's pick
    ref = _record(tmp_path, monkeypatch, "ref", checks.check_one_of, "t.pick", "sigmoid", ["sigmoid", "tanh"])
    sub = _record(tmp_path, monkeypatch, "sub", checks.check_one_of, "t.pick", "tanh", ["tanh"])
    bad = _record(tmp_path, monkeypatch, "bad", checks.check_one_of, "t.pick", "relu", ["relu"])
    key = ("t.pick", 0)
    assert checks.compare(ref[key], sub[key]).passed
    assert not checks.compare(ref[key], bad[key]).passed


def test_require_names_the_missing_answers():
    checks.require({"a": 1}, "a")
    with pytest.raises(AssertionError, match="errors, best_delta are not defined.*stopped with an error"):
        checks.require({}, "errors", "best_delta")
