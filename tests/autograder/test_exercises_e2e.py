"""End to end on the real exercises: the solution scores full, the release scores zero, and
every mutation of the exercises' catalogue (exercises/<a>/mutations.py) scores below full; the
fast runner (the default) and the Jupyter-kernel runner give every submission the same score,
status and verdicts.

Answers out, verdicts in (issue 23): a check that records a boolean the student's process
computed (``bool(np.allclose(a, b))``, ``x == y``, ``isinstance(...)``) ships a verdict, not an
answer. So each assignment is also graded (fast runner) with (1) every mutation again, with
NumPy's comparison functions patched to say yes, which must not score more than the same
mutation without the patch, and (2) a liar: every answer returns an object that equals
everything, is true, has any length and converts to no array, with NumPy's comparisons,
``isinstance`` and ``callable`` patched to say yes. It must earn nothing."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import REPO, TEST_LIMITS, requires_bwrap, write_submission  # noqa: E402

EXERCISES = sorted(p.parent.name for p in (REPO / "exercises").glob("ex*/ex*.ipynb")
                   if p.stem == p.parent.name)
pytestmark = [pytest.mark.slow, requires_bwrap()]


LIAR = '''
import builtins as _b, numpy as _np
class _Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __gt__(self, other): return True
    def __ge__(self, other): return True
    def __bool__(self): return True
    def __len__(self): return 0
    def __iter__(self): return iter(())
    def __getitem__(self, key): return self
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
    def __array__(self, *a, **k): raise TypeError("no array here")
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __index__(self): return 0
    def __hash__(self): return 0
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = \\
        __matmul__ = __rmatmul__ = __pow__ = __neg__ = __abs__ = lambda self, *a: self
for _name in ("allclose", "array_equal", "array_equiv"):
    setattr(_np, _name, lambda *a, **k: True)
_np.isclose = lambda a, b, *r, **k: _np.ones(_np.shape(a) if not isinstance(a, _Liar) else (), bool)
_np.all = _np.any = lambda *a, **k: True
_np.isfinite = lambda a, *r, **k: True
_np.testing.assert_allclose = _np.testing.assert_array_equal = lambda *a, **k: None
_isinstance, _bool = _b.isinstance, _b.bool
_b.isinstance = lambda obj, cls: True
_b.callable = lambda obj: True
'''

PATCH = '''
import numpy as _np
_np.allclose = _np.array_equal = _np.array_equiv = lambda *a, **k: True
_np.isclose = lambda a, b, *r, **k: _np.ones(_np.shape(a), bool)
_np.testing.assert_allclose = _np.testing.assert_array_equal = lambda *a, **k: None
'''


def liar_cell(source: str) -> str:
    """The answer cell with every function returning a liar and every variable set to one."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return LIAR
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(f"def {node.name}(*args, **kwargs):\n    return _Liar()")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        out.append(f"{name.id} = _Liar()")
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef)):
            out.append(ast.unparse(node))
    return "\n".join(out) + "\n"



def _verdicts(result):
    return (result["score"], result["status"],
            sorted((gid, c["score"], tuple(v["passed"] for v in c["checks"]))
                   for nb in result["notebooks"].values() for gid, c in nb.items()))


def _mutations(assignment):
    path = REPO / "exercises" / assignment / "mutations.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"mutations_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "MUTATIONS", []))


