"""The system-call filter and the fresh session keyring of every sandboxed run (issue 23).

A key planted in the grader's session keyring must not be readable in the sandbox, and a key
written by one run must not be readable by the next. Each denied call is tried for real in a
filtered child process.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap

from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import requires_bwrap  # noqa: E402

from autograder import syscalls  # noqa: E402
from autograder.sandbox import Limits, run_notebook  # noqa: E402

pyseccomp = pytest.importorskip("pyseccomp", reason="the filter is built with pyseccomp (grader extra)")

KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4
KEYCTL_GET_KEYRING_ID, KEYCTL_SEARCH, KEYCTL_READ = 0, 10, 11

# In-box probe: tries every way to the keyrings; prints one JSON line.
PROBE = textwrap.dedent('''
    import ctypes, json, os
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    NR = {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}[os.uname().machine]
    def call(nr, *args):
        r = libc.syscall(ctypes.c_long(nr), *args)
        return [int(r), ctypes.get_errno() if r < 0 else 0]
    def add(desc, ring):
        return call(NR[0], b"user", desc.encode(), b"payload", ctypes.c_size_t(7), ctypes.c_long(ring))
    def search(desc, ring):
        return call(NR[2], ctypes.c_long(10), ctypes.c_long(ring), b"user", desc.encode(), ctypes.c_long(0))
    def request(desc):
        return call(NR[1], b"user", desc.encode(), None, ctypes.c_long(0))
    try:
        proc_keys = open("/proc/keys").read()
    except OSError as exc:
        proc_keys = "unreadable: " + type(exc).__name__
    RESULT = {"session": call(NR[2], ctypes.c_long(0), ctypes.c_long(-3), ctypes.c_long(0)),
              "search_host": search(HOST_KEY, -3), "search_user": search(HOST_KEY, -4),
              "request_host": request(HOST_KEY), "search_prev": search("planted-by-run-1", -3),
              "add_session": add("planted-by-run-1", -3), "add_user": add("planted-by-run-1", -4),
              "proc_keys": proc_keys}
''')


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _host_key(description: str) -> int:
    libc = _libc()
    nr = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, "add_key")
    serial = libc.syscall(ctypes.c_long(nr), b"user", description.encode(), b"host secret",
                          ctypes.c_size_t(11), ctypes.c_long(KEY_SPEC_SESSION_KEYRING))
    if serial < 0:
        pytest.skip(f"cannot add a key to this process's session keyring "
                    f"({os.strerror(ctypes.get_errno())}): keyrings are not reachable here at all")
    return serial


def _probe_notebook(host_key: str):
    code = f"HOST_KEY = {host_key!r}\n" + PROBE + textwrap.dedent('''
        from nnkit import checks
        checks.check_equal("probe", json.dumps(RESULT), "")
    ''')
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])).encode()


def _probe_result(result) -> dict:
    records = [r for r in result.records.values() if r.name == "probe"]
    assert records, (result.log, result.stderr[-800:])
    return json.loads(str(records[0].value))


def test_filter_denies_every_listed_call():
    """Each call of the list fails with EPERM (clone3: ENOSYS) in a filtered child; others work."""
    names = [n for n in syscalls.DENIED
             if _resolves(n)]
    assert len(names) >= 40
    script = textwrap.dedent(f'''
        import ctypes, json, os, sys, threading
        sys.path.insert(0, {os.path.dirname(syscalls.__file__)!r})
        import syscalls
        program = bytes.fromhex(sys.stdin.readline().strip())
        numbers = json.loads(sys.stdin.readline())
        syscalls.install(program)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        out = {{}}
        for name, nr in numbers.items():
            ctypes.set_errno(0)
            # harmless arguments: every call here fails before doing anything, or is refused
            r = libc.syscall(ctypes.c_long(nr), ctypes.c_long(-1), ctypes.c_long(0), ctypes.c_long(0),
                             ctypes.c_long(0), ctypes.c_long(0))
            out[name] = ctypes.get_errno() if r < 0 else 0
        t = threading.Thread(target=lambda: None); t.start(); t.join()   # threads still work
        pid = os.fork()                                                  # and fork
        if pid == 0:
            os._exit(7)
        out["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        out["clone_newuser"] = libc.unshare(0x10000000), ctypes.get_errno()
        print(json.dumps(out))
    ''')
    numbers = {n: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n) for n in names + ["clone3"]}
    proc = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                          input=syscalls.bpf_program().hex() + "\n" + json.dumps(numbers) + "\n",
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    import errno
    wrong = {n: os.strerror(e) if e else "allowed" for n, e in out.items()
             if n in names and e != errno.EPERM}
    assert not wrong, f"calls the filter lets through: {wrong}"
    assert out["clone3"] == errno.ENOSYS
    assert out["fork"] == 7
    assert out["clone_newuser"][0] == -1 and out["clone_newuser"][1] == errno.EPERM


def test_clone_with_namespace_flags_is_denied():
    """clone(CLONE_NEWUSER | ...) is refused like unshare; a plain clone (fork) is not."""
    script = textwrap.dedent(f'''
        import ctypes, errno, os, sys
        sys.path.insert(0, {os.path.dirname(syscalls.__file__)!r})
        import syscalls
        syscalls.install(bytes.fromhex(sys.stdin.read().strip()))
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        nr = {pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, "clone")}
        for flag in {sorted(syscalls.CLONE_NAMESPACE_FLAGS.values())}:
            r = libc.syscall(ctypes.c_long(nr), ctypes.c_long(flag | 17), None, None, None, None)
            if r == 0:
                os._exit(0)
            assert r < 0 and ctypes.get_errno() == errno.EPERM, (hex(flag), r, ctypes.get_errno())
        print("ok")
    ''')
    proc = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                          input=syscalls.bpf_program().hex(), timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def _resolves(name: str) -> bool:
    try:
        return pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) >= 0
    except (OSError, ValueError, RuntimeError):
        return False


def test_new_session_keyring_leaves_the_inherited_one_behind():
    """Without any filter: a child that joined a new session keyring cannot find the host's key,
    and two such children have different session keyrings."""
    serial = _host_key("nnkit-test-host-key")
    script = textwrap.dedent('''
        import ctypes, json, os
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        nr = {"x86_64": 250, "aarch64": 219}[os.uname().machine]
        ring = libc.syscall(ctypes.c_long(nr), ctypes.c_long(0), ctypes.c_long(-3), ctypes.c_long(0))
        found = libc.syscall(ctypes.c_long(nr), ctypes.c_long(10), ctypes.c_long(-3), b"user",
                             b"nnkit-test-host-key", ctypes.c_long(0))
        print(json.dumps([int(ring), int(found)]))
    ''')
    rings = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                              preexec_fn=syscalls.new_session_keyring, timeout=60)
        ring, found = json.loads(proc.stdout)
        assert found < 0, "the host's key is still reachable after joining a new session keyring"
        rings.append(ring)
    plain = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                           timeout=60)
    host_ring, host_found = json.loads(plain.stdout)
    assert host_found == serial, "control: a child that keeps the session keyring finds the key"
    assert len({host_ring, *rings}) == 3


@requires_bwrap()
@pytest.mark.parametrize("runner", ["fork", "shell", "nbclient"])
def test_sandbox_sees_no_host_key_and_no_earlier_run(runner):
    host_key = f"nnkit-host-secret-{runner}"
    _host_key(host_key)
    nb = _probe_notebook(host_key)
    limits = Limits(runner=runner, notebook_timeout=120)
    first = _probe_result(run_notebook(nb, None, limits))
    second = _probe_result(run_notebook(nb, None, limits))
    for result in (first, second):
        for what in ("session", "search_host", "search_user", "request_host", "search_prev",
                     "add_session", "add_user"):
            assert result[what][0] < 0, f"{what} succeeded in the sandbox: {result}"
        assert host_key not in result["proc_keys"]
        assert "planted-by-run-1" not in result["proc_keys"]


def test_weak_sandbox_filters_key_calls_too():
    host_key = "nnkit-host-secret-weak"
    _host_key(host_key)
    result = _probe_result(run_notebook(_probe_notebook(host_key), None, Limits(runner="shell"),
                                        force_weak=True))
    for what in ("session", "search_host", "search_user", "request_host", "add_session", "add_user"):
        assert result[what][0] < 0, f"{what} succeeded in the weak sandbox: {result}"


def test_instructors_page_lists_the_filter():
    """The instructors' page names every call the filter denies, with its reason."""
    page = (Path(__file__).resolve().parents[2] / "instructors.md").read_text()
    for name, why in syscalls.DENIED.items():
        assert f"| `{name}` | {why} |" in page, name
    for name in syscalls.ENOSYS_CALLS:
        assert f"`{name}`" in page
