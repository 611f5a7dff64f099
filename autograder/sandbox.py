"""Run an untrusted notebook in a sandbox and collect only plain data back.

Preferred: bubblewrap (`bwrap`): new user/pid/net/ipc/uts namespaces (no network at all), a
read-only view of the Python environment and of nnkit only (no course directory, gradebook,
source notebooks or other students), a private size-limited /tmp, `--die-with-parent`, a new
session, and resource limits (address space, CPU time, processes, file size). When the grader
runs as root, the sandboxed runner drops to an unprivileged user id of its own so that the
process limit is enforced. Every process dies with the sandbox's PID namespace.

Fallback when bwrap is missing or unusable: the same resource limits, a separate process group,
a temporary directory and a scrubbed environment. That sandbox is WEAKER (the student's code
can read whatever the grader's user can read, and use the network); callers say so loudly.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

RUNNER = Path(__file__).with_name("sandbox_runner.py")
IN_BOX_RUNNER = "/opt/autograder/sandbox_runner.py"
IN_BOX_OUT = "/out"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one notebook run (time in seconds, sizes in bytes)."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 240.0
    memory_bytes: int = 3 * 2**30        # address space of each process
    cpu_seconds: int = 300               # CPU time of each process
    processes: int = 128                 # tasks (processes and threads) of the sandbox user
    file_bytes: int = 64 * 2**20         # largest file a process may write
    tmp_bytes: int = 256 * 2**20         # size of the private /tmp (bwrap only)
    cell_output_bytes: int = 100_000     # output kept per cell
    stdio_bytes: int = 64_000            # stdout/stderr of the sandbox kept for the log


@dataclass
class RunResult:
    sandbox: str                          # "bwrap" or "weak"
    returncode: int | None
    timed_out: bool
    wall_seconds: float
    out_dir: Path
    stdout: str = ""
    stderr: str = ""
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- probing
@lru_cache(maxsize=1)
def bwrap_status() -> tuple[bool, str]:
    """(usable, reason): bwrap exists *and* actually starts a sandbox here."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False, "bwrap not found (install the Debian/Ubuntu package 'bubblewrap')"
    cmd = [exe, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap could not start: {exc}"
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()[:300]
        return False, (f"bwrap is installed but cannot create namespaces here ({err}); enable "
                       "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) "
                       "or run in a container that allows them")
    return True, "bwrap " + exe


def _namespace_args() -> list[str]:
    if os.geteuid() == 0:
        # no user namespace: the runner drops to a real unprivileged uid (see sandbox_uid)
        spaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                  "--unshare-cgroup-try"]
    else:
        spaces = ["--unshare-all"]
    return [*spaces, "--die-with-parent", "--new-session"]


# ----------------------------------------------------------------------------- views
def _python_paths() -> list[str]:
    """Directories the sandboxed Python needs, read-only: the interpreter and nnkit."""
    import nnkit

    paths = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
             os.path.dirname(os.path.realpath(sys.executable)),
             os.path.dirname(os.path.realpath(nnkit.__file__))}
    # drop paths inside other paths
    keep = sorted(paths)
    return [p for p in keep if not any(p != q and p.startswith(q + os.sep) for q in keep)]


def _system_args() -> list[str]:
    args: list[str] = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                "/etc/alternatives", "/etc/nsswitch.conf", "/etc/mime.types"):
        args += ["--ro-bind-try", etc, etc]
    return args


def _parents(path: str, made: set[str]) -> list[str]:
    """bwrap creates missing parents as 0700; create them 0755 so the sandbox user can pass."""
    args: list[str] = []
    parts = Path(path).parts[1:-1]
    for i in range(1, len(parts) + 1):
        parent = "/" + "/".join(parts[:i])
        if parent not in made and parent not in ("/usr", "/tmp"):
            made.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    return args


def _env(home: str, records: str) -> dict[str, str]:
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": home, "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8",
        "TMPDIR": "/tmp" if home.startswith("/tmp") else home,
        "NNKIT_CHECKS_RECORD": records,
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": home + "/.mpl", "IPYTHONDIR": home + "/.ipython",
        "JUPYTER_RUNTIME_DIR": home + "/.jupyter-runtime", "JUPYTER_CONFIG_DIR": home + "/.jupyter",
        "JUPYTER_PLATFORM_DIRS": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def _count_tasks(uid: int) -> int:
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    total += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return total


