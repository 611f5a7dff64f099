"""Per-student variants (issue 27): each student gets their own numbers and their own reference.

The instructor declares the parameters in one locked cell of the source notebook, the cell
whose nbgrader ``grade_id`` is ``variant_parameters`` (locked, neither an answer nor a test).
It assigns ``VARIANT_SEED`` once, to ``None`` or an integer literal (the default variant, the
one the book shows), and draws every parameter with ``np.random.default_rng(VARIANT_SEED)``
or picks the book's numbers when it is ``None``. The cell is self-contained (it imports what
it uses). Markdown cells quote the parameters with Jinja2 placeholders, ``{{ W1 | pmatrix }}``,
``{{ lr | num }}``, ``{{ rates | numbers }}``, filled in from the values the cell computes.

``autograder release ASSIGNMENT --variants roster.csv``:

1. releases the assignment as usual (the default variant: ``release/``, reference answers);
2. derives each student's seed, ``HMAC-SHA256(course secret, assignment, student id)``
   (63 bits). Only the seed, never the secret, is written into a notebook or shown to a
   sandbox; without the secret nobody can compute another student's seed;
3. runs the instructor's solution of each student's variant in the sandbox, in parallel
   (``--jobs`` local sandboxes, or the Dask workers of ``--scheduler``), once per variant: the
   runs are cached in ``autograder/<assignment>/variant_cache/`` under a hash of the notebook
   that ran, so releasing again reruns only what changed;
4. writes every student's notebook (the same cells and grade ids for everyone; the parameter
   cell holds the student's seed and the markdown quotes the student's values) into
   ``variants/<student>/<assignment>/`` (nbgrader's ``{step}/{student}/{assignment}`` layout)
   or, with ``--exchange``, into nbgrader's exchange;
5. stores the table (student -> seed, variant) and the parameter-dependent checks (those whose
   reference value is not the same in every variant) in the reference folder.

Grading (`for_student`, `after_judge`, hooked into ``grading.grade_submission``) rebuilds each
submission from the student's own variant and compares it with that variant's reference. A
parameter-dependent check that fails but matches another student's reference is flagged: the
answer was copied from that student's notebook.
"""

from __future__ import annotations

import ast
import copy
import csv
import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat
import numpy as np

from autograder.course import Course, CourseError, check_name
from autograder.rebuild import grade_id, is_answer, is_test, nbgrader_meta

PARAM_CELL = "variant_parameters"
SEED_NAME = "VARIANT_SEED"
SECRET_ENV = "AUTOGRADER_VARIANT_SECRET"
VARIANTS_FILE = "variants.json"
MIN_SECRET_BYTES = 16


# ----------------------------------------------------------------------------- the parameter cell
def parameter_cell(nb) -> int | None:
    """Index of the notebook's parameter cell, or None when the notebook has no variants."""
    found = [i for i, cell in enumerate(nb.cells) if grade_id(cell) == PARAM_CELL]
    if len(found) > 1:
        raise CourseError(f"the notebook has {len(found)} cells with grade_id {PARAM_CELL!r}; "
                          "declare the parameters in one cell")
    return found[0] if found else None


def _seed_node(source: str, label: str) -> ast.Constant:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise CourseError(f"{label}: the parameter cell is not valid Python ({exc.msg}, line "
                          f"{exc.lineno})") from None
    found = [node for node in tree.body if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and node.targets[0].id == SEED_NAME]
    others = [node for node in ast.walk(tree) if isinstance(node, ast.Name)
              and node.id == SEED_NAME and isinstance(node.ctx, ast.Store)]
    if len(found) != 1 or len(others) != 1:
        raise CourseError(f"{label}: the parameter cell must assign {SEED_NAME} exactly once, at "
                          f"the top level (`{SEED_NAME} = None` for the book's variant, or an "
                          "integer); the release writes each student's seed there")
    value = found[0].value
    if not (isinstance(value, ast.Constant) and (value.value is None or (
            isinstance(value.value, int) and not isinstance(value.value, bool) and value.value >= 0))):
        raise CourseError(f"{label}: {SEED_NAME} must be set to None or a non-negative integer "
                          "literal in the parameter cell")
    if value.lineno != value.end_lineno:
        raise CourseError(f"{label}: write `{SEED_NAME} = ...` on one line")
    return value


