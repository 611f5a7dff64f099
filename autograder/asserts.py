"""Plain-``assert`` test cells of nbgrader courses: recognise, rewrite, report.

Stock nbgrader grades a test cell by whether it raises in the student's process. At release,
every plain test cell (one that calls no `nnkit.checks` function) is rewritten so that it runs
in the sandbox bracketed by `nnkit.checks.plain_asserts.begin`/`end`, which record that the cell ran to
its end, without writing to stderr, and nbgrader's partial-credit output (so a cell scores what
stock nbgrader gives it). Assertions of a recognised form are rewritten further: the value is
recorded as plain data and compared in the grader's process with the test's own expected
value, computed in the solution's reference run:

- ``assert E == L`` (either order), with the type structure ``==`` cares about;
- ``assert np.allclose(E, L, ...)``, ``assert np.isclose(...)``, ``assert np.all(np.isclose(...))``;
- ``assert abs(E - L) < tol`` (``<=``; ``abs``, ``np.abs``, ``math.fabs``; either order);
- ``np.testing.assert_allclose / assert_array_equal / assert_equal / assert_almost_equal /
  assert_array_almost_equal(E, L, ...)``.

``L`` (and any tolerance) must not depend on the student's code: literals, NumPy/math calls
on literals, or names this cell assigns only from such values. A cell is *hardened* when no
assertion, ``raise`` or ``try`` of its own is left; otherwise its verdict stays in-process and
release says which line keeps it there.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

from autograder.rebuild import grade_id, is_test, nbgrader_meta

HELPER = "__import__('nnkit.checks.plain_asserts').checks.plain_asserts"
LAST = "__nbgrader_last"
SAFE_BUILTINS = {"range", "list", "tuple", "float", "int", "abs", "sum", "round", "min", "max",
                 "sorted", "len", "complex", "bool", "str", "True", "False", "None"}
MODULES = {"np": "numpy", "numpy": "numpy", "math": "math"}
CHECK_CALL = re.compile(r"\bcheck_(close|equal|between|shape)\s*\(")
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass
class CellPlan:
    """How release treats one graded test cell."""

    grade_id: str
    mode: str                                         # "checks", "hardened" or "in-process"
    hardened: list[str] = field(default_factory=list)  # check names of rewritten assertions
    reasons: list[str] = field(default_factory=list)   # why the verdict stays in-process


def uses_checks(source: str) -> bool:
    return bool(CHECK_CALL.search(source))


def _python(source: str) -> str:
    """Cell source as plain Python (IPython magics turned into calls, as the kernel does)."""
    try:
        ast.parse(source)
        return source
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)


class _Rewriter(ast.NodeTransformer):
    def __init__(self, gid: str, hidden_lines: set[int], keep: frozenset[str], graded: bool = False):
        self.gid, self.hidden_lines, self.keep, self.graded = gid, hidden_lines, keep, graded
        self.aliases = dict(MODULES)       # local name -> dotted qualified name
        self.constants: set[str] = set()
        self.count = 0
        self.hardened: list[str] = []
        self.kept: list[str] = []          # recognised but kept in-process (keep set)

    # -- what counts as independent of the student's code
    def qualname(self, node) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id if node.id in SAFE_BUILTINS else None)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def is_const(self, node) -> bool:
        try:
            ast.literal_eval(node)
            return True
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        bound = {n.id for comp in ast.walk(node) if isinstance(comp, ast.comprehension)
                 for n in ast.walk(comp.target) if isinstance(n, ast.Name)}
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
                return False
            if isinstance(sub, ast.Name) and sub.id not in bound and sub.id not in self.constants \
                    and sub.id not in SAFE_BUILTINS and sub.id not in self.aliases:
                return False
            if isinstance(sub, ast.Name) and sub.id in self.aliases and \
                    not self.aliases[sub.id].startswith(("numpy", "math")):
                return False
        return True

    def const_number(self, node) -> float | None:
        if not self.is_const(node):
            return None
        try:
            return float(eval(compile(ast.Expression(node), "<tol>", "eval"),   # noqa: S307
                              {"__builtins__": {}, "np": __import__("numpy"),
                               "numpy": __import__("numpy"), "math": __import__("math")}))
        except Exception:
            return None

    # -- statements that change what names mean
    def visit_Import(self, node):
        for alias in node.names:
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0])
        return node

    def visit_ImportFrom(self, node):
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return node

    def visit_Assign(self, node):
        const = self.is_const(node.value)
        for target in node.targets:
            for n in ast.walk(target):
                if isinstance(n, ast.Name):
                    (self.constants.add if const and isinstance(target, ast.Name)
                     else self.constants.discard)(n.id)
                    self.aliases.pop(n.id, None)
        return node

    def visit_FunctionDef(self, node):   # asserts inside functions stay as written
        self.constants.discard(node.name)
        self.aliases.pop(node.name, None)
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Lambda(self, node):
        return node

    def visit_Try(self, node):           # an assertion in a try may be meant to raise
        return node

    def visit_For(self, node):           # a loop could record thousands of values: left as is
        return node

    visit_AsyncFor = visit_While = visit_For

    visit_TryStar = visit_Try

    # -- recognised assertions
    def _name(self, node) -> str:
        self.count += 1
        hidden = ".hidden" if getattr(node, "lineno", 0) in self.hidden_lines else ""
        return f"{self.gid}{hidden}.assert{self.count}"

    def _call(self, func: str, *args) -> ast.Expr:
        call = ast.parse(f"{HELPER}.{func}()", mode="eval").body
        call.args = list(args)
        return ast.Expr(call)

    def _pick(self, a, b):
        """(value, expected) when exactly one of a, b is independent of the student's code."""
        ca, cb = self.is_const(a), self.is_const(b)
        if cb and not ca:
            return a, b
        if ca and not cb:
            return b, a
        return None

    def _close_args(self, call: ast.Call, rtol: float, atol: float, strict: bool = False):
        if len(call.args) != 2:
            return None
        for kw in call.keywords:
            if kw.arg in ("rtol", "atol"):
                value = self.const_number(kw.value)
                if value is None:
                    return None
                rtol, atol = (value, atol) if kw.arg == "rtol" else (rtol, value)
            elif kw.arg == "equal_nan" and isinstance(kw.value, ast.Constant) and not kw.value.value:
                continue
            else:
                return None
        pair = self._pick(*call.args)
        if pair is None:
            return None
        if strict:
            atol = float(__import__("numpy").nextafter(atol, -1.0))
        return pair, rtol, atol

    def _recognise_assert(self, node: ast.Assert):
        test, hint = node.test, node.msg if isinstance(node.msg, ast.Constant) else None
        hint = hint or ast.Constant(None)
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            pair = self._pick(test.left, test.comparators[0])
            if pair:
                return "equal", [*pair, hint]
        if isinstance(test, ast.Call) and self.qualname(test.func) == "numpy.all" and \
                len(test.args) == 1 and not test.keywords and isinstance(test.args[0], ast.Call):
            test = test.args[0]
        if isinstance(test, ast.Call) and self.qualname(test.func) in ("numpy.allclose", "numpy.isclose"):
            got = self._close_args(test, 1e-5, 1e-8)
            if got:
                (value, expected), rtol, atol = got
                return "close", [value, expected, ast.Constant(rtol), ast.Constant(atol), hint]
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Lt, ast.LtE)):
            left = test.left
            if isinstance(left, ast.Call) and len(left.args) == 1 and not left.keywords and \
                    self.qualname(left.func) in ("abs", "numpy.abs", "numpy.absolute", "math.fabs") and \
                    isinstance(left.args[0], ast.BinOp) and isinstance(left.args[0].op, ast.Sub):
                tol = self.const_number(test.comparators[0])
                pair = self._pick(left.args[0].left, left.args[0].right)
                if tol is not None and pair:
                    atol = tol if isinstance(test.ops[0], ast.LtE) else float(
                        __import__("numpy").nextafter(tol, -1.0))
                    return "close", [*pair, ast.Constant(0.0), ast.Constant(atol), hint]
        return None

    def _recognise_testing(self, call: ast.Call):
        name = self.qualname(call.func) or ""
        if not name.startswith("numpy.testing."):
            return None
        func = name.rsplit(".", 1)[1]
        hint = ast.Constant(None)
        keywords = []
        for kw in call.keywords:
            if kw.arg == "err_msg" and isinstance(kw.value, ast.Constant):
                hint = kw.value
            else:
                keywords.append(kw)
        plain = ast.Call(call.func, call.args, keywords)
        if func == "assert_allclose":
            got = self._close_args(plain, 1e-7, 0.0)
            if got:
                (value, expected), rtol, atol = got
                return "close", [value, expected, ast.Constant(rtol), ast.Constant(atol), hint]
        elif func in ("assert_array_equal", "assert_equal") and not keywords and len(call.args) == 2:
            pair = self._pick(*call.args)
            if pair:
                return "equal", [*pair, hint, ast.Constant(False)]
        elif func in ("assert_almost_equal", "assert_array_almost_equal"):
            decimal = 7 if func == "assert_almost_equal" else 6
            rest = []
            for kw in keywords:
                value = self.const_number(kw.value) if kw.arg == "decimal" else None
                if value is None:
                    return None
                decimal = value
            plain = ast.Call(call.func, call.args, rest)
            got = self._close_args(plain, 0.0, 1.5 * 10.0 ** (-decimal), strict=True)
            if got:
                (value, expected), rtol, atol = got
                return "close", [value, expected, ast.Constant(0.0), ast.Constant(atol), hint]
        return None

    def _replace(self, node, found):
        if found is None:
            return node
        name = self._name(node)
        if name in self.keep:
            self.kept.append(name)
            return node
        self.hardened.append(name)
        kind, args = found
        if self.graded:     # the student's run: the value only (expected and tolerance stay out)
            if kind == "equal":
                typed = args[3] if len(args) > 3 else ast.Constant(True)
                return ast.copy_location(self._call("record_equal", ast.Constant(name), args[0], typed), node)
            return ast.copy_location(self._call("record_close", ast.Constant(name), args[0]), node)
        return ast.copy_location(self._call(kind, ast.Constant(name), *args), node)

    def visit_Assert(self, node):
        return self._replace(node, self._recognise_assert(node))

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Call):
            return self._replace(node, self._recognise_testing(node.value))
        return node


