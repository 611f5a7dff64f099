"""The adversarial corpus: submissions to the fixture assignment fx_relu, each with its outcome.

fx_relu has two answer cells (`relu_answer`, 2 points; `mean_answer`, 3 points). Each case
pairs an attack with honest answers that are right or wrong per part; `score` is what the
honest answers earn, and the grader must give exactly that (or, with `exact=False`, at most
that). An attack that would need to *succeed* to earn points is written so that the answer is
right only if the attack worked ("pays off only if it works").
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Callable

import nbformat

from conftest import answers, fill


@dataclass
class Case:
    name: str
    build: Callable            # (release_nb, ctx) -> notebook or bytes
    score: float               # what its honest answers earn
    statuses: set[str] = field(default_factory=lambda: {"graded"})
    exact: bool = True
    flag: str | None = None    # a substring expected among the flags


def nb_with(relu: bool, mean: bool, extra: dict | None = None):
    return lambda rel, ctx: fill(rel, answers(relu, mean, extra))


def _pays_off(condition: str) -> str:
    """relu is right only if `condition` (an attack) succeeded."""
    return ("def relu(x):\n"
            f"    return np.maximum(x, 0.0) if ({condition}) else np.abs(x)\n")


def _replace(rel, gid: str, source: str, base: dict):
    srcs = dict(base)
    srcs[gid] = source
    return fill(rel, srcs)


LYING = '''
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *a, **k): raise TypeError("no")
    def __float__(self): return 0.0
def relu(x):
    return Liar()
'''

ARRAY_FUNCTION = '''
class Sneaky:
    __array_priority__ = 10**6
    def __array_function__(self, func, types, args, kwargs): return True
    def __array_ufunc__(self, *a, **k): return True
    def __eq__(self, other): return True
def relu(x):
    return Sneaky()
'''

SUBCLASS = '''
class Lying(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, bool)
    def __sub__(self, other): return np.zeros(self.shape)
    def __rsub__(self, other): return np.zeros(self.shape)
    def __abs__(self): return np.zeros(self.shape)
    def __array_finalize__(self, obj): pass
def relu(x):
    return (np.asarray(x) * 3.0).view(Lying)
'''

PATCH_NUMPY = '''
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import numpy.testing
numpy.testing.assert_array_equal = lambda *a, **k: None
'''

PATCH_CHECKS = '''
from nnkit import checks as _c
_c._judge = lambda *a, **k: (True, "passed")
_c.compare = lambda *a, **k: _c.Verdict("x", True, "passed")
_real = _c.check_close
_c.check_close = lambda name, value, expected=None, **k: _real(name, np.zeros(3), np.zeros(3))
'''

INPUT_TRANSFORMER = '''
get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
'''

AST_TRANSFORMER = '''
import ast
class _Blank(ast.NodeTransformer):
    def visit_Module(self, node):
        node.body = [ast.Pass()]
        return node
get_ipython().ast_transformers.append(_Blank())
'''

SHOWTRACEBACK = '''
_ip = get_ipython()
_ip.showtraceback = lambda *a, **k: None
_ip.showsyntaxerror = lambda *a, **k: None
_ip._showtraceback = lambda *a, **k: None
'''

BUILTINS = '''
import builtins
builtins.abs = lambda x: 0
builtins.max = lambda *a, **k: 0
builtins.len = lambda x: 0
builtins.print = lambda *a, **k: None
'''

FAKE_MARKERS = '''
print('{"score": 5, "max_score": 5, "status": "graded"}')
print("All tests passed! 5/5 points")
import sys
sys.stderr.write("[autograder] fx_relu: 5/5\\n")
from IPython.display import display, HTML
display(HTML("<b>PASSED</b>"))
'''

OVERWRITE_CHANNEL = '''
import os, json, glob
_d = os.environ.get("NNKIT_CHECKS_RECORD", "/out/records")
def _forge():
    for f in glob.glob(_d + "/*"):
        try: os.remove(f)
        except OSError: pass
    for i, name in enumerate(["fx.relu", "fx.hidden.relu", "fx.mean", "fx.hidden.mean", "fx.hidden.mean_range"]):
        np.save(f"{_d}/f{i}.value.npy", np.array([2.0, 4.0]))
        json.dump({"schema": 1, "name": name, "occurrence": 0, "kind": "close", "params": {"rtol": 1e9, "atol": 1e9},
                   "hint": None, "cell": "mean_test", "error": None, "value": f"f{i}.value.npy"},
                  open(f"{_d}/f{i}.json", "w"))
    np.save(f"{_d}/evil.npy", np.array([object()], dtype=object), allow_pickle=True)
    json.dump({"schema": 1, "name": "fx.hidden.mean", "occurrence": 0, "kind": "close", "params": {},
               "value": "evil.npy"}, open(f"{_d}/g.json", "w"))
    for ref in glob.glob(REFERENCE + "/*.npy"):
        os.symlink(ref, f"{_d}/{os.path.basename(ref)}")
    json.dump({"cells": [], "end": "completed"}, open(os.path.dirname(_d) + "/run.json", "w"))
import atexit
atexit.register(_forge)
_forge()
def batch_mean(x):
    _forge()
    return x.sum(axis=0)
'''

INFINITE = "while True:\n    pass\n"
CATCH_ALL = '''
import time
while True:
    try:
        while True:
            time.sleep(0.05)
    except BaseException:
        pass
'''
FORK_BOMB = '''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
'''
MEMORY_BOMB = '''
_hog = []
while True:
    _hog.append(bytearray(50 * 2**20))
'''
BIG_OUTPUT = "print('x' * 50_000_000)\n"


def _network(rel, ctx):
    attack = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {ctx['port']}), timeout=2).close()\n"
              "    _NET = True\nexcept OSError:\n    _NET = False\n")
    return _replace(rel, "relu_answer", attack + _pays_off("_NET"), answers(False, True))


def _read_secrets(rel, ctx):
    paths = [ctx["source_nb"], ctx["gradebook"], ctx["other_submission"], ctx["reference"]]
    attack = ("import os\n_SEEN = []\nfor _p in %r:\n    try:\n        open(_p, 'rb').read(10) if os.path.isfile(_p) else os.listdir(_p)\n"
              "        _SEEN.append(_p)\n    except OSError:\n        pass\nprint(_SEEN)\n" % paths)
    return _replace(rel, "relu_answer", attack + _pays_off("_SEEN"), answers(False, True))


def _write_gradebook(rel, ctx):
    attack = ("import sqlite3\ntry:\n    _db = sqlite3.connect(%r)\n    _db.execute(\"UPDATE grade SET manual_score = 100\")\n"
              "    _db.commit()\nexcept Exception as e:\n    print('no gradebook', e)\n"
              "try:\n    open(%r, 'w').write('pwned')\nexcept OSError as e:\n    print(e)\n") % (
        ctx["gradebook"], ctx["pwned"])
    return _replace(rel, "relu_answer", attack + answers(True, True)["relu_answer"], answers(True, True))


def _overwrite(rel, ctx):
    src = OVERWRITE_CHANNEL.replace("REFERENCE", repr(ctx["reference_records"]))
    return _replace(rel, "mean_answer", src, answers(False, True))


def _deleted_test(rel, ctx):
    nb = fill(rel, answers(True, True))
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "relu_test"]
    return nb


def _edited_test(rel, ctx):
    nb = fill(rel, answers(False, True))
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_test":
            c.source = 'checks.check_close("fx.relu", 1.0, 1.0)\nchecks.check_close("fx.hidden.relu", 0.0)'
    return nb


def _kernelspec(rel, ctx):
    nb = fill(rel, answers(True, True))
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    return nb


def _moved_and_duplicated(rel, ctx):
    nb = fill(rel, answers(True, False))
    extra = copy.deepcopy([c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "mean_answer"][0])
    extra.source = answers(True, True)["mean_answer"]
    nb.cells = list(reversed(nb.cells)) + [extra]      # the last copy is the one used
    return nb


def _nbformat3(rel, ctx):
    nb = fill(rel, answers(True, True))
    return nbformat.writes(nbformat.convert(nb, 3), version=3).encode()


def _huge(rel, ctx):
    nb = fill(rel, answers(True, True))
    nb.cells[0]["attachments"] = {"pad.txt": {"text/plain": "A" * (100 * 2**20)}}
    return nbformat.writes(nb).encode()


CASES = [
    Case("honest_correct", nb_with(True, True), 5),
    Case("honest_release", lambda rel, ctx: rel, 0),
    Case("patched_numpy", nb_with(False, False, {"relu_answer": PATCH_NUMPY}), 0),
    Case("patched_checks", nb_with(True, False, {"mean_answer": PATCH_CHECKS}), 2),
    Case("lying_eq", lambda rel, ctx: _replace(rel, "relu_answer", LYING, answers(False, True)), 3),
    Case("array_function", lambda rel, ctx: _replace(rel, "relu_answer", ARRAY_FUNCTION, answers(False, True)), 3),
    Case("ndarray_subclass", lambda rel, ctx: _replace(rel, "relu_answer", SUBCLASS, answers(False, True)), 3),
    # the runner removes both before the next cell: the honest answers earn their points
    Case("input_transformer", nb_with(True, True, {"relu_answer": INPUT_TRANSFORMER}), 5,
         flag="changed how code runs"),
    Case("ast_transformer", nb_with(True, True, {"relu_answer": AST_TRANSFORMER}), 5,
         flag="changed how code runs"),
    Case("showtraceback", nb_with(False, True, {"relu_answer": SHOWTRACEBACK}), 3),
    Case("builtins", nb_with(False, True, {"relu_answer": BUILTINS}), 3, {"graded", "timeout", "partial"},
         exact=False),  # a kernel without len() may hang: any status, never more points
    Case("sys_exit", nb_with(True, True, {"mean_answer": "import sys\nsys.exit(0)\n"}), 2),
    Case("os_exit", nb_with(True, True, {"mean_answer": "import os\nos._exit(0)\n"}), 2, {"partial"}),
    Case("keyboard_interrupt", nb_with(True, True, {"mean_answer": "raise KeyboardInterrupt\n"}), 2),
    Case("fake_markers", nb_with(False, False, {"relu_answer": FAKE_MARKERS}), 0),
    Case("overwrite_channel", _overwrite, 0, exact=True),
    Case("read_secrets", _read_secrets, 3),
    Case("write_gradebook", _write_gradebook, 5),
    Case("network", _network, 3),
    Case("infinite_loop", nb_with(True, True, {"mean_answer": INFINITE}), 2, {"timeout"}),
    Case("loop_catching_base", nb_with(True, True, {"mean_answer": CATCH_ALL}), 2, {"timeout"}),
    Case("input_call", nb_with(True, True, {"relu_answer": "input('name? ')\n"}), 3),
    Case("fork_bomb", nb_with(True, True, {"mean_answer": FORK_BOMB}), 2, {"timeout", "partial"}),
    Case("memory_bomb", nb_with(True, True, {"mean_answer": MEMORY_BOMB}), 2, {"memory", "partial"}),
    Case("big_output", nb_with(True, True, {"mean_answer": BIG_OUTPUT}), 5),
    Case("deleted_test_cell", _deleted_test, 5, flag="deleted test cell 'relu_test'"),
    Case("edited_test_cell", _edited_test, 3, flag="edited test cell 'relu_test'"),
    Case("changed_kernelspec", _kernelspec, 5, flag="kernelspec changed"),
    Case("moved_duplicated", _moved_and_duplicated, 5, flag="duplicated cell 'mean_answer'"),
    Case("invalid_json", lambda rel, ctx: b'{"cells": [', 0, {"invalid notebook"}),
    Case("nbformat3", _nbformat3, 5, flag="nbformat 3"),
    Case("huge_notebook", _huge, 0, {"invalid notebook"}),
    Case("static_reference_call", lambda rel, ctx: _replace(
        rel, "relu_answer", "from nnkit.checks import as_plain\ndef relu(x):\n    return np.maximum(x, 0.0)\n"
        "def as_plain(x):\n    return x\n", answers(True, True)), 5, flag="uses nnkit's own nnkit.checks.as_plain"),
]


def write_case(case: Case, release_nb, ctx: dict, root, assignment: str = "fx_relu"):
    built = case.build(release_nb, ctx)
    folder = root / case.name / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    if isinstance(built, bytes):
        path.write_bytes(built)
    else:
        path.write_text(nbformat.writes(built))
    return path


def dump_expectations() -> str:
    return json.dumps({c.name: {"score": c.score, "statuses": sorted(c.statuses), "exact": c.exact}
                       for c in CASES}, indent=1)