def check_parameter_cell(nb, label: str) -> int | None:
    """Validate the notebook's parameter cell (if any) and return its index."""
    i = parameter_cell(nb)
    if i is None:
        return None
    cell, meta = nb.cells[i], nbgrader_meta(nb.cells[i])
    if cell.cell_type != "code" or is_answer(cell) or meta.get("grade") or not meta.get("locked"):
        raise CourseError(f"{label}: the parameter cell {PARAM_CELL!r} must be a locked code cell "
                          "that is neither an answer nor a test (nbgrader metadata: locked true, "
                          "solution false, grade false)")
    _seed_node(cell.source, label)
    return i


def _update_checksum(cell) -> None:
    meta = nbgrader_meta(cell)
    if "checksum" in meta:
        from nbgrader.utils import compute_checksum

        meta["checksum"] = compute_checksum(cell)


def with_seed(nb, seed: int | None, label: str = "notebook"):
    """A copy of `nb` whose parameter cell sets ``VARIANT_SEED = seed`` (nothing else changes)."""
    nb = copy.deepcopy(nb)
    i = parameter_cell(nb)
    if i is None:
        return nb
    cell = nb.cells[i]
    node = _seed_node(cell.source, label)
    lines = cell.source.split("\n")
    line = lines[node.lineno - 1].encode()
    lines[node.lineno - 1] = (line[:node.col_offset] + repr(seed).encode()
                              + line[node.end_col_offset:]).decode()
    cell.source = "\n".join(lines)
    _update_checksum(cell)
    return nb


def seed_of(nb) -> int | None:
    """The seed a notebook's parameter cell holds (None: default variant or no such cell)."""
    i = parameter_cell(nb)
    if i is None:
        return None
    try:
        return _seed_node(nb.cells[i].source, "notebook").value
    except CourseError:
        return None


def parameter_values(nb, seed: int | None = None, label: str = "notebook") -> dict:
    """Run the (trusted, instructor's) parameter cell with `seed` and return what it assigns.

    `seed` None keeps the seed written in the cell. Names starting with `_` and modules are left
    out, and so is what is not plain data (numbers, bools, strings or arrays of them).
    """
    from nnkit import checks

    i = parameter_cell(nb)
    if i is None:
        return {}
    if seed is not None:
        nb = with_seed(nb, seed, label)
    source = nb.cells[i].source
    namespace: dict = {"__name__": "__variant__"}
    try:
        exec(compile(source, f"<{label}: parameter cell>", "exec"), namespace)  # noqa: S102
    except Exception as exc:  # noqa: BLE001 - the instructor's cell: say which error
        raise CourseError(f"{label}: the parameter cell raised {type(exc).__name__}: {exc}; it "
                          "must run on its own (import what it uses, e.g. numpy)") from None
    values = {}
    for name in _assigned_names(source):
        if name.startswith("_") or name not in namespace or name == SEED_NAME:
            continue
        value = namespace[name]
        if type(value).__name__ == "module" or callable(value):
            continue
        try:
            values[name] = checks.as_plain(value, f"parameter {name}")
        except checks.NotPlainData:   # a generator, say: not quotable (a template naming it fails)
            continue
    values[SEED_NAME] = namespace.get(SEED_NAME)
    return values


def _assigned_names(source: str) -> list[str]:
    """Names the cell assigns (anywhere outside function, class and comprehension scopes), in order."""
    names: list[str] = []

    def visit(node) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                                  ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store) and child.id not in names:
                names.append(child.id)
            visit(child)

    visit(ast.parse(source))
    return names


