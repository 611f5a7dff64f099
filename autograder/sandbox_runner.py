"""Run one notebook inside the sandbox: the only code of the grader that the sandbox executes.

Standalone on purpose (imports nbformat/nbclient only, never the `autograder` package, which
is not visible in the sandbox). Usage, with the notebook JSON on stdin::

    python -I sandbox_runner.py --channel-fd FD --records DIR --cell-timeout S
           --cell-output-bytes N [--drop-to UID:GID]

Everything goes back to the grader as frames on the pipe `FD` (format: autograder/channel.py):
after every cell, the run log (which cell ran, which raised what, how the run ended) and the
check records that nnkit.checks wrote into `DIR` (inside the sandbox) since the last cell. The
runner makes itself non-dumpable so that the student's processes (same user id) cannot open its
pipe through /proc. Nothing here is trusted by the grader for scores: records are plain data
that the grader judges against its own reference.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import struct
import sys

MAX_NOTEBOOK_BYTES = 64 * 2**20
EVALUE_CHARS = 500
MAX_META_BYTES = 64 * 2**10          # as nnkit.checks.MAX_JSON_BYTES
MAX_BLOB_BYTES = 16 * 2**20 + 4096   # as nnkit.checks.MAX_VALUE_BYTES + header
MAX_SENT_BYTES = 64 * 2**20          # the grader stops reading beyond this anyway


def not_dumpable() -> None:
    """PR_SET_DUMPABLE 0: processes of the same uid can no longer ptrace us or open /proc/PID/fd."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Channel:
    """Frames to the grader's pipe; record files are relayed once each, size-capped."""

    def __init__(self, fd: int, records: str):
        self.fd, self.records = fd, records
        self.sent: set[str] = set()
        self.total = 0
        self.full = False

    def _write(self, kind: bytes, body: bytes) -> None:
        if self.total + len(body) + 5 > MAX_SENT_BYTES:
            self.full = True
            return
        data = struct.pack(">cI", kind, len(body)) + body
        self.total += len(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def log(self, log: dict) -> None:
        self._write(b"L", json.dumps(log).encode())

    def _read(self, dfd: int, name, limit: int) -> bytes:
        if not isinstance(name, str) or "/" in name or name in (".", ".."):
            return b""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
        except OSError:
            return b""
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return b""
            data = os.read(fd, limit + 1)
            return data if len(data) <= limit else b""
        finally:
            os.close(fd)

    def relay(self) -> None:
        try:
            dfd = os.open(self.records, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            return
        try:
            names = sorted(n for n in os.listdir(dfd) if n.endswith(".json") and n not in self.sent)
            for name in names[:4000]:
                self.sent.add(name)
                if self.full:          # over the cap: what is left is never read
                    continue
                meta_raw = self._read(dfd, name, MAX_META_BYTES)
                blobs = {}
                try:
                    meta = json.loads(meta_raw)
                    for key in ("value", "expected"):
                        if isinstance(meta, dict) and meta.get(key) is not None:
                            blobs[key] = self._read(dfd, meta[key], MAX_BLOB_BYTES)
                            meta[key] = key + ".npy"
                    meta_raw = json.dumps(meta).encode()
                except (ValueError, RecursionError):
                    pass
                parts = (meta_raw, blobs.get("value", b""), blobs.get("expected", b""))
                self._write(b"R", b"".join(struct.pack(">I", len(p)) + p for p in parts))
        finally:
            os.close(dfd)


def drop_privileges(spec: str) -> None:
    uid, gid = (int(x) for x in spec.split(":"))
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)  # from root to non-root: all capabilities go too
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("could not drop privileges")


def make_client(nb, cell_timeout: float, cell_output_bytes: int):
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """Keeps at most `cell_output_bytes` of output per cell; the rest is dropped."""

        used: dict[int, int] = {}

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            size = len(content.get("text", "")) + sum(
                len(str(v)) for v in (content.get("data") or {}).values())
            size += sum(len(str(t)) for t in content.get("traceback", []) or [])
            used = self.used.get(cell_index, 0)
            self.used[cell_index] = used + size
            if used + size > cell_output_bytes:
                if used <= cell_output_bytes:
                    outs.append(_stream_note(f"[autograder: output beyond {cell_output_bytes} "
                                             "bytes dropped]"))
                if msg["msg_type"] == "error":  # keep the error's name, drop its size
                    content = dict(content, traceback=[], evalue=str(content.get("evalue", ""))[:EVALUE_CHARS])
                    msg = dict(msg, content=content)
                else:
                    return None
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                        interrupt_on_timeout=False, record_timing=False, startup_timeout=60,
                        iopub_timeout=4, raise_on_iopub_timeout=False,
                        shutdown_kernel="immediate")


