"""The one channel from a sandbox back to the grader: a size-capped stream of framed records.

The sandboxed runner writes frames to a pipe that the grader created (never a folder on the
host): ``KIND (1 byte) | LENGTH (4 bytes, big-endian) | PAYLOAD``. Kinds:

- ``L``: the run log as JSON (which cell ran, how it ended); the last valid one counts;
- ``R``: one check record, three length-prefixed parts: the record's JSON, the value's ``.npy``
  bytes and the expected value's ``.npy`` bytes (empty when absent).

The grader reads at most `MAX_STREAM_BYTES` from the pipe (the sandbox is stopped beyond that),
parses with hard caps, never unpickles and never opens a path named in the stream. A record is
only plain data: the verdict is computed in the grader against the reference (nnkit.checks).
Everything in the stream may have been shaped by the student's code: it can cost the student
points (garbage, conflicts), never award them.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

from nnkit import checks

MAX_STREAM_BYTES = 64 * 2**20     # everything one run may send back to the host
MAX_LOG_BYTES = 2 * 2**20
HEADER = struct.Struct(">cI")
PART = struct.Struct(">I")


@dataclass
class Received:
    log: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)          # (name, occurrence) -> checks.Record
    raw: list = field(default_factory=list)              # (meta dict, value bytes, expected bytes)
    problems: list = field(default_factory=list)


class StreamReader(threading.Thread):
    """Drain a pipe into memory, keeping at most `cap` bytes; call `on_overflow` once beyond."""

    def __init__(self, fd: int, cap: int = MAX_STREAM_BYTES, on_overflow=None):
        super().__init__(daemon=True)
        self.fd, self.cap, self.on_overflow = fd, cap, on_overflow
        self.data = bytearray()
        self.overflow = False
        self.received = 0

    def run(self) -> None:
        try:
            while True:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                self.received += len(chunk)
                room = self.cap - len(self.data)
                if len(chunk) > room:
                    self.data += chunk[:max(room, 0)]
                    self.overflow = True
                    if self.on_overflow is not None:
                        self.on_overflow()
                    break              # the writer now fails (EPIPE) and its run ends
                self.data += chunk
        except OSError:
            pass
        finally:
            os.close(self.fd)


def _parts(payload: bytes, n: int) -> list[bytes]:
    parts, pos = [], 0
    for _ in range(n):
        if len(payload) - pos < PART.size:
            raise ValueError("truncated record")
        (size,) = PART.unpack_from(payload, pos)
        pos += PART.size
        if size > len(payload) - pos:
            raise ValueError("truncated record")
        parts.append(bytes(payload[pos:pos + size]))
        pos += size
    if pos != len(payload):
        raise ValueError("trailing bytes in a record")
    return parts


def _valid_log(raw: bytes) -> dict | None:
    if len(raw) > MAX_LOG_BYTES:
        return None
    try:
        log = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(log, dict) or not isinstance(log.get("cells"), list):
        return None
    return log


def parse(data: bytes) -> Received:
    """Frames -> run log, records and problems. Never raises for what is in `data`."""
    got = Received()
    view = memoryview(data)
    pos = 0
    n_records = 0
    while pos < len(view):
        if len(view) - pos < HEADER.size:
            got.problems.append("the stream ends inside a frame header")
            break
        kind, size = HEADER.unpack_from(view, pos)
        pos += HEADER.size
        if size > len(view) - pos:
            got.problems.append("the stream ends inside a frame")
            break
        payload = bytes(view[pos:pos + size])
        pos += size
        if kind == b"L":
            log = _valid_log(payload)
            if log is None:
                got.problems.append("an unreadable run log")
            else:
                got.log = log
        elif kind == b"R":
            n_records += 1
            if n_records > checks.MAX_RECORDS:
                got.problems.append(f"more than {checks.MAX_RECORDS} records; the rest are ignored")
                break
            _add_record(got, payload)
        else:
            got.problems.append(f"an unknown frame kind {kind!r}; the rest of the stream is ignored")
            break
    return got


def _add_record(got: Received, payload: bytes) -> None:
    try:
        meta_raw, value, expected = _parts(payload, 3)
        if len(meta_raw) > checks.MAX_JSON_BYTES:
            raise ValueError("record JSON over the size limit")
        blobs = {"value.npy": value, "expected.npy": expected}

        def load(fname):
            blob = blobs.get(fname) if isinstance(fname, str) else None
            if not blob:
                raise ValueError("a record names data that was not sent")
            return checks.npy_from_bytes(blob)

        rec = checks._parse_record(None, meta_raw, load=load)
        meta = json.loads(meta_raw.decode("utf-8"))
    except Exception as exc:  # garbage of any kind is a problem, never a crash
        got.problems.append(f"unreadable record ({type(exc).__name__}: {str(exc)[:200]})")
        return
    got.raw.append((meta, value, expected))
    if rec.key in got.records:
        got.problems.append(f"check {rec.name!r} (occurrence {rec.occurrence}) recorded twice")
        got.records[rec.key] = checks.Record(name=rec.name, occurrence=rec.occurrence, kind=rec.kind,
                                             error="the check was recorded twice (conflicting records)")
    else:
        got.records[rec.key] = rec


def encode_record(meta: bytes, value: bytes = b"", expected: bytes = b"") -> bytes:
    """One ``R`` frame (used by tests; the sandbox runner has its own copy of this format)."""
    body = b"".join(PART.pack(len(p)) + p for p in (meta, value, expected))
    return HEADER.pack(b"R", len(body)) + body


def encode_log(log: dict) -> bytes:
    body = json.dumps(log).encode()
    return HEADER.pack(b"L", len(body)) + body


def write_out(out_dir: Path, got: Received) -> None:
    """Write what the grader received as `run.json` + `records/` (nnkit.checks' format).

    The files are written by the grader, with names the grader chooses, into a folder no
    sandbox sees; `nnkit.checks.load_records(out_dir / "records")` reads them back.
    """
    records = Path(out_dir) / "records"
    records.mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "run.json").write_text(json.dumps(got.log))
    for i, (meta, value, expected) in enumerate(got.raw):
        meta = dict(meta)
        for key, blob in (("value", value), ("expected", expected)):
            if meta.get(key) is not None:
                meta[key] = f"{i:05d}.{key}.npy"
                (records / meta[key]).write_bytes(blob)
        (records / f"{i:05d}.json").write_text(json.dumps(meta))