def _statements(source: str):
    """[(names used anywhere, names defined at the top level, names imported)] per top-level
    statement of a cell (IPython syntax allowed); None if the cell cannot be parsed."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None
    out = []
    for stmt in tree.body:
        used = _free_names(stmt)
        changed = _mutated(stmt)
        imported = {(a.asname or a.name).split(".")[0] for n in ast.walk(stmt)
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        defined = set(_assigned_names(ast.unparse(stmt))) - imported
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(stmt.name)
            used.add(stmt.name)
        out.append((used, defined | changed, imported))
    return out


def _root(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _free_names(node) -> set[str]:
    """Names a statement reads from outside: a function's own parameters and locals left out."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                 *([args.vararg] if args.vararg else []),
                                 *([args.kwarg] if args.kwarg else [])]}
        body = node.body if isinstance(node.body, list) else [node.body]
        declared = {n for b in body for sub in ast.walk(b) if isinstance(sub, (ast.Global, ast.Nonlocal))
                    for n in sub.names}
        local |= {sub.id for b in body for sub in ast.walk(b)
                  if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)} - declared
        inner = set().union(*(_free_names(b) for b in body), *(
            _free_names(d) for d in [*args.defaults, *args.kw_defaults] if d is not None))
        names = inner - local
        if not isinstance(node, ast.Lambda):
            names |= set().union(*(_free_names(d) for d in node.decorator_list)) if node.decorator_list else set()
        return names
    if isinstance(node, ast.Name):
        return {node.id}
    return set().union(*(_free_names(child) for child in ast.iter_child_nodes(node)))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _walk_scope(node):
    """`ast.walk` that does not enter nested function, class or comprehension scopes (what they
    change is their own locals; a function's reads of globals count where it is used)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _SCOPES):
            yield from _walk_scope(child)


def _mutated(stmt) -> set[str]:
    """Names a statement may change without rebinding them: objects passed to a call, objects
    whose method is called, and the roots of attribute and item assignments."""
    out: set[str] = set()
    if isinstance(stmt, _SCOPES):     # defining a function or a class changes nothing else
        return out
    for node in _walk_scope(stmt):
        if isinstance(node, ast.Call):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if _root(arg):
                    out.add(_root(arg))
            if isinstance(node.func, ast.Attribute) and _root(node.func.value):
                out.add(_root(node.func.value))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.Delete, ast.With)):
            targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete)) else
                       [i.optional_vars for i in node.items if i.optional_vars] if isinstance(node, ast.With)
                       else [node.target])
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)) and _root(sub):
                        out.add(_root(sub))
    return out


def independent_tests(nb) -> set[str]:
    """Grade ids of the test cells that cannot depend on the parameters.

    A conservative analysis of names, statement by statement: a statement that mentions
    (anywhere, function bodies included) a name the parameter cell assigns, or a name tainted
    by such a statement, is tainted, and so is every name it defines or may have changed (an
    object passed to a call or whose method it calls, the root of an attribute or item
    assignment), imported modules and builtins excepted; repeated until nothing changes. A
    test cell with a tainted statement, or one that cannot be parsed, depends on the
    parameters. Only the other test cells are left out of a variant's run: their reference is
    the default variant's.
    """
    import builtins

    i = parameter_cell(nb)
    if i is None:
        return set()
    own = _statements(nb.cells[i].source) or []
    # everything the parameter cell defines, its functions included (they may read the data)
    tainted = set(_assigned_names(nb.cells[i].source)) | {SEED_NAME} | {
        name for _, defined, _ in own for name in defined}
    cells = {j: _statements(c.source) for j, c in enumerate(nb.cells)
             if c.cell_type == "code" and j != i}
    modules = set(dir(builtins)) | {name for stmts in cells.values() if stmts
                                    for _, _, imported in stmts for name in imported}
    tainted -= modules
    dependent = {j for j, stmts in cells.items() if stmts is None}
    changed = True
    while changed:
        changed = False
        for j, stmts in cells.items():
            for used, defined, _ in stmts or ():
                if used & tainted:
                    dependent.add(j)
                    new = defined - modules - tainted
                    if new:
                        tainted |= new
                        changed = True
    return {grade_id(nb.cells[j]) for j in cells if j not in dependent and is_test(nb.cells[j])}


def _pruned(nb, skip: set[str]):
    """`nb` with the source of the test cells `skip` emptied (cells and indices unchanged)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) in skip:
            cell.source = "pass  # parameter-independent test: its reference is the default variant's"
    return nb


# ----------------------------------------------------------------------------- quoting in markdown
def _num(x, digits: int = 6) -> str:
    x = np.asarray(x).item() if np.ndim(x) == 0 else x
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if x == 0:
            return "0"
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return f"{x:.{digits}g}"
    return str(x)


def _pmatrix(value, digits: int = 6) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    if arr.ndim == 1:
        arr = arr[:, None]          # a vector is a column, as in the book's notation
    if arr.ndim != 2:
        raise ValueError(f"pmatrix needs a vector or a matrix, got shape {arr.shape}")
    rows = [" & ".join(_num(v, digits) for v in row) for row in arr]
    return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"


def _row(value, digits: int = 6) -> str:
    return _pmatrix(np.asarray(value).reshape(1, -1), digits)


def _numbers(value, digits: int = 6, last: str = "and") -> str:
    items = [_num(v, digits) for v in np.asarray(value).ravel()]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


