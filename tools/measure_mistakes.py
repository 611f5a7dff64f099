"""Measure an assignment's checks against wrong answers that are in no catalogue.

    python tools/measure_mistakes.py FILE [FILE ...] [--json OUT]

Each FILE is a Python file in the format of ``exercises/<assignment>/mutations.py`` with one
more name, ``ASSIGNMENT = "ex03_backprop"`` (or it is such a ``mutations.py`` itself):
``MUTATIONS`` are wrong answers, ``VARIANTS`` (optional) correct answers written differently.
Every answer is run like a submission (tests/exercises/runner.py, record mode) and judged
against the solution's records with ``nnkit.checks.compare`` and ``autograder.scoring``, the
way ``autograder grade`` scores it. Printed per answer:

- ``visible``: a visible check fails (a student sees it before handing in);
- ``hidden``: a hidden check fails (the grader sees it);
- the score out of the notebook's points, and the test cells that lost points (so that "one
  bug costs one part" can be read off).

Then the rates: wrong answers that lose points, caught by visible and by hidden checks; correct
answers that score full marks. Use it *before* adding new mistakes to a catalogue: once a
mistake is in ``mutations.py`` the checks have been written against it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "exercises"))
sys.path.insert(0, str(ROOT))

import exercise_harness as harness  # noqa: E402

from nnkit import checks  # noqa: E402


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_mistakes_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assignment = getattr(module, "ASSIGNMENT", None)
    if assignment is None and path.name == "mutations.py":
        assignment = path.parent.name
    if assignment not in harness.assignment_names():
        raise SystemExit(f"{path}: set ASSIGNMENT to one of {harness.assignment_names()} "
                         f"(got {assignment!r})")
    return assignment, list(getattr(module, "MUTATIONS", [])), list(getattr(module, "VARIANTS", []))


def judge(source, reference: dict, submitted: dict) -> dict:
    """Visible/hidden verdicts and the per-cell scores of one run's records."""
    failed = [key for key, ref in reference.items()
              if not checks.compare(ref, submitted.get(key)).passed]
    points = harness.cell_points(source)
    scores = {gid: 0.0 for gid in points}      # a test cell without any record scores nothing
    scores.update(harness.point_scores(source, reference, submitted))
    return {"visible": any(not checks.is_hidden(k[0]) for k in failed),
            "hidden": any(checks.is_hidden(k[0]) for k in failed),
            "score": sum(scores.values()), "full": sum(points.values()),
            "lost": {gid: points[gid] - s for gid, s in scores.items() if s < points[gid]}}


def measure(path: Path, workdir: Path) -> dict:
    assignment, mistakes, variants = _load(path)
    source = harness.read_source(assignment)
    jobs = [("reference", source)]
    jobs += [(f"mistake:{m['name']}", harness.apply_mutation(source, m)) for m in mistakes]
    jobs += [(f"variant:{v['name']}", harness.apply_mutation(source, v)) for v in variants]

    def run(job):
        label, nb = job
        return label, harness.run_notebook(nb, f"{assignment}.{label}", workdir, record=True)

    with ThreadPoolExecutor(harness.WORKERS) as pool:
        runs = dict(pool.map(run, jobs))
    reference = harness.load(runs["reference"].record_dir)
    rows = []
    for label, run_ in runs.items():
        if label == "reference":
            continue
        kind, name = label.split(":", 1)
        rows.append({"assignment": assignment, "kind": kind, "name": name,
                     **judge(source, reference, harness.load(run_.record_dir))})
    return {"assignment": assignment, "rows": rows}


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {100 * hits / total:.0f}%" if total else "-"


def report(results: list[dict]) -> str:
    lines = []
    wrong = [r for res in results for r in res["rows"] if r["kind"] == "mistake"]
    right = [r for res in results for r in res["rows"] if r["kind"] == "variant"]
    for res in results:
        lines.append(res["assignment"])
        for r in res["rows"]:
            mark = ("visible " if r["visible"] else "        ") + ("hidden " if r["hidden"] else "       ")
            lost = ", ".join(f"{g} -{p:g}" for g, p in r["lost"].items()) or "-"
            lines.append(f"  {r['kind']:8s} {r['name'][:38]:38s} {mark} "
                         f"{r['score']:g}/{r['full']:g}  lost: {lost}")
    lines.append("")
    lines.append(f"wrong answers that lose points: {_rate(sum(r['score'] < r['full'] for r in wrong), len(wrong))}")
    lines.append(f"caught by visible checks:       {_rate(sum(r['visible'] for r in wrong), len(wrong))}")
    lines.append(f"caught by hidden checks:        {_rate(sum(r['hidden'] for r in wrong), len(wrong))}")
    lines.append(f"correct answers at full marks:  {_rate(sum(r['score'] == r['full'] for r in right), len(right))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    for f in args.files:
        if not f.is_file():
            parser.error(f"{f}: no such file")
    workdir = harness.fresh_workdir()
    results = [measure(f, workdir) for f in args.files]
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
