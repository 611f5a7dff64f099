"""Answers out, verdicts in (issue 23), on the book's ten assignments through the real grader.

Two submissions of each kind: (1) every mutation of the catalogue again, with NumPy's
comparison functions patched to say yes: it must not score more than the same mutation
without the patch; (2) a liar, described next.

A check that records a boolean the student's process computed (``bool(np.allclose(a, b))``,
``x == y``, ``isinstance(...)``) ships a verdict, not an answer. Here every answer of the
release is replaced by a liar: each function returns an object that equals everything, is
true, has any length and converts to no array, and NumPy's comparison functions, ``bool``,
``isinstance`` and ``callable`` are patched to say yes. A grader that only ever compares the
student's plain values with the reference gives such a submission nothing.
"""

from __future__ import annotations

import ast
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


@pytest.mark.skipif(not EXERCISES, reason="no exercises/<assignment>/<assignment>.ipynb yet")
@pytest.mark.parametrize("assignment", EXERCISES)
def test_a_liar_earns_nothing(assignment, tmp_path):
    from autograder.batch import grade_assignment
    from autograder.course import Course
    from autograder.demo import make_submission
    from autograder.rebuild import grade_id, is_answer
    from autograder.release import release

    course = Course.locate(tmp_path / "course")
    release(course, assignment, source_dir=REPO / "exercises", limits=TEST_LIMITS,
            determinism=False, log=lambda *a: None)
    rel = nbformat.read(course.release(assignment) / f"{assignment}.ipynb", as_version=4)
    answers = [c for c in rel.cells if is_answer(c) and c.cell_type == "code"]
    lies = {grade_id(c): liar_cell(c.source) for c in answers}
    lies[grade_id(answers[0])] = LIAR + lies[grade_id(answers[0])]
    write_submission(course.submitted, "liar", assignment, make_submission(rel, lies))
    source = nbformat.read(course.source(assignment) / f"{assignment}.ipynb", as_version=4)
    solution = {grade_id(c): c.source for c in source.cells if is_answer(c)}
    first = grade_id(answers[0])
    mutations = _mutations(assignment)
    for m in mutations:
        sources = {**solution, m["cell"]: m["source"]}
        write_submission(course.submitted, f"mut_{m['name']}", assignment, make_submission(rel, sources))
        sources[first] = PATCH + sources[first]
        write_submission(course.submitted, f"patched_{m['name']}", assignment, make_submission(rel, sources))
    results = {r["student"]: r for r in grade_assignment(
        course, assignment, jobs=2, limits=TEST_LIMITS, progress=False, log=lambda *a: None)}
    result = results["liar"]
    earned = [(gid, check["name"]) for nb in result["notebooks"].values() for gid, cell in nb.items()
              for check in cell["checks"] if check["passed"] and cell["score"] > 0]
    assert result["score"] == 0, f"{assignment}: a liar earns {result['score']} through {earned}"
    gains = {m["name"]: (results[f"mut_{m['name']}"]["score"], results[f"patched_{m['name']}"]["score"])
             for m in mutations if not m.get("unseeded")}
    gains = {name: pair for name, pair in gains.items() if pair[1] > pair[0]}
    assert not gains, f"{assignment}: patched comparisons raise these mutations' scores: {gains}"


def _mutations(assignment):
    import importlib.util

    path = REPO / "exercises" / assignment / "mutations.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"mutations_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "MUTATIONS", []))