def _hidden_lines(source: str) -> set[int]:
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), 1):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _left_in_process(tree: ast.Module, aliases: dict[str, str]) -> list[str]:
    reasons = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Assert):
            what = "an assert of a form release does not recognise"
        elif isinstance(node, ast.Raise):
            what = "a raise statement"
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            what = "a try statement (the test expects an exception)"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            what = "a function or class defined in the test"
        elif isinstance(node, ast.Call) and not ast.unparse(node.func).startswith(HELPER):
            name = ast.unparse(node.func)
            head = name.split(".")[0]
            qual = name.replace(head, aliases.get(head, head), 1)
            if qual.startswith(("numpy.testing.", "unittest")) or (
                    "assert" in name.lower() and not name.endswith("Error")):
                what = f"a call to {name}"
        if what:
            reasons.append(f"line {getattr(node, 'lineno', '?')}: {what}")
    return sorted(set(reasons), key=lambda r: (len(r.split(":")[0]), r))


def rewrite_cell(source: str, gid: str, keep: frozenset[str] = frozenset(),
                 graded: bool = False) -> tuple[str, CellPlan]:
    """The rewritten form of a plain test cell and how its verdict is reached.

    The reference form (``graded=False``, run once on the solution at release) records each
    recognised assertion's value *and* its expected value and tolerance; the graded form (what
    a student's run executes) records the value only, so no expected literal or tolerance is
    in the code of the student's process, where an input transformer or a tracing hook could
    read it. The two forms name their checks identically.
    """
    code = _python(source)
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:  # runs as written: nbgrader would fail it too
        return source, CellPlan(gid, "in-process", reasons=[f"line {exc.lineno}: not valid Python"])
    rewriter = _Rewriter(gid, _hidden_lines(code), keep, graded)
    ends_in_expression = bool(tree.body) and isinstance(tree.body[-1], ast.Expr)
    tree.body = [rewriter.visit(stmt) for stmt in tree.body]
    reasons = _left_in_process(tree, rewriter.aliases)
    reasons += [f"{name}: its value is not plain data" for name in rewriter.kept]
    body = list(tree.body)
    end_args = [ast.Constant(gid)]
    shown = [ln.split("#")[0].rstrip() for ln in code.splitlines() if ln.split("#")[0].strip()]
    if ends_in_expression and isinstance(body[-1], ast.Expr) and not (shown and shown[-1].endswith(";")):
        last = body.pop()
        body.append(ast.copy_location(ast.Assign([ast.Name(LAST, ast.Store())], last.value), last))
        end_args.append(ast.Name(LAST, ast.Load()))
    begin = ast.parse(f"{HELPER}.begin({gid!r})").body
    end = ast.parse(f"{HELPER}.end()").body
    end[0].value.args = end_args
    tree.body = begin + body + end
    ast.fix_missing_locations(tree)
    plan = CellPlan(gid, "in-process" if reasons else "hardened", rewriter.hardened, reasons)
    return ast.unparse(tree) + "\n", plan


