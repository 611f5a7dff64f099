"""``nnkit-check NOTEBOOK.ipynb``: a student's self-check before submitting an exercise.

Runs the saved notebook from top to bottom in a fresh kernel (as grading does, carrying on
after a cell that raises) and lists every graded part, that is every nbgrader test cell
(``grade: true``): its points, each visible check with its verdict and the check's own
message and hint, checks that never ran, and errors. Hidden tests are neither run nor shown:
nbgrader's hidden-test blocks are left out, hidden checks (names with ``.hidden.``) are only
counted, and the report says that hidden checks run when the notebook is graded.

How it works, using only `nnkit.checks`' public behaviour: the kernel runs with
``NNKIT_CHECKS_RECORD`` set, so every check records its value and expected value and a failed
check does not stop its cell; before each test cell a one-line cell calls
``checks.set_cell(grade_id)`` so the records say which part they belong to; afterwards
``checks.load_records`` reads them back and ``checks.compare`` judges each visible check
against the expected value it recorded, giving the same messages the check prints in Jupyter.

This is a student tool, not part of nnkit's NumPy-only core: it needs nbformat, nbclient and
ipykernel (``pip install "nnkit[student]"``), imported only when the command runs.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["main", "check_notebook", "Part", "Report"]

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_FUNCTIONS = {"check_close", "check_equal", "check_between", "check_shape", "check_one_of"}
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class NotebookProblem(Exception):
    """The notebook cannot be checked at all (missing, not a notebook, no kernel)."""


@dataclass
class CheckResult:
    name: str
    status: str            # "passed", "failed", "recorded" (nothing to compare with here), "not run"
    message: str = ""
    points: float | None = None  # the check's own points in a partial-credit part


@dataclass
class Part:
    grade_id: str
    title: str
    points: float
    cell_index: int
    checks: list[CheckResult] = field(default_factory=list)
    hidden_blocks: int = 0      # hidden-test blocks left out of the run
    hidden_checks: int = 0      # hidden checks that ran anyway (outside such blocks): counted only
    error: str | None = None    # the test cell raised
    static_names: list[str] = field(default_factory=list)  # literal check names in the cell
    static_points: dict[str, float] = field(default_factory=dict)  # their literal points=

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.checks) and all(
            c.status in ("passed", "recorded") for c in self.checks)

    @property
    def partial(self) -> bool:
        """Partial credit: each check carries its points (``points=``), so the part scores the
        points of the checks that pass instead of all or nothing."""
        return any(c.points is not None for c in self.checks)

    @property
    def visible_points(self) -> float:
        return sum(c.points or 0.0 for c in self.checks)

    @property
    def visible_earned(self) -> float:
        return sum(c.points or 0.0 for c in self.checks if c.status in ("passed", "recorded"))

    @property
    def within_reach(self) -> float:
        """Points the part can still earn if every hidden check passes."""
        if self.partial:
            return self.visible_earned + max(self.points - self.visible_points, 0.0)
        return self.points if self.passed else 0.0


@dataclass
class Report:
    notebook: Path
    parts: list[Part]
    other_errors: list[str]     # errors in cells that are not test cells
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.parts) and all(p.passed for p in self.parts)


# ---------------------------------------------------------------------------- reading
def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _strip_hidden(source: str) -> tuple[str, int]:
    """The source without nbgrader hidden-test blocks, and how many blocks there were."""
    kept, inside, blocks = [], False, 0
    for line in source.splitlines():
        marker = line.strip()
        if marker == HIDDEN_BEGIN:
            inside, blocks = True, blocks + 1
            continue
        if marker == HIDDEN_END:
            inside = False
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept), blocks


def _literal_checks(source: str) -> list[tuple[str, float | None]]:
    """``(name, points)`` of the checks a cell calls with a literal name, in order; points is
    the literal ``points=`` keyword, if any."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and the like: no static list, the records still count
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if fname in CHECK_FUNCTIONS and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                points = next((kw.value.value for kw in node.keywords if kw.arg == "points"
                               and isinstance(kw.value, ast.Constant)
                               and isinstance(kw.value.value, (int, float))), None)
                found.append((node.args[0].value, None if points is None else float(points)))
    return found