@lru_cache(maxsize=1)
def _jinja():
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                             keep_trailing_newline=True, comment_start_string="{##",
                             comment_end_string="##}",
                             finalize=lambda v: _numbers(v) if isinstance(v, np.ndarray) and v.ndim
                             else (_num(v) if isinstance(v, (np.ndarray, float, int, np.generic)) else v))
    env.filters.update(num=_num, pmatrix=_pmatrix, row=_row, numbers=_numbers)
    return env


def is_template(cell) -> bool:
    return cell.get("cell_type") == "markdown" and ("{{" in cell.source or "{%" in cell.source)


def render_markdown(nb, values: dict, label: str = "notebook"):
    """A copy of `nb` whose markdown placeholders quote `values` (the parameter cell's)."""
    import jinja2

    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        if not is_template(cell):
            continue
        try:
            cell.source = _jinja().from_string(cell.source).render(values)
        except (jinja2.TemplateError, ValueError, TypeError) as exc:
            raise CourseError(f"{label}: markdown cell {i} ({grade_id(cell) or 'no grade_id'}) "
                              f"cannot quote the parameters: {exc}; use the names the parameter "
                              f"cell assigns ({', '.join(sorted(values)) or 'none'})") from None
        _update_checksum(cell)
    return nb


def render_default_variant(nb, label: str = "notebook"):
    """The book's (default) variant of `nb`: markdown filled in from the cell's own seed."""
    if parameter_cell(nb) is None:
        return nb
    check_parameter_cell(nb, label)
    return render_markdown(nb, parameter_values(nb, label=label), label)


def student_variant(nb, seed: int, label: str = "notebook"):
    """One student's notebook from a released (or source) notebook: seed in, values quoted."""
    nb = with_seed(nb, seed, label)
    return render_markdown(nb, parameter_values(nb, label=label), label)


# ----------------------------------------------------------------------------- seeds and the roster
def course_secret(course: Course) -> bytes:
    """The course secret: $AUTOGRADER_VARIANT_SECRET, else COURSE/autograder/variant_secret
    (made on first use, readable by its owner only). Keep it out of every shared folder."""
    env = os.environ.get(SECRET_ENV)
    if env is not None:
        if len(env.encode()) < MIN_SECRET_BYTES:
            raise CourseError(f"${SECRET_ENV} is shorter than {MIN_SECRET_BYTES} bytes; use a "
                              "long random string, e.g. python -c 'import secrets; "
                              "print(secrets.token_hex(32))'")
        return env.encode()
    path = course.root / "autograder" / "variant_secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    secret = path.read_text().strip().encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise CourseError(f"the course secret in {path} is shorter than {MIN_SECRET_BYTES} bytes; "
                          "delete the file to make a new one (before any variant is released)")
    return secret


def derive_seed(secret: bytes, assignment: str, student: str) -> int:
    """A student's seed: HMAC-SHA256 of (assignment, student id) under the course secret, 63 bits."""
    mac = hmac.new(secret, f"nnkit-variant\0{assignment}\0{student}".encode(), hashlib.sha256)
    return int.from_bytes(mac.digest()[:8], "big") >> 1


def read_roster(path: str | os.PathLike) -> list[str]:
    """Student ids from a CSV roster with an ``id`` column (nbgrader's ``db student import``
    format; ``student_id`` is accepted too)."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = [f.strip() for f in (reader.fieldnames or [])]
            column = next((f for f in ("id", "student_id") if f in fields), None)
            if column is None:
                raise CourseError(f"roster {path}: no 'id' column (found {fields or 'no header'}); "
                                  "write a header line such as id,first_name,last_name,email")
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except OSError as exc:
        raise CourseError(f"cannot read the roster {path}: {exc}") from None
    except UnicodeDecodeError:
        raise CourseError(f"roster {path} is not UTF-8 text") from None
    ids, seen = [], set()
    for line, row in enumerate(rows, start=2):
        sid = row.get(column, "")
        if not sid:
            raise CourseError(f"roster {path}, line {line}: empty student id")
        check_name("student", sid)
        if sid in seen:
            raise CourseError(f"roster {path}, line {line}: student {sid!r} is listed twice")
        seen.add(sid)
        ids.append(sid)
    if not ids:
        raise CourseError(f"roster {path} lists no student")
    return ids


# ----------------------------------------------------------------------------- reference runs
def _run_dir_files(run_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(run_dir).as_posix(): p.read_bytes()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


def _write_files(files: dict[str, bytes], dest: Path) -> None:
    for rel, raw in files.items():
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts) or "\0" in rel:
            raise CourseError(f"a reference run returned the file name {rel!r}")
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)


def run_variant(nb_bytes: bytes, limits, *, slot: int = 0, data: list | None = None) -> dict[str, bytes]:
    """Run one variant's instrumented solution in the sandbox; its run.json and records as bytes."""
    from autograder import datafiles
    from autograder.sandbox import run_notebook

    with tempfile.TemporaryDirectory(prefix="variant-run-") as tmp:
        data_dir = None
        if data:
            data_dir = Path(tmp) / "data"
            data_dir.mkdir()
            datafiles.write_tree(data, data_dir, read_only=False)
        out = Path(tmp) / "out"
        result = run_notebook(nb_bytes, out, limits, slot=slot, data_dir=data_dir)
        files = _run_dir_files(out) if out.is_dir() else {}
        if "run.json" not in files:
            files["run.json"] = json.dumps({"end": "not started", "error": result.stderr[-800:]}).encode()
        if result.timed_out:
            files["run.json"] = json.dumps({**json.loads(files["run.json"]), "end": "timed out"}).encode()
        return files