def rewrite_notebook(nb, keep: frozenset[str] = frozenset(), graded: bool = False):
    """(rewritten copy of `nb`, {grade_id: CellPlan}) for every graded test cell of `nb`.

    ``graded=False``: the reference form, run on the solution at release. ``graded=True``: the
    form a student's run executes: plain assertions record values only, and the hidden checks
    of `nnkit.checks` cells carry no expected value or bounds (see `strip_hidden_expectations`).
    """
    nb = copy.deepcopy(nb)
    plans: dict[str, CellPlan] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None or not is_test(cell):
            continue
        if uses_checks(cell.source):
            plans[gid] = CellPlan(gid, "checks")
            if graded:
                cell.source = strip_hidden_expectations(cell.source)
            continue
        cell.source, plans[gid] = rewrite_cell(cell.source, gid, keep, graded)
    return nb, plans


# check function -> (positional index, keyword) of each argument the grader takes from the
# reference record, and what stands in for it in a student's run
_EXPECTATIONS = {
    "check_close": [(2, "expected", "None")],
    "check_equal": [(2, "expected", "None")],
    "check_shape": [(2, "expected_shape", "None")],
    "check_between": [(2, "low", "float('-inf')"), (3, "high", "float('inf')")],
}
_PURE_CALLS = ("numpy.", "math.", "float", "int", "abs", "min", "max", "round", "len", "tuple",
               "list", "range", "sum")


