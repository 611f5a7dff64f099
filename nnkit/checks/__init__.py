"""Checks: the contract between the exercises and the autograder.

Graded tests call these functions instead of `assert`::

    from nnkit import checks
    checks.check_close("ex01.z1", z1, expected, rtol=1e-6, atol=1e-8, hint="...")
    checks.check_equal("ex01.pred", label, expected, hint="...")
    checks.check_between("ex07.keep_rate", rate, low, high, hint="...")

Two modes, chosen by environment variables read at call time:

- default (student, local): compare in process and raise `AssertionError` with a message that
  teaches (the check's name, which entry differs, expected versus received for visible checks,
  the hint). A hidden check (name containing ``.hidden.``) never shows an expected value; with
  no ``expected`` it cannot be judged here and raises `NoReference` (grade with
  ``autograder grade``): it never passes unearned.

``points=`` on a check gives partial credit: a test cell whose checks carry points scores the
sum of the points of its passed checks (by default a cell is all or nothing).
- ``NNKIT_CHECKS_RECORD=<dir>``: also write the value and the parameters of every check as plain
  data (``.npy`` + JSON, readable with ``allow_pickle=False``) into ``<dir>``; a failed comparison
  does not raise, so every later check is still recorded.

The grader reads records back with `load_records` (never unpickling, size-limited, tolerant of
garbage) and judges a submitted record against the trusted reference record with `compare`.
Tolerances and bounds always come from the reference record. See CONTRIBUTING.md, "Checks".
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnkit.checks import hints as _check_hints

__all__ = [
    "check_close", "check_equal", "check_between", "check_shape", "check_one_of", "set_cell",
    "Record", "Verdict", "load_records", "compare", "is_hidden", "NoReference",
    "RECORD_ENV", "SCHEMA_VERSION",
]

RECORD_ENV = "NNKIT_CHECKS_RECORD"
SCHEMA_VERSION = 1
KINDS = ("close", "equal", "between", "shape", "one_of")
PLAIN_KINDS = "biufcU"          # bool, int, uint, float, complex, unicode: nothing else is data
MAX_VALUE_BYTES = 16 * 2**20    # one recorded array
MAX_JSON_BYTES = 64 * 2**10     # one record's JSON
MAX_RECORDS = 2000              # records in one directory
MAX_TOTAL_BYTES = 256 * 2**20   # all of a directory
MAX_NAME = 200
MAX_HINT = 2000

_state: dict[str, Any] = {"cell": None, "seq": 0, "seen": {}}


def is_hidden(name: str) -> bool:
    """True for a hidden check (its name contains ``.hidden.``)."""
    return ".hidden." in name


def set_cell(grade_id: str | None) -> None:
    """Attribute the checks that follow to the notebook cell `grade_id` (used at release time)."""
    _state["cell"] = None if grade_id is None else str(grade_id)[:MAX_NAME]


# ---------------------------------------------------------------------------- plain data
class NotPlainData(TypeError):
    """A checked value is not numbers, bools, strings or an array of them."""


def as_plain(value: Any, what: str = "value") -> np.ndarray:
    """Convert `value` to a base `np.ndarray` of plain data, or raise `NotPlainData`.

    Array subclasses become base arrays (their overridden methods play no part); lists,
    tuples and NumPy scalars are accepted; object arrays and anything else are refused.
    """
    if isinstance(value, np.ndarray):
        arr = np.array(value, copy=True, subok=False)
    elif isinstance(value, (bool, int, float, complex, str, np.generic, list, tuple)):
        try:
            arr = np.array(value, subok=False)
        except (ValueError, TypeError) as exc:  # ragged lists and the like
            raise NotPlainData(f"the {what} could not be turned into an array ({exc})") from None
    else:
        raise NotPlainData(
            f"the {what} is a {type(value).__name__}; return plain data instead: a number, a "
            "bool, a string, or a NumPy array (np.asarray(...)) of them")
    if type(arr) is not np.ndarray or arr.dtype.kind not in PLAIN_KINDS:
        raise NotPlainData(
            f"the {what} holds {arr.dtype} data; return numbers, bools or strings, for example "
            "a float array built with np.asarray(..., dtype=float)")
    return arr.copy(order="C")  # (np.ascontiguousarray would turn 0-d into 1-d)


# ---------------------------------------------------------------------------- records
@dataclass
class Record:
    """One check as recorded: plain data only. `error` set means "no usable answer"."""

    name: str
    occurrence: int = 0
    kind: str = "close"
    value: np.ndarray | None = None
    expected: np.ndarray | None = None
    params: dict[str, float] = field(default_factory=dict)
    hint: str | None = None
    cell: str | None = None
    error: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.occurrence)


@dataclass(frozen=True)
class Verdict:
    name: str
    passed: bool
    message: str


def _record(kind: str, name: str, value: Any, expected: Any, params: dict, hint: str | None,
            error: str | None) -> None:
    """Write one record into $NNKIT_CHECKS_RECORD (atomically: data first, JSON last)."""
    directory = os.environ.get(RECORD_ENV)
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    occurrence = _state["seen"].get(name, 0)
    _state["seen"][name] = occurrence + 1
    _state["seq"] += 1
    stem = f"{os.getpid()}-{_state['seq']:05d}"
    meta: dict[str, Any] = {
        "schema": SCHEMA_VERSION, "name": name, "occurrence": occurrence, "kind": kind,
        "params": params, "hint": hint, "cell": _state["cell"], "error": error,
        "value": None, "expected": None,
    }
    for key, data in (("value", value), ("expected", expected)):
        if isinstance(data, np.ndarray):
            fname = f"{stem}.{key}.npy"
            tmp = os.path.join(directory, fname + ".tmp")
            with open(tmp, "wb") as fh:
                np.save(fh, data, allow_pickle=False)
            os.replace(tmp, os.path.join(directory, fname))
            meta[key] = fname
    tmp = os.path.join(directory, stem + ".json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(meta, fh)
    os.replace(tmp, os.path.join(directory, stem + ".json"))


def _read_capped(path: str, limit: int) -> bytes:
    """Read a regular file without following symlinks, refusing more than `limit` bytes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > limit:
            raise ValueError(f"{st.st_size} bytes, more than the limit of {limit}")
        return read_fd_capped(fd, limit)
    finally:
        os.close(fd)