def variant_task(nb_bytes: bytes, limits, data: list | None = None) -> dict[str, bytes]:
    """A Dask task: one variant's reference run on a worker (in its bubblewrap sandbox)."""
    from autograder.distributed import SandboxUnavailable, _slot_pool, sandbox_check

    ok, why = sandbox_check()
    if not ok:
        raise SandboxUnavailable(f"worker {why}: bubblewrap cannot start here, so this worker "
                                 "refuses to run reference answers")
    slots = _slot_pool()
    slot = slots.get()
    try:
        return run_variant(nb_bytes, limits, slot=slot, data=data)
    finally:
        slots.put(slot)


def _check_run(files: dict[str, bytes], label: str) -> None:
    try:
        log = json.loads(files["run.json"])
    except (KeyError, ValueError):
        raise CourseError(f"{label}: the reference run left no log") from None
    errors = [c for c in log.get("cells", []) if isinstance(c, dict) and c.get("status") != "ok"]
    if log.get("end") != "completed" or errors:
        where = "; ".join(f"cell {c.get('index')}: {c.get('status')} {c.get('ename', '')} "
                          f"{c.get('evalue', '')}".strip() for c in errors[:3])
        raise CourseError(f"{label}: the solution does not run cleanly in this variant (end: "
                          f"{log.get('end')}). {where} {str(log.get('error') or '')[:300]}. Make "
                          "the solution and the checks work for every value the parameter cell "
                          "can draw.")


# ----------------------------------------------------------------------------- release
@dataclass
class _Job:
    student: str
    stem: str
    seed: int
    digest: str
    nb_bytes: bytes


