"""`claim`: a sentence of the book about a computed result, checked while the book builds.

A chapter states what its numbers and figures show in prose. Each such sentence is backed
by a claim in a hidden code cell right after the computation. The claim names the measured
quantities and the bounds that the sentence states, as *checks*::

    claim("Under He initialization the signal stays level over ten layers.",
          between(last / first, 0.8, 1.25, name="last/first"))

    claim("Every doubling of N divides the error by about four.",
          near(factors, 4.0, rel=0.25, name="factors"))

    claim("The trained network's error is larger than the least-squares fit's.",
          less_than(lstsq_err, trained_err, names=("lstsq", "trained")))

When a check stops holding (new data, a changed default, a bug in nnkit), the cell raises
`ClaimError`, and the strict build fails with the sentence and the values that contradict it.

Because a check keeps its measured values apart from its bounds, it can be re-evaluated with
the values *perturbed*: `audit` scales every measured value by 10 % and by the check's own
margin (the tolerance of "about", the width of a band) in both directions and reports a check
that none of these perturbations makes fail (vacuous) or, for a two-sided check, that only one
direction makes fail (weak). While the book builds, `_ext/claim_record.py` points each
chapter's kernel at a JSON file, and every claim is recorded there for
`tests/book/test_claims_perturbed.py`. Nothing else in nnkit imports this module.

The old form ``claim(condition, sentence, **values)`` took a precomputed bool, which no test
can perturb; it is refused with a `TypeError` that says how to rewrite it.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Check", "ClaimError", "above", "agree", "audit", "below", "between", "claim",
           "code_hash", "equal", "less_than", "near", "order_of", "perturbations"]

TEN_PERCENT = 0.1
LARGEST_MARGIN = 9.0  # a factor of ten: no sentence of the book speaks more loosely than that
RECORD_ENV = "NNKIT_CLAIMS_FILE"
RECORDED_ENTRIES = 1000  # arrays longer than this are recorded as a telling sample
CODE_HASH_ENV = "NNKIT_CLAIMS_CODE"
_CODE_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)


class ClaimError(AssertionError):
    """A sentence of the book no longer matches what the book computes."""


# ---------------------------------------------------------------------------- values

def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a measured value (numbers, bools, strings, nested lists)."""
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (int, float)):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "biuf":
        return array.tolist()
    if array.dtype.kind in "US":
        return array.astype(str).tolist()
    raise TypeError(f"claim: a measured value must be a number, a bool, a string or an array of "
                    f"them, got {type(value).__name__}.")


def _number(value: Any, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"claim: {what} must be a number, got {value!r}.")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"claim: {what} is nan.")
    return value


def _array(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.size == 0:
        raise ValueError(f"claim: the measured value {name!r} is empty; there is nothing to check.")
    return array


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) and not all(
            isinstance(v, (int, float, np.number)) for v in value):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    array = np.asarray(value) if not isinstance(value, str) else None
    if array is not None and array.dtype.kind in "biuf" and array.size > 1:
        with np.printoptions(precision=4, threshold=12, edgeitems=3):
            return np.array2string(array, separator=", ")
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value)


# ---------------------------------------------------------------------------- checks

