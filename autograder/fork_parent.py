"""A pre-loaded parent per grading worker, inside a long-lived bubblewrap sandbox.

Standalone on purpose (runs in the sandbox; never imports the `autograder` package). It imports
numpy, nnkit and IPython once, then serves one submission at a time over the control socket
`--control-fd` (a request: a JSON header line, the result pipe passed as a descriptor, then
the notebook's bytes). It never runs student code and stays single-threaded, so forking is
safe. For each submission::

    parent ──fork──> A: new mount, PID, network, IPC and UTS namespaces, a fresh size-limited
                        tmpfs on /tmp; enforces the notebook time limit
                     └──fork──> B: PID 1 of the new namespace; a fresh /proc; the rlimits; drops
                                   to the worker's unprivileged uid (all capabilities go), no new
                                   privileges, not dumpable; joins a new session keyring and
                                   installs the system-call filter (autograder/syscalls.py);
                                   runs shell_runner.supervise, which forks the executor that
                                   runs the student's cells

When B exits, the kernel kills every process left in its PID namespace. The parent answers each
request with one JSON line: {"timed_out": bool}.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import resource
import select
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # -I leaves it out
import shell_runner  # noqa: E402
import syscalls  # noqa: E402
from sandbox_runner import Channel, not_dumpable  # noqa: E402

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
EXIT_TIMEOUT, EXIT_SETUP = 3, 4
_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data) -> None:
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def preload() -> None:
    """What every submission needs, imported once (no threads are started by these imports)."""
    import numpy  # noqa: F401
    import nnkit  # noqa: F401
    import nnkit.checks  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401
    from traitlets.config import Config  # noqa: F401


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket):
    """One request: (header dict, result pipe fd, notebook bytes), or None at the end."""
    msg, fds, _, _ = socket.recv_fds(sock, 8, 1)
    if not msg:
        return None
    if len(msg) < 8 or len(fds) != 1:
        raise SystemExit("bad request")
    head_len, nb_len = int.from_bytes(msg[:4], "big"), int.from_bytes(msg[4:8], "big")
    header = json.loads(_recv_exact(sock, head_len))
    return header, fds[0], _recv_exact(sock, nb_len)


def _die_in_setup(what: str, exc: BaseException) -> None:
    """Say on stderr what failed before the student's code ran, and exit with EXIT_SETUP."""
    try:
        sys.__stderr__.write(f"fork_parent: {what}: {type(exc).__name__}: {exc}\n")
        sys.__stderr__.flush()
    except BaseException:  # noqa: BLE001
        pass
    os._exit(EXIT_SETUP)


def run_b(header: dict, channel_fd: int, nb: bytes) -> None:
    """PID 1 of the submission's namespaces; never returns."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        for keys in ("/proc/keys", "/proc/key-users"):   # the keys a process may view: empty
            if os.path.exists(keys):
                _mount("/dev/null", keys, None, MS_BIND, None)
        os.makedirs("/tmp/work", exist_ok=True)
        uid = int(header["uid"])
        if header.get("data"):   # the assignment's data files: root-owned, read-only
            from datafiles import write_tree   # standalone module, bound next to this one

            write_tree([(rel, base64.b64decode(raw)) for rel, raw in header["data"]], "/tmp/work")
        os.chown("/tmp/work", uid, uid)
        os.chmod("/tmp", 0o1777)
        os.chdir("/tmp/work")
        limits = header["rlimits"]
        for name, value in limits.items():
            resource.setrlimit(getattr(resource, name), tuple(value))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError("could not drop privileges")
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        not_dumpable()
        syscalls.new_session_keyring()          # owned by the sandbox uid, shared with nobody
        syscalls.install(base64.b64decode(header["seccomp"]))   # autograder/syscalls.py
        os.environ.clear()
        os.environ.update(header["env"])
        records = header["records"]
        os.makedirs(records, mode=0o700, exist_ok=True)
        channel = Channel(channel_fd, records)
        shell_runner.supervise(shell_runner.code_cells(nb), channel, float(header["cell_timeout"]),
                               int(header["cell_output_bytes"]))
    except BaseException as exc:  # noqa: BLE001
        _die_in_setup("submission setup failed", exc)
    os._exit(0)


def run_a(header: dict, channel_fd: int, nb: bytes) -> None:
    """Fresh namespaces and /tmp, then B; kills B at the notebook time limit; never returns."""
    try:
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS),
               "unshare")
        _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
        _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(header['tmp_bytes'])},mode=1777")
        for stash, path in header.get("rebind", ()):
            # the interpreter or nnkit lives under /tmp: bind it back, read-only as its stash
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(stash, path, None, MS_BIND | MS_REC, None)
            if not os.statvfs(path).f_flag & os.ST_RDONLY:
                raise OSError(f"{path} is writable after its bind; refusing to run")
        pid_b = os.fork()
        if pid_b == 0:
            run_b(header, channel_fd, nb)
        os.close(channel_fd)
        deadline = time.monotonic() + float(header["notebook_timeout"])
        pidfd = os.pidfd_open(pid_b)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid_b, signal.SIGKILL)
                os.waitpid(pid_b, 0)
                os._exit(EXIT_TIMEOUT)
            select.select([pidfd], [], [], left)
            pid, _ = os.waitpid(pid_b, os.WNOHANG)
            if pid:
                os._exit(0)
    except BaseException as exc:  # noqa: BLE001
        _die_in_setup("namespaces failed", exc)


def main() -> int:
    control = int(sys.argv[sys.argv.index("--control-fd") + 1])
    preload()
    sock = socket.socket(fileno=control)
    sock.sendall(b'{"ready": true}\n')
    while True:
        try:
            request = receive(sock)
        except EOFError:
            return 0
        if request is None:
            return 0
        header, channel_fd, nb = request
        if len(os.listdir("/proc/self/task")) != 1:
            raise SystemExit("fork_parent: refusing to fork with more than one thread")
        pid_a = os.fork()
        if pid_a == 0:
            sock.close()
            run_a(header, channel_fd, nb)
        os.close(channel_fd)
        del nb
        _, status = os.waitpid(pid_a, 0)
        code = os.waitstatus_to_exitcode(status)
        sock.sendall(json.dumps({"timed_out": code == EXIT_TIMEOUT, "setup_failed": code == EXIT_SETUP})
                     .encode() + b"\n")


if __name__ == "__main__":
    sys.exit(main())