def _pure(node, aliases: dict[str, str]) -> bool:
    """An expression without calls of the notebook's own functions (so dropping it changes no
    state, random streams included)."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(sub, ast.Call):
            name = ast.unparse(sub.func)
            head = name.split(".")[0]
            qual = name.replace(head, aliases.get(head, head), 1)
            if not qual.startswith(_PURE_CALLS) or "random" in qual:
                return False
    return True


def strip_hidden_expectations(source: str) -> str:
    """`source` with the expected values and bounds of its hidden checks replaced by
    placeholders (text spans only: every other character, and so every line number, is kept).

    The grader judges a hidden check with the reference record's expected value and bounds;
    in the student's run they would only be something to read and copy.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    aliases = dict(MODULES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
    spans = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        first = node.args[0]
        if func not in _EXPECTATIONS or not (isinstance(first, ast.Constant) and isinstance(first.value, str)
                                             and ".hidden." in first.value):
            continue
        for index, keyword, placeholder in _EXPECTATIONS[func]:
            arg = node.args[index] if len(node.args) > index else next(
                (k.value for k in node.keywords if k.arg == keyword), None)
            if arg is not None and _pure(arg, aliases) and not (
                    isinstance(arg, ast.Constant) and arg.value is None):
                spans.append((arg.lineno, arg.col_offset, arg.end_lineno, arg.end_col_offset, placeholder))
    if not spans:
        return source
    lines = [line.encode("utf-8") for line in source.splitlines(keepends=True)]
    for lineno, col, end_lineno, end_col, placeholder in sorted(spans, reverse=True):
        head = lines[lineno - 1][:col]
        tail = lines[end_lineno - 1][end_col:]
        # keep the line count: a multi-line expression becomes the placeholder and blank lines
        newlines = b"\n" * (end_lineno - lineno)
        lines[lineno - 1: end_lineno] = [head + placeholder.encode() + tail.rstrip(b"\n") + newlines
                                         + (b"\n" if tail.endswith(b"\n") else b"")]
    return b"".join(lines).decode("utf-8")


def manual_cells(nb) -> dict[str, dict]:
    """Cells nbgrader leaves to a person: written/code answers with points, and tasks."""
    out = {}
    for cell in nb.cells:
        meta, gid = nbgrader_meta(cell), grade_id(cell)
        if gid is None:
            continue
        if meta.get("task"):
            kind = "task"
        elif meta.get("grade") and meta.get("solution"):
            kind = f"{cell.cell_type} answer"
        elif meta.get("grade") and cell.cell_type != "code":
            kind = f"graded {cell.cell_type} cell"
        else:
            continue
        try:
            points = float(meta.get("points", 0))
        except (TypeError, ValueError):
            points = 0.0
        out[gid] = {"points": points, "kind": kind}
    return out


def adjust_reference(records: dict, names: set[str]) -> list[str]:
    """Make each rewritten assertion's reference the test's own expected value.

    The solution's value must satisfy its test (as nbgrader's would); the grader then compares a
    student's value with the expected value recorded in the solution's run, broadcast to the
    solution value's shape (as ``np.allclose`` broadcasts). Returns problems (solution fails).
    """
    import numpy as np

    from nnkit import checks

    problems = []
    for key, rec in records.items():
        if rec.name not in names or rec.expected is None or rec.value is None:
            continue
        expected = rec.expected
        if expected.shape != rec.value.shape and rec.kind == "close":
            try:
                expected = np.array(np.broadcast_to(expected, rec.value.shape))
            except ValueError:
                pass
        passed, message = checks._judge(rec.kind, rec.name, rec.value, expected, rec.params, rec.hint)
        if not passed:
            problems.append(message)
        rec.value, rec.expected = expected, expected
    return problems
