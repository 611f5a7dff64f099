"""Diagnoses for `nnkit.checks`: say what is really wrong, not what usually is.

Three helpers, used by the checks and by the exercises' test cells (NumPy only, nothing else
of nnkit, so that `nnkit.checks` stays self-contained):

- `shape_message`: why a value's shape differs from the expected one. Only a genuine shape
  problem gets the advice about axes, transposes and ``keepdims``; an empty result, a single
  number instead of an array (or the reverse) get their own explanation.
- `explain_error`: a NumPy error raised inside a student's function (a ``matmul`` core
  dimension mismatch, a broadcast failure, an overflow in ``exp``, a ``None`` used as a
  number ...) turned into a hint about the idea behind it.
- `call`: run a student's function the way a test should: it keeps copies of the array
  arguments, reports an exception with `explain_error`, and *then* checks that the inputs are
  unchanged, before any value is compared. So an in-place update is reported as an in-place
  update, not as a wrong value.
- `install_hints`: in Jupyter (any IPython shell), add `explain_error`'s hint under the
  traceback of *every* error a cell raises, so that a NumPy error from a student's function
  called directly by a test cell, or by the student's own cell, is explained too.
  `nnkit.checks` calls it on import when it runs inside IPython.
"""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any, Callable

import numpy as np

__all__ = ["shape_message", "explain_error", "describe_error", "call", "changed_inputs",
           "install_hints"]


# ---------------------------------------------------------------------------- shapes
def shape_message(value_shape: tuple, expected_shape: tuple) -> str:
    """Why an answer of shape `value_shape` does not have `expected_shape` (no values shown)."""
    value_shape, expected_shape = tuple(value_shape), tuple(expected_shape)
    size = int(np.prod(value_shape)) if value_shape else 1
    want = int(np.prod(expected_shape)) if expected_shape else 1
    head = f"the shape is {value_shape} but should be {expected_shape}. "
    if size == 0 and want > 0:
        return head + ("Your result is empty: a loop that never ran, a condition that never "
                       "held, or a selection that kept nothing?")
    if not value_shape and expected_shape:
        return head + ("You returned a single number where an array is expected: return the "
                       "whole array, not one entry of it or a sum over it.")
    if value_shape and not expected_shape:
        return head + ("An array came back where a single number is expected: reduce it (or "
                       "pick the entry asked for) and return a plain number, e.g. with float(...).")
    if size == want and size > 1:
        return head + ("The number of entries is right, so the entries are arranged differently: "
                       "maybe a transpose or a reshape is off.")
    return head + ("Check which axis you sum or average over, and whether you need a transpose "
                   "or keepdims.")


# ---------------------------------------------------------------------------- errors
_MATMUL = re.compile(r"matmul: Input operand (\d) has a mismatch in its core dimension (\d).*"
                     r"\(size (\d+) is different from (\d+)\)", re.S)
_BROADCAST = re.compile(r"operands could not be broadcast together with (?:remapped )?shapes (.*)")
_ASSIGN_BROADCAST = re.compile(r"could not broadcast input array from shape (\(.*?\)) into shape (\(.*?\))")
_OUT_OF_BOUNDS = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")
_ALIGNED = re.compile(r"shapes (\(.*?\)) and (\(.*?\)) not aligned")


