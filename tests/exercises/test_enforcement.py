"""Static rules over every graded test cell of the ten assignments (issues 23 and 24), by the AST.

- **Every call of a student's function goes through `checks.call`.** A student's function is
  one defined (``def`` or ``class``) at the top of an answer cell. A test cell may pass it to
  ``checks.call(name, func, *args)`` and may hand it over as data (``saturation_point(sigmoid,
  ...)`` made through ``checks.call``), but never call it itself, nor a method of an object it
  built: ``checks.call`` is what reports an exception with a hint, an input changed in place,
  a ``None`` returned, before any value is compared.
- **Answers out, verdicts in.** The value a check records is the student's value (an array, a
  number, a shape, a string), never a verdict computed from the student's objects in the
  student's process: no comparison (``x == y``, ``a < b``, ``k in SCHEMES``), no ``bool(...)``,
  ``np.allclose``/``np.isclose``/``np.all``/``np.any``/``np.isinf``..., ``isinstance``, ``.all()``,
  ``x if cond else y``, no literal True/False, and no count of such verdicts, also when it was
  stored in a variable of the cell first. The grader compares values with the reference.
"""

from __future__ import annotations

import ast

import pytest

import exercise_harness as harness

CHECKS = harness.CHECK_FUNCS
VERDICT_BUILTINS = {"bool", "isinstance", "issubclass", "callable", "hasattr", "all", "any"}
VERDICT_NUMPY = {"all", "any", "allclose", "isclose", "array_equal", "array_equiv", "isnan", "isinf",
                 "isfinite", "isneginf", "isposinf", "isin", "in1d", "logical_and", "logical_or",
                 "logical_not", "logical_xor", "greater", "less", "equal", "not_equal", "greater_equal",
                 "less_equal", "iscomplexobj", "isrealobj", "isscalar", "shares_memory",
                 "may_share_memory", "signbit"}
COUNTS = {"int", "float", "sum", "len", "str", "list", "tuple", "sorted", "max", "min", "abs",
          "sum", "count_nonzero", "asarray", "array", "float64", "int64", "mean"}


def _qualname(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return _qualname(func.value) + "." + func.attr
    return "?"


def _is_checks_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _qualname(node.func) == "checks.call"


def student_definitions(nb) -> tuple[set[str], set[str]]:
    """(functions, classes) defined at the top level of the answer cells."""
    funcs, classes = set(), set()
    for cell in nb.cells:
        if harness.is_answer(cell):
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    funcs.add(node.name)
                elif isinstance(node, ast.ClassDef):
                    classes.add(node.name)
    return funcs, classes


def direct_calls(source: str, funcs: set[str], classes: set[str]) -> list[str]:
    """Calls of a student's function, class or object's method not made through checks.call."""
    tree = ast.parse(source)
    objects = set()   # names bound to an object built by a student's class
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            built = (_qualname(call.func) in classes or
                     (_is_checks_call(call) and len(call.args) > 1 and _qualname(call.args[1]) in classes))
            if built:
                for target in node.targets:
                    objects.update(t.id for t in ast.walk(target) if isinstance(t, ast.Name))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _qualname(node.func)
        if name in funcs or name in classes:
            found.append(f"line {node.lineno}: {name}(...)")
        elif isinstance(node.func, ast.Attribute) and _qualname(node.func.value) in objects:
            found.append(f"line {node.lineno}: {name}(...) (a method of an object of a student's class)")
    return found


def _assignments(tree: ast.AST) -> dict[str, list[ast.AST]]:
    env: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    env.setdefault(target.id, []).append(node.value)
        elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            env.setdefault(node.target.id, []).append(node.iter)
    return env


def is_verdict(node: ast.AST, env: dict, seen: frozenset = frozenset()) -> bool:
    """Whether `node` computes a verdict (a boolean, or a count of booleans)."""
    if isinstance(node, (ast.Compare, ast.BoolOp, ast.IfExp)):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not) or is_verdict(node.operand, env, seen)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        if node.id in seen:
            return False
        return any(is_verdict(v, env, seen | {node.id}) for v in env.get(node.id, ()))
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(is_verdict(e, env, seen) for e in node.elts)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
        return is_verdict(node.elt, env, seen)
    if isinstance(node, ast.Call):
        name = _qualname(node.func)
        last = name.rsplit(".", 1)[-1]
        if name in VERDICT_BUILTINS:
            return True
        if name.startswith(("np.", "numpy.")) and last in VERDICT_NUMPY:
            return True
        if isinstance(node.func, ast.Attribute) and last in ("all", "any") and not node.args:
            return True
        if last in COUNTS and last != "mean" and node.args:
            return is_verdict(node.args[0], env, seen)
    return False


