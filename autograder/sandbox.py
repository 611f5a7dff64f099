"""Run an untrusted notebook in a sandbox and collect only plain data back.

Preferred: bubblewrap (`bwrap`): new user/pid/net/ipc/uts namespaces (no network at all), a
read-only view of the Python environment and of nnkit only (no course directory, gradebook,
source notebooks or other students: nothing of the course is mounted, so no mount path names
it), a private size-limited /tmp, `--die-with-parent`, a new session, and resource limits
(address space, CPU time, processes, file size). When the grader runs as root, the sandboxed
runner drops to an unprivileged user id of its own so that the process limit is enforced.
Every process dies with the sandbox's PID namespace. Nothing of the host is writable: results
come back only through one size-capped pipe (autograder/channel.py).

Runners (`Limits.runner`, or the AUTOGRADER_RUNNER environment variable):

- ``fork`` (default): the notebook runs in process with IPython's InteractiveShell
  (autograder/shell_runner.py), forked from a pre-loaded parent per worker
  (autograder/fork_parent.py, autograder/forkserver.py) that gives every submission fresh
  namespaces, a fresh /tmp, the worker's unprivileged uid and its own rlimits. Used when bwrap
  works and the grader runs as root; otherwise it means ``shell``;
- ``shell``: the same in-process runner in one new bwrap sandbox per submission;
- ``nbclient``: a Jupyter kernel driven by nbclient (autograder/sandbox_runner.py), one sandbox
  per submission; slower, kept for comparison.

Fallback when bwrap is missing or unusable: the same resource limits, a separate process group,
a temporary directory outside the course (whose total size is watched) and a scrubbed
environment. That sandbox is WEAKER (the student's code can read whatever the grader's user can
read, and use the network); callers say so loudly.
"""

from __future__ import annotations

import base64
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from autograder import channel, syscalls

RUNNERS = {"fork": "shell_runner.py",         # the shell runner forked from a pre-loaded parent
           "shell": "shell_runner.py",        # IPython's InteractiveShell in process (fast)
           "nbclient": "sandbox_runner.py"}   # a Jupyter kernel driven by nbclient
IN_BOX_FILES = ("fork_parent.py", "sandbox_runner.py", "shell_runner.py", "datafiles.py", "syscalls.py")
HERE = Path(__file__).resolve().parent
IN_BOX_DIR = "/opt/autograder"
IN_BOX_RECORDS = "/tmp/.nnkit-records"
CHANNEL_FD = 3


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
    channel_bytes: int = channel.MAX_STREAM_BYTES   # all results one run may send back
    runner: str = field(default_factory=lambda: os.environ.get("AUTOGRADER_RUNNER", "fork"))


@dataclass
class RunResult:
    sandbox: str                          # "bwrap" or "weak"
    returncode: int | None
    timed_out: bool
    wall_seconds: float
    received: channel.Received = field(default_factory=channel.Received)
    channel_bytes: int = 0               # bytes kept from the result pipe (at most the cap)
    stdout: str = ""
    stderr: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def log(self) -> dict:
        return self.received.log

    @property
    def records(self) -> dict:
        return self.received.records


