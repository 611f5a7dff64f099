"""Integrity corpus, round 2 (issue 23): attacks on what the student's process decides.

The fixture `fx_plain` is an nbgrader course written the stock way: its test cells are plain
`assert`s (hardened at release: the value is recorded, the grader compares), plus one cell of
`nnkit.checks` whose hidden check has bounds. Every attack below comes with STUB answers
(`return None`): it earns points only if it made the grader accept a value the student's code
did not compute. Each must score exactly what the same stubs earn without the attack (0).

Classes (each with several variants, as an attacker would vary them):
- TRANSFORM: rewrite later test cells so that the value recorded is the expected literal
  (input transformers, AST transformers, a replaced transformer manager or compiler, patched
  shell methods), installed from an answer cell or from inside a function a test calls;
- TRACE: tracing, profiling and monitoring hooks that change the arguments of the recording
  functions as they are called (sys.settrace, sys.setprofile, threading.settrace,
  sys.monitoring, the C API through ctypes, an audit hook);
- LITERAL: read the expected literal of a test cell from the code the student's process runs
  (the history of cells, the frames of the recording functions) and record it.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

ASSIGNMENT = "fx_plain"


def _meta(gid: str, **kw) -> dict:
    base = {"grade": False, "grade_id": gid, "locked": True, "schema_version": 3,
            "solution": False, "task": False}
    base.update(kw)
    return {"nbgrader": base}


def source_notebook():
    """The instructor's notebook: plain asserts (visible and hidden) and one checks cell."""
    cells = [
        nbformat.v4.new_markdown_cell("# Fixture: plain asserts\n\nWrite `square` and `cube`.",
                                      metadata=_meta("intro")),
        nbformat.v4.new_code_cell("import numpy as np\nfrom nnkit import checks", metadata=_meta("setup")),
        nbformat.v4.new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                                  "    ### END SOLUTION", metadata=_meta("square_answer", locked=False, solution=True)),
        nbformat.v4.new_code_cell(
            "assert square(3) == 9\n"
            "assert np.allclose(square(np.array([1.5, 2.0])), [2.25, 4.0])\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert square(12) == 144\n"
            "assert abs(square(0.5) - 0.25) < 1e-9\n"
            "### END HIDDEN TESTS", metadata=_meta("square_test", grade=True, points=2)),
        nbformat.v4.new_code_cell("def cube(x):\n    ### BEGIN SOLUTION\n    return x ** 3\n"
                                  "    ### END SOLUTION", metadata=_meta("cube_answer", locked=False, solution=True)),
        nbformat.v4.new_code_cell(
            "checks.check_close('fx.cube', cube(2.0), 8.0)\n"
            "### BEGIN HIDDEN TESTS\n"
            "checks.check_between('fx.hidden.cube', cube(3.0), 26.99, 27.01)\n"
            "### END HIDDEN TESTS", metadata=_meta("cube_test", grade=True, points=2)),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


STUBS = {"square_answer": "def square(x):\n    return None\n",
         "cube_answer": "def cube(x):\n    return None\n"}

# Rewrites a cell so that each assertion or recording call compares the expected literal with
# itself (or records it): what an attacker does once it can change the code of a test cell.
COPY_LITERALS = r'''
import ast as _ast
def _copy_literals(src):
    try:
        tree = _ast.parse(src)
    except SyntaxError:
        return src
    class _T(_ast.NodeTransformer):
        def visit_Compare(self, node):
            right = node.comparators[0]
            if isinstance(right, (_ast.Constant, _ast.List, _ast.Tuple)):
                node.left = right
            return node
        def visit_Call(self, node):
            self.generic_visit(node)
            name = _ast.unparse(node.func)
            if name.endswith(("allclose", "isclose")) and len(node.args) == 2:
                node.args[0] = node.args[1]
            if name.endswith(("equal", "close", "record_equal", "record_close")) and len(node.args) >= 3:
                node.args[1] = node.args[2]
            if name.endswith("check_between") and len(node.args) >= 4:
                node.args[1] = _ast.BinOp(node.args[2], _ast.Add(), node.args[3])
                node.args[1] = _ast.BinOp(node.args[1], _ast.Div(), _ast.Constant(2))
            return node
    return _ast.unparse(_ast.fix_missing_locations(_T().visit(tree)))
'''