def release_variants(course: Course, assignment: str, roster: str | os.PathLike, *,
                     jobs: int | None = None, scheduler: str | None = None,
                     exchange: str | os.PathLike | None = None, course_id: str | None = None,
                     log=print, **release_kwargs) -> dict:
    """`autograder release ASSIGNMENT --variants roster.csv` (see the module docstring)."""
    from autograder import __version__, datafiles, forkserver
    from autograder.release import instrument, release
    from autograder.sandbox import Limits

    check_name("assignment", assignment)
    students = read_roster(roster)            # bad roster: fail before any work
    secret = course_secret(course)
    limits = release_kwargs.get("limits") or Limits()
    release_kwargs["limits"] = limits
    manifest = release(course, assignment, log=log, **release_kwargs)
    ref_root = course.reference(assignment)
    stems = {}
    for stem in manifest["notebooks"]:
        original = nbformat.read(ref_root / stem / "original.ipynb", as_version=4)
        if check_parameter_cell(original, f"{assignment}/{stem}.ipynb") is not None:
            stems[stem] = nbformat.read(ref_root / stem / "source.ipynb", as_version=4)
    if not stems:
        raise CourseError(f"{assignment}: no notebook has a parameter cell (a locked code cell "
                          f"with grade_id {PARAM_CELL!r}); see the instructors' page, section "
                          "'Per-student variants'")
    from autograder.submissions import student_key

    seeds = {sid: derive_seed(secret, assignment, sid) for sid in students}
    cache = course.work(assignment) / "variant_cache"
    work: list[_Job] = []
    table: dict = {"students": {}, "dependent": {}, "grader_version": __version__}
    skip = {stem: independent_tests(graded) for stem, graded in stems.items()}
    table["independent"] = {stem: sorted(gids) for stem, gids in skip.items()}
    for sid in students:
        entry = {"id": sid, "seed": seeds[sid], "notebooks": {}}
        for stem, graded in stems.items():
            nb_bytes = nbformat.writes(instrument(_pruned(with_seed(graded, seeds[sid]),
                                                          skip[stem]))).encode()
            digest = hashlib.sha256(f"{__version__}\0{limits.runner}\0".encode() + nb_bytes).hexdigest()[:24]
            entry["notebooks"][stem] = digest
            if not (cache / digest / "run.json").is_file():
                work.append(_Job(sid, stem, seeds[sid], digest, nb_bytes))
        table["students"][student_key(sid)] = entry
    todo = list({j.digest: j for j in work}.values())
    log(f"[variants] {assignment}: {len(students)} student(s), {len(todo)} reference run(s) to "
        f"do, {len(students) * len(stems) - len(work)} cached")
    data = datafiles.collect(course.release(assignment))
    start = time.monotonic()
    try:
        for job, files in _run_all(todo, limits, jobs, scheduler, data, log):
            label = f"{assignment}/{job.stem}.ipynb, variant of {job.student}"
            _check_run(files, label)
            tmp = cache / (job.digest + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            _write_files(files, tmp)
            shutil.rmtree(cache / job.digest, ignore_errors=True)
            os.replace(tmp, cache / job.digest)
    finally:
        if not scheduler:
            forkserver.shutdown()
    if todo:
        log(f"[variants] {assignment}: {len(todo)} reference run(s) in {time.monotonic() - start:.1f} s")
    start = time.monotonic()
    _store(course, assignment, manifest, stems, table, cache)
    log(f"[variants] {assignment}: every variant's references checked and stored in "
        f"{time.monotonic() - start:.1f} s; parameter-dependent checks: "
        + "; ".join(f"{stem}: {', '.join(names) or 'none'}" for stem, names in table["dependent"].items()))
    start = time.monotonic()
    _write_student_notebooks(course, assignment, table, exchange, course_id, log)
    log(f"[variants] {assignment}: notebooks written in {time.monotonic() - start:.1f} s")
    return table


def _run_all(todo: list[_Job], limits, jobs, scheduler, data, log):
    """Yield (job, files) for every job: locally in `jobs` sandboxes, or on Dask."""
    if not todo:
        return
    if scheduler:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise CourseError("--scheduler needs Dask: pip install 'nnkit[cluster]'") from None
        from autograder.distributed import ClusterRun

        run = ClusterRun(scheduler, log=log)
        try:
            workers = run.capable_workers()
            data_future = run.client.scatter(data, broadcast=True, hash=False) if data else None
            futures = {run.client.submit(variant_task, job.nb_bytes, limits, data_future,
                                         key=f"variant-{job.digest}", workers=workers,
                                         allow_other_workers=False, retries=2, pure=False): job
                       for job in todo}
            log(f"[variants] sent {len(futures)} reference run(s) to {len(workers)} Dask worker(s)")
            for future in as_completed(list(futures), loop=run.client.loop):
                job = futures[future]
                if future.status != "finished":
                    raise CourseError(f"the reference run of {job.student}'s variant failed on the "
                                      f"cluster: {future.exception()}")
                yield job, future.result()
        finally:
            run.close()
        return
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    import queue

    slots: queue.Queue[int] = queue.Queue()
    for i in range(jobs):
        slots.put(i)

    def one(job):
        slot = slots.get()
        try:
            return job, run_variant(job.nb_bytes, limits, slot=slot, data=data)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(one, todo)


def _store(course: Course, assignment: str, manifest: dict, stems: dict, table: dict, cache: Path) -> None:
    """Check every variant's records against the default's structure, copy them into the
    reference folder, find the parameter-dependent checks, update the manifest's hash."""
    from autograder.asserts import adjust_reference
    from autograder.release import _describe
    from nnkit import checks

    ref_root = course.reference(assignment)
    for stem in stems:
        info = manifest["notebooks"][stem]
        default, problems = checks.load_records(ref_root / stem / "records")
        hardened = set(info.get("reference_is_expected", ()))
        adjust_reference(default, hardened)
        original = nbformat.read(ref_root / stem / "original.ipynb", as_version=4)
        dependent: set[str] = set()
        seen: set[str] = set()
        for entry in table["students"].values():
            digest = entry["notebooks"][stem]
            if digest in seen:
                continue
            seen.add(digest)
            label = f"{assignment}/{stem}.ipynb, variant of {entry['id']}"
            records, problems = checks.load_records(cache / digest / "records")
            if problems:
                raise CourseError(f"{label}: unreadable reference records: {problems[:3]}")
            problems = adjust_reference(records, hardened)
            if problems:
                raise CourseError(f"{label}: the solution fails its own test: {problems[0]}")
            skipped = set(table["independent"][stem])
            ran = {tuple(k) for gid, keys in info["cells"].items() if gid not in skipped for k in keys}
            described = _describe(label, original, {**default, **records}, info["points"])
            if described["cells"] != info["cells"] or set(records) != ran:
                raise CourseError(f"{label}: this variant runs other checks than the default "
                                  "variant; every variant must call the same checks in the same cells")
            for key, other in records.items():
                rec = default[key]
                if rec.kind != "between" and not (checks.compare(rec, other).passed
                                                  and checks.compare(other, rec).passed):
                    dependent.add(key[0])
            dest = ref_root / stem / "variants" / digest
            if not dest.exists():
                shutil.copytree(cache / digest / "records", dest / "records")
        table["dependent"][stem] = sorted(dependent)
    blob = json.dumps(table, sort_keys=True).encode()
    table["hash"] = hashlib.sha256(blob).hexdigest()[:16]
    (ref_root / VARIANTS_FILE).write_text(json.dumps(table, indent=1))
    manifest = json.loads((ref_root / "manifest.json").read_text())
    manifest.pop("reference_hash", None)
    manifest["variants_hash"] = table["hash"]
    manifest["reference_hash"] = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]
    (ref_root / "manifest.json").write_text(json.dumps(manifest, indent=1))