def recorded_verdicts(source: str) -> list[str]:
    tree = ast.parse(source)
    env = _assignments(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _qualname(node.func).rsplit(".", 1)[-1] in CHECKS:
            value = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "value"), None)
            if value is not None and is_verdict(value, env):
                found.append(f"line {node.lineno}: {ast.unparse(node)[:160]}")
    return found


def _test_cells(assignment):
    nb = harness.read_source(assignment)
    return nb, [(harness.grade_id(c), c.source) for c in nb.cells if harness.is_test(c)]


def test_every_student_function_is_called_through_checks_call(assignment):
    nb, cells = _test_cells(assignment)
    funcs, classes = student_definitions(nb)
    problems = [f"{gid}: {hit}" for gid, source in cells for hit in direct_calls(source, funcs, classes)]
    assert not problems, ("call the student's functions through checks.call(name, func, *args) "
                          "in test cells:\n" + "\n".join(problems))


def test_no_check_records_a_verdict(assignment):
    nb, cells = _test_cells(assignment)
    problems = [f"{gid}: {hit}" for gid, source in cells for hit in recorded_verdicts(source)]
    assert not problems, ("a check records a verdict computed in the student's process; record "
                          "the student's value (or a difference) and let the grader compare:\n"
                          + "\n".join(problems))


# ---------------------------------------------------------------- the detectors themselves
@pytest.mark.parametrize("source", [
    "checks.check_equal('a.x', bool(np.allclose(a, b)), True)",
    "checks.check_equal('a.x', a == b, True)",
    "checks.check_equal('a.x', k in SCHEMES, True)",
    "checks.check_true('a.x', f(a))" if False else "checks.check_equal('a.x', np.all(a > 0), True)",
    "checks.check_equal('a.x', isinstance(a, float), True)",
    "checks.check_equal('a.x', (a > 0).all(), True)",
    "checks.check_equal('a.x', int(sum(float(e) > 1e-4 for e in d.values())), 1)",
    "ok = np.isclose(a, b)\nchecks.check_equal('a.x', ok, True)",
    "checks.check_equal('a.x', 'big' if a > b else 'small', 'big')",
    "checks.check_equal('a.x', not a, False)",
    "checks.check_equal('a.x', True, True)",
    "checks.check_close('a.x', np.isinf(f(a)), 1.0)",
])
def test_verdict_detector_finds_verdicts(source):
    assert recorded_verdicts(source)


@pytest.mark.parametrize("source", [
    "checks.check_close('a.x', f(a), np.ones(3))",
    "checks.check_between('a.x', (mask != 0).mean(), 0.6, 0.8)",
    "checks.check_close('a.x', a - b, np.zeros(3))",
    "checks.check_equal('a.x', sorted(d), ['W', 'b'])",
    "checks.check_one_of('a.x', pick, ['W', 'b'])",
    "checks.check_equal('a.x', pick, 'W' if a > b else 'b')",
])
def test_verdict_detector_lets_values_pass(source):
    assert not recorded_verdicts(source)


def test_call_detector():
    funcs, classes = {"f", "g"}, {"Layer"}
    assert direct_calls("checks.check_close('a', f(x), y)", funcs, classes)
    assert direct_calls("checks.call('a', lambda: f(x))", funcs, classes)
    assert direct_calls("layer = Layer(1)\nlayer.forward(x)", funcs, classes)
    assert direct_calls("layer = checks.call('a', Layer, 1)\nlayer.forward(x)", funcs, classes)
    assert not direct_calls("checks.call('a', f, x)\nchecks.call('b', g, f, 2)", funcs, classes)
    assert not direct_calls("layer = checks.call('a', Layer, 1)\nchecks.call('b', layer.forward, x)",
                            funcs, classes)
    assert not direct_calls("np.tanh(x)\nh(x)", funcs, classes)
