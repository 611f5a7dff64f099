"""The harness that proves the exercises' tests: discovery, variants, fast execution, verdicts.

Every ``exercises/<a>/`` holding ``<a>.ipynb`` (and ``mutations.py``) is an assignment; new
assignments are picked up without touching this file. For each one, `evaluate` runs, in a
pool of two worker processes (each run is one fresh ``python runner.py`` subprocess, no
Jupyter kernel):

- ``solution``: the source notebook in local mode (every check compares in process and a
  failure raises, so every cell must run clean);
- ``reference``: the source notebook in record mode (the reference records, as
  ``autograder release`` would compute them);
- ``student``: the student version made by ``tools/student_versions.py`` in local mode;
- one record-mode run per mutation in ``mutations.py``.

Verdicts on records come from ``nnkit.checks.compare`` against the reference records, the
same judgement the autograder makes. See exercises/README.md for the contract.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
RUNNER = Path(__file__).with_name("runner.py")
WORKERS = 2
RUN_TIMEOUT = 120          # seconds for one run of one notebook (the budget is 20)
NOTEBOOK_BUDGET = 20.0     # seconds: every notebook must execute faster than this

SOLUTION_RE = re.compile(r"###\s*(BEGIN|END) SOLUTION")
HIDDEN_RE = re.compile(r"###\s*(BEGIN|END) HIDDEN TESTS")
CHECK_FUNCS = {"check_close", "check_equal", "check_between", "check_shape", "check_one_of"}


# ---------------------------------------------------------------------------- discovery
def assignment_names() -> list[str]:
    return sorted(
        d.name for d in EXERCISES.iterdir()
        if d.is_dir() and (d / f"{d.name}.ipynb").is_file()
    )


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def student_versions_module():
    return _load_module("_student_versions", ROOT / "tools" / "student_versions.py")


def load_mutations(name: str) -> list[dict]:
    path = EXERCISES / name / "mutations.py"
    if not path.is_file():
        return []
    return list(_load_module(f"_mutations_{name}", path).MUTATIONS)


def load_variants(name: str) -> list[dict]:
    """``VARIANTS`` of ``mutations.py``: valid alternative answers that must score full marks
    (another use of the random generator, another valid convention), same format as a mutation."""
    path = EXERCISES / name / "mutations.py"
    if not path.is_file():
        return []
    return list(getattr(_load_module(f"_variants_{name}", path), "VARIANTS", []))


def read_source(name: str) -> nbformat.NotebookNode:
    return nbformat.read(str(EXERCISES / name / f"{name}.ipynb"), as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_answer(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution")) and cell.cell_type == "code"


def is_manual(cell) -> bool:
    """A written answer graded by hand: a markdown cell with ``solution`` and ``grade`` set."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "markdown" and bool(meta.get("solution")) and bool(meta.get("grade"))


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def test_cell_ids(nb) -> list[str]:
    return [grade_id(c) for c in nb.cells if is_test(c)]


def apply_mutation(nb: nbformat.NotebookNode, mutation: dict) -> nbformat.NotebookNode:
    """A copy of `nb` whose answer cell ``mutation["cell"]`` holds ``mutation["source"]``."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    hits = [c for c in nb.cells if grade_id(c) == mutation["cell"] and is_answer(c)]
    if len(hits) != 1:
        raise KeyError(f"mutation {mutation['name']!r}: no answer cell {mutation['cell']!r}")
    hits[0].source = mutation["source"]
    return nb


# ---------------------------------------------------------------------------- static facts
def _literal_name(node) -> str | None:
    """A check's name as written: a string literal, or an f-string with ``{}`` placeholders."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def check_calls(source: str) -> list[tuple[str, str | None, int, int]]:
    """``(function, name, n_positional, lineno)`` of every ``checks.check_*`` call in `source`."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if fname in CHECK_FUNCS:
                first = node.args[0] if node.args else None
                name = _literal_name(first)
                n_pos = len(node.args) + sum(
                    1 for k in node.keywords if k.arg in ("expected", "expected_shape"))
                calls.append((fname, name, n_pos, node.lineno))
    return calls


def split_hidden(source: str) -> tuple[str, str]:
    """(visible part, hidden part) of a test cell's source."""
    visible, hidden, inside = [], [], False
    for line in source.splitlines():
        m = HIDDEN_RE.search(line)
        if m:
            inside = m.group(1) == "BEGIN"
            continue
        (hidden if inside else visible).append(line)
    return "\n".join(visible), "\n".join(hidden)