def variant_folder(course: Course, student: str, assignment: str) -> Path:
    """Where a student's notebook is written: nbgrader's {step}/{student}/{assignment} layout."""
    return course.root / "variants" / student / assignment


def _write_student_notebooks(course: Course, assignment: str, table: dict, exchange, course_id,
                             log) -> None:
    release_dir = course.release(assignment)
    released = {p.stem: nbformat.read(p, as_version=4) for p in sorted(release_dir.glob("*.ipynb"))}
    source_nbs = {stem: nbformat.read(course.reference(assignment) / stem / "original.ipynb", as_version=4)
                  for stem in released}
    if exchange is not None:
        if not course_id:
            raise CourseError("--exchange needs --course-id (nbgrader's CourseDirectory.course_id)")
        check_name("course id", course_id)
        root = Path(exchange) / course_id
        outbound = root / "outbound" / assignment
        shutil.rmtree(outbound, ignore_errors=True)
        shutil.copytree(release_dir, outbound)    # the default variant, as release_assignment does
    count = 0
    for key, entry in table["students"].items():
        if exchange is not None:
            folder = Path(exchange) / course_id / "variants" / assignment / entry["id"]
        else:
            folder = variant_folder(course, entry["id"], assignment)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(release_dir, folder)      # data files and all
        for stem, nb in released.items():
            if parameter_cell(source_nbs[stem]) is None:
                continue
            # the released markdown holds the default's values: quote from the source's templates
            templates = {grade_id(c): c.source for c in source_nbs[stem].cells if is_template(c)}
            nb = copy.deepcopy(nb)
            for cell in nb.cells:
                if grade_id(cell) in templates:
                    cell.source = templates[grade_id(cell)]
            nbformat.write(student_variant(nb, entry["seed"], f"{assignment}/{stem}.ipynb"),
                           folder / f"{stem}.ipynb")
        count += 1
    where = (Path(exchange) / course_id / "variants" / assignment) if exchange is not None \
        else course.root / "variants" / "<student>" / assignment
    log(f"[variants] {assignment}: {count} student notebook(s) in {where}")


