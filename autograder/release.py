"""`autograder release`: the student version (nbgrader) and the trusted reference answers.

The source notebook runs in record mode in the sandbox (twice, to catch unseeded checks); each
check is attributed to the test cell it ran in. The records, a snapshot of the source and of the
release notebooks and `manifest.json` go to `course/autograder/<assignment>/reference/`, which
no sandbox ever sees.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import __version__, asserts, scoring
from autograder.course import REPO, Course, CourseError, check_name
from autograder.rebuild import grade_id, is_answer, is_test, nbgrader_meta, syntax_problem
from autograder.sandbox import Limits, bwrap_status, run_notebook
from nnkit import checks

SKIP_FILES = (".ipynb_checkpoints", "__pycache__")
INSTRUCTOR_ONLY = ("mutations", "solution", "conftest", "test_")  # never copied into a release


def find_source(course: Course, assignment: str, source_dir: str | os.PathLike | None) -> Path:
    candidates = ([Path(source_dir) / assignment] if source_dir else []) + [
        course.source(assignment), REPO / "exercises" / assignment]
    for cand in candidates:
        if cand.is_dir() and any(cand.glob("*.ipynb")):
            return cand
    raise CourseError(f"no source notebook for {assignment!r}: looked in "
                      + ", ".join(str(c) for c in candidates)
                      + f". Put it at exercises/{assignment}/{assignment}.ipynb or pass --source DIR.")


def _copy_source(src: Path, dst: Path) -> None:
    if src.resolve() == dst.resolve():
        return
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for item in src.iterdir():
        if item.name in SKIP_FILES or item.name.startswith(".") or (
                item.suffix == ".py" and item.stem.startswith(INSTRUCTOR_ONLY)):
            continue
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, dst / item.name)


def _validate_metadata(nb, name: str) -> dict[str, float]:
    """Return {test cell grade_id: points}; raise on metadata nbgrader would get wrong."""
    seen: set[str] = set()
    points: dict[str, float] = {}
    for i, cell in enumerate(nb.cells):
        gid = grade_id(cell)
        meta = nbgrader_meta(cell)
        if meta and gid is None:
            raise CourseError(f"{name}: cell {i} has nbgrader metadata but no grade_id")
        if gid is None:
            continue
        if gid in seen:
            raise CourseError(f"{name}: grade_id {gid!r} is used twice; make grade ids unique")
        seen.add(gid)
        if is_test(cell):
            try:
                points[gid] = float(meta.get("points", 0))
            except (TypeError, ValueError):
                raise CourseError(f"{name}: test cell {gid!r} has points {meta.get('points')!r}") from None
    return points   # may be empty: a notebook graded only by hand is fine


def instrument(nb) -> nbformat.NotebookNode:
    """Copy of `nb` where each code cell first tells nnkit.checks which cell is running."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        line = f"__import__('nnkit.checks').checks.set_cell({grade_id(cell)!r})"  # a Python literal
        src = cell.source
        if src.startswith("%%"):  # a cell magic must stay on the first line
            head, _, rest = src.partition("\n")
            cell.source = head + "\n" + line + "\n" + rest
        else:
            cell.source = line + "\n" + src
    return nb


def _run_reference(nb, out: Path, limits: Limits, label: str, data_dir: Path | None = None) -> dict:
    """Run the instrumented solution; an error is allowed only where nbgrader allows it.

    As in nbgrader (whose autograde runs with errors allowed), a cell that is not graded (a
    demonstration, say) may raise on purpose; the run log then names it and `ungraded_errors`
    records it. A graded test cell that raises, a timeout or a dead kernel stops the release."""
    result = run_notebook(nbformat.writes(instrument(nb)).encode(), out, limits, data_dir=data_dir)
    try:
        log = json.loads((out / "run.json").read_text())
    except (OSError, ValueError):
        raise CourseError(f"{label}: the reference run did not start (sandbox said: "
                          f"{result.stderr.strip()[-800:]})") from None
    errors = [c for c in log.get("cells", []) if c.get("status") != "ok"]
    allowed = [c for c in errors if c.get("status") == "error" and isinstance(c.get("index"), int)
               and not nbgrader_meta(nb.cells[c["index"]]).get("grade")]
    errors = [c for c in errors if c not in allowed]
    if result.timed_out or log.get("end") != "completed" or errors:
        # an answer cell that raised is allowed in itself, but it is the likely cause: name it first
        causes = [c for c in allowed if is_answer(nb.cells[c["index"]])]
        where = "; ".join(_where(nb, c) for c in causes + errors)
        raise CourseError(f"{label}: the solution notebook does not run cleanly "
                          f"(end: {log.get('end')}, timed out: {result.timed_out}). {where}. "
                          "Fix the source notebook so that it runs top to bottom; only cells that "
                          "are not graded may raise errors (as in nbgrader).")
    log["ungraded_errors"] = [{"index": c["index"], "grade_id": grade_id(nb.cells[c["index"]]),
                               "ename": str(c.get("ename", ""))[:100]} for c in allowed]
    return log