def secret_lines(nb) -> set[str]:
    """Stripped lines that exist only inside solution or hidden-test regions of `nb`.

    Lines that also occur outside those regions (``return out``, blank lines, comments the
    student sees anyway) are not secrets; neither are lines shorter than 8 characters.
    """
    inside_lines, outside_lines = set(), set()
    for cell in nb.cells:
        if is_manual(cell):  # a model answer is a secret as a whole
            inside_lines.update(line.strip() for line in cell.source.splitlines())
            continue
        region = None
        for line in cell.source.splitlines():
            s = SOLUTION_RE.search(line) or HIDDEN_RE.search(line)
            if s:
                region = s.group(1) == "BEGIN"
                continue
            target = inside_lines if region else outside_lines
            target.add(line.strip())
    return {s for s in inside_lines - outside_lines if len(s) >= 8 and not s.startswith("#")}


# ---------------------------------------------------------------------------- execution
@dataclass
class Run:
    label: str
    cells: list[dict] = field(default_factory=list)  # runner results, one per code cell
    seconds: float = 0.0
    record_dir: str | None = None
    stderr: str = ""

    def failed_cells(self) -> set[str]:
        return {c["grade_id"] for c in self.cells if not c["ok"] and c["grade_id"]}

    def errors(self) -> dict[str, str]:
        return {f"{i}:{c['grade_id']}": c["error"] for i, c in enumerate(self.cells) if not c["ok"]}