@dataclass(frozen=True)
class Check:
    """One comparison of measured values with the bounds a sentence states.

    `kind` names the comparison, `values` holds the measured quantities (name -> value),
    `bounds` the numbers taken from the sentence, `margin` the sentence's own relative margin
    (used as a perturbation) and `two_sided` whether the sentence bounds the value on both sides.
    """

    kind: str
    values: dict[str, Any]
    bounds: dict[str, Any] = field(default_factory=dict)
    margin: float = TEN_PERCENT
    two_sided: bool = False

    def holds(self, values: Mapping[str, Any] | None = None) -> bool:
        """Whether the comparison holds for `values` (default: the measured ones)."""
        v = dict(self.values if values is None else values)
        b = self.bounds
        with np.errstate(all="ignore"):
            if self.kind == "equal":
                (value,) = v.values()
                return _same(value, b["expected"])
            if self.kind in ("agree", "less_than"):
                a, c = (_array(x, n) for n, x in v.items())
                if self.kind == "agree":
                    scale = np.maximum(np.abs(a), np.abs(c)) if b["relative"] else 1.0
                    return bool(np.all(np.abs(a - c) <= b["tol"] * scale))
                return bool(np.all(a < b["factor"] * c))
            ((name, value),) = v.items()
            x = _array(value, name)
            if self.kind == "below":
                return bool(np.all(x < b["bound"]))
            if self.kind == "above":
                return bool(np.all(x > b["bound"]))
            if self.kind == "between":
                return bool(np.all((b["low"] <= x) & (x <= b["high"])))
            if self.kind == "near":
                return bool(np.all(np.abs(x - b["target"]) <= b["tol"]))
            if self.kind == "order_of":
                return bool(np.all((x > 0) & (np.abs(np.log10(x) - b["exponent"]) <= 0.5)))
        raise ValueError(f"claim: unknown kind of check {self.kind!r}.")

    def describe(self) -> str:
        names = ", ".join(self.values)
        bounds = ", ".join(f"{k}={_show(x)}" for k, x in self.bounds.items())
        return f"{self.kind}({names}; {bounds})"

    def to_json(self) -> dict[str, Any]:
        """The check as JSON; large arrays keep a sample that includes their extreme entries."""
        values, bounds = dict(self.values), dict(self.bounds)
        arrays = [np.asarray(v) for v in values.values()]
        if arrays[0].size > RECORDED_ENTRIES and all(a.shape == arrays[0].shape for a in arrays):
            keep = _telling_entries(arrays)
            values = {k: np.asarray(v).ravel()[keep] for k, v in values.items()}
            expected = np.asarray(bounds.get("expected", 0))
            if expected.shape == arrays[0].shape:
                bounds["expected"] = expected.ravel()[keep]
        return {"kind": self.kind, "values": {k: _plain(x) for k, x in values.items()},
                "bounds": {k: _plain(x) for k, x in bounds.items()},
                "margin": self.margin, "two_sided": self.two_sided}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Check:
        return cls(kind=data["kind"], values=dict(data["values"]), bounds=dict(data["bounds"]),
                   margin=float(data["margin"]), two_sided=bool(data["two_sided"]))


def _telling_entries(arrays: list[np.ndarray]) -> np.ndarray:
    """Indices of an even sample of the entries plus every array's extremes (and, for two
    arrays, their largest difference): the entries on which perturbed checks turn."""
    flat = [a.ravel() for a in arrays]
    size = flat[0].size
    keep = set(np.linspace(0, size - 1, RECORDED_ENTRIES).astype(int).tolist())
    if all(a.dtype.kind in "biuf" for a in flat):
        x = [a.astype(float) for a in flat]
        for a in x:
            keep |= {int(np.argmin(a)), int(np.argmax(a)), int(np.argmax(np.abs(a)))}
        if len(x) == 2:
            keep.add(int(np.argmax(np.abs(x[0] - x[1]))))
            keep.add(int(np.argmax(x[0] / np.where(x[1] == 0, np.inf, x[1]))))
    return np.array(sorted(keep))


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, str) or isinstance(value, str):
        return value == expected
    a, e = np.asarray(value), np.asarray(expected)
    if e.ndim == 0:  # one expected value for every entry
        return a.size > 0 and bool(np.all(a == e))
    return a.shape == e.shape and bool(np.all(a == e))


def _margin(margin: float | None, default: float) -> float:
    m = default if margin is None else _number(margin, "margin")
    if not 0 < m <= LARGEST_MARGIN:
        raise ValueError(f"claim: a margin must lie in (0, {LARGEST_MARGIN:g}] (a relative "
                         f"change of at most a factor ten), got {m!r}.")
    return m


