"""Grade one submission: rebuild, run sandboxed, read plain data back, judge here.

Nothing the student's process prints, raises or writes can award points: a test cell scores its
points only if every check attributed to it at release time has a submitted value that the
grader, in its own process, finds equal to the reference value (with the reference's tolerance).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import __version__, variants
from autograder.course import Course, CourseError
from autograder.asserts import adjust_reference
from autograder.rebuild import (InvalidNotebook, grade_id, is_answer, parse_submission, rebuild,
                               syntax_problem)
from autograder.scoring import cell_score
from autograder.sandbox import Limits, bwrap_status, run_notebook
from autograder.static_flags import static_flags
from autograder.submissions import Rejected, Submission, display_name, find_submissions  # noqa: F401
from nnkit import checks

STATUSES = ("graded", "partial", "timeout", "memory", "invalid notebook", "rejected",
            "sandbox error", "grader error")
_WORST = {s: i for i, s in enumerate(("graded", "partial", "memory", "timeout",
                                       "invalid notebook", "sandbox error", "rejected",
                                       "grader error"))}
RETRIED = ("sandbox error", "grader error")      # graded again on the next run


@dataclass
class NotebookRef:
    stem: str
    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    records: dict
    info: dict                                   # manifest entry: points, cells, checks


@dataclass
class Reference:
    assignment: str
    manifest: dict
    notebooks: dict[str, NotebookRef]
    config: dict
    data_dir: Path | None = None                 # data files shown read-only in the sandbox

    @property
    def max_score(self) -> float:
        return float(sum(sum(nb.info["points"].values()) for nb in self.notebooks.values()))


def load_reference(course: Course, assignment: str) -> Reference:
    root = course.reference(assignment)
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError):
        raise CourseError(f"{assignment!r} has no reference answers in {root}; run "
                          f"`autograder release {assignment}` first") from None
    notebooks = {}
    for stem, info in manifest["notebooks"].items():
        records, problems = checks.load_records(root / stem / "records")
        if problems:
            raise CourseError(f"reference records of {assignment}/{stem} are damaged ({problems[:2]}); "
                              f"run `autograder release {assignment}` again")
        adjust_reference(records, set(info.get("reference_is_expected", ())))  # plain asserts
        notebooks[stem] = NotebookRef(stem, nbformat.read(root / stem / "source.ipynb", as_version=4),
                                      nbformat.read(root / stem / "release.ipynb", as_version=4),
                                      records, info)
    config_path = course.source(assignment) / "autograder.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    from autograder.variants import attach

    return attach(Reference(assignment, manifest, notebooks, config, course.release(assignment)), root)


def _empty_cells(nbref: NotebookRef, message: str) -> dict:
    return {gid: {"points": pts, "score": 0.0,
                  "checks": [{"name": n, "passed": False, "message": message}
                             for n, _ in nbref.info["cells"][gid]]}
            for gid, pts in nbref.info["points"].items()}


def _classify(result, log: dict, flags: list[str], cell_ids: list) -> str:
    end = log.get("end")
    cells = [c for c in log.get("cells", []) if isinstance(c, dict)]

    def where(c):
        i = c.get("index")
        gid = cell_ids[i] if isinstance(i, int) and 0 <= i < len(cell_ids) else None
        return f"cell {gid!r}" if gid else f"cell {i}"

    if any("MemoryError" in str(c.get("ename", "")) for c in cells):
        bad = next(c for c in cells if "MemoryError" in str(c.get("ename", "")))
        flags.append(f"memory limit hit in {where(bad)}")
        return "memory"
    if result.timed_out or end == "cell_timeout":
        last = cells[-1] if cells else {}
        flags.append("notebook time limit hit" if result.timed_out else f"cell time limit hit in {where(last)}")
        return "timeout"
    if end == "completed":
        return "graded"
    if end in ("running", "kernel_died"):
        flags.append(f"the run stopped early in {where(cells[-1]) if cells else 'the first cell'}"
                     + (" (the kernel died)" if end == "kernel_died" else ""))
        return "partial"
    flags.append("the sandbox did not run the notebook: " + (log.get("error") or result.stderr.strip()[-300:]
                                                           or f"exit code {result.returncode}"))
    return "sandbox error"


def _hook_flags(log: dict, cell_ids: list) -> list[str]:
    """Flags for hooks the runner removed (before a cell) or found installed by a cell."""
    flags = []
    for c in log.get("cells", []):
        i = c.get("index") if isinstance(c, dict) else None
        where = (f"cell {cell_ids[i]!r}" if isinstance(i, int) and 0 <= i < len(cell_ids)
                 and cell_ids[i] else f"cell {i}")
        for key, what in (("tampered", "changed how code runs while it ran (its checks are void)"),
                          ("removed", "found changes to how code runs, removed before it ran")):
            if isinstance(c, dict) and c.get(key):
                flags.append(f"{where} {what}: {', '.join(str(x) for x in c[key])[:300]}")
    return flags


def _judge(nbref: NotebookRef, submitted: dict, log: dict, cell_ids: list) -> dict:
    counts = Counter(name for name, _ in nbref.records)
    overrun = {name for name, occ in submitted if name in counts and occ >= counts[name]}
    errors, tampered = {}, {}    # by grade id: how the cell ended; what it changed while it ran
    for c in log.get("cells", []):
        i = c.get("index") if isinstance(c, dict) else None
        if not (isinstance(i, int) and 0 <= i < len(cell_ids)):
            continue
        if c.get("status") != "ok":
            ename = re.sub(r"[^A-Za-z0-9_.]", "", str(c.get("ename", "")))[:60]
            errors[cell_ids[i]] = ename or str(c.get("status"))[:20]
        if c.get("tampered"):
            tampered[cell_ids[i]] = ", ".join(str(x) for x in c["tampered"])[:300]
    cells = {}
    for gid, keys in nbref.info["cells"].items():
        verdicts = []
        for name, occ in keys:
            verdict = checks.compare(nbref.records[(name, occ)], submitted.get((name, occ)))
            message = verdict.message
            if gid in tampered:
                verdict = checks.Verdict(name, False, f"Check {name!r} is void: while the test cell "
                                         f"ran, the notebook changed how code runs ({tampered[gid]}).")
                message = verdict.message
            elif name in overrun:
                verdict = checks.Verdict(name, False, f"Check {name!r} failed: it ran more often "
                                         "than the tests call it (is the check called from your code?).")
                message = verdict.message
            elif submitted.get((name, occ)) is None and gid in errors:
                message += f" The test cell stopped with {errors[gid]}."
            verdicts.append({"name": name, "passed": verdict.passed, "message": message})
        points = float(nbref.info["points"][gid])
        score = cell_score(points, keys, verdicts, nbref.records, submitted)
        cells[gid] = {"points": points, "score": score, "checks": verdicts}
        if (nbref.info.get("plain") or {}).get(gid, {}).get("mode") == "in-process":
            cells[gid]["in_process"] = True    # its verdict comes from the student's process
    return cells


def syntax_flags(built, source_nb) -> list[str]:
    """A syntax error in the student's own code, with the line numbers of the student's cell."""
    answers = {grade_id(c) for c in source_nb.cells if is_answer(c)}
    instructor = {c.get("source", "") for c in source_nb.cells if c.get("cell_type") == "code"}
    flags = []
    for cell, gid in zip(built.notebook.cells, built.cell_ids):
        if cell.get("cell_type") != "code" or (gid is not None and gid not in answers):
            continue
        if gid is None and cell.get("source", "") in instructor:
            continue                     # the instructor's own unmarked cell, not the student's
        problem = syntax_problem(cell.get("source", ""))
        if problem:
            flags.append(f"{'answer cell ' + repr(gid) if gid else 'a code cell of the student'}: {problem}")
    return flags


def _base_result(sub: Submission, ref: Reference, key: str) -> dict:
    return {"student": sub.student, "student_id": sub.key_name, "assignment": sub.assignment,
            "key": key, "grader_version": __version__, "score": 0.0, "max_score": ref.max_score,
            "status": "graded", "flags": [], "notebooks": {}, "sandbox": "none",
            "submission": str(sub.path)}           # where nbgrader_db reads timestamp.txt


def rejected_result(sub: Submission, ref: Reference, why: str) -> dict:
    """Zero points, never read: something on the path to a notebook is not a plain file."""
    result = _base_result(sub, ref, sub.key(ref))
    result.update(status="rejected", flags=[f"rejected: {why}"],
                  notebooks={stem: _empty_cells(nb, f"Not graded: the submission was rejected ({why}).")
                             for stem, nb in ref.notebooks.items()})
    return result


def grade_submission(sub: Submission, ref: Reference, limits: Limits, scratch: Path | None = None, *,
                     slot: int = 0, force_weak: bool = False) -> dict:
    """Grade one submission. Always returns a result; never raises for the student's doing."""
    start = time.monotonic()
    if sub.problem:
        raise OSError(sub.problem)
    if sub.rejected:
        return rejected_result(sub, ref, sub.rejected)
    ref = variants.for_student(ref, sub.key_name)    # issue 27: the student's own variant
    result = _base_result(sub, ref, sub.key(ref))
    result["flags"].extend(variants.flags(ref))
    statuses = []
    weak = force_weak or not bwrap_status()[0]
    for stem, nbref in ref.notebooks.items():
        flags = result["flags"]
        name = f"{stem}.ipynb"
        if name not in sub.files and len(ref.notebooks) == 1 and len(sub.files) == 1:
            name = sub.files[0]
            flags.append(f"notebook renamed to {display_name(name, 120)}")
        if name not in sub.files:
            statuses.append("invalid notebook")
            flags.append(f"no {stem}.ipynb in the submission")
            result["notebooks"][stem] = _empty_cells(nbref, f"No {stem}.ipynb was submitted.")
            continue
        try:
            student_nb, read_flags = parse_submission(sub.read(name), display_name(name, 120))
        except Rejected as exc:
            return rejected_result(sub, ref, str(exc))
        except (InvalidNotebook, ValueError) as exc:
            statuses.append("invalid notebook")
            flags.append(str(exc))
            result["notebooks"][stem] = _empty_cells(nbref, f"The notebook could not be read: {exc}")
            continue
        flags.extend(read_flags)
        built = rebuild(nbref.source, nbref.release, student_nb)
        flags.extend(built.flags)
        flags.extend(static_flags(built.notebook, built.cell_ids, nbref.source, ref.config))
        flags.extend(syntax_flags(built, nbref.source))
        run = run_notebook(nbformat.writes(built.notebook).encode(), None, limits,
                           slot=slot, force_weak=weak, data_dir=ref.data_dir)
        result["sandbox"] = run.sandbox
        flags.extend(run.notes)
        statuses.append(_classify(run, run.log, flags, built.cell_ids))
        flags.extend(_hook_flags(run.log, built.cell_ids))
        if run.received.problems:
            flags.append(f"{len(run.received.problems)} unreadable or conflicting record(s) ignored")
        result["notebooks"][stem] = _judge(nbref, run.records, run.log, built.cell_ids)
        variants.after_judge(ref, stem, student_nb, run.records, result)
    if weak:
        result["flags"].insert(0, "WEAK SANDBOX (no bwrap): " + bwrap_status()[1])
    result["status"] = max(statuses, key=_WORST.__getitem__) if statuses else "invalid notebook"
    result["score"] = float(sum(c["score"] for nb in result["notebooks"].values() for c in nb.values()))
    result["seconds"] = round(time.monotonic() - start, 2)
    return result


def crashed_result(sub: Submission, ref: Reference, exc: BaseException) -> dict:
    """The row of a submission whose grading failed in the grader itself (retried on resume)."""
    try:
        key = sub.key(ref)
    except Exception:
        key = "unreadable"
    result = _base_result(sub, ref, key)
    result.update(status="grader error",
                  flags=[f"grader error {type(exc).__name__}: {display_name(str(exc), 300)} "
                         "(rerun `autograder grade`)"],
                  notebooks={stem: _empty_cells(nb, "Not graded: the grader failed; your instructor will rerun it.")
                             for stem, nb in ref.notebooks.items()})
    return result
