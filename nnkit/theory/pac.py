"""PAC sample complexity in the realizable case: how many samples are enough (chapter 8).

A consistent learner (one that returns a hypothesis with zero training error) from a
class H is, with probability at least ``1 - delta``, within error ``epsilon`` of the
target once the number of samples m reaches the bounds below. Each function returns
the bound rounded up to an integer; `epsilon_for_sample_size` inverts them.

Logarithms: ``ln`` is the natural logarithm, ``log2`` base 2, exactly as written.

Worked example of the chapter: a perceptron in R^5 (VC dimension 6), ``epsilon = 0.08``,
``delta = 0.05``: `vc_sample_size_blumer` gives 4407 and `vc_sample_size_anthony_biggs`
gives 2435 (the "about 4.4 and 2.4 thousand" of the syllabus).

All are exported from `nnkit.theory`.
"""

from __future__ import annotations

import math

from nnkit.core import NNKitError

__all__ = [
    "finite_class_sample_size", "vc_sample_size_blumer", "vc_sample_size_anthony_biggs",
    "epsilon_for_sample_size",
]


def _check_eps_delta(who: str, epsilon: float, delta: float) -> None:
    if not 0 < epsilon < 1:
        raise NNKitError(f"{who}: epsilon (the accuracy) must be in (0, 1), got {epsilon!r}.")
    if not 0 < delta < 1:
        raise NNKitError(f"{who}: delta (1 - confidence) must be in (0, 1), got {delta!r}.")


def _check_d(who: str, d_vc) -> int:
    if int(d_vc) != d_vc or d_vc < 1:
        raise NNKitError(f"{who}: d_vc must be a positive integer, got {d_vc!r}.")
    return int(d_vc)


def _ln_H(who: str, H_size, ln_H) -> float:
    if (H_size is None) == (ln_H is None):
        raise NNKitError(
            f"{who}: give exactly one of H_size (|H|) and ln_H (ln |H|, for classes too large "
            "to write down, e.g. ln_H = n_bits * math.log(2))."
        )
    if ln_H is None:
        if H_size < 1:
            raise NNKitError(f"{who}: H_size must be >= 1, got {H_size!r}.")
        return math.log(H_size)
    if ln_H < 0:
        raise NNKitError(f"{who}: ln_H must be >= 0, got {ln_H!r}.")
    return float(ln_H)


# -- the bounds as real numbers (the public functions round up) -----------------------------


def _finite(ln_H: float, epsilon: float, delta: float) -> float:
    return (ln_H + math.log(1 / delta)) / epsilon


def _blumer(d: float, epsilon: float, delta: float) -> float:
    return max(4 / epsilon * math.log2(2 / delta), 8 * d / epsilon * math.log2(13 / epsilon))


def _anthony_biggs(d: float, epsilon: float, delta: float) -> float:
    return 4 / epsilon * (d * math.log2(12 / epsilon) + math.log2(2 / delta))


def finite_class_sample_size(H_size=None, epsilon: float = 0.1, delta: float = 0.05, *,
                             ln_H: float | None = None) -> int:
    """Samples enough for a consistent learner over a finite class H::

        m >= (ln|H| + ln(1/delta)) / epsilon

    (the union bound: a hypothesis with error > epsilon survives m samples with
    probability < (1 - epsilon)^m <= exp(-epsilon m); Blumer et al., 1987; Valiant, 1984).
    Give |H| as `H_size`, or ln|H| as `ln_H` for huge classes.

    Example: ``finite_class_sample_size(2**20, 0.1, 0.05)`` = ceil((20 ln 2 + ln 20) / 0.1) = 169.
    """
    _check_eps_delta("finite_class_sample_size", epsilon, delta)
    return math.ceil(_finite(_ln_H("finite_class_sample_size", H_size, ln_H), epsilon, delta))


