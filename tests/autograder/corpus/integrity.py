"""Integrity corpus (issue 11): attacks on what the grader reads back, on the submission tree,
on the host's disk, on names, on exported cells and on host paths.

Three kinds of cases, all graded in one batch by tests/autograder/test_integrity.py:

- `NB_CASES`: a notebook whose code attacks the result channel, the host's disk or the
  sandbox's view of host paths. Each attack "pays off only if it works": the honest answers
  are wrong unless the attack succeeded, so the expected score is what honest answers earn.
- `TREE_CASES`: the submission's folder tree is shaped (links at every level, hard links,
  FIFOs, devices, sockets, folders named like notebooks): status `rejected`, zero points.
- `NAME_CASES`: hostile folder names (long, control characters, newlines, unicode, invalid
  UTF-8, formula prefixes, hash look-alikes): exactly one row each with the honest score.
"""

from __future__ import annotations

import os
import socket
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from conftest import answers, fill

ASSIGNMENT = "fx_relu"


@dataclass
class Case:
    name: str                       # the student folder name (may be any str, even undecodable)
    build: Callable                 # (student_dir: Path, release_nb, ctx) -> None
    score: float
    statuses: set[str] = field(default_factory=lambda: {"graded"})
    flag: str | None = None         # a substring expected among the flags
    needs: str | None = None        # "mknod": skipped with a reason where it is not permitted
    exact: bool = True              # False: at most `score` (the attack may or may not bite)


def _notebook(student_dir: Path, nb) -> Path:
    folder = student_dir / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    path.write_text(nbformat.writes(nb) if not isinstance(nb, (bytes, str)) else nb)
    return path


def honest(relu: bool, mean: bool, extra: dict | None = None):
    return lambda d, rel, ctx: _notebook(d, fill(rel, answers(relu, mean, extra)))


def _pays_off(condition: str) -> str:
    return ("def relu(x):\n"
            f"    return np.maximum(x, 0.0) if ({condition}) else np.abs(x)\n")


def attack(code: str, condition: str):
    """relu is right only if `condition` holds after `code` ran (mean is honestly right)."""
    def build(d, rel, ctx):
        src = code
        for key, value in ctx.items():
            src = src.replace(f"@{key.upper()}@", repr(value))
        srcs = answers(False, True)
        srcs["relu_answer"] = src + "\n" + _pays_off(condition)
        _notebook(d, fill(rel, srcs))
    return build


# ------------------------------------------------------------------ class 1: the result channel
_STEAL = '''
import os, glob, json, struct
_REF = @REFERENCE_RECORDS@
def _stolen():
    """The reference records, by any path into the host."""
    found = {}
    for base in [_REF, "/proc/1/root" + _REF, "/proc/self/root" + _REF]:
        try:
            for f in glob.glob(base + "/*"):
                found[os.path.basename(f)] = open(f, "rb").read()
        except OSError:
            pass
    return found
_GOT = _stolen()
'''

LINK_RECORDS_DIR = _STEAL + '''
_d = os.environ.get("NNKIT_CHECKS_RECORD", "/tmp/.nnkit-records")
def _redirect():
    import shutil
    for target in [_REF, "/proc/1/root" + _REF, os.path.dirname(_REF)]:
        try:
            shutil.rmtree(_d, ignore_errors=True)
            if os.path.islink(_d):
                os.remove(_d)
            os.symlink(target, _d)
            return
        except OSError:
            pass
_redirect()
import atexit
atexit.register(_redirect)
_LINKED = os.path.islink(_d) and bool(os.listdir(_d))
'''

LINK_EVERY_LEVEL = _STEAL + '''
_d = os.environ.get("NNKIT_CHECKS_RECORD", "/tmp/.nnkit-records")
_made = []
for _level in [_d, os.path.dirname(_d), "/tmp/work", "/out", "/out/records", "/tmp"]:
    try:
        if os.path.isdir(_level) and not os.path.islink(_level):
            os.rename(_level, _level + ".moved")
        os.symlink(_REF, _level)
        _made.append(_level)
    except OSError:
        pass
# hard links and FIFOs in the records folder
os.makedirs(_d, exist_ok=True)
for _i, _f in enumerate(glob.glob(_REF + "/*")):
    try:
        os.link(_f, os.path.join(_d, os.path.basename(_f)))
    except OSError:
        pass
try:
    os.mkfifo(os.path.join(_d, "zzz-fifo.json"))
except OSError:
    pass
_ANY = bool(_GOT)
'''