class KernelGuard:
    """shell_runner.Guard inside the kernel: set up before the student's first cell, asked
    before and after every cell (silently) what it had to put back."""

    NAME = "_nnkit_autograder_guard"

    def __init__(self, client):
        self.client = client
        here = os.path.dirname(os.path.abspath(__file__))
        self.ok = self._run(f"import sys as _s; _s.path.insert(0, {here!r}); "
                            f"from shell_runner import Guard as _G; {self.NAME} = _G(get_ipython()); "
                            "del _s, _G", "1") == "1"

    def _run(self, code: str, expression: str) -> str | None:
        try:
            msg_id = self.client.kc.execute(code, silent=True, store_history=False,
                                            user_expressions={"r": expression})
            reply = self.client.wait_for_reply(msg_id)   # within the cell time limit
            if reply["content"].get("status") != "ok":
                sys.stderr.write(f"guard: {reply['content'].get('ename')}: {reply['content'].get('evalue')}\n")
                return None
            value = reply["content"]["user_expressions"]["r"]
            if value.get("status") != "ok":
                sys.stderr.write(f"guard: {value}\n")
            return value["data"]["text/plain"] if value.get("status") == "ok" else None
        except Exception as exc:  # noqa: BLE001 - a kernel the student broke: reported by the caller
            sys.stderr.write(f"guard: {exc!r}\n")
            return None

    def restore(self) -> list[str]:
        if not self.ok:
            return ["the in-kernel guard did not start"]
        text = self._run("", f"{self.NAME}.restore()")
        if text is None:
            return ["the in-kernel guard did not answer"]
        import ast

        try:
            found = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return ["the in-kernel guard gave an unreadable answer"]
        return [str(x)[:120] for x in found[:10]] if isinstance(found, list) else []


def _stream_note(text: str):
    from nbformat.v4 import new_output

    return new_output("stream", name="stderr", text=text + "\n")


def start() -> tuple[argparse.Namespace, Channel, bytes]:
    """What both runners do first: parse the command line, drop privileges, open the result
    channel and point the checks at the private records folder, read the notebook (capped)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--channel-fd", type=int, required=True)
    parser.add_argument("--records", required=True)
    parser.add_argument("--cell-timeout", type=float, default=30)
    parser.add_argument("--cell-output-bytes", type=int, default=100_000)
    parser.add_argument("--drop-to", default=None)
    args = parser.parse_args()
    if args.drop_to:
        drop_privileges(args.drop_to)
    not_dumpable()
    os.set_inheritable(args.channel_fd, False)
    os.makedirs(args.records, mode=0o700, exist_ok=True)
    os.environ["NNKIT_CHECKS_RECORD"] = args.records
    channel = Channel(args.channel_fd, args.records)
    raw = sys.stdin.buffer.read(MAX_NOTEBOOK_BYTES + 1)
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise SystemExit("notebook too large")
    return args, channel, raw


def main() -> int:
    args, channel, raw = start()
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    del raw
    log = {"cells": [], "end": "starting"}

    def save(end: str) -> None:
        log["end"] = end
        channel.relay()
        channel.log(log)

    save("starting")
    client = make_client(nb, args.cell_timeout, args.cell_output_bytes)
    end = "completed"
    try:
        with client.setup_kernel():
            guard = KernelGuard(client)       # before any of the student's code runs
            save("running")
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                entry = {"index": index, "status": "running"}
                log["cells"].append(entry)
                save("running")
                removed = guard.restore()
                if removed:
                    entry["removed"] = removed
                try:
                    reply = client.execute_cell(cell, index)
                except CellTimeoutError:
                    entry["status"], end = "timeout", "cell_timeout"
                    break
                except DeadKernelError:
                    entry["status"], end = "died", "kernel_died"
                    break
                errors = [o for o in reply.get("outputs", []) if o.get("output_type") == "error"]
                if errors:
                    entry.update(status="error", ename=str(errors[-1].get("ename", ""))[:100],
                                 evalue=str(errors[-1].get("evalue", ""))[:EVALUE_CHARS])
                else:
                    entry["status"] = "ok"
                installed = guard.restore()
                if installed:
                    entry["tampered"] = installed
            save(end)
    except DeadKernelError:
        end = "kernel_died"
    except Exception as exc:  # a kernel that never started, for example
        log["error"] = f"{type(exc).__name__}: {str(exc)[:EVALUE_CHARS]}"
        end = "runner_error"
    save(end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