def _where(nb, c) -> str:
    i = c.get("index")
    cell = nb.cells[i] if isinstance(i, int) and 0 <= i < len(nb.cells) else {}
    text = f"cell {i} ({grade_id(cell) if cell else None}): {c.get('status')} {c.get('ename', '')}"
    problem = syntax_problem(cell.get("source", "")) if cell else None
    # the run prefixes one instrumentation line: report a syntax error in the cell's own lines
    return text + (f" {problem}" if problem else f" {c.get('evalue', '')}".rstrip())


def _record(nb, stem: str, label: str, tmp_root: Path, limits: Limits, determinism: bool,
            data_dir: Path, log) -> tuple:
    """Rewrite plain test cells, run the solution, return (graded nb, plans, records, hardened)."""
    keep: frozenset[str] = frozenset()
    for _attempt in range(3):
        graded, plans = asserts.rewrite_notebook(nb, keep)
        run_dir = tmp_root / stem
        shutil.rmtree(run_dir, ignore_errors=True)
        run_log = _run_reference(graded, run_dir, limits, label, data_dir)
        records, problems = checks.load_records(run_dir / "records")
        if problems:
            raise CourseError(f"{label}: unreadable reference records: {problems[:3]}")
        rewritten = {n for p in plans.values() for n in p.hardened}
        unusable = {r.name for r in records.values() if r.error and r.name.split(".type")[0] in rewritten}
        if not unusable:
            break
        keep |= {n.split(".type")[0] for n in unusable}   # their values are not plain data
    else:
        raise CourseError(f"{label}: could not record the values of {sorted(unusable)}")
    if determinism:
        again_dir = tmp_root / (stem + ".again")
        _run_reference(graded, again_dir, limits, label, data_dir)
        again, _ = checks.load_records(again_dir / "records")
        unstable = sorted(k[0] for k, r in records.items()
                          if r.kind != "between" and not checks.compare(r, again.get(k)).passed)
        if unstable or set(again) != set(records):
            raise CourseError(f"{label}: checks differ between two runs of the solution "
                              f"({', '.join(unstable) or 'different checks ran'}); seed "
                              "every random draw with np.random.default_rng(seed).")
    recorded = {r.name for r in records.values()}
    for plan in plans.values():   # an assertion whose expected value was not plain data ran as written
        missing = [n for n in plan.hardened if n not in recorded]
        plan.hardened = [n for n in plan.hardened if n in recorded]
        plan.reasons += [f"{n}: its expected value is not plain data" for n in missing]
        if plan.mode == "hardened" and missing:
            plan.mode = "in-process"
    hardened = {n for p in plans.values() for n in p.hardened}
    hardened |= {n + ".type" for n in hardened}
    problems = asserts.adjust_reference(records, hardened)
    if problems:
        raise CourseError(f"{label}: the solution fails its own test: {problems[0]}")
    # what a student's run executes: the same checks, with no expected value in its code
    graded, _ = asserts.rewrite_notebook(nb, keep, graded=True)
    return graded, plans, records, hardened, run_log["ungraded_errors"]