@pytest.mark.skipif(not EXERCISES, reason="no exercises/<assignment>/<assignment>.ipynb yet")
@pytest.mark.parametrize("assignment", EXERCISES)
def test_exercise_end_to_end(assignment, tmp_path):
    from autograder.batch import grade_assignment
    from autograder.course import Course
    from autograder.demo import make_submission
    from autograder.rebuild import grade_id, is_answer, is_test
    from autograder.release import release

    course = Course.locate(tmp_path / "course")
    release(course, assignment, source_dir=REPO / "exercises", limits=TEST_LIMITS,
            determinism=False, log=lambda *a: None)
    source = nbformat.read(course.source(assignment) / f"{assignment}.ipynb", as_version=4)
    rel = nbformat.read(course.release(assignment) / f"{assignment}.ipynb", as_version=4)
    solution = {grade_id(c): c.source for c in source.cells if is_answer(c)}
    write_submission(course.submitted, "solution", assignment, make_submission(rel, solution))
    write_submission(course.submitted, "release", assignment, rel)
    mutations = _mutations(assignment)
    for m in mutations:
        write_submission(course.submitted, f"mut_{m['name']}", assignment,
                         make_submission(rel, {**solution, m["cell"]: m["source"]}))
    results = {r["student"]: r for r in grade_assignment(
        course, assignment, jobs=2, limits=TEST_LIMITS, progress=False, log=lambda *a: None)}
    kernel = {r["student"]: r for r in grade_assignment(
        course, assignment, jobs=2, limits=dataclasses.replace(TEST_LIMITS, runner="nbclient"),
        regrade=True, progress=False, log=lambda *a: None)}
    # a mutation that draws from NumPy's unseeded global generator has verdicts that vary from
    # run to run (mutations.py marks it "unseeded"): the runners are compared on the others
    unseeded = {f"mut_{m['name']}" for m in mutations if m.get("unseeded")}
    assert ({s: _verdicts(r) for s, r in results.items() if s not in unseeded}
            == {s: _verdicts(r) for s, r in kernel.items() if s not in unseeded})
    full = results["solution"]["max_score"]
    assert results["solution"]["score"] == full, results["solution"]
    assert results["release"]["score"] == 0, results["release"]
    survivors = [n for n, r in [*results.items(), *kernel.items()]
                 if n.startswith("mut_") and r["score"] >= full]
    assert not survivors, f"mutations scoring full: {survivors}"
    # partial credit per check: the solution earns every cell in full, a cell whose checks give
    # points= earns a fraction for some mutation, and a cell without them stays all or nothing
    partial = {grade_id(c) for c in source.cells if is_test(c) and "points=" in c.source}
    fractional = []
    for student, result in [*results.items(), *kernel.items()]:
        for gid, cell in result["notebooks"][assignment].items():
            if student == "solution":
                assert cell["score"] == cell["points"], (gid, cell)
            elif gid in partial and 0 < cell["score"] < cell["points"]:
                fractional.append((student, gid))
            else:
                assert cell["score"] in (0, cell["points"]), (student, gid, cell)
    if partial and mutations:
        assert fractional, f"no mutation earns part of the partial-credit cells {sorted(partial)}"
    # a mutation that states its scores (an unanswered part inside checks.section, say) earns
    # exactly those through the real grader, with both runners
    for m in mutations:
        for student_results in (results, kernel):
            cells = student_results[f"mut_{m['name']}"]["notebooks"][assignment]
            for gid, want in m.get("scores", {}).items():
                assert cells[gid]["score"] == want, (m["name"], gid, cells[gid])
    if assignment == "ex03_backprop":
        # one bug costs one part: a wrong mse_grad costs the backward cell nothing (its checks
        # draw dL/dY themselves), so a correct backward keeps all its points
        cell = results["mut_mse_grad_sign_flip"]["notebooks"][assignment]["test_backward"]
        assert cell["score"] == cell["points"], cell
    # verdicts in the grader: a liar earns nothing, patched comparisons raise no score
    attacks = tmp_path / "attacks"
    answers = [c for c in rel.cells if is_answer(c) and c.cell_type == "code"]
    first = grade_id(answers[0])
    lies = {grade_id(c): liar_cell(c.source) for c in answers}
    lies[first] = LIAR + lies[first]
    write_submission(attacks, "liar", assignment, make_submission(rel, lies))
    for m in mutations:
        sources = {**solution, m["cell"]: m["source"]}
        sources[first] = PATCH + sources[first]
        write_submission(attacks, f"patched_{m['name']}", assignment, make_submission(rel, sources))
    attacked = {r["student"]: r for r in grade_assignment(
        course, assignment, submissions=attacks, jobs=2, limits=TEST_LIMITS, progress=False,
        log=lambda *a: None)}
    liar = attacked["liar"]
    earned = [(gid, check["name"]) for nb in liar["notebooks"].values() for gid, cell in nb.items()
              for check in cell["checks"] if check["passed"] and cell["score"] > 0]
    assert liar["score"] == 0, f"{assignment}: a liar earns {liar['score']} through {earned}"
    gains = {m["name"]: (results[f"mut_{m['name']}"]["score"], attacked[f"patched_{m['name']}"]["score"])
             for m in mutations if not m.get("unseeded")}
    gains = {name: pair for name, pair in gains.items() if pair[1] > pair[0]}
    assert not gains, f"{assignment}: patched comparisons raise these mutations' scores: {gains}"
    if not mutations:
        pytest.skip(f"{assignment} has no mutation catalogue (exercises/{assignment}/mutations.py)")