def _names(names: tuple[str, str] | None, default: tuple[str, str]) -> tuple[str, str]:
    names = default if names is None else tuple(names)
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError(f"claim: give two different names for the two measured values, got {names!r}.")
    return names


def below(value: Any, bound: float, *, margin: float | None = None, name: str = "value") -> Check:
    """The sentence says `value` (every entry) is smaller than `bound`: one-sided."""
    return Check("below", {name: value}, {"bound": _number(bound, "bound")},
                 _margin(margin, TEN_PERCENT))


def above(value: Any, bound: float, *, margin: float | None = None, name: str = "value") -> Check:
    """The sentence says `value` (every entry) is larger than `bound`: one-sided."""
    return Check("above", {name: value}, {"bound": _number(bound, "bound")},
                 _margin(margin, TEN_PERCENT))


def between(value: Any, low: float, high: float, *, name: str = "value") -> Check:
    """The sentence puts `value` (every entry) in the band [low, high]: two-sided.

    The band's margin is how far (relatively) the value may move before it leaves the band,
    so a band reaching more than a factor ten away from the value is reported by `audit`.
    """
    low, high = _number(low, "low"), _number(high, "high")
    if not low < high:
        raise ValueError(f"claim: between needs low < high, got [{low!r}, {high!r}].")
    return Check("between", {name: value}, {"low": low, "high": high},
                 _room(_array(value, name), low, high), True)


def _shrink_step(ratio: float) -> float:
    """The step that shrinks a value by `ratio` (in (0, 1]) in the metric of `perturbations`.

    A step below 1 multiplies by 1 - step, a step of 1 or more divides by 1 + step: shrinking to
    a third takes the step 2 (divide by 3), not 2/3, which `perturbations` would apply as a
    division by 5/3 and so never reach the bound.
    """
    if ratio <= 0.0:
        return 1.0          # a band down to 0: no relative move reaches it (reported as weak)
    return 1.0 - ratio if ratio > 0.5 else 1.0 / ratio - 1.0


def _room(x: np.ndarray, low: float, high: float) -> float:
    """How far (relatively) `x` may move before it leaves [low, high]: a band's margin.

    The larger of the two sides' steps, each in the metric in which `perturbations` moves a
    value, so that a move by the room leaves the band on both sides.
    """
    if np.all(x > 0) and low >= 0:
        room = max(high / x.max() - 1.0, _shrink_step(low / x.min()))
    elif np.all(x < 0) and high <= 0:
        room = max(low / x.min() - 1.0, _shrink_step(high / x.max()))
    else:
        room = (high - low) / 2 / max(builtins.abs(low + high) / 2, 1e-300)
    return float(np.clip(room, TEN_PERCENT, LARGEST_MARGIN))


def near(value: Any, target: float, *, rel: float | None = None, abs: float | None = None,
         name: str = "value") -> Check:
    """The sentence says `value` is about `target` ("about 4", "close to 1"): two-sided.

    Give the sentence's tolerance as `rel` (relative to `target`) or `abs`; like `between`,
    the margin is how far the value may move before it leaves target +- tolerance.
    """
    target = _number(target, "target")
    if (rel is None) == (abs is None):
        raise TypeError("claim: near needs exactly one of rel= or abs= (the sentence's tolerance).")
    tol = _number(rel, "rel") * builtins.abs(target) if rel is not None else _number(abs, "abs")
    if tol <= 0:
        raise ValueError("claim: near needs a positive tolerance (and rel= a non-zero target).")
    room = 1.1 if target == 0 else _room(_array(value, name), target - tol, target + tol)
    return Check("near", {name: value}, {"target": target, "tol": tol}, room, True)