def _first_release(ref_root: Path) -> str:
    try:
        earlier = json.loads((ref_root / "manifest.json").read_text()).get("released_utc")
    except (OSError, ValueError, AttributeError):
        earlier = None
    return earlier if isinstance(earlier, str) else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _report(label: str, info: dict, log) -> None:
    plans = info["plain"]
    hardened = [g for g, p in plans.items() if p["mode"] == "hardened"]
    inproc = {g: p for g, p in plans.items() if p["mode"] == "in-process"}
    if plans:
        log(f"[release] {label}: {len(plans)} plain-assert test cell(s): {len(hardened)} hardened "
            f"({', '.join(hardened) or 'none'}), {len(inproc)} in-process")
    for gid, plan in inproc.items():
        log(f"[release]   IN-PROCESS {gid}: " + "; ".join(plan["reasons"][:4]))
    if inproc:
        log("[release]   An in-process verdict is what stock nbgrader gives: the test passes if the "
            "student's process says it ran without an exception. Student code in that process can "
            "fake this (catch or replace AssertionError, patch numpy); a hardened test instead "
            "records the value and the grader compares it with the solution's in its own process.")
    if info.get("ungraded_errors"):
        log(f"[release] {label}: {len(info['ungraded_errors'])} ungraded cell(s) raise an error in the "
            "solution, which nbgrader allows: " + ", ".join(
                f"cell {e['index']}" + (f" ({e['grade_id']})" if e["grade_id"] else "") + f" {e['ename']}"
                for e in info["ungraded_errors"])
            + "; grading runs on after them, as nbgrader does, and they cost no points")
    for gid, cell in info["manual"].items():
        log(f"[release]   NEEDS MANUAL GRADING {gid}: {cell['kind']}, {cell['points']:g} point(s) "
            "(grade it in nbgrader's formgrader after `autograder grade`)")


def kernel_of(nb, name: str, kernel_map=()) -> dict:
    """The kernel a notebook asks for (its metadata) and what the grader runs it with.

    Every notebook runs in the grader's own Python (IPython in the sandbox). A notebook whose
    kernelspec is a Python kernel, whatever its name, is run so; any other kernel is refused
    unless `kernel_map` names it (`--kernel-map NAME`: "NAME is this grader's Python")."""
    meta = nb.get("metadata", {})
    spec = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), dict) else {}
    kname = str(spec.get("name") or "python3")
    info = meta.get("language_info") if isinstance(meta.get("language_info"), dict) else {}
    language = str(spec.get("language") or info.get("name") or "").lower()
    python = f"Python {sys.version.split()[0]} ({sys.executable})"
    mapped = kname in set(kernel_map)
    if not mapped and language not in ("python", "python3") and not (not language and "py" in kname.lower()):
        raise CourseError(f"{name} asks for the kernel {kname!r} (language: {language or 'not given'}), "
                          f"but the grader runs every notebook in its own {python}. If this notebook "
                          f"is Python code, pass --kernel-map {kname} to run it with that Python.")
    return {"name": kname, "display_name": str(spec.get("display_name", "")), "language": language or "python",
            "mapped": mapped, "runs_as": python}


def describe_kernel(kernel: dict) -> str:
    how = "mapped by --kernel-map" if kernel.get("mapped") else "a Python kernel, from the notebook's metadata"
    return f"kernel {kernel['name']!r} ({how}) runs as the grader's {kernel['runs_as']}"


class _Undo:
    """What a release may change, saved first; `restore()` puts the course back as it was."""

    def __init__(self, course: Course, assignment: str):
        self.course = course
        self.top = set(os.listdir(course.root))
        self.paths = [course.source(assignment), course.release(assignment), course.gradebook]
        # the grader's folder is written only at the very end (the reference, replaced at once):
        # its results are never copied, only a folder this release made is removed
        self.work = course.work(assignment) if not course.work(assignment).exists() else None
        self.backup = Path(tempfile.mkdtemp(prefix="autograder-release-undo-"))
        for i, path in enumerate(self.paths):
            if path.is_dir() and not path.is_symlink():
                shutil.copytree(path, self.backup / str(i), symlinks=True)
            elif path.is_file():
                shutil.copy2(path, self.backup / str(i))

    def restore(self) -> None:
        for i, path in enumerate(self.paths):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists() or path.is_symlink():
                path.unlink()
            saved = self.backup / str(i)
            if saved.is_dir():
                shutil.copytree(saved, path, symlinks=True)
            elif saved.is_file():
                shutil.copy2(saved, path)
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
        for name in set(os.listdir(self.course.root)) - self.top:   # folders this release made
            target = self.course.root / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.backup, ignore_errors=True)