def render_release(course: Course, assignment: str) -> None:
    """Hook of `release`: the default variant's values quoted in the release notebooks."""
    for path in sorted(course.release(assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if parameter_cell(nb) is not None:
            nbformat.write(render_default_variant(nb, f"{assignment}/{path.name}"), path)


# ----------------------------------------------------------------------------- grading
@dataclass
class _VariantState:
    table: dict
    root: Path
    student: str | None = None          # the student this reference was specialised for
    flags: list = field(default_factory=list)


def attach(ref, root: Path):
    """Hook of `load_reference`: remember the variants table of a release with variants."""
    path = Path(root) / VARIANTS_FILE
    if path.is_file():
        ref.variants = _VariantState(json.loads(path.read_text()), Path(root))
    return ref


@lru_cache(maxsize=4096)
def _records(path: str, hardened: frozenset = frozenset()) -> dict:
    """Reference records of one variant (read once per process; never changed afterwards)."""
    from autograder.asserts import adjust_reference
    from nnkit import checks

    records, problems = checks.load_records(path)
    if problems:
        raise CourseError(f"variant reference records in {path} are damaged ({problems[:2]}); "
                          "release the assignment again")
    adjust_reference(records, set(hardened))
    return records


def _hardened(nbref) -> frozenset:
    return frozenset(nbref.info.get("reference_is_expected", ()))


def for_student(ref, student_key: str):
    """The reference of `student_key`'s own variant (`ref` itself if there are no variants or it
    is specialised already). A student missing from the roster is graded against the default
    variant, with a flag."""
    import dataclasses

    from autograder.grading import NotebookRef

    state = getattr(ref, "variants", None)
    if state is None or state.student is not None:
        return ref
    entry = state.table["students"].get(student_key)
    new = dataclasses.replace(ref, notebooks=dict(ref.notebooks))
    new.variants = _VariantState(state.table, state.root, student_key)
    if entry is None:
        new.variants.flags.append(f"variants: {student_key!r} is not in the roster of this release; "
                                  "graded against the default variant (the book's numbers)")
        return new
    for stem, digest in entry["notebooks"].items():
        nbref = ref.notebooks[stem]
        # the checks of parameter-independent test cells did not run: the default's reference
        records = {**nbref.records, **_records(str(state.root / stem / "variants" / digest / "records"),
                                               _hardened(nbref))}
        new.notebooks[stem] = NotebookRef(stem, with_seed(nbref.source, entry["seed"]),
                                          with_seed(nbref.release, entry["seed"]), records, nbref.info)
    return new


def flags(ref) -> list[str]:
    state = getattr(ref, "variants", None)
    return list(state.flags) if state is not None else []


def after_judge(ref, stem: str, student_nb, submitted: dict, result: dict) -> None:
    """Hook of `grade_submission` after one notebook is judged: flag answers that match
    another student's variant (copied numbers) and a parameter cell taken from another student."""
    state = getattr(ref, "variants", None)
    if state is None or state.student is None or stem not in state.table.get("dependent", {}):
        return
    from nnkit import checks

    me = state.table["students"].get(state.student)
    own_seed = me["seed"] if me else None
    theirs = seed_of(student_nb) if student_nb is not None else None
    by_seed = {e["seed"]: e["id"] for e in state.table["students"].values()}
    if theirs is not None and theirs != own_seed:
        who = by_seed.get(theirs, "a student outside the roster")
        result["flags"].append(f"variants: the submitted {stem}.ipynb holds the parameter cell of "
                               f"another variant ({who}); it was graded with this student's own")
    dependent = set(state.table["dependent"][stem])
    nbref = ref.notebooks[stem]
    failed = []
    for gid, keys in nbref.info["cells"].items():
        verdicts = result["notebooks"][stem][gid]["checks"]
        for (name, occ), verdict in zip(keys, verdicts):
            sub = submitted.get((name, occ))
            if name in dependent and not verdict["passed"] and sub is not None and sub.error is None:
                failed.append(((name, occ), sub))
    if not failed:
        return
    best, best_hits = None, []
    for key, entry in state.table["students"].items():
        if key == state.student:
            continue
        digest = entry["notebooks"].get(stem)
        others = _records(str(state.root / stem / "variants" / digest / "records"), _hardened(nbref))
        hits = [k[0] for k, sub in failed if k in others and checks.compare(others[k], sub).passed]
        if len(hits) > len(best_hits):
            best, best_hits = entry["id"], hits
    default = _records(str(state.root / stem / "records"), _hardened(nbref))
    hits = [k[0] for k, sub in failed if k in default and checks.compare(default[k], sub).passed]
    if len(hits) > len(best_hits):
        best, best_hits = "the default (book) variant", hits
    if best_hits and len(best_hits) >= min(2, len(failed)):
        result["flags"].append(
            f"variants: COPIED? {len(best_hits)} parameter-dependent check(s) fail for this "
            f"student's numbers but match those of {best} ({', '.join(best_hits[:6])}); they "
            "score zero")