def sandbox_uid(slot: int) -> int:
    """An unprivileged uid for a root grader's sandbox, distinct per grader process and slot."""
    return 200_000 + (os.getpid() % 50_000) * 16 + slot % 16


# ----------------------------------------------------------------------------- running
def _limiter(limits: Limits, nproc: int | None):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    return apply


def _drain(stream, keep: int, sink: list) -> None:
    kept = bytearray()
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    sink.append(bytes(kept).decode("utf-8", errors="replace"))


def run_notebook(nb_bytes: bytes, out_dir: Path, limits: Limits = Limits(), *, slot: int = 0,
                 force_weak: bool = False, data_dir: Path | None = None) -> RunResult:
    """Execute notebook JSON `nb_bytes` sandboxed; `out_dir` receives run.json and records/.

    The data files of `data_dir` (see autograder.datafiles) are visible read-only in the
    notebook's working directory.
    """
    from autograder import datafiles

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "records").mkdir(exist_ok=True)
    use_bwrap = bwrap_status()[0] and not force_weak
    runner_args = ["--cell-timeout", str(limits.cell_timeout),
                   "--cell-output-bytes", str(limits.cell_output_bytes)]
    notes: list[str] = []
    nproc: int | None = None
    is_root = os.geteuid() == 0

    if use_bwrap:
        sandbox = "bwrap"
        cmd = [shutil.which("bwrap"), *_namespace_args(), "--hostname", "sandbox",
               *_system_args(), "--proc", "/proc", "--dev", "/dev",
               "--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp",
               "--perms", "1777", "--dir", "/tmp/work", "--chdir", "/tmp/work"]
        made: set[str] = set()
        for path in _python_paths():
            cmd += _parents(path, made) + ["--ro-bind", path, path]
        cmd += datafiles.bwrap_args(data_dir, "/tmp/work")
        cmd += ["--ro-bind", str(RUNNER), IN_BOX_RUNNER, "--bind", str(out_dir), IN_BOX_OUT]
        env = _env("/tmp/work", IN_BOX_OUT + "/records")
        if is_root:
            uid = sandbox_uid(slot)
            os.chown(out_dir, uid, uid)
            os.chown(out_dir / "records", uid, uid)
            cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            runner_args += ["--drop-to", f"{uid}:{uid}"]
            nproc = limits.processes
        else:
            nproc = _count_tasks(os.getuid()) + limits.processes
        cmd += ["--", sys.executable, "-I", IN_BOX_RUNNER, IN_BOX_OUT, *runner_args]
    else:
        sandbox = "weak"
        work = out_dir / "work"
        work.mkdir(exist_ok=True)
        datafiles.copy_in(data_dir, out_dir)          # the kernel's working directory
        env = _env(str(work), str(out_dir / "records"))
        if is_root:
            notes.append("running as root without bwrap: the process limit is not enforced")
        else:
            nproc = _count_tasks(os.getuid()) + limits.processes
        cmd = [sys.executable, "-I", str(RUNNER), str(out_dir), *runner_args]

    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=str(out_dir) if not use_bwrap else "/",
                            preexec_fn=_limiter(limits, nproc), start_new_session=True)
    outs: list = []
    errs: list = []
    readers = [threading.Thread(target=_drain, args=(proc.stdout, limits.stdio_bytes, outs), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, limits.stdio_bytes, errs), daemon=True)]
    for t in readers:
        t.start()

    def feed() -> None:
        try:
            proc.stdin.write(nb_bytes)
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    timed_out = False
    try:
        proc.wait(timeout=limits.notebook_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        _kill_group(proc.pid)
        proc.wait()
    for t in readers:
        t.join(timeout=5)
    return RunResult(sandbox=sandbox, returncode=proc.returncode, timed_out=timed_out,
                     wall_seconds=time.monotonic() - start, out_dir=out_dir,
                     stdout=outs[0] if outs else "", stderr=errs[0] if errs else "", notes=notes)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