def read_fd_capped(fd: int, limit: int) -> bytes:
    """All bytes of an open file, or ValueError as soon as there are more than `limit` (a file
    may grow after its size was checked)."""
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise ValueError(f"more than the limit of {limit} bytes")
        chunks.append(chunk)


def _load_npy(directory: str, fname: Any) -> np.ndarray:
    if not isinstance(fname, str) or os.path.basename(fname) != fname or not fname.endswith(".npy"):
        raise ValueError("bad data file name")
    return npy_from_bytes(_read_capped(os.path.join(directory, fname), MAX_VALUE_BYTES + 4096))


def npy_from_bytes(raw: bytes) -> np.ndarray:
    """Parse the bytes of one ``.npy`` value (never unpickling); refuse anything but plain data."""
    import io

    if len(raw) > MAX_VALUE_BYTES + 4096:
        raise ValueError(f"{len(raw)} bytes, more than the limit of {MAX_VALUE_BYTES + 4096}")
    arr = np.load(io.BytesIO(raw), allow_pickle=False)
    if type(arr) is not np.ndarray or arr.dtype.kind not in PLAIN_KINDS:
        raise ValueError(f"data of dtype {getattr(arr, 'dtype', '?')} is not plain data")
    return arr


def _parse_record(directory: str | None, raw: bytes, load=None) -> Record:
    """One record from its JSON; `load(fname)` gives its arrays (default: from `directory`)."""
    load = load or (lambda fname: _load_npy(directory, fname))
    meta = json.loads(raw.decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA_VERSION:
        raise ValueError("unknown schema")
    name, occ, kind = meta.get("name"), meta.get("occurrence"), meta.get("kind")
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise ValueError("bad name")
    if type(occ) is not int or not 0 <= occ < MAX_RECORDS:
        raise ValueError("bad occurrence")
    if kind not in KINDS:
        raise ValueError("bad kind")
    params = meta.get("params")
    if not isinstance(params, dict) or not all(
            isinstance(k, str) and type(v) in (int, float) for k, v in params.items()):
        raise ValueError("bad params")
    hint, cell, error = meta.get("hint"), meta.get("cell"), meta.get("error")
    for item in (hint, cell, error):
        if item is not None and (not isinstance(item, str) or len(item) > MAX_HINT):
            raise ValueError("bad text field")
    rec = Record(name=name, occurrence=occ, kind=kind, params={k: float(v) for k, v in params.items()},
                 hint=hint, cell=cell, error=error)
    if meta.get("value") is not None:
        rec.value = load(meta["value"])
    if meta.get("expected") is not None:
        rec.expected = load(meta["expected"])
    if rec.value is None and rec.error is None:
        rec.error = "no value was recorded"
    return rec


def load_records(directory: str | os.PathLike) -> tuple[dict[tuple[str, int], Record], list[str]]:
    """Read a records directory written in record mode, never unpickling anything.

    Returns ``(records, problems)``: records keyed by ``(name, occurrence)``, and a list of
    human-readable problems (malformed, oversized, symlinked or conflicting files). A record
    that appears twice is replaced by an error record (a conflict is never resolved in favour
    of either copy). A missing directory gives no records.
    """
    directory = os.fspath(directory)
    records: dict[tuple[str, int], Record] = {}
    problems: list[str] = []
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return records, ["no records directory"]
    jsons = [e for e in entries if e.endswith(".json")]
    if len(entries) > 4 * MAX_RECORDS:
        problems.append(f"{len(entries)} files in the records directory; only the first are read")
    total = 0
    for fname in jsons[:MAX_RECORDS]:
        path = os.path.join(directory, fname)
        try:
            raw = _read_capped(path, MAX_JSON_BYTES)
            rec = _parse_record(directory, raw)
        except Exception as exc:  # garbage of any kind is a problem, never a crash
            problems.append(f"{fname}: unreadable record ({type(exc).__name__}: {str(exc)[:200]})")
            continue
        total += sum(a.nbytes for a in (rec.value, rec.expected) if a is not None)
        if total > MAX_TOTAL_BYTES:
            problems.append("records exceed the total size limit; the rest are ignored")
            break
        if rec.key in records:
            problems.append(f"check {rec.name!r} (occurrence {rec.occurrence}) recorded twice")
            records[rec.key] = Record(name=rec.name, occurrence=rec.occurrence, kind=rec.kind,
                                      error="the check was recorded twice (conflicting records)")
        else:
            records[rec.key] = rec
    return records, problems


# ---------------------------------------------------------------------------- comparison
def _fmt(x: Any) -> str:
    text = np.array2string(np.asarray(x), precision=6, threshold=20, edgeitems=3)
    return text if len(text) <= 300 else text[:300] + "..."


def _index(flat_index: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return ""
    idx = np.unravel_index(flat_index, shape)
    return f" at index {tuple(int(i) for i in idx)}" if len(shape) > 1 else f" at index {int(idx[0])}"


def _judge(kind: str, name: str, value: np.ndarray, expected: np.ndarray | None,
           params: dict[str, float], hint: str | None) -> tuple[bool, str]:
    """Compare plain arrays. The message never shows expected values of a hidden check."""
    hidden = is_hidden(name)
    head = f"Check {name!r} failed: "
    tail = f"\nHint: {hint}" if hint else ""

    if kind == "between":
        low, high = params.get("low", -math.inf), params.get("high", math.inf)
        if value.dtype.kind not in "biuf":
            return False, head + f"expected a real number, got {value.dtype} data." + tail
        v = value.astype(float)
        bad = ~((v >= low) & (v <= high))  # NaN is outside every range
        if not bad.any():
            return True, f"Check {name!r} passed."
        i = int(np.flatnonzero(bad.ravel())[0])
        where = _index(i, v.shape)
        got = v.ravel()[i]
        rng = "the accepted range" if hidden else f"[{low:g}, {high:g}]"
        return False, head + f"the value{where} is {got:g}, outside {rng}." + tail

    if expected is None:
        return True, f"Check {name!r}: value recorded (no reference here to compare with)."
    if kind == "shape":
        if tuple(value.ravel().tolist()) == tuple(expected.ravel().tolist()):
            return True, f"Check {name!r} passed."
        shown = "" if hidden else f" expected {tuple(expected.tolist())},"
        return False, head + f"wrong shape:{shown} got {tuple(value.tolist())}." + tail
    if kind == "one_of":   # `expected` holds the accepted answers, `value` must be one of them
        options = expected.ravel()
        shown = "the accepted answers" if hidden else _fmt(options)
        if value.shape != ():
            return False, head + (f"expected a single answer, one of {shown}, got an array of shape "
                                  f"{value.shape}.") + tail
        if _kind_class(value) != _kind_class(expected):
            return False, head + _kind_message(value.dtype, expected.dtype) + tail
        if value.dtype.kind in "fc":   # a number typed in for one of the list: 1e-12 relative
            v = np.broadcast_to(value.astype(complex if value.dtype.kind == "c" else float), options.shape)
            with np.errstate(all="ignore"):
                match = _exactly_equal(v, options) | (np.isfinite(v) & np.isfinite(options)
                                                      & (np.abs(v - options) <= 1e-12 * np.abs(options)))
        else:
            match = options == value
        if np.any(match):
            return True, f"Check {name!r} passed."
        return False, head + f"{_fmt(value)} is not one of {shown}." + tail
    if value.shape != expected.shape:
        return False, head + _check_hints.shape_message(value.shape, expected.shape) + tail

    strict = not params.get("loose_dtype")  # plain nbgrader asserts compare like `==`
    if strict and _kind_class(value) != _kind_class(expected):
        return False, head + _kind_message(value.dtype, expected.dtype) + tail
    numeric = "biufc"
    if kind == "equal":
        if (value.dtype.kind in numeric) != (expected.dtype.kind in numeric):
            return False, head + (f"got {value.dtype} data, expected "
                                  f"{'numbers' if expected.dtype.kind in numeric else 'text'}.") + tail
        if value.dtype.kind in "fc" or expected.dtype.kind in "fc":
            bad = ~_exactly_equal(value, expected)   # NaN equals NaN, and only NaN
        else:
            bad = value != expected
        if not np.any(bad):
            return True, f"Check {name!r} passed."
        i = int(np.flatnonzero(np.ravel(bad))[0])
        where = _index(i, value.shape)
        msg = f"the value{where} is wrong"
        msg += "." if hidden else f": expected {_fmt(expected.ravel()[i])}, got {_fmt(value.ravel()[i])}."
        return False, head + msg + tail

    # kind == "close"
    if value.dtype.kind not in numeric or expected.dtype.kind not in numeric:
        return False, head + f"expected numbers, got {value.dtype} data." + tail
    rtol, atol = params.get("rtol", 1e-6), params.get("atol", 1e-8)
    v = value.astype(np.complex128 if "c" in (value.dtype.kind, expected.dtype.kind) else np.float64)
    e = expected.astype(v.dtype)
    with np.errstate(all="ignore"):
        # Entries where either side is infinite or NaN match only exactly: the same infinity
        # (same sign, per part for complex numbers), NaN only where the reference is NaN. An
        # infinite reference must never give an infinite tolerance.
        finite = np.isfinite(v) & np.isfinite(e)
        diff = np.where(finite, np.abs(v - e), np.inf)
        allowed = atol + rtol * np.abs(np.where(finite, e, 0))
        ok = np.where(finite, diff <= allowed, _exactly_equal(v, e))
    if np.all(ok):
        return True, f"Check {name!r} passed."
    flat_ok = np.ravel(ok)
    n_bad = int((~flat_ok).sum())
    with np.errstate(all="ignore"):
        excess = np.where(flat_ok, -np.inf, np.nan_to_num(np.ravel(diff / allowed), nan=np.inf))
    i = int(np.argmax(excess))  # the worst entry
    where = _index(i, value.shape)
    got, exp = v.ravel()[i], e.ravel()[i]
    if not np.isfinite(got):
        detail = f"the value{where} is {got}"
        if np.isfinite(exp) or hidden:
            detail += " (NaN or infinity: look for a division by zero or an overflow)"
        else:
            detail += f" but should be {exp}"
    elif not np.isfinite(exp):
        detail = (f"the value{where} is {got:g}, a finite number, which is wrong here: what do the "
                  "instructions say to return in the special case (no answer, no limit)?")
        if not hidden:
            detail += f" (expected {exp})"
    else:
        with np.errstate(all="ignore"):
            rel = abs(got - exp) / abs(exp) if exp != 0 else math.inf
        detail = f"the worst entry{where} is off by a relative error of {rel:.3g}"
        if not hidden:
            detail += f" (expected {_fmt(exp)}, got {_fmt(got)})"
    count = f"{n_bad} of {value.size} entries differ; " if value.size > 1 else ""
    msg = count + detail + f" (tolerance rtol={rtol:g}, atol={atol:g})."
    return False, head + msg + tail


_KIND_WORDS = {"b": "booleans (True/False)", "i": "integers", "f": "floating-point numbers",
               "c": "complex numbers", "U": "text (str)"}


def _kind_class(arr: np.ndarray) -> str:
    """The dtype kind that a check compares strictly: signed and unsigned integers are one."""
    return "i" if arr.dtype.kind == "u" else arr.dtype.kind


def _kind_message(got: np.dtype, want: np.dtype) -> str:
    got_k, want_k = _KIND_WORDS[_kind_class(np.empty(0, got))], _KIND_WORDS[_kind_class(np.empty(0, want))]
    advice = {"f": "convert with np.asarray(..., dtype=float) or .astype(float)",
              "i": "return whole numbers as int (int(...) or .astype(int))",
              "b": "return the comparison itself (a bool), not a number",
              "U": "return a string", "c": "return complex numbers"}[_kind_class(np.empty(0, want))]
    return f"got {got_k} ({got}), expected {want_k}: {advice}."


def _exactly_equal(v: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Entry by entry: equal, or NaN in the same places (per part for complex numbers)."""
    if v.dtype.kind == "c" or e.dtype.kind == "c":
        v, e = np.asarray(v, complex), np.asarray(e, complex)
        return _exactly_equal(v.real, e.real) & _exactly_equal(v.imag, e.imag)
    v, e = v.astype(np.float64), e.astype(np.float64)
    return (v == e) | (np.isnan(v) & np.isnan(e))


def compare(reference: Record, submitted: Record | None) -> Verdict:
    """Judge a submitted record against the trusted reference record.

    Kind, tolerances, bounds and hint come from `reference`; from `submitted` only the value
    is used. A missing or malformed submission fails with a reason.
    """
    name, hint = reference.name, reference.hint
    tail = f"\nHint: {hint}" if hint else ""
    if reference.error is not None or (reference.value is None and reference.kind != "between"):
        return Verdict(name, False, f"Check {name!r}: the reference answer is unusable "
                                    f"({reference.error}); tell your instructor.")
    if submitted is None:
        return Verdict(name, False, f"Check {name!r} failed: it never ran (the cell may have "
                                    "raised an error before it, or the notebook stopped)." + tail)
    if submitted.error is not None or submitted.value is None:
        return Verdict(name, False, f"Check {name!r} failed: {submitted.error or 'no value'}" + tail)
    if reference.kind == "one_of":  # judged against the accepted answers, not the solution's pick
        if reference.expected is None:
            return Verdict(name, False, f"Check {name!r}: the reference has no accepted answers; "
                                        "tell your instructor.")
        passed, message = _judge("one_of", name, submitted.value, reference.expected, {}, hint)
        return Verdict(name, passed, message)
    passed, message = _judge(reference.kind, name, submitted.value, reference.value,
                             reference.params, hint)
    return Verdict(name, passed, message)


# ---------------------------------------------------------------------------- public checks
class NoReference(AssertionError):
    """A hidden check ran with no reference to compare with: only `autograder grade` can judge it."""


def _run(kind: str, name: str, value: Any, expected: Any, params: dict[str, float],
         hint: str | None, points: float | None = None) -> None:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise ValueError(f"a check needs a short non-empty string name, got {name!r}")
    if points is not None:
        points = float(points)
        if not (math.isfinite(points) and points >= 0):
            raise ValueError(f"check {name!r}: points={points!r} must be a number >= 0")
        params = dict(params, points=points)
    hint = None if hint is None else str(hint)[:MAX_HINT]
    recording = bool(os.environ.get(RECORD_ENV))
    arr = exp = None
    error = None
    try:
        arr = as_plain(value)
    except NotPlainData as exc:
        error = str(exc)
    if expected is not None:
        exp = as_plain(expected, "expected value")  # the test's own bug: always raise
    if recording:
        _record(kind, name, arr, exp, params, hint, error)
    if error is not None:
        if recording:
            return
        raise AssertionError(f"Check {name!r} failed: {error}." + (f"\nHint: {hint}" if hint else ""))
    if exp is None and kind != "between" and not recording:
        # never a pass that was not earned (e.g. under stock `nbgrader autograde`)
        raise NoReference(f"Check {name!r} is a hidden check: its reference answer is known only "
                          "to the autograder, so it cannot pass here. Grade this notebook with "
                          "`autograder grade` (not `nbgrader autograde` or a plain run).")
    passed, message = _judge(kind, name, arr, exp, params, hint)
    if not passed and not recording:
        raise AssertionError(message)


def check_close(name: str, value: Any, expected: Any = None, *, rtol: float = 1e-6,
                atol: float = 1e-8, hint: str | None = None, points: float | None = None) -> None:
    """Pass if every entry satisfies ``|value - expected| <= atol + rtol * |expected|``.

    Shapes must match exactly. Hidden checks (``.hidden.`` in `name`) pass no `expected`.
    """
    _run("close", name, value, expected, {"rtol": float(rtol), "atol": float(atol)}, hint, points)


def check_equal(name: str, value: Any, expected: Any = None, *, hint: str | None = None,
                points: float | None = None) -> None:
    """Pass if `value` equals `expected` exactly (ints, bools, strings, or arrays of them)."""
    _run("equal", name, value, expected, {}, hint, points)


def check_between(name: str, value: Any, low: float, high: float, *,
                  hint: str | None = None, points: float | None = None) -> None:
    """Pass if every entry of `value` lies in ``[low, high]`` (for statistics)."""
    low, high = float(low), float(high)
    if not low <= high:
        raise ValueError(f"check_between({name!r}): low={low} is above high={high}")
    _run("between", name, value, None, {"low": low, "high": high}, hint, points)


def check_shape(name: str, value: Any, expected_shape: tuple[int, ...] | None = None, *,
                hint: str | None = None, points: float | None = None) -> None:
    """Pass if ``np.shape(value) == expected_shape`` (checks the shape only, not the values)."""
    shape = np.asarray(np.shape(value), dtype=np.int64)
    exp = None if expected_shape is None else np.asarray(tuple(expected_shape), dtype=np.int64)
    _run("shape", name, shape, exp, {}, hint, points)


def check_one_of(name: str, value: Any, options: Any, *, hint: str | None = None,
                 points: float | None = None) -> None:
    """Pass if `value` is a single answer equal to one of `options` (strings, ints, floats).

    For a check that a multiple-choice answer is a valid choice (``"sigmoid"`` or ``"tanh"``, a
    step from the list ``hs``) without saying which choice is right: the options are part of the
    test, the value is the student's, and the grader compares the two. Visible checks only.
    """
    opts = as_plain(options, "list of accepted answers")
    if opts.ndim != 1 or opts.size == 0:
        raise ValueError(f"check_one_of({name!r}): options must be a non-empty flat list")
    _run("one_of", name, value, opts, {}, hint, points)


def call(name: str, func, *args: Any, errstate: dict | None = None, hint: str | None = None,
         allow_none: bool = False, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` for a test: an exception becomes a failed check `name` with a
    hint that explains the NumPy error; an input changed in place and a None returned (unless
    `allow_none`) fail before any value is compared. See `nnkit.checks.hints.call`."""
    return _check_hints.call(name, func, *args, errstate=errstate, hint=hint,
                             allow_none=allow_none, **kwargs)


SECTION_MARK = "nnkit.checks: section"


@contextlib.contextmanager
def section(name: str):
    """An independent group of checks in a partial-credit test cell::

        with checks.section("ex10.count"):
            checks.check_equal("ex10.count_4_50_3", count_parameters([4, 50, 3]), 403, points=0.25)

    While grading (``NNKIT_CHECKS_RECORD`` set), an exception inside the block ends only the
    block: its checks that did not run fail, and the cell goes on with the next group, so a crash
    in one function does not cost the points of another. The error is reported on stderr (one
    line starting with `SECTION_MARK`, then the hint). In Jupyter the exception propagates as
    usual.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        if not os.environ.get(RECORD_ENV):
            raise
        print(f"{SECTION_MARK} {name!r} stopped: {_check_hints.describe_error(exc)}", file=sys.stderr)


_MISSING = object()


@contextlib.contextmanager
def substitute(namespace: dict, **replacements: Any):
    """Test a later part on its own: bind names of `namespace` to reference implementations.

    A hidden test of Part B whose function calls the student's Part A runs it with the
    reference Part A instead, so that a bug in Part A costs Part A only (the CS231n way: each
    part is tested on its own)::

        ### BEGIN HIDDEN TESTS
        def _reference_sigmoid(z):
            ...
        with checks.substitute(globals(), sigmoid=_reference_sigmoid):
            checks.check_close("ex02.hidden.sigmoid_prime", checks.call("ex02.hidden.sigmoid_prime",
                                                                         sigmoid_prime, z))
        ### END HIDDEN TESTS

    `namespace` is the dict where the student's functions look names up: ``globals()`` in a
    notebook cell (a function defined in the notebook reads its globals at call time). Every
    name in `replacements` is bound for the duration of the block, and afterwards each one is
    put back exactly as it was: its old value, or no binding at all if it had none, also when
    the block raises and when the code in the block rebound the name itself. Yields
    `namespace`. Names must be identifiers (``sigmoid``, not ``np.exp``).
    """
    if not isinstance(namespace, dict):
        raise TypeError(f"checks.substitute needs the namespace dict (pass globals()), got "
                        f"{type(namespace).__name__}")
    bad = [name for name in replacements if not name.isidentifier()]
    if bad:
        raise ValueError(f"checks.substitute: {bad} are not plain names; substitute a name the "
                         "student's code looks up (a function or a variable of the notebook)")
    saved = {name: namespace.get(name, _MISSING) for name in replacements}
    namespace.update(replacements)
    try:
        yield namespace
    finally:
        for name, old in saved.items():
            if old is _MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = old


def require(namespace: dict, *names: str, hint: str | None = None) -> None:
    """Fail with a clear message if an answer's variables were never set.

    A test cell that reads variables of the answer cell above (``require(globals(), "errors",
    "best_delta")``) says which are missing and why: that answer cell stopped with an error, or
    was not run. So an error raised in an earlier part that the answer cell calls is reported
    as such, not as a bare `NameError` of this part.
    """
    missing = [name for name in names if name not in namespace]
    if missing:
        raise AssertionError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not defined: the answer cell "
            "that sets it stopped with an error or was not run. Run it and fix the first error it "
            "shows; it may come from a function of an earlier part that it calls."
            + (f"\nHint: {hint}" if hint else ""))


install_hints = _check_hints.install_hints
__all__ += ["call", "install_hints", "require", "section", "substitute", "SECTION_MARK"]
install_hints()  # in Jupyter: NumPy errors raised anywhere in the notebook come with a hint