def vc_sample_size_blumer(d_vc: int, epsilon: float, delta: float) -> int:
    """Realizable-case VC bound of Blumer, Ehrenfeucht, Haussler and Warmuth (1989)::

        m >= max( (4/epsilon) log2(2/delta),  (8 d_vc/epsilon) log2(13/epsilon) )

    Theorem 2.1(ii)(b) of A. Blumer, A. Ehrenfeucht, D. Haussler, M. K. Warmuth,
    "Learnability and the Vapnik-Chervonenkis dimension", J. ACM 36(4):929-965, 1989
    (their ``log`` is base 2). Any consistent learner over a class of VC dimension d_vc
    is then (epsilon, delta)-PAC. (Some textbooks, e.g. Mitchell 1997, eq. 7.7, quote it
    with a sum instead of the max, which is slightly larger.)

    Example: d_vc = 6, epsilon = 0.08, delta = 0.05 -> 4407 (the second term dominates).
    """
    _check_eps_delta("vc_sample_size_blumer", epsilon, delta)
    return math.ceil(_blumer(_check_d("vc_sample_size_blumer", d_vc), epsilon, delta))


def vc_sample_size_anthony_biggs(d_vc: int, epsilon: float, delta: float) -> int:
    """Realizable-case VC bound in the form of Anthony and Biggs (1992)::

        m >= (4/epsilon) ( d_vc log2(12/epsilon) + log2(2/delta) )

    M. Anthony and N. Biggs, "Computational Learning Theory", Cambridge University Press,
    1992, Theorem 8.4.1 (sufficient sample size for any consistent algorithm; their
    ``log`` is base 2). With natural logarithms in place of log2 the same expression
    would give a smaller number (1688 in the example); that is not the published form.

    Example: d_vc = 6, epsilon = 0.08, delta = 0.05 -> 2435.
    """
    _check_eps_delta("vc_sample_size_anthony_biggs", epsilon, delta)
    return math.ceil(_anthony_biggs(_check_d("vc_sample_size_anthony_biggs", d_vc), epsilon, delta))


_RAW = {
    finite_class_sample_size: _finite,
    vc_sample_size_blumer: _blumer,
    vc_sample_size_anthony_biggs: _anthony_biggs,
}


def epsilon_for_sample_size(bound, capacity: float, m: int, delta: float) -> float:
    """Invert a bound: the accuracy epsilon that m samples guarantee with confidence 1 - delta.

    `bound` is one of `finite_class_sample_size` (then `capacity` is ln|H|),
    `vc_sample_size_blumer` or `vc_sample_size_anthony_biggs` (then `capacity` is d_vc),
    or any function ``bound(capacity, epsilon, delta)`` that decreases in epsilon.
    For the three built-in bounds the result solves ``bound_real(capacity, epsilon, delta)
    = m`` for the bound *before* rounding up (closed form for the finite class,
    ``(ln|H| + ln(1/delta)) / m``; bisection for the VC bounds); for any other function it
    is the smallest epsilon with ``bound(capacity, epsilon, delta) <= m``, to 1e-12.

    Returns ``inf`` if even epsilon = 1 needs more than m samples (the bound says nothing).
    """
    if not 0 < delta < 1:
        raise NNKitError(f"epsilon_for_sample_size: delta must be in (0, 1), got {delta!r}.")
    if m <= 0:
        raise NNKitError(f"epsilon_for_sample_size: m must be positive, got {m!r}.")
    raw = _RAW.get(bound)
    if raw is _finite:
        eps = (capacity + math.log(1 / delta)) / m
        return eps if eps <= 1 else math.inf
    f = raw if raw is not None else bound
    hi = 1.0 if raw is not None else 1.0 - 1e-12  # the public functions want epsilon < 1
    if f(capacity, hi, delta) > m:
        return math.inf
    lo = 1e-15  # f(lo) > m >= f(hi) for any sensible m
    while hi - lo > 1e-12 * hi:
        mid = 0.5 * (lo + hi)
        if f(capacity, mid, delta) > m:
            lo = mid
        else:
            hi = mid
    return hi
