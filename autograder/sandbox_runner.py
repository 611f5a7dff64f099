"""Run one notebook inside the sandbox: the only code of the grader that the sandbox executes.

Standalone on purpose (imports nbformat/nbclient only, never the `autograder` package, which
is not visible in the sandbox). Usage, with the notebook JSON on stdin::

    python -I sandbox_runner.py OUT_DIR --cell-timeout S --cell-output-bytes N
           [--drop-to UID:GID]

Writes `OUT_DIR/run.json` after every cell (a progress log: which cell ran, which raised what,
how the run ended). The checks themselves write `OUT_DIR/records/` through nnkit.checks in
record mode. Nothing here is trusted by the grader for scores: the kernel runs the student's
code with the same user id and could rewrite these files; the grader only uses them for status
and messages, and judges the records against its own reference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

MAX_NOTEBOOK_BYTES = 64 * 2**20
EVALUE_CHARS = 500


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


def _stream_note(text: str):
    from nbformat.v4 import new_output

    return new_output("stream", name="stderr", text=text + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--cell-timeout", type=float, default=30)
    parser.add_argument("--cell-output-bytes", type=int, default=100_000)
    parser.add_argument("--drop-to", default=None)
    args = parser.parse_args()
    if args.drop_to:
        drop_privileges(args.drop_to)

    raw = sys.stdin.buffer.read(MAX_NOTEBOOK_BYTES + 1)
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise SystemExit("notebook too large")
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    del raw
    log = {"cells": [], "end": "starting"}
    path = os.path.join(args.out_dir, "run.json")

    def save(end: str) -> None:
        log["end"] = end
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(log, fh)
        os.replace(tmp, path)

    save("starting")
    client = make_client(nb, args.cell_timeout, args.cell_output_bytes)
    end = "completed"
    try:
        with client.setup_kernel():
            save("running")
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                entry = {"index": index, "status": "running"}
                log["cells"].append(entry)
                save("running")
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
