"""A test cell's score from the grader's verdicts on its checks.

- By default a cell is all or nothing: its points if every check passed, else 0.
- Checks that carry ``points=`` (partial credit): the cell scores the points of its passed
  checks (release made sure they add up to the cell's points).
- A rewritten plain-assert cell that ends in an expression (``<grade_id>.nbgrader.partial``):
  stock nbgrader's partial credit, i.e. the number it shows, capped at the cell's points; a
  value that is not a number (recorded as -1) means full points.
"""

from __future__ import annotations

PARTIAL = ".nbgrader.partial"


def cell_score(points: float, keys: list, verdicts: list[dict], records: dict, submitted: dict) -> float:
    if not verdicts:
        return 0.0
    keys = [tuple(k) for k in keys]
    graded = [i for i, (name, _) in enumerate(keys) if not name.endswith(PARTIAL)]
    weights = [records[keys[i]].params.get("points") for i in graded]
    if any(w is not None for w in weights):
        earned = sum(w for i, w in zip(graded, weights) if w is not None and verdicts[i]["passed"])
        return float(min(points, earned))
    if not all(verdicts[i]["passed"] for i in graded):
        return 0.0
    partial = [keys[i] for i in range(len(keys)) if i not in graded]
    if partial:
        rec = submitted.get(partial[0])
        value = float(rec.value.ravel()[0]) if rec is not None and rec.value is not None \
            and rec.value.size == 1 and rec.value.dtype.kind in "biuf" else -1.0
        if value >= 0:
            return float(min(value, points))
    return float(points)


def check_points(label: str, cells: dict, records: dict, points: dict) -> list[str]:
    """Release-time problems with ``points=``: all or none of a cell's checks, adding up."""
    problems = []
    for gid, keys in cells.items():
        weights = [records[tuple(k)].params.get("points") for k in keys
                   if not k[0].endswith(PARTIAL)]
        given = [w for w in weights if w is not None]
        if not given:
            continue
        if len(given) != len(weights):
            problems.append(f"{label}: in test cell {gid!r} some checks give points= and others "
                            "do not; give points to all of them or to none")
        elif abs(sum(given) - points[gid]) > 1e-9:
            problems.append(f"{label}: the checks of test cell {gid!r} give {sum(given):g} points "
                            f"in all but the cell is worth {points[gid]:g}; make them agree")
    return problems