# ----------------------------------------------------------------------------- probing
@lru_cache(maxsize=1)
def bwrap_status() -> tuple[bool, str]:
    """(usable, reason): bwrap exists *and* actually starts a sandbox here."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False, "bwrap not found (install the Debian/Ubuntu package 'bubblewrap')"
    try:
        fd = syscalls.program_fd()
    except syscalls.FilterUnavailable as exc:
        return False, str(exc)
    cmd = [exe, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
           "--seccomp", str(fd), "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=20, pass_fds=(fd,),
                              preexec_fn=syscalls.new_session_keyring)
    except (OSError, subprocess.TimeoutExpired, subprocess.SubprocessError) as exc:
        return False, f"bwrap could not start: {exc}"
    finally:
        os.close(fd)
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


def _reachable_by_others(paths: list[str]) -> bool:
    """True when every folder on the way to each path can be entered by any user (o+x) and
    the path itself read (o+r), so that an unprivileged uid can run this Python."""
    for path in paths:
        real = os.path.realpath(path)
        parts = Path(real).parts
        for i in range(1, len(parts) + 1):
            try:
                mode = os.stat(os.path.join(*parts[:i])).st_mode
            except OSError:
                return False
            need = stat.S_IXOTH if (i < len(parts) or stat.S_ISDIR(mode)) else stat.S_IROTH
            if not mode & need:
                return False
    return True


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
def _child_setup(limits: Limits, nproc: int | None, channel_fd: int, program: bytes | None = None,
                 drop_to: int | None = None):
    """In the child before exec: the result pipe becomes fd CHANNEL_FD, then the rlimits and a
    new session keyring. The weak sandbox, which has no bwrap, also drops a root grader's
    privileges to the uid `drop_to` and installs the system-call filter `program` itself."""
    limit = _limiter(limits, nproc)

    def apply() -> None:
        if channel_fd != CHANNEL_FD:
            os.dup2(channel_fd, CHANNEL_FD)
            os.close(channel_fd)
        limit()
        if drop_to is not None:
            os.setgroups([])
            os.setgid(drop_to)
            os.setuid(drop_to)
            if os.getuid() != drop_to or os.geteuid() != drop_to:
                raise OSError("could not drop privileges")
        syscalls.new_session_keyring()
        if program is not None:
            syscalls.install(program)
    return apply


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
        chunk = stream.read1(1 << 20)
        if not chunk:
            break
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    sink.append(bytes(kept).decode("utf-8", errors="replace"))


def _tree_bytes(root: str, cap: int) -> int:
    """Bytes under `root` (lstat, links not followed), stopping once over `cap`."""
    total, stack = 0, [root]
    while stack and total <= cap:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    st = entry.stat(follow_symlinks=False)
                    total += max(st.st_blocks * 512, 4096 if stat.S_ISDIR(st.st_mode) else 512)
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
        except OSError:
            pass
    return total


def bwrap_base(limits: Limits) -> list[str]:
    """The bwrap command line up to (not including) `--` and the capabilities."""
    cmd = [shutil.which("bwrap"), *_namespace_args(), "--hostname", "sandbox",
           *_system_args(), "--proc", "/proc", *_hide_keys(), "--dev", "/dev",
           "--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp",
           "--perms", "1777", "--dir", "/tmp/work", "--chdir", "/tmp/work"]
    made: set[str] = set()
    for path in _python_paths():
        cmd += _parents(path, made) + ["--ro-bind", path, path]
    for stash, path in tmp_rebinds():
        # a pre-loaded parent gives each submission a fresh /tmp, which would hide these
        cmd += ["--ro-bind", path, stash]
    # readable by the sandbox user too (the nbclient runner's kernel imports its guard from here)
    cmd += _parents(f"{IN_BOX_DIR}/x", made) + ["--perms", "0755", "--dir", IN_BOX_DIR]
    for fname in IN_BOX_FILES:
        cmd += ["--ro-bind", str(HERE / fname), f"{IN_BOX_DIR}/{fname}"]
    return cmd


def _hide_keys() -> list[str]:
    """/proc/keys and /proc/key-users list the keys a process may view: show empty files."""
    return [arg for f in ("/proc/keys", "/proc/key-users") if os.path.exists(f)
            for arg in ("--ro-bind", "/dev/null", f)]


def tmp_rebinds() -> list[tuple[str, str]]:
    """(stash, path) for each read-only Python path that lives under /tmp (a checkout or venv
    there). The pre-loaded parent mounts a fresh /tmp for every submission and binds these back
    from their stash, read-only, so that the interpreter and nnkit stay visible."""
    under_tmp = [p for p in _python_paths() if p.startswith("/tmp/")]
    return [(f"/.autograder-stash/{i}", p) for i, p in enumerate(under_tmp)]


def parent_env() -> dict[str, str]:
    return _env("/tmp/work", IN_BOX_RECORDS)


def _run_forked(nb_bytes: bytes, out_dir: Path | None, limits: Limits, slot: int,
                data: list[tuple[str, bytes]] = (), notes: list[str] | None = None) -> RunResult:
    """One submission through the worker's pre-loaded parent (autograder/forkserver.py)."""
    from autograder import forkserver

    uid = sandbox_uid(slot)
    header = {"uid": uid, "env": _env("/tmp/work", IN_BOX_RECORDS), "records": IN_BOX_RECORDS,
              "rebind": tmp_rebinds(), "tmp_bytes": limits.tmp_bytes, "notebook_timeout": limits.notebook_timeout,
              "cell_timeout": limits.cell_timeout, "cell_output_bytes": limits.cell_output_bytes,
              "rlimits": {"RLIMIT_AS": [limits.memory_bytes] * 2,
                          "RLIMIT_CPU": [limits.cpu_seconds, limits.cpu_seconds + 5],
                          "RLIMIT_FSIZE": [limits.file_bytes] * 2, "RLIMIT_CORE": [0, 0],
                          "RLIMIT_NPROC": [limits.processes] * 2},
              "seccomp": base64.b64encode(syscalls.bpf_program()).decode("ascii"),
              # written root-owned and read-only into /tmp/work before privileges are dropped
              "data": [[rel, base64.b64encode(raw).decode("ascii")] for rel, raw in data]}
    start = time.monotonic()
    notes = list(notes or [])
    try:
        srv = forkserver.server(slot, limits)
        reader, timed_out, setup_failed = srv.run(nb_bytes, header, limits)
    except forkserver.ServerError as exc:
        forkserver.discard(slot)
        return RunResult(sandbox="bwrap", returncode=None, timed_out=False,
                         wall_seconds=time.monotonic() - start, stderr=str(exc)[-2000:],
                         notes=["the pre-loaded sandbox parent failed; it is restarted for the next run"])
    if reader.overflow:
        notes.append(f"the run sent back more than {limits.channel_bytes // 2**20} MiB of results; "
                     "it was stopped and the rest was ignored")
    received = channel.parse(bytes(reader.data))
    if out_dir is not None:
        channel.write_out(Path(out_dir), received)
    return RunResult(sandbox="bwrap", returncode=4 if setup_failed else 0, timed_out=timed_out,
                     wall_seconds=time.monotonic() - start, received=received,
                     channel_bytes=len(reader.data), notes=notes,
                     stderr=srv.stderr() if setup_failed else "")