FORGE_STREAMS = _STEAL + '''
import numpy as _np, io as _io, sys
def _npy(a):
    b = _io.BytesIO(); _np.save(b, _np.asarray(a), allow_pickle=False); return b.getvalue()
def _frame(kind, body):
    return struct.pack(">cI", kind, len(body)) + body
def _record(name, value, occ=0):
    meta = json.dumps({"schema": 1, "name": name, "occurrence": occ, "kind": "close",
                       "params": {"rtol": 1e9, "atol": 1e9}, "hint": None, "cell": "relu_test",
                       "error": None, "value": "value.npy", "expected": None}).encode()
    parts = [meta, _npy(value), b""]
    return _frame(b"R", b"".join(struct.pack(">I", len(p)) + p for p in parts))
_fake = b"".join(_record(n, [0.0, 0.0, 2.0]) for n in ["fx.relu", "fx.hidden.relu", "fx.mean",
                                                     "fx.hidden.mean", "fx.hidden.mean_range"])
_fake += _frame(b"L", json.dumps({"cells": [], "end": "completed"}).encode())
_WROTE = []
for _fd in (1, 2):
    try:
        os.write(_fd, _fake); _WROTE.append(_fd)
    except OSError:
        pass
sys.stdout.buffer.write(_fake) if hasattr(sys.stdout, "buffer") else print(_fake)
import stat as _stat
for _p in glob.glob("/proc/*/fd/*"):
    try:
        if not _stat.S_ISFIFO(os.stat(_p).st_mode):
            continue
        _fd = os.open(_p, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(_fd, _fake)
            _WROTE.append(_p)
        finally:
            os.close(_fd)
    except OSError:
        pass
print("wrote into", _WROTE)
'''

FLOOD_RECORDS = '''
import os, json, numpy as _np
_d = os.environ.get("NNKIT_CHECKS_RECORD", "/tmp/.nnkit-records")
os.makedirs(_d, exist_ok=True)
_np.save(os.path.join(_d, "big.npy"), _np.zeros(2 * 2**20))        # 16 MiB of data
for _i in range(6000):
    with open(os.path.join(_d, "f%05d.json" % _i), "w") as _fh:
        json.dump({"schema": 1, "name": "fx.flood%d" % _i, "occurrence": 0, "kind": "close",
                   "params": {}, "value": "big.npy"}, _fh)
'''

BIG_RECORDS = '''
from nnkit import checks as _c
for _i in range(12):
    _c.check_close("fx.big%d" % _i, np.zeros(2 * 2**20 - 64))
'''

FILES_FLOOD = '''
import os
_n = 0
for _base in ["/tmp", os.getcwd(), os.path.expanduser("~")]:
    for _i in range(400):
        try:
            with open(os.path.join(_base, "flood%04d" % _i), "wb") as _fh:
                _fh.write(b"x" * 2**20)
            _n += 1
        except OSError:
            break
print("wrote", _n, "MiB")
'''

STREAM_FLOOD = '''
import os, sys
_chunk = b"y" * 2**20
for _i in range(100):
    try:
        os.write(1, _chunk); os.write(2, _chunk)
    except OSError:
        break
'''

# ------------------------------------------------------------------ class 6: host paths
HOST_PATHS = '''
import os, glob
_ROOT = @COURSE_ROOT@
_texts = []
for _p in ["/proc/self/mountinfo", "/proc/self/mounts", "/proc/1/mountinfo", "/proc/1/cmdline",
           "/proc/1/environ", "/proc/self/environ", "/proc/self/cgroup", "/proc/self/maps"]:
    try:
        _texts.append(open(_p, "rb").read().decode("utf-8", "replace"))
    except OSError:
        pass
for _p in glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/cwd"):
    try:
        _texts.append(os.readlink(_p) if _p.endswith("cwd") else open(_p, "rb").read().decode("utf-8", "replace"))
    except OSError:
        pass
_texts.append(os.getcwd())
_texts.append(repr(dict(os.environ)))
_LEAK = any(_ROOT in _t or os.path.basename(os.path.dirname(_ROOT)) in _t for _t in _texts)
print("leak" if _LEAK else "no leak")
'''


