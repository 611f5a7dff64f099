"""Run-time side of plain-``assert`` test cells of nbgrader courses, rewritten by the autograder.

`autograder release` rewrites an nbgrader test cell written with plain ``assert`` so that it
calls these functions. Each records plain data through `nnkit.checks` (record mode); the grader
compares the records with the solution's in its own process. Students never call this module.

- `equal` / `close`: a recognised assertion (``assert f(x) == v``, ``np.allclose`` ...): the
  value is recorded, together with a type signature for ``==`` (a list is not a tuple).
- `record_equal` / `record_close`: the same assertions as graded in a student's run: only the
  value is recorded. The expected value and the tolerance are not in the code that runs there;
  the grader takes them from the solution's reference run (where `equal` / `close` ran).
- `begin` / `end`: bracket a rewritten cell. `end` records that the cell ran to its end, whether
  it wrote to stderr (stock nbgrader gives such a cell no points) and, when the cell ends in an
  expression, nbgrader's partial-credit reading of that value.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from nnkit import checks

__all__ = ["begin", "end", "equal", "close", "record_equal", "record_close", "signature",
           "partial_value"]
NOTHING = object()
_MAX_SIGNATURE = 400


class _CountingStream:
    """Forwards to the real stream and remembers whether anything was written."""

    def __init__(self, stream):
        self.stream, self.written = stream, False

    def write(self, text):
        if text:
            self.written = True
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def begin(cell: str) -> None:
    """Start watching stderr for the rewritten test cell `cell`."""
    current = sys.stderr
    while isinstance(current, _CountingStream):
        current = current.stream
    sys.stderr = _CountingStream(current)


def partial_value(value: Any) -> float:
    """nbgrader's reading of a cell's output as partial credit; -1 means "full credit"."""
    if value is None:
        return -1.0
    try:
        number = float(repr(value))
    except (TypeError, ValueError):
        return -1.0
    return number if math.isfinite(number) or number == math.inf else -1.0


def end(cell: str, last: Any = NOTHING) -> None:
    """Record that `cell` ran to its end (and its stderr and partial-credit facts)."""
    stream = sys.stderr
    quiet = not (isinstance(stream, _CountingStream) and stream.written)
    if isinstance(stream, _CountingStream):
        sys.stderr = stream.stream
    checks.check_equal(f"{cell}.nbgrader.ran", True, True)
    checks.check_equal(f"{cell}.nbgrader.no_stderr", quiet, True,
                       hint="stock nbgrader gives no points to a test cell that writes to stderr")
    if last is not NOTHING:
        grade = partial_value(last)
        checks.check_between(f"{cell}.nbgrader.partial", min(grade, 1e300), -math.inf, math.inf)


def signature(value: Any) -> str:
    """The type structure ``==`` cares about: numbers are alike, lists, tuples and arrays are not."""
    def sig(v, depth):
        if isinstance(v, (bool, int, float, complex, np.number, np.bool_)) or (
                isinstance(v, np.ndarray) and v.ndim == 0):
            return "number"
        if isinstance(v, (str, np.str_)):
            return "str"
        if isinstance(v, (list, tuple)) and depth < 8:
            parts: list[str] = []
            for item in v:
                s = sig(item, depth + 1)
                if parts and parts[-1].split("*")[0] == s:
                    head, _, n = parts[-1].partition("*")
                    parts[-1] = f"{head}*{int(n or 1) + 1}"
                else:
                    parts.append(s)
            return f"{type(v).__name__}[{','.join(parts)}]"
        return type(v).__name__
    return sig(value, 0)[:_MAX_SIGNATURE]


def _plain(expected: Any) -> bool:
    try:
        checks.as_plain(expected)
    except checks.NotPlainData:
        return False
    return True


def equal(name: str, value: Any, expected: Any, hint: str | None = None, typed: bool = True) -> None:
    """Record ``value`` for an ``assert value == expected`` (compared by the grader).

    An `expected` that is not plain data cannot be recorded: the assertion then runs as written,
    in this process, and records nothing (release reports the cell as in-process).
    """
    if not _plain(expected):
        assert value == expected, hint
        return
    if typed:
        checks.check_equal(name + ".type", signature(value), signature(expected), hint=hint)
    checks._run("equal", name, value, expected, {"loose_dtype": 1.0}, hint)  # `==` mixes int and float


def close(name: str, value: Any, expected: Any, rtol: float, atol: float,
          hint: str | None = None) -> None:
    """Record ``value`` for a tolerance assertion (``np.allclose`` and the like)."""
    if not _plain(expected):
        assert np.allclose(value, expected, rtol=rtol, atol=atol), hint
        return
    checks._run("close", name, value, expected,
                {"rtol": float(rtol), "atol": float(atol), "loose_dtype": 1.0}, hint)


def record_equal(name: str, value: Any, typed: bool = True) -> None:
    """Record ``value`` of an ``assert value == expected`` in a student's run (no expected here)."""
    if typed:
        checks.check_equal(name + ".type", signature(value))
    checks.check_equal(name, value)


def record_close(name: str, value: Any) -> None:
    """Record ``value`` of a tolerance assertion in a student's run (no expected, no tolerance)."""
    checks.check_close(name, value)