def run_notebook(nb_bytes: bytes, out_dir: Path | None = None, limits: Limits = Limits(), *,
                 slot: int = 0, force_weak: bool = False, data_dir: Path | None = None) -> RunResult:
    """Execute notebook JSON `nb_bytes` sandboxed; results come back over a capped pipe.

    The result's `log` and `records` are what the grader parsed from that pipe. With `out_dir`,
    the grader also writes them there as `run.json` and `records/` (nnkit.checks' format).
    The data files of `data_dir` (see autograder.datafiles) are copied, read-only, into the
    notebook's working directory; the folder itself is never mounted or named in the sandbox.
    """
    from autograder import datafiles

    notes: list[str] = []
    try:
        data = datafiles.collect(data_dir)
    except (OSError, ValueError) as exc:
        data = []
        notes.append(f"data files not provided: {exc}")
    use_bwrap = bwrap_status()[0] and not force_weak
    runner_args = ["--channel-fd", str(CHANNEL_FD), "--cell-timeout", str(limits.cell_timeout),
                   "--cell-output-bytes", str(limits.cell_output_bytes)]
    nproc: int | None = None
    is_root = os.geteuid() == 0
    work = None
    stage = None
    filter_fd = None
    program = None
    drop_to = None

    if use_bwrap and limits.runner == "fork" and is_root:
        return _run_forked(nb_bytes, out_dir, limits, slot, data, notes)
    if use_bwrap:
        sandbox = "bwrap"
        cmd = bwrap_base(limits)
        if data:      # a private copy, bound read-only (the course's folder is never mounted)
            stage = tempfile.mkdtemp(prefix="autograder-data-")
            datafiles.write_tree(data, Path(stage), read_only=False)
            cmd += datafiles.bwrap_args(Path(stage), "/tmp/work")
        env = _env("/tmp/work", IN_BOX_RECORDS)
        runner_args += ["--records", IN_BOX_RECORDS]
        if is_root:
            uid = sandbox_uid(slot)
            cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            runner_args += ["--drop-to", f"{uid}:{uid}"]
            nproc = limits.processes
        else:
            nproc = _count_tasks(os.getuid()) + limits.processes
        filter_fd = syscalls.program_fd()
        cmd += ["--seccomp", str(filter_fd),
                "--", sys.executable, "-I", f"{IN_BOX_DIR}/{RUNNERS[limits.runner]}", *runner_args]
    else:
        sandbox = "weak"
        work = tempfile.mkdtemp(prefix="autograder-weak-")
        datafiles.write_tree(data, Path(work), read_only=False)   # files 0444, owned by the grader
        env = _env(work, os.path.join(work, ".nnkit-records"))
        runner_args += ["--records", os.path.join(work, ".nnkit-records")]
        if is_root and _reachable_by_others([sys.executable, *_python_paths(), str(HERE)]):
            # not the student's code as root: an unprivileged uid of its own, as with bwrap
            drop_to = sandbox_uid(slot)
            os.chmod(work, 0o755)
            os.chown(work, drop_to, drop_to)
            nproc = limits.processes
        elif is_root:
            notes.append("running as root without bwrap: the Python environment is not readable "
                         "by an unprivileged user here, so the student's code ran as root")
        else:
            nproc = _count_tasks(os.getuid()) + limits.processes
        cmd = [sys.executable, "-I", str(HERE / RUNNERS[limits.runner]), *runner_args]
        try:
            program = syscalls.bpf_program()
        except syscalls.FilterUnavailable as exc:
            notes.append(f"no system-call filter: {exc}")

    start = time.monotonic()
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=work or "/",
                                preexec_fn=_child_setup(limits, nproc, write_end, program, drop_to),
                                pass_fds=(write_end, CHANNEL_FD) + ((filter_fd,) if filter_fd else ()),
                                start_new_session=True)
    except BaseException:
        os.close(read_end)
        for folder in (work, stage):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        os.close(write_end)
        if filter_fd is not None:
            os.close(filter_fd)
    killed = threading.Event()

    def overflow() -> None:
        killed.set()
        _kill_group(proc.pid)

    results = channel.StreamReader(read_end, limits.channel_bytes, overflow)
    results.start()
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
    deadline = start + limits.notebook_timeout
    try:
        while True:
            try:
                proc.wait(timeout=0.5 if work else max(0.0, deadline - time.monotonic()))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    timed_out = True
                    break
                if work and _tree_bytes(work, limits.tmp_bytes) > limits.tmp_bytes:
                    notes.append(f"the run wrote more than {limits.tmp_bytes // 2**20} MiB of files; it was stopped")
                    break
    finally:
        _kill_group(proc.pid)
        proc.wait()
        if work:
            shutil.rmtree(work, ignore_errors=True)
        if stage:
            shutil.rmtree(stage, ignore_errors=True)
    results.join(timeout=10)
    for t in readers:
        t.join(timeout=5)
    if results.overflow:
        notes.append(f"the run sent back more than {limits.channel_bytes // 2**20} MiB of results; "
                     "it was stopped and the rest was ignored")
    received = channel.parse(bytes(results.data))
    if out_dir is not None:
        channel.write_out(Path(out_dir), received)
    return RunResult(sandbox=sandbox, returncode=proc.returncode, timed_out=timed_out,
                     wall_seconds=time.monotonic() - start, received=received,
                     channel_bytes=len(results.data),
                     stdout=outs[0] if outs else "", stderr=errs[0] if errs else "", notes=notes)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