def run_notebook(nb, label: str, workdir: Path, record: bool, seed_offset: int = 0) -> Run:
    """Run `nb`'s code cells in one fresh Python process (see runner.py)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", label)
    job = workdir / f"{slug}.job.json"
    out = workdir / f"{slug}.result.json"
    cells = [{"grade_id": grade_id(c), "source": c.source} for c in nb.cells if c.cell_type == "code"]
    job.write_text(json.dumps({"cells": cells, "seed_offset": seed_offset}), encoding="utf-8")
    env = dict(os.environ)
    env.pop("NNKIT_CHECKS_RECORD", None)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    record_dir = None
    if record:
        record_dir = str(workdir / f"{slug}.records")
        env["NNKIT_CHECKS_RECORD"] = record_dir
    cwd = workdir / f"{slug}.cwd"   # notebooks that write files write them here
    cwd.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(RUNNER), str(job), str(out)], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=RUN_TIMEOUT,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"runner crashed on {label}:\n{proc.stderr[-3000:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    return Run(label, result["cells"], wall, record_dir, proc.stderr[-3000:])


# ---------------------------------------------------------------------------- verdicts
def load(record_dir: str | None):
    from nnkit import checks

    if record_dir is None:
        return {}
    records, problems = checks.load_records(record_dir)
    if problems and problems != ["no records directory"]:
        raise RuntimeError(f"bad records in {record_dir}: {problems}")
    return records


def verdicts(reference: dict, submitted: dict) -> dict[tuple[str, int], object]:
    """``nnkit.checks.compare`` of every reference record with its submitted counterpart."""
    from nnkit import checks

    return {key: checks.compare(ref, submitted.get(key)) for key, ref in reference.items()}


def cell_scores(nb, run: Run, reference: dict, submitted: dict) -> dict[str, bool]:
    """Test cell grade_id -> passed (ran clean and every check attributed to it passed)."""
    vs = verdicts(reference, submitted)
    failed = run.failed_cells()
    scores = {}
    for gid in test_cell_ids(nb):
        ok = gid not in failed
        ok = ok and all(v.passed for key, v in vs.items() if reference[key].cell == gid)
        scores[gid] = ok
    return scores


def cell_points(nb) -> dict[str, float]:
    """Test cell grade_id -> its nbgrader points."""
    return {grade_id(c): float(nbgrader_meta(c)["points"]) for c in nb.cells if is_test(c)}


def cell_keys(reference: dict) -> dict[str, list]:
    """Test cell grade_id -> the keys of the reference records attributed to it, sorted."""
    keys: dict[str, list] = {}
    for key in sorted(reference):
        keys.setdefault(reference[key].cell, []).append(key)
    return keys


def point_scores(nb, reference: dict, submitted: dict) -> dict[str, float]:
    """Test cell -> score, as ``autograder grade`` computes it from the verdicts (partial
    credit included); a cell with no reference record is left out."""
    from autograder import scoring
    from nnkit import checks

    points = cell_points(nb)
    scores = {}
    for gid, keys in cell_keys(reference).items():
        verdicts = [{"name": k[0], "passed": checks.compare(reference[k], submitted.get(k)).passed}
                    for k in keys]
        scores[gid] = scoring.cell_score(points[gid], keys, verdicts, reference, submitted)
    return scores


@dataclass
class Evaluation:
    name: str
    source: nbformat.NotebookNode
    student: nbformat.NotebookNode
    mutations: list[dict]
    solution: Run
    reference: Run
    student_run: Run
    mutation_runs: dict[str, Run]
    reference_records: dict

    def records_of(self, run: Run) -> dict:
        return load(run.record_dir)


def evaluate_many(names: list[str], workdir: Path) -> dict[str, Evaluation]:
    """Run every variant of every assignment in `names`, two at a time."""
    sv = student_versions_module()
    plans = {}
    jobs = []
    for name in names:
        source = read_source(name)
        student = sv.student_notebook(source)
        mutations = load_mutations(name)
        plans[name] = (source, student, mutations)
        jobs.append((name, "solution", source, False))
        jobs.append((name, "reference", source, True))
        jobs.append((name, "student", student, False))
        for m in mutations:
            jobs.append((name, f"mutation:{m['name']}", apply_mutation(source, m), True))

    def do(job):
        name, label, nb, record = job
        return (name, label), run_notebook(nb, f"{name}.{label}", workdir, record)

    with ThreadPoolExecutor(WORKERS) as pool:
        runs = dict(pool.map(do, jobs))

    out = {}
    for name, (source, student, mutations) in plans.items():
        reference = runs[(name, "reference")]
        out[name] = Evaluation(
            name=name, source=source, student=student, mutations=mutations,
            solution=runs[(name, "solution")], reference=reference,
            student_run=runs[(name, "student")],
            mutation_runs={m["name"]: runs[(name, f"mutation:{m['name']}")] for m in mutations},
            reference_records=load(reference.record_dir),
        )
    return out


def evaluate_seeds(plan: dict[str, tuple[int, ...]], workdir: Path) -> dict:
    """``{(name, offset, label): (Run, reference records, records)}`` for the solution
    (``label = "solution"``) and every valid variant, each in the seed universe `offset`
    (every integer seed shifted by it), judged against the solution's records of the same offset.
    `plan` maps each assignment to its offsets."""
    jobs = []
    for name, offsets in plan.items():
        source = read_source(name)
        for offset in offsets:
            jobs.append((name, offset, "solution", source))
            for v in load_variants(name):
                jobs.append((name, offset, f"variant:{v['name']}", apply_mutation(source, v)))

    def do(job):
        name, offset, label, nb = job
        return (name, offset, label), run_notebook(nb, f"{name}.seed{offset}.{label}", workdir, True,
                                                   seed_offset=offset)

    with ThreadPoolExecutor(WORKERS) as pool:
        runs = dict(pool.map(do, jobs))
    out = {}
    for (name, offset, label), run in runs.items():
        reference = load(runs[(name, offset, "solution")].record_dir)
        out[(name, offset, label)] = (run, reference, load(run.record_dir))
    return out


def fresh_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="nnkit-exercises-"))