def explain_error(exc: BaseException) -> str | None:
    """A hint for a NumPy (or Python) error raised in a student's code, or None if unknown."""
    text = str(exc)
    if isinstance(exc, FloatingPointError) or "overflow encountered" in text:
        what = re.search(r"(overflow|invalid value|divide by zero) encountered in (\w+)", text)
        op = what.group(2) if what else "an operation"
        if "overflow" in text and op == "exp":
            return ("np.exp overflowed: e**z is larger than any float once z exceeds about 709. "
                    "Rearrange the formula so that only numbers <= 0 are exponentiated (the two "
                    "forms for z >= 0 and z < 0 are equal mathematically).")
        if "divide by zero" in text:
            return (f"a division by zero happened in {op}: which denominator can be 0, and what "
                    "does the formula say for that case?")
        if "invalid value" in text:
            return (f"an invalid value (NaN) was produced in {op}: inf - inf, 0 / 0 or the "
                    "logarithm or square root of a negative number. Where can that happen?")
        return (f"a number overflowed in {op}: some intermediate result grew beyond the float "
                "range. Rearrange the computation so that it stays moderate.")
    m = _MATMUL.search(text)
    if m:
        return ("the matrix product failed: in A @ B the last dimension of A must equal the first "
                f"dimension of B, and here one side has {m.group(4)} where the other has "
                f"{m.group(3)}. Write the shape of every factor next to it (W is (n_out, n_in), a "
                "batch is (n, n_in)) and decide which one has to be transposed.")
    m = _ALIGNED.search(text)
    if m:
        return (f"np.dot could not multiply shapes {m.group(1)} and {m.group(2)}: the inner "
                "dimensions must agree. Write the shape of every factor next to it.")
    m = _BROADCAST.search(text)
    if m:
        return (f"two arrays of shapes {m.group(1).strip()} were combined entry by entry but do not "
                "line up. Broadcasting matches shapes from the right: compare the shapes the "
                "formula asks for with the ones you have.")
    m = _ASSIGN_BROADCAST.search(text)
    if m:
        return (f"an assignment into part of an array failed: the right-hand side has shape "
                f"{m.group(1)} but the slot it goes into has shape {m.group(2)}. Print both shapes: "
                "is the slice the size you meant, or does the value need a reshape or a transpose?")
    if "truth value of an array" in text and "ambiguous" in text:
        return ("an array was used where Python needs a single True or False (an `if`, `while`, "
                "`and`, `or`, `not`): a comparison of arrays gives one bool per entry. Use "
                "np.where(...) to choose entry by entry, or reduce it with .any() / .all() if "
                "one answer for the whole array is meant.")
    if isinstance(exc, TypeError) and "NoneType" in text:
        return ("a value is None: did a function forget its return statement (a function without "
                "`return` gives None), or is a variable still None from its starting value?")
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else "?"
        return (f"the key {key!r} is not in the dict: print its keys (sorted(d)) and compare them with "
                "the ones the instructions name, spelling, case and type included (the string "
                "'1' is not the number 1, a list is not a tuple).")
    if isinstance(exc, IndexError) and "too many indices" in text:
        return "an array has fewer dimensions than your index assumes: print its shape."
    m = _OUT_OF_BOUNDS.search(text)
    if isinstance(exc, IndexError) and (m or "out of range" in text):
        where = f" axis {m.group(2)} has only {m.group(3)} entries, so index {m.group(1)} does not exist" if m else \
            " an index is past the end"
        return (f"an index is out of range:{where}. Indices run from 0 to length - 1: is a loop "
                "going one step too far (range(n + 1)), or is it indexing the wrong axis?")
    if isinstance(exc, ZeroDivisionError):
        return ("a division by zero: which denominator can be 0 (an empty batch, a zero norm, a "
                "count of nothing), and what do the instructions say for that case?")
    if isinstance(exc, TypeError) and ("positional argument" in text or "unexpected keyword" in text):
        return ("the function was called with other arguments than it accepts: keep the "
                "signature (names, order and defaults) exactly as given in the instructions.")
    if isinstance(exc, TypeError) and "object is not callable" in text:
        return ("something that is not a function was called: did a variable take the name of a "
                "function (for example `sum = ...` or `sigmoid = sigmoid(z)`)? Rename the variable.")
    if isinstance(exc, AttributeError) and re.search(r"'(list|tuple|float|int)' object has no attribute", text):
        return ("a list or a number was used as a NumPy array: convert it first with np.asarray(...) "
                "(inputs may come as lists).")
    if isinstance(exc, ValueError) and "setting an array element with a sequence" in text:
        return ("one slot of an array was given several numbers: the pieces you put together have "
                "different lengths or shapes. Print the shape of each piece.")
    if isinstance(exc, ValueError) and "cannot reshape array of size" in text:
        return ("a reshape asks for another number of entries than the array has: the product of the "
                "new shape must equal the array's size.")
    if isinstance(exc, UnboundLocalError):
        return ("a variable is read before anything was assigned to it in this function: every "
                "branch (and the case where a loop never runs) must set it.")
    if isinstance(exc, NotImplementedError):
        return "this part is not written yet: replace raise NotImplementedError() with your code."
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.split(".")[0] == "nnkit":
        return ("nnkit is not installed in this kernel: run the set-up cell at the top of the "
                "notebook (on Colab it installs nnkit), or pip install it in this environment.")
    if type(exc) is NameError:
        name = getattr(exc, "name", None) or (re.findall(r"'(\w+)'", text) or ["a name"])[0]
        return (f"{name} is not defined yet: run the cells above this one in order (Run All), "
                "and fix the first cell that failed; a cell that raised defined nothing after "
                "the error.")
    return None


def describe_error(exc: BaseException, hint: str | None = None) -> str:
    """``"ValueError: <message>"`` and, on the next line, the hint (`explain_error`'s, else
    `hint`): how a test reports an error in the student's code."""
    said = str(exc)[:300] or ("not answered yet" if isinstance(exc, NotImplementedError) else "")
    hints = [h for h in (explain_error(exc), hint) if h]   # the error's, then the test's
    return type(exc).__name__ + (f": {said}" if said else "") + "".join(f"\nHint: {h}" for h in hints)