def _check_names(source: str, found: list[tuple[str, float | None]] | None = None) -> list[str]:
    """Literal names of the checks a cell calls (``checks.check_close("ex01.z1", ...)``), in order
    (from `found`, the cell's `_literal_checks`, when already parsed)."""
    names = [name for name, _ in (_literal_checks(source) if found is None else found)]
    return sorted(set(names), key=names.index)


def _heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
    return None


def _parts(nb) -> list[Part]:
    """The graded parts: nbgrader test cells, or, without nbgrader metadata, cells calling checks."""
    parts, title = [], None
    graded = [c for c in nb.cells if (c.get("metadata", {}).get("nbgrader") or {}).get("grade")
              and c.get("cell_type") == "code"]
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "markdown":
            title = _heading(_source(cell)) or title
            continue
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if graded:
            if not meta.get("grade"):
                continue
            gid = str(meta.get("grade_id") or f"cell-{i}")
            try:
                points = float(meta.get("points", 0) or 0)
            except (TypeError, ValueError):
                points = 0.0
        elif _check_names(_source(cell)):
            gid, points = f"cell-{i}", 0.0
        else:
            continue
        parts.append(Part(gid, title or gid, points, i))
    return parts


# ---------------------------------------------------------------------------- running
def _run(nb, parts: list[Part], workdir: Path, records: Path, timeout: float,
         kernel_name: str | None):
    """Execute a copy of `nb` with records switched on; return (executed nb, map old -> new index)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from nnkit import checks

    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    by_index = {p.cell_index: p for p in parts}
    setup = ("import os as _os\n"
             f"_os.environ[{json.dumps(checks.RECORD_ENV)}] = {json.dumps(str(records))}\n"
             "del _os")
    run.cells.append(nbformat.v4.new_code_cell(setup))
    position: dict[int, int] = {}
    for i, cell in enumerate(nb.cells):
        cell = nbformat.from_dict(dict(cell))
        if cell.cell_type == "code":
            source, blocks = _strip_hidden(_source(cell))
            cell.source = source
            cell.outputs = []
            cell.execution_count = None
            if i in by_index:
                by_index[i].hidden_blocks = blocks
                run.cells.append(nbformat.v4.new_code_cell(
                    f"from nnkit import checks as _nnkit_checks\n"
                    f"_nnkit_checks.set_cell({json.dumps(by_index[i].grade_id)})"))
        position[i] = len(run.cells)
        run.cells.append(cell)
        if i in by_index:
            run.cells.append(nbformat.v4.new_code_cell("_nnkit_checks.set_cell(None)"))
    for cell in run.cells:
        cell.pop("id", None)
    run.nbformat_minor = 4  # no cell ids needed for a throw-away copy

    kwargs = {"timeout": timeout, "allow_errors": True, "record_timing": False,
              "resources": {"metadata": {"path": str(workdir)}}}
    if kernel_name:
        kwargs["kernel_name"] = kernel_name
    client = NotebookClient(run, **kwargs)
    stopped = None
    try:
        client.execute()
    except CellTimeoutError:
        stopped = f"a cell ran for more than {timeout:g} seconds; the run was stopped there"
    except DeadKernelError:
        stopped = "the kernel died (out of memory?); the run was stopped there"
    except Exception as exc:  # no such kernel, jupyter not installed, ...
        name = type(exc).__name__
        if "NoSuchKernel" in name:
            raise NotebookProblem(f"no Jupyter kernel named {exc}: install ipykernel "
                                  "(pip install \"nnkit[student]\") or pass --kernel NAME") from None
        raise
    return run, position, stopped


def _error_of(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), str(out.get("evalue", "")).strip()
            if ename == "NotImplementedError" and not evalue:
                return "NotImplementedError: not answered yet (the `raise NotImplementedError()` stub is still there)"
            return _clip(f"{ename}: {evalue}" if evalue else ename)
    from nnkit.checks import SECTION_MARK

    stopped = ["section " + line[len(SECTION_MARK):].strip()   # checks.section caught an error
               for out in cell.get("outputs", []) if out.get("output_type") == "stream"
               for line in "".join(out.get("text", "")).splitlines() if line.startswith(SECTION_MARK)]
    return _clip("; ".join(stopped)) if stopped else None


def _clip(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _judge(parts: list[Part], records_dir: Path) -> list[str]:
    from nnkit import checks

    records, problems = checks.load_records(records_dir)
    by_part: dict[str, list] = {}
    for rec in records.values():
        by_part.setdefault(rec.cell, []).append(rec)
    for part in parts:
        ran = set()
        order = {name: i for i, name in enumerate(part.static_names)}  # as written in the cell
        in_order = sorted(by_part.get(part.grade_id, []),
                          key=lambda r: (order.get(r.name, len(order)), r.name, r.occurrence))
        for rec in in_order:
            if checks.is_hidden(rec.name):
                part.hidden_checks += 1
                continue
            ran.add(rec.name)
            shown = rec.name if rec.occurrence == 0 else f"{rec.name} (call {rec.occurrence + 1})"
            points = (rec.params or {}).get("points")
            if rec.expected is None and rec.kind != "between" and rec.error is None:
                part.checks.append(CheckResult(shown, "recorded",
                                               "value recorded; it is compared when the notebook is graded",
                                               points))
                continue
            # the check's own expected value and parameters play the reference
            reference = checks.Record(name=rec.name, occurrence=rec.occurrence, kind=rec.kind,
                                      value=rec.expected, params=rec.params, hint=rec.hint)
            verdict = checks.compare(reference, rec)
            part.checks.append(CheckResult(shown, "passed" if verdict.passed else "failed",
                                           verdict.message, points))
        for name in part.static_names:
            if name not in ran and not checks.is_hidden(name):
                part.checks.append(CheckResult(name, "not run",
                                               "this check never ran: the cell stopped before it",
                                               part.static_points.get(name)))
    # an empty directory only means that no check ran, which the parts already say
    return [p for p in problems if p != "no records directory"]


def check_notebook(path: str | Path, *, timeout: float = 300.0,
                   kernel_name: str | None = None) -> Report:
    """Run the notebook at `path` in a fresh kernel and judge its visible checks, part by part."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise NotebookProblem(f"{path}: no such file")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:
        raise NotebookProblem(f"{path}: not a readable Jupyter notebook ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
    parts = _parts(nb)
    for part in parts:
        visible = _strip_hidden(_source(nb.cells[part.cell_index]))[0]
        found = _literal_checks(visible)
        part.static_names = _check_names(visible, found)
        part.static_points = {name: pts for name, pts in found if pts is not None}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nnkit-check-") as tmp:
        records = Path(tmp) / "records"
        run, position, stopped = _run(nb, parts, path.resolve().parent, records, timeout,
                                      kernel_name)
        seconds = time.perf_counter() - start
        by_index = {p.cell_index: p for p in parts}
        other_errors = []
        for i, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            error = _error_of(run.cells[position[i]])
            if error is None:
                continue
            if i in by_index:
                by_index[i].error = error
            else:
                gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
                other_errors.append(f"cell {i + 1}{f' ({gid})' if gid else ''}: {error}")
        problems = _judge(parts, records)
    report = Report(path, parts, other_errors, seconds, problems)
    if stopped:
        report.problems.insert(0, stopped)
    return report


# ---------------------------------------------------------------------------- output
def _points(x: float) -> str:
    text = f"{x:g}"
    return f"{text} point" + ("" if x == 1 else "s")


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def format_report(report: Report) -> str:
    lines = [f"nnkit-check {report.notebook.name}: ran in a fresh kernel in {report.seconds:.1f} s", ""]
    if not report.parts:
        lines.append("This notebook has no graded parts (no nbgrader test cells and no nnkit checks).")
    marks = {"passed": "pass    ", "failed": "FAIL    ", "recorded": "recorded", "not run": "not run "}
    for part in report.parts:
        head = f"{part.title}  [{part.grade_id}, {_points(part.points)}]"
        lines.append(head)
        if part.error:
            said = part.error if part.error.startswith("section ") else f"the cell raised {part.error}"
            lines.append(_indent(f"ERROR    {said}", "  "))
        for check in part.checks:
            if check.status == "not run":
                continue
            worth = "" if check.points is None else f"  ({_points(check.points)})"
            lines.append(f"  {marks[check.status]} {check.name}{worth}")
            if check.status != "passed":
                lines.append(_indent(check.message, "           "))
        never = [c.name for c in part.checks if c.status == "not run"]
        if never:
            lines.append(f"  {marks['not run']} {', '.join(never)}")
            lines.append("           (the cell stopped before these checks: see the error above)")
        if not part.checks and not part.error:
            lines.append("  (no visible check ran in this cell)")
        if part.hidden_blocks or part.hidden_checks:
            lines.append("  hidden checks exist for this part; they were not run here")
        hidden_share = part.points - part.visible_points
        if part.partial and part.passed:
            lines.append(f"  -> partial credit: the visible checks earn {part.visible_earned:g} of "
                         f"{_points(part.points)}; the hidden checks carry the other {hidden_share:g}")
        elif part.partial:
            lines.append(f"  -> partial credit: the visible checks earn {part.visible_earned:g} of their "
                         f"{part.visible_points:g} as it stands (the hidden checks carry the other "
                         f"{hidden_share:g} of {_points(part.points)}): fix what failed above")
        elif part.passed:
            lines.append(f"  -> visible checks pass: this part can earn its {_points(part.points)} "
                         "if the hidden checks pass too")
        else:
            lines.append(f"  -> 0 of {_points(part.points)} as it stands: fix what failed above")
        lines.append("")
    if report.other_errors:
        lines.append("Errors in other cells (they can make later checks fail or not run):")
        lines += [f"  {e}" for e in report.other_errors[:10]]
        if len(report.other_errors) > 10:
            lines.append(f"  ... and {len(report.other_errors) - 10} more")
        lines.append("")
    for problem in report.problems:
        lines.append(f"Note: {problem}")
    n_ok = sum(p.passed for p in report.parts)
    total = sum(p.points for p in report.parts)
    at_stake = sum(p.within_reach for p in report.parts)
    lines.append(f"Summary: the visible checks pass in {n_ok} of {len(report.parts)} parts "
                 f"({at_stake:g} of {total:g} points within reach).")
    lines.append("Hidden checks: when your instructor grades the notebook, every part is also "
                 "checked on fresh inputs that are not shown here. A part marked partial credit "
                 "earns the points of each check that passes; any other part earns its points only "
                 "if all its checks, hidden ones included, pass. Make your code general, not "
                 "fitted to the visible numbers.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nnkit-check",
        description="Run an exercise notebook in a fresh kernel and list each graded part with "
                    "its visible checks (passed or failed) and points. Hidden checks are not "
                    "shown; they run when the notebook is graded.")
    parser.add_argument("notebook", help="the exercise notebook (.ipynb), as saved")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds one cell may run (default 300)")
    parser.add_argument("--kernel", default=None,
                        help="Jupyter kernel to use (default: the notebook's own)")
    args = parser.parse_args(argv)
    try:
        report = check_notebook(args.notebook, timeout=args.timeout, kernel_name=args.kernel)
    except NotebookProblem as exc:
        print(f"nnkit-check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as exc:
        print(f"nnkit-check: {exc.name} is missing; install the student tools with "
              "pip install \"nnkit[student]\"", file=sys.stderr)
        return EXIT_USAGE
    print(format_report(report))
    return EXIT_OK if report.ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