def _kill_runner(d, rel, ctx):
    srcs = answers(True, True)
    srcs["mean_answer"] = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + srcs["mean_answer"]
    _notebook(d, fill(rel, srcs))


NB_CASES = [
    # redirecting the records folder only loses the student's own later checks (mean: 0)
    Case("ch_link_records_dir", attack(LINK_RECORDS_DIR, "_LINKED or _GOT"), 0.0),
    Case("ch_link_every_level", attack(LINK_EVERY_LEVEL, "_ANY or _made == ['never']"), 0.0),
    # bytes written into the runner's own progress pipe can garble the student's run log (the
    # status may become partial) but every check still counts as data: 3 points
    Case("ch_forge_streams", attack(FORGE_STREAMS, "_GOT"), 3.0, {"graded", "partial"}),
    Case("ch_flood_records", honest(True, False, {"mean_answer": FLOOD_RECORDS}), 2.0),
    # killing the process that runs the cells' supervisor: the run ends early (2 points) where
    # that works; under the pre-loaded parents it is PID 1 of its namespace and survives (5)
    Case("ch_kill_runner", _kill_runner, 5.0, {"partial", "graded"}, exact=False),
    Case("out_big_records", honest(True, True, {"mean_answer": BIG_RECORDS}), 2.0, {"graded", "partial"}),
    Case("out_files_flood", honest(True, False, {"mean_answer": FILES_FLOOD}), 2.0, {"graded", "partial"}),
    Case("out_stream_flood", honest(False, True, {"relu_answer": STREAM_FLOOD}), 3.0, {"graded", "partial"}),
    Case("path_host_paths", attack(HOST_PATHS, "_LEAK"), 3.0),
]
# out_big_records: twelve 16 MiB checks fill the 64 MiB channel; relu's checks came before and
# count, everything after the flood (the mean's own checks) is never read: 2 points.


# ------------------------------------------------------------------ class 2: the submission tree
def _link_notebook(target_key: str, relative: bool = False):
    def build(d, rel, ctx):
        folder = d / ASSIGNMENT
        folder.mkdir(parents=True)
        target = ctx[target_key]
        if relative:
            target = os.path.relpath(target, folder)
        os.symlink(target, folder / f"{ASSIGNMENT}.ipynb")
    return build


def _link_assignment(d, rel, ctx):
    d.mkdir(parents=True)
    os.symlink(os.path.dirname(ctx["other_submission"]), d / ASSIGNMENT)


def _link_student(d, rel, ctx):
    os.symlink(os.path.dirname(os.path.dirname(ctx["other_submission"])), d)


def _link_student_to_source(d, rel, ctx):
    # a student folder whose <assignment> is the instructor's source folder
    d.mkdir(parents=True)
    os.symlink(os.path.dirname(ctx["source_nb"]), d / ASSIGNMENT)


def _hard_link(d, rel, ctx):
    folder = d / ASSIGNMENT
    folder.mkdir(parents=True)
    os.link(ctx["source_nb"], folder / f"{ASSIGNMENT}.ipynb")       # the instructor's notebook


def _fifo(d, rel, ctx):
    folder = d / ASSIGNMENT
    folder.mkdir(parents=True)
    os.mkfifo(folder / f"{ASSIGNMENT}.ipynb")


def _device(d, rel, ctx):
    folder = d / ASSIGNMENT
    folder.mkdir(parents=True)
    os.mknod(folder / f"{ASSIGNMENT}.ipynb", 0o644 | stat.S_IFCHR, os.makedev(1, 5))   # /dev/zero


def _socket(d, rel, ctx):
    folder = d / ASSIGNMENT
    folder.mkdir(parents=True)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / f"{ASSIGNMENT}.ipynb"))
    finally:
        sock.close()