# ---------------------------------------------------------------------------- inputs unchanged
def _arg_names(func: Callable, args: tuple, kwargs: dict) -> list[tuple[str, Any]]:
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
        return list(bound.arguments.items())
    except (TypeError, ValueError):
        return [(f"argument {i + 1}", a) for i, a in enumerate(args)] + list(kwargs.items())


# Taken when nnkit.checks is imported (the notebook's set-up cell, before any answer): a later
# `np.array_equal = lambda *a, **k: True` in the student's code cannot change this verdict.
_array_equal = np.array_equal


def _snapshot(value: Any):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, (bool, int, float, complex, str)):
        return _Scalar(value)
    return None  # not an array container: nothing to compare


class _Scalar:
    """A number or string inside a container, remembered by value (``lst[0] = 5`` is a change)."""

    def __init__(self, value):
        self.value = value


def _same(before: Any, after: Any) -> bool:
    if before is None:
        return True
    if isinstance(before, _Scalar):
        return type(after) is type(before.value) and (
            after == before.value or (after != after and before.value != before.value))
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and bool(_array_equal(before, after, equal_nan=before.dtype.kind in "fc")))
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and all(
            _same(before[k], after[k]) for k in before)
    return len(before) == len(after) and all(_same(b, a) for b, a in zip(before, after))


def changed_inputs(named: list[tuple[str, Any]], snapshots: list[Any]) -> list[str]:
    """Names of the arguments whose arrays differ from their snapshots."""
    return [name for (name, value), snap in zip(named, snapshots) if not _same(snap, value)]


def call(name: str, func: Callable, *args: Any, errstate: dict | None = None,
         hint: str | None = None, allow_none: bool = False, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, checked before any value is: errors explained, inputs unchanged.

    Raises `AssertionError` naming the check `name` if the call raises (with a hint from
    `explain_error`, or `hint`), if it changed one of its arguments in place (arrays, and the
    lists, tuples and dicts holding arrays, numbers or strings: ``params.pop()`` is a change),
    or if it returned None (unless `allow_none`: a function meant to return nothing).
    `errstate` (e.g. ``{"over": "raise"}``) is applied during the call.
    """
    if not callable(func):
        raise AssertionError(
            f"Check {name!r} failed: {func!r} is not a function (a {type(func).__name__}): did a "
            "variable take the function's name? Define the function again (run its cell).")
    named = _arg_names(func, args, kwargs)
    snapshots = [_snapshot(value) for _, value in named]
    try:
        with np.errstate(**(errstate or {})):
            result = func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        raise AssertionError(f"Check {name!r} failed: calling {getattr(func, '__name__', 'your function')} "
                             f"raised {describe_error(exc, hint)}") from exc
    changed = changed_inputs(named, snapshots)
    if changed:
        raise AssertionError(
            f"Check {name!r} failed: {getattr(func, '__name__', 'your function')} changed its input "
            f"{', '.join(changed)} in place. Leave the inputs as they were: compute new arrays "
            "(x = x - ... instead of x -= ...), or work on a copy.")
    if result is None and not allow_none:
        raise AssertionError(
            f"Check {name!r} failed: {getattr(func, '__name__', 'your function')} returned None. "
            "Did it forget its return statement? Where the instructions say to raise an error, "
            "raise it (raise ValueError(...)) instead of returning nothing.")
    return result


# ---------------------------------------------------------------------------- Jupyter
def _hinted_traceback(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: the usual traceback, with the hint as its last line.

    IPython ignores what a custom handler returns, so it shows the traceback itself, through
    the shell's ``_showtraceback`` (which ipykernel turns into the cell's error output).
    """
    hint = None if isinstance(value, AssertionError) else explain_error(value)  # checks say theirs
    if isinstance(value, SyntaxError):
        shell.showsyntaxerror()
    elif hint is None or hasattr(value, "_render_traceback_"):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    else:
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        shell._showtraceback(etype, value, list(stb) + [f"Hint: {hint}"])


def install_hints(shell=None) -> bool:
    """Explain NumPy errors under every traceback of an IPython shell (Jupyter, Colab).

    `shell` defaults to the running one; outside IPython nothing happens. Returns True if the
    handler is installed. Errors that the shell already handles specially keep their handler.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")  # never import IPython just for this
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if getattr(shell, "custom_exceptions", ()) not in ((), (Exception,)):
        return False  # somebody else's handler: leave it alone
    shell.set_custom_exc((Exception,), _hinted_traceback)
    return True
