"""Grader side of the pre-loaded parents (autograder/fork_parent.py): one per worker slot.

Used when bubblewrap works and the grader runs as root (the parent needs CAP_SYS_ADMIN inside
its sandbox to give each submission fresh namespaces and a fresh /tmp, and CAP_SETUID to drop
to the worker's uid; it never runs student code). Otherwise `run_notebook` starts one sandbox
per submission. Results come back exactly as there: one capped pipe per submission, parsed by
autograder/channel.py.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

from autograder import channel, syscalls

_SERVERS: dict[int, "ForkServer"] = {}
_LOCK = threading.Lock()
START_SECONDS = 60.0


class ServerError(RuntimeError):
    pass


class ForkServer:
    def __init__(self, slot: int, limits):
        from autograder import sandbox

        self.slot = slot
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fd = child_sock.fileno()
        cmd = sandbox.bwrap_base(limits) + [
            "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
            "--", sys.executable, "-I", f"{sandbox.IN_BOX_DIR}/fork_parent.py", "--control-fd", str(fd)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=sandbox.parent_env(),
                                     cwd="/", pass_fds=(fd,), start_new_session=True,
                                     preexec_fn=_no_core)
        child_sock.close()
        self.sock = parent_sock
        self.errors = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()
        line = self._line(START_SECONDS)
        if not line.get("ready"):
            self.close()
            raise ServerError("the pre-loaded parent did not start: " + self.stderr())

    def _drain(self) -> None:
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self.errors = (self.errors + chunk)[-16000:]

    def stderr(self) -> str:
        return bytes(self.errors).decode("utf-8", "replace").strip()[-2000:]

    def _line(self, timeout: float) -> dict:
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise ServerError("the pre-loaded parent did not answer in time")
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ServerError("the pre-loaded parent ended: " + self.stderr())
            buf += chunk
        return json.loads(buf)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, nb_bytes: bytes, header: dict, limits, on_overflow=None):
        """Send one submission; returns (StreamReader, timed_out, setup_failed)."""
        read_end, write_end = os.pipe()
        try:
            head = json.dumps(header).encode()
            socket.send_fds(self.sock, [len(head).to_bytes(4, "big") + len(nb_bytes).to_bytes(4, "big")],
                            [write_end])
            self.sock.sendall(head)
            self.sock.sendall(nb_bytes)
        except OSError as exc:
            os.close(read_end)
            raise ServerError(f"the pre-loaded parent is gone ({exc}): {self.stderr()}") from None
        finally:
            os.close(write_end)
        reader = channel.StreamReader(read_end, limits.channel_bytes, on_overflow)
        reader.start()
        answer = self._line(limits.notebook_timeout + 30)
        reader.join(timeout=30)
        return reader, bool(answer.get("timed_out")), bool(answer.get("setup_failed"))

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()


def _no_core() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    syscalls.new_session_keyring()   # each submission then joins one of its own (fork_parent.run_b)


def server(slot: int, limits) -> ForkServer:
    with _LOCK:
        srv = _SERVERS.get(slot)
        if srv is not None and srv.alive():
            return srv
        if srv is not None:
            srv.close()
    srv = ForkServer(slot, limits)
    with _LOCK:
        _SERVERS[slot] = srv
    return srv


def discard(slot: int) -> None:
    with _LOCK:
        srv = _SERVERS.pop(slot, None)
    if srv is not None:
        srv.close()


def shutdown() -> None:
    """Stop every pre-loaded parent (end of a batch; also at exit)."""
    with _LOCK:
        servers = list(_SERVERS.values())
        _SERVERS.clear()
    for srv in servers:
        srv.close()


def available() -> bool:
    return os.geteuid() == 0 and shutil.which("bwrap") is not None and hasattr(socket, "send_fds")


atexit.register(shutdown)