def release(course: Course, assignment: str, *, source_dir=None, limits: Limits | None = None,
            determinism: bool = True, due: str | None = None, kernel_map=(), log=print) -> dict:
    """Check every input, then release; a release that fails leaves the course as it was."""
    check_name("assignment", assignment)
    limits = limits or Limits()
    src = find_source(course, assignment, source_dir)
    if due is not None:
        from autograder.late import parse_timestamp

        try:
            parse_timestamp(due)
        except ValueError as exc:
            raise CourseError(f"--due {due!r}: {exc}; write it like '2026-03-01 17:00:00 Europe/Berlin'") from None
    notebooks = sorted(src.glob("*.ipynb"))
    sources = {}
    for p in notebooks:
        try:
            sources[p.stem] = nbformat.read(p, as_version=4)
        except Exception as exc:  # noqa: BLE001 - any unreadable notebook: say which
            raise CourseError(f"{p} is not a readable notebook ({type(exc).__name__}: {str(exc)[:200]})") from None
    cell_points = {stem: _validate_metadata(nb, p.name) for (stem, nb), p in zip(sources.items(), notebooks)}
    if not any(cell_points.values()) and not any(asserts.manual_cells(nb) for nb in sources.values()):
        raise CourseError(f"{assignment}: no notebook has a graded cell (nbgrader grade: true, "
                          "or a task); mark the cells to grade in the source notebooks")
    kernels = {stem: kernel_of(nb, f"{assignment}/{stem}.ipynb", kernel_map) for stem, nb in sources.items()}
    undo = _Undo(course, assignment)
    try:
        manifest = _release(course, assignment, src, kernels, limits=limits, determinism=determinism,
                            due=due, log=log)
    except BaseException:
        undo.restore()
        log(f"[release] {assignment}: failed; everything this release wrote was removed")
        raise
    undo.discard()
    return manifest