def _folder_notebook(d, rel, ctx):
    (d / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").mkdir(parents=True)


def _extra_link(d, rel, ctx):
    path = _notebook(d, fill(rel, answers(True, True)))
    os.symlink(ctx["source_nb"], path.parent / "notes.ipynb")


def _dangling(d, rel, ctx):
    folder = d / ASSIGNMENT
    folder.mkdir(parents=True)
    os.symlink("/nonexistent/never.ipynb", folder / f"{ASSIGNMENT}.ipynb")


def _link_to_fifo(d, rel, ctx):
    folder = d / ASSIGNMENT
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe")
    os.symlink("pipe", folder / f"{ASSIGNMENT}.ipynb")


def _link_to_dev(d, rel, ctx):
    folder = d / ASSIGNMENT
    folder.mkdir(parents=True)
    os.symlink("/dev/zero", folder / f"{ASSIGNMENT}.ipynb")


def _many_notebooks(d, rel, ctx):
    path = _notebook(d, fill(rel, answers(True, True)))
    for i in range(60):
        (path.parent / f"copy{i:02d}.ipynb").write_text("{}")


TREE_CASES = [
    Case("tree_link_to_source", _link_notebook("source_nb"), 0, {"rejected"}, "symbolic link"),
    Case("tree_relative_link", _link_notebook("other_submission", relative=True), 0, {"rejected"},
         "symbolic link"),
    Case("tree_dangling_link", _dangling, 0, {"rejected"}, "symbolic link"),
    Case("tree_link_assignment", _link_assignment, 0, {"rejected"}, "assignment folder"),
    Case("tree_link_to_source_dir", _link_student_to_source, 0, {"rejected"}, "assignment folder"),
    Case("tree_link_student", _link_student, 0, {"rejected"}, "student folder"),
    Case("tree_hard_link", _hard_link, 0, {"rejected"}, "hard link"),
    Case("tree_fifo", _fifo, 0, {"rejected"}, "FIFO"),
    Case("tree_link_to_fifo", _link_to_fifo, 0, {"rejected"}, "symbolic link"),
    Case("tree_link_to_dev_zero", _link_to_dev, 0, {"rejected"}, "symbolic link"),
    Case("tree_device", _device, 0, {"rejected"}, "device", needs="mknod"),
    Case("tree_socket", _socket, 0, {"rejected"}, "socket"),
    Case("tree_folder_named_ipynb", _folder_notebook, 0, {"rejected"}, "folder"),
    Case("tree_extra_linked_notebook", _extra_link, 0, {"rejected"}, "notes.ipynb is a symbolic link"),
    Case("tree_too_many_notebooks", _many_notebooks, 0, {"rejected"}, "notebooks in the assignment folder"),
]


# ------------------------------------------------------------------ class 4/5: names
NAME_CASES = [
    Case("n" * 250, honest(True, False), 2),
    Case("é" * 127, honest(False, True), 3),                       # 254 bytes of UTF-8
    Case("line\nbreak", honest(True, True), 5),
    Case("ctrl\x1b[31mred\x07\r\t", honest(True, False), 2),
    Case("=HYPERLINK(\"http:\\\\x\",\"y\")", honest(True, True), 5),
    Case("+cmd|' \\C calc'!A0", honest(False, True), 3),
    Case("-2+3", honest(True, False), 2),
    Case("@SUM(1+1)", honest(True, True), 5),
    Case("\tTAB", honest(False, True), 3),
    Case("\rCR", honest(True, False), 2),
    Case(" =spaced", honest(True, True), 5),
    Case(os.fsdecode(b"bad\xff\xfeutf8"), honest(False, True), 3),
    Case("~" + "0" * 32, honest(True, False), 2),                  # looks like a hashed key
    Case("e\u0301", honest(True, True), 5),                        # NFD: not the same as "é"
    Case("\u202egnp.evil", honest(False, True), 3),                # right-to-left override
]


def write_all(cases, root: Path, release_nb, ctx) -> list[Case]:
    """Create every case that this machine permits; return those created."""
    made = []
    for case in cases:
        if case.needs == "mknod" and not _can_mknod(root):
            continue
        case.build(root / case.name, release_nb, ctx)
        made.append(case)
    return made


def _can_mknod(root: Path) -> bool:
    probe = root / ".mknod-probe"
    try:
        os.mknod(probe, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except OSError:
        return False
    os.remove(probe)
    return True