def order_of(value: Any, magnitude: float, *, name: str = "value") -> Check:
    """The sentence says `value` is of the order of `magnitude` (within half a decade): two-sided."""
    magnitude = _number(magnitude, "magnitude")
    if magnitude <= 0:
        raise ValueError("claim: order_of needs a positive magnitude such as 1e-4.")
    return Check("order_of", {name: value}, {"exponent": math.log10(magnitude)},
                 LARGEST_MARGIN, True)


def less_than(a: Any, b: Any, *, factor: float = 1.0, margin: float | None = None,
              names: tuple[str, str] | None = None) -> Check:
    """The sentence compares two measured quantities: `a` < `factor` * `b` (entry by entry)."""
    first, second = _names(names, ("a", "b"))
    return Check("less_than", {first: a, second: b}, {"factor": _number(factor, "factor")},
                 _margin(margin, TEN_PERCENT))


def agree(a: Any, b: Any, *, tol: float, relative: bool = False,
          names: tuple[str, str] | None = None) -> Check:
    """The sentence says two measured quantities agree to `tol` (absolute, or `relative`)."""
    first, second = _names(names, ("a", "b"))
    tol = _number(tol, "tol")
    if tol < 0:
        raise ValueError("claim: agree needs a tolerance of 0 or more.")
    return Check("agree", {first: a, second: b}, {"tol": tol, "relative": bool(relative)},
                 TEN_PERCENT, True)


def equal(value: Any, expected: Any, *, name: str = "value") -> Check:
    """The sentence states an exact result: a count, a yes/no, a label.

    Arrays are compared entry by entry with an array of the same shape, or every entry with one
    expected value.
    """
    return Check("equal", {name: value}, {"expected": _plain(expected)}, TEN_PERCENT, True)


# ---------------------------------------------------------------------------- perturbation

def _scaled(value: Any, factor: float, unit: float) -> Any:
    """`value` moved by the relative change `factor` (zeros moved by (factor - 1) * unit)."""
    if isinstance(value, (bool, np.bool_)):
        return not value
    array = np.asarray(value)
    if array.dtype.kind == "b":
        return ~array
    if array.dtype.kind in "US":
        return None  # a string cannot be perturbed
    x = array.astype(float)
    moved = np.where(x == 0, (factor - 1.0) * unit, x * factor)
    if array.dtype.kind in "iu":
        step = np.where(moved > x, 1.0, -1.0)
        moved = np.where(np.round(moved) == x, x + step, np.round(moved))
    return moved


def _unit(check: Check) -> float:
    """The scale by which a zero measured value is moved: the size of the check's bounds."""
    sizes = [builtins.abs(float(v)) for k, v in check.bounds.items()
             if k in ("bound", "low", "high", "target", "tol", "expected")
             and isinstance(v, (int, float)) and not isinstance(v, bool)]
    sizes = [s for s in sizes if s > 0]
    return max(sizes) if sizes else 1.0


def _about_zero(check: Check) -> bool:
    """Whether the check compares with zero (a sign, or "about 0"): it is perturbed additively."""
    b = check.bounds
    return ((check.kind in ("below", "above") and b["bound"] == 0)
            or (check.kind == "near" and b["target"] == 0))