def _release(course: Course, assignment: str, src: Path, kernels: dict, *, limits: Limits,
             determinism: bool, due: str | None, log) -> dict:
    _copy_source(src, course.source(assignment))
    notebooks = sorted(course.source(assignment).glob("*.ipynb"))
    sources = {p.stem: nbformat.read(p, as_version=4) for p in notebooks}
    cell_points = {stem: _validate_metadata(nb, p.name) for (stem, nb), p in zip(sources.items(), notebooks)}
    for stem, kernel in kernels.items():
        log(f"[release] {assignment}/{stem}.ipynb: {describe_kernel(kernel)}")

    log(f"[release] {assignment}: generating the student version with nbgrader")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                           "--force", f"--CourseDirectory.root={course.root}",
                           f"--CourseDirectory.db_url={course.db_url}"],
                          cwd=course.root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CourseError(f"nbgrader generate_assignment failed for {assignment!r}:\n"
                          + (proc.stdout + proc.stderr)[-3000:])
    from autograder.variants import render_release

    render_release(course, assignment)   # issue 27: markdown quotes the default variant's values
    if due is not None:
        from autograder.late import set_due_date

        log(f"[release] {assignment}: due {set_due_date(course, assignment, due)}")

    ok, why = bwrap_status()
    if not ok:
        log(f"[release] WARNING: WEAK SANDBOX for the reference run: {why}")
    ref_root = course.reference(assignment)
    course.work(assignment).mkdir(parents=True, exist_ok=True)
    os.chmod(course.root / "autograder", 0o700)
    tmp_root = Path(tempfile.mkdtemp(prefix="reference-run-", dir=course.work(assignment)))
    manifest: dict = {"assignment": assignment, "grader_version": __version__,
                      "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                      # a timestamp before this is implausible (autograder.late.read_timestamp);
                      # a release again keeps the first time
                      "released_utc": _first_release(ref_root),
                      "notebooks": {}}
    try:
        for stem, nb in sources.items():
            label = f"{assignment}/{stem}.ipynb"
            log(f"[release] {label}: recording the reference answers in the sandbox")
            graded, plans, records, hardened, ungraded_errors = _record(
                nb, stem, label, tmp_root, limits, determinism, course.release(assignment), log)
            info = _describe(label, nb, records, cell_points[stem])
            info["kernel"] = kernels[stem]
            info["ungraded_errors"] = ungraded_errors
            info["manual"] = asserts.manual_cells(nb)
            info["plain"] = {g: {"mode": p.mode, "hardened": p.hardened, "reasons": p.reasons}
                             for g, p in plans.items() if p.mode != "checks"}
            info["reference_is_expected"] = sorted(hardened)
            manifest["notebooks"][stem] = info
            _report(label, info, log)
            release_nb = course.release(assignment) / f"{stem}.ipynb"
            dest = tmp_root / "final" / stem
            dest.mkdir(parents=True)
            shutil.copytree(tmp_root / stem / "records", dest / "records")
            nbformat.write(graded, dest / "source.ipynb")        # what grading runs
            shutil.copy2(notebooks[list(sources).index(stem)], dest / "original.ipynb")
            shutil.copy2(release_nb, dest / "release.ipynb")
        blob = json.dumps(manifest, sort_keys=True).encode()
        manifest["reference_hash"] = hashlib.sha256(blob).hexdigest()[:16]
        (tmp_root / "final" / "manifest.json").write_text(json.dumps(manifest, indent=1))
        if ref_root.exists():
            shutil.rmtree(ref_root)
        ref_root.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_root / "final", ref_root)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    total = sum(sum(n["points"].values()) for n in manifest["notebooks"].values())
    manual = sum(c["points"] for n in manifest["notebooks"].values() for c in n["manual"].values())
    n_checks = sum(len(n["checks"]) for n in manifest["notebooks"].values())
    plain = [p for n in manifest["notebooks"].values() for p in n["plain"].values()]
    log(f"[release] {assignment}: {n_checks} checks, {total:g} automatic points, {manual:g} points "
        f"graded by hand; {sum(p['mode'] == 'hardened' for p in plain)} of {len(plain)} plain-assert "
        f"test cells hardened; student version in {course.release(assignment)}")
    return manifest


def _describe(label: str, nb, records: dict, points: dict[str, float]) -> dict:
    """Map each check to its test cell; refuse anything that could grade wrongly."""
    cell_checks: dict[str, list] = {gid: [] for gid in points}
    answer_ids = {grade_id(c) for c in nb.cells if is_answer(c)}
    for (name, occ), rec in sorted(records.items()):
        if rec.error:
            raise CourseError(f"{label}: check {name!r} of the solution is not plain data: {rec.error}")
        if rec.cell not in cell_checks:
            where = "an answer cell" if rec.cell in answer_ids else f"cell {rec.cell!r}"
            raise CourseError(f"{label}: check {name!r} runs in {where}, not in a graded test "
                              "cell; move it into a test cell (grade: true) with points")
        if rec.expected is not None:
            passed, message = checks._judge(rec.kind, name, rec.value, rec.expected, rec.params, rec.hint)
            if not passed:
                raise CourseError(f"{label}: the solution fails its own visible check: {message}")
        if rec.kind == "between":
            passed, message = checks._judge("between", name, rec.value, None, rec.params, rec.hint)
            if not passed:
                raise CourseError(f"{label}: the solution fails its own check: {message}")
        cell_checks[rec.cell].append([name, occ])
    names_in: dict[str, str] = {}
    for gid, keys in cell_checks.items():
        for name, _ in keys:
            if names_in.setdefault(name, gid) != gid:
                raise CourseError(f"{label}: check name {name!r} is used in two cells; names must be unique")
    problems = scoring.check_points(label, cell_checks, records, points)
    if problems:
        raise CourseError(problems[0])
    empty = [gid for gid, keys in cell_checks.items() if not keys and points[gid] > 0]
    if empty:
        raise CourseError(f"{label}: test cell(s) {empty} have points but call no nnkit.checks "
                          "function; graded tests must use checks.check_close/check_equal/check_between")
    return {"points": points, "cells": cell_checks,
            "checks": {name: gid for name, gid in names_in.items()}}
