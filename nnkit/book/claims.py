"""`claim`: a sentence of the book about a computed result, checked while the book builds.

A chapter states what its numbers and figures show in prose. Each such sentence is
backed by a check in a hidden code cell right after the computation::

    claim(errors["He"][-1] < 2 * errors["He"][0],
          "Under He initialization the signal stays level over ten layers.",
          first=errors["He"][0], last=errors["He"][-1])

When the condition stops holding (new data, a changed default, a bug in nnkit), the
cell raises `ClaimError`, and the strict build fails with the sentence and the values
that contradict it. Nothing else in nnkit imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["ClaimError", "claim"]


class ClaimError(AssertionError):
    """A sentence of the book no longer matches what the book computes."""


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


def claim(condition: Any, sentence: str, **values: Any) -> None:
    """Fail the build unless `condition` holds; quote `sentence` and show `values` if not.

    `condition` must be a plain bool (or a NumPy bool scalar): an array would hide
    which entries failed, so wrap it in ``np.all(...)`` or ``np.any(...)`` yourself.
    `values` are the numbers the sentence is about, shown in the failure message.
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise TypeError("claim: the second argument must be the sentence of the book it backs.")
    if isinstance(condition, np.ndarray) and condition.ndim > 0:
        raise TypeError(f"claim({sentence!r}): the condition is an array of shape "
                        f"{condition.shape}; reduce it with np.all(...) or np.any(...).")
    if not isinstance(condition, (bool, np.bool_)):
        raise TypeError(f"claim({sentence!r}): the condition must be a bool, "
                        f"got {type(condition).__name__}.")
    if bool(condition):
        return
    shown = "\n".join(f"    {name} = {_show(v)}" for name, v in values.items())
    raise ClaimError(f"The book says: \"{sentence}\"\nbut the computed values contradict it"
                     + (f":\n{shown}" if shown else " (no values given).")
                     + "\nChange the computation or rewrite the sentence.")