def perturbations(check: Check) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every perturbed set of values: (value name, "up" or "down", values).

    Each measured value in turn is multiplied by 1 + step ("up") and by 1 - step ("down"), for
    a step of 10 % and a step just past the check's margin (a step of 1 or more divides by
    1 + step instead, so that "a factor ten" moves a value ten times down); bools are flipped.
    A value of zero is moved by the same relative amount of the check's bounds. A check against
    zero (a sign, "about 0") moves its values by step times a unit instead: the tolerance of
    "about 0", or the value's own size for a sign (so a sign fails at a margin of 1).
    """
    unit = _unit(check)
    steps = sorted({TEN_PERCENT, check.margin * 1.01})  # just past the margin
    for name, value in check.values.items():
        additive = _about_zero(check) and np.asarray(value).dtype.kind == "f"
        if additive:
            x = np.asarray(value, dtype=float)
            size = check.bounds.get("tol") or float(np.max(np.abs(x))) or 1.0
        for step in steps:
            down = 1.0 - step if step < 1.0 else 1.0 / (1.0 + step)
            for direction, factor in (("up", 1.0 + step), ("down", down)):
                if additive:
                    moved = x + (step if direction == "up" else -step) * size
                else:
                    moved = _scaled(value, factor, unit)
                if moved is None:
                    continue
                yield name, direction, {**check.values, name: moved}


def audit(check: Check) -> str | None:
    """None if the check fails under the perturbations it should; otherwise what is wrong.

    Every check must fail under some perturbation of its measured values; a two-sided check
    must fail both for some upward and for some downward perturbation.
    """
    failing = {"up": False, "down": False}
    tried = False
    for _, direction, values in perturbations(check):
        tried = True
        if not check.holds(values):
            failing[direction] = True
    if not tried:
        return f"vacuous: {check.describe()} has no measured value that can be perturbed (a string?)"
    if not any(failing.values()):
        return (f"vacuous: {check.describe()} still holds with its values moved by 10% and by "
                f"its margin {check.margin:g}")
    if check.two_sided and not all(failing.values()):
        side = "up" if failing["up"] else "down"
        return (f"weak: the two-sided {check.describe()} only fails when its values move {side}")
    return None


# ---------------------------------------------------------------------------- claim

def code_hash(page_text: str) -> str:
    """A fingerprint of a MyST page's code cells: a record made from other code is stale."""
    code = "\n\x00".join(_CODE_CELL.findall(page_text))
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def _record(sentence: str, checks: tuple[Check, ...]) -> None:
    path = os.environ.get(RECORD_ENV)
    if not path:
        return
    target = Path(path)
    pid = os.getpid()
    records: list[dict[str, Any]] = []
    if target.exists():
        try:
            data = json.loads(target.read_text())
        except ValueError:
            data = {}
        if data.get("pid") == pid:  # the same kernel: append; a new run starts afresh
            records = data["claims"]
    records.append({"sentence": sentence, "checks": [c.to_json() for c in checks]})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"pid": pid, "code": os.environ.get(CODE_HASH_ENV, ""),
                                  "claims": records}, indent=1))


def claim(sentence: str, *checks: Check, **shown: Any) -> None:
    """Fail the build unless every check holds; quote `sentence` and the values if not.

    `checks` come from `below`, `above`, `between`, `near`, `order_of`, `less_than`, `agree`
    and `equal`; each names the measured values and the bound the sentence states. `shown`
    are further values printed in the failure message only.
    """
    if not isinstance(sentence, str):
        raise TypeError(
            "claim: the first argument is the sentence of the book. The old form "
            "claim(condition, sentence, **values) took a precomputed bool, which no test can "
            "perturb; state the measured values and the bounds instead, for example "
            "claim(sentence, between(ratio, 3, 5), less_than(a, b)).")
    if not sentence.strip():
        raise TypeError("claim: the first argument must be the sentence of the book it backs.")
    if not checks:
        raise TypeError(f"claim({sentence!r}): give at least one check (below, between, near, ...).")
    for check in checks:
        if not isinstance(check, Check):
            raise TypeError(f"claim({sentence!r}): {check!r} is not a check; build each one with "
                            "below, above, between, near, order_of, less_than, agree or equal.")
    failed = [c for c in checks if not c.holds()]
    if not failed:
        _record(sentence, checks)
        return
    lines = []
    for c in failed:
        values = ", ".join(f"{k} = {_show(v)}" for k, v in c.values.items())
        lines.append(f"    {c.describe()} fails: {values}")
    lines += [f"    {name} = {_show(v)}" for name, v in shown.items()]
    raise ClaimError(f"The book says: \"{sentence}\"\nbut the computed values contradict it:\n"
                     + "\n".join(lines) + "\nChange the computation or rewrite the sentence.")