# Changes the arguments of the recording functions as they are called (f_locals of a traced
# frame are written back when the trace function returns).
SWAP_ARGUMENTS = r'''
def _swap(frame, event, arg):
    if event == "call":
        loc = frame.f_locals
        if "expected" in loc and loc.get("expected") is not None and "value" in loc:
            loc["value"] = loc["expected"]
        if "low" in loc and "high" in loc and "value" in loc:
            try:
                loc["value"] = (float(loc["low"]) + float(loc["high"])) / 2
            except Exception:
                pass
    return _swap
'''

TRANSFORM = {
    "input_transformer_post": COPY_LITERALS + (
        "get_ipython().input_transformers_post.append(lambda lines: [_copy_literals(''.join(lines))])\n"),
    "input_transformer_cleanup": COPY_LITERALS + (
        "get_ipython().input_transformers_cleanup.insert(0, lambda lines: [_copy_literals(''.join(lines))])\n"),
    "ast_transformer": COPY_LITERALS + (
        "class _A(_ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        return _ast.parse(_copy_literals(_ast.unparse(node)))\n"
        "get_ipython().ast_transformers.append(_A())\n"),
    "patched_transform_cell_class": COPY_LITERALS + (
        "from IPython.core.interactiveshell import InteractiveShell as _IS\n"
        "_orig = _IS.transform_cell\n"
        "_IS.transform_cell = lambda self, cell: _copy_literals(_orig(self, cell))\n"),
    "patched_transform_cell_instance": COPY_LITERALS + (
        "_ip = get_ipython(); _orig = _ip.transform_cell\n"
        "_ip.transform_cell = lambda cell: _copy_literals(_orig(cell))\n"),
    "replaced_manager": COPY_LITERALS + (
        "from IPython.core.inputtransformer2 import TransformerManager as _TM\n"
        "class _M(_TM):\n"
        "    def transform_cell(self, cell):\n"
        "        return _copy_literals(super().transform_cell(cell))\n"
        "get_ipython().input_transformer_manager = _M()\n"),
    "patched_compiler": COPY_LITERALS + (
        "import IPython.core.compilerop as _co\n"
        "_orig = _co.CachingCompiler.ast_parse\n"
        "_co.CachingCompiler.ast_parse = lambda self, source, *a, **k: _orig(self, _copy_literals(source), *a, **k)\n"),
    "patched_run_cell": COPY_LITERALS + (
        "from IPython.core.interactiveshell import InteractiveShell as _IS\n"
        "_orig = _IS.run_cell\n"
        "_IS.run_cell = lambda self, raw_cell, *a, **k: _orig(self, _copy_literals(raw_cell), *a, **k)\n"),
}

# Installed from inside the stub while a test cell runs (later test cells would be rewritten).
TRANSFORM_FROM_TEST = {
    "transformer_installed_by_the_test": COPY_LITERALS + (
        "def square(x):\n"
        "    get_ipython().input_transformers_post.append(lambda lines: [_copy_literals(''.join(lines))])\n"
        "    return None\n"),
}

TRACE = {
    "settrace": SWAP_ARGUMENTS + "import sys\ntry:\n    sys.settrace(_swap)\nexcept Exception:\n    pass\n",
    "setprofile": SWAP_ARGUMENTS + (
        "import sys\n"
        "def _prof(frame, event, arg):\n"
        "    if event == 'call':\n"
        "        _swap(frame, 'call', arg)\n"
        "try:\n    sys.setprofile(_prof)\nexcept Exception:\n    pass\n"),
    "threading_settrace": SWAP_ARGUMENTS + (
        "import threading\nthreading.settrace(_swap)\n"
        "try:\n    threading.settrace_all_threads(_swap)\nexcept Exception:\n    pass\n"),
    "settrace_inside_the_test": SWAP_ARGUMENTS + (
        "import sys\n"
        "def square(x):\n"
        "    try:\n        sys.settrace(_swap); sys._getframe(1).f_trace = _swap\n"
        "    except Exception:\n        pass\n"
        "    return None\n"),
    "ctypes_pyeval_settrace": SWAP_ARGUMENTS + (
        "import ctypes, sys\n"
        "_F = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.py_object, ctypes.c_int, ctypes.py_object)\n"
        "def _ctrace(obj, frame, what, arg):\n"
        "    if what == 0:\n        _swap(frame, 'call', arg)\n"
        "    return 0\n"
        "_keep = _F(_ctrace)\n"
        "try:\n    ctypes.pythonapi.PyEval_SetTrace(_keep, None)\nexcept Exception:\n    pass\n"),
    "monitoring": SWAP_ARGUMENTS + (
        "import sys\n"
        "try:\n"
        "    _m = sys.monitoring\n"
        "    _m.use_tool_id(3, 'x')\n"
        "    _m.register_callback(3, _m.events.PY_START, lambda code, off: _swap(sys._getframe(1), 'call', None))\n"
        "    _m.set_events(3, _m.events.PY_START)\n"
        "except Exception:\n    pass\n"),
    "audit_hook": SWAP_ARGUMENTS + (
        "import sys\n"
        "try:\n    sys.addaudithook(lambda event, args: _swap(sys._getframe(1), 'call', None))\n"
        "except Exception:\n    pass\n"),
}

LITERAL = {
    # the test cells are in IPython's history once they ran; a later cell cannot use that,
    # but a function the test calls can read its caller's code object and its constants
    "caller_constants": (
        "import sys\n"
        "def square(x):\n"
        "    consts = [c for c in sys._getframe(1).f_code.co_consts if isinstance(c, (int, float))\n"
        "              and not isinstance(c, bool)]\n"
        "    return consts[0] if consts else None\n"),
    "history_constants": (
        "import ast\n"
        "def square(x):\n"
        "    for cell in reversed(get_ipython().user_ns.get('In', [])):\n"
        "        for node in ast.walk(ast.parse(cell)) if cell else ():\n"
        "            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and node.value > 3:\n"
        "                return node.value\n"
        "    return None\n"),
    "patched_recorder": (
        "import nnkit.checks.plain_asserts as _pa\n"
        "_eq, _cl = _pa.equal, _pa.close\n"
        "_pa.equal = lambda name, value, expected, *a, **k: _eq(name, expected, expected, *a, **k)\n"
        "_pa.close = lambda name, value, expected, *a, **k: _cl(name, expected, expected, *a, **k)\n"
        "import nnkit.checks as _c\n"
        "_run = _c._run\n"
        "def _forged(kind, name, value, expected, params, hint, points=None):\n"
        "    if expected is not None:\n        value = expected\n"
        "    if kind == 'between':\n        value = (params['low'] + params['high']) / 2\n"
        "    return _run(kind, name, value, expected, params, hint, points)\n"
        "_c._run = _forged\n"),
}


@dataclass
class Case:
    name: str
    answers: dict
    klass: str
    flag: str | None = None     # a substring expected among the flags


def cases() -> list[Case]:
    out = []
    for name, code in TRANSFORM.items():
        out.append(Case(name, {"square_answer": code + STUBS["square_answer"],
                               "cube_answer": STUBS["cube_answer"]}, "TRANSFORM", "changed how code runs"))
    for name, code in TRANSFORM_FROM_TEST.items():
        out.append(Case(name, {"square_answer": code, "cube_answer": STUBS["cube_answer"]}, "TRANSFORM",
                        "its checks are void"))
    for name, code in TRACE.items():
        flag = None if name in ("monitoring", "ctypes_pyeval_settrace") else "changed how code runs"
        if name == "settrace_inside_the_test":
            out.append(Case(name, {"square_answer": code, "cube_answer": STUBS["cube_answer"]}, "TRACE", flag))
        else:
            out.append(Case(name, {"square_answer": code + STUBS["square_answer"],
                                   "cube_answer": STUBS["cube_answer"]}, "TRACE", flag))
    for name, code in LITERAL.items():
        square = code if "def square" in code else code + STUBS["square_answer"]
        out.append(Case(name, {"square_answer": square, "cube_answer": STUBS["cube_answer"]}, "LITERAL"))
    return out
