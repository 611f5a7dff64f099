"""Read a submitted notebook defensively and rebuild the notebook that will run.

The notebook that runs is the instructor's source notebook (instructions, setup and test cells,
hidden tests included) with only the *answer* cells (nbgrader ``solution: true``) taken from the
student, matched by nbgrader ``grade_id``. Whatever the student did to the other cells is logged
as a flag and has no effect on the tests.
"""

from __future__ import annotations

import ast
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 20 * 2**20


class InvalidNotebook(ValueError):
    """The submission cannot be read as a notebook; the message says why."""


@dataclass
class Rebuilt:
    notebook: nbformat.NotebookNode
    cell_ids: list[str | None]              # grade_id of each cell of `notebook` (or None)
    flags: list[str] = field(default_factory=list)


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def is_answer(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.get("cell_type") == "code"


def read_submission(path: Path) -> tuple[nbformat.NotebookNode, list[str]]:
    """Parse a submitted notebook file (size-limited, nbformat 3 upgraded). Raise InvalidNotebook."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"{path.name} is {size / 2**20:.0f} MB, over the "
                              f"{MAX_NOTEBOOK_BYTES // 2**20} MB limit (clear the outputs and resubmit)")
    return parse_submission(path.read_bytes(), path.name)


def parse_submission(data: bytes, name: str) -> tuple[nbformat.NotebookNode, list[str]]:
    """Parse the bytes of a submitted notebook called `name`. Raise InvalidNotebook."""
    flags: list[str] = []
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"{name} is {len(data) / 2**20:.0f} MB, over the "
                              f"{MAX_NOTEBOOK_BYTES // 2**20} MB limit (clear the outputs and resubmit)")
    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InvalidNotebook(f"{name} is not valid notebook JSON ({str(exc)[:200]})") from None
    if not isinstance(raw, dict):
        raise InvalidNotebook(f"{name} is JSON but not a notebook")
    major = raw.get("nbformat")
    if major != 4:
        flags.append(f"nbformat {str(major)[:20]} notebook converted to nbformat 4")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:
        raise InvalidNotebook(f"{name} is not a readable notebook ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
            isinstance(c, dict) and isinstance(c.get("source", ""), str) for c in cells):
        raise InvalidNotebook(f"{name} has no readable list of cells")
    return nb, flags


INSTALL_TAG = "nnkit-install"           # tools/notebook_setup.py: the book's own set-up cell


def is_install_cell(cell) -> bool:
    """The install cell that the book's downloadable copy has and the course release has not."""
    tags = cell.get("metadata", {}).get("tags", [])
    return (isinstance(tags, list) and INSTALL_TAG in tags) or cell.get("id") == "install-nnkit"


def syntax_problem(source: str) -> str | None:
    """'SyntaxError at line N of the cell: ...' in the cell's own line numbers, or None.

    Compiled in the grader (never run), after IPython's own transformations (magics), so the
    line is the one the author sees in the cell, whatever the runner adds before it."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        code = TransformerManager().transform_cell(source)
    except SyntaxError as exc:
        return f"{type(exc).__name__} at line {exc.lineno} of the cell: {exc.msg}"
    except Exception:  # noqa: BLE001 - IPython could not read it: say nothing rather than guess
        return None
    try:
        compile(code, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        text = (exc.text or "").strip()[:120]
        return (f"{type(exc).__name__} at line {exc.lineno} of the cell: {exc.msg}"
                + (f" ({text!r})" if text else ""))
    except (ValueError, OverflowError, RecursionError, MemoryError):
        return None
    return None


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def rebuild(source_nb, release_nb, student_nb) -> Rebuilt:
    """Instructor cells from `source_nb`, answer cells from `student_nb` (see module doc)."""
    flags: list[str] = []
    released = {grade_id(c): c for c in release_nb.cells if grade_id(c)}
    by_id: dict[str, list[int]] = {}
    for i, cell in enumerate(student_nb.cells):
        gid = grade_id(cell)
        if gid is not None:
            by_id.setdefault(gid, []).append(i)
    source_ids = [grade_id(c) for c in source_nb.cells]
    known = {g for g in source_ids if g}
    # unmarked instructor cells come back in every submission: not the student's extra code.
    # They are known by their source (as in the source or as nbgrader released it) and by
    # their notebook cell id; an unmarked cell the student edited runs as the student left it,
    # as in nbgrader, which keeps unmarked cells as submitted.
    unmarked_at = [i for i, (c, g) in enumerate(zip(source_nb.cells, source_ids))
                   if g is None and c.get("cell_type") == "code"]
    released_unmarked = [c for c in release_nb.cells if grade_id(c) is None and c.get("cell_type") == "code"]
    unmarked = {_norm(source_nb.cells[i].get("source", "")) for i in unmarked_at}
    unmarked |= {_norm(c.get("source", "")) for c in released_unmarked}
    by_cell_id = {source_nb.cells[i].get("id"): i for i in unmarked_at if source_nb.cells[i].get("id")}
    for rc in released_unmarked:         # nbgrader keeps the ids; match a released cell to the source's
        if rc.get("id") and rc.get("id") not in by_cell_id:
            hit = [i for i in unmarked_at if _norm(source_nb.cells[i].get("source", "")) == _norm(rc.get("source", ""))]
            if len(hit) == 1:
                by_cell_id[rc["id"]] = hit[0]
    edited_unmarked: dict[int, str] = {}

    # the student's own extra code cells, keyed by the last known cell before them
    extras: dict[str | None, list] = {}
    anchor: str | None = None
    n_extra = 0
    for cell in student_nb.cells:
        gid = grade_id(cell)
        if gid in known:
            anchor = gid
        elif gid is None and cell.get("cell_type") == "code" and is_install_cell(cell):
            continue                     # the book's install cell: not part of the course
        elif gid is None and cell.get("cell_type") == "code" and by_cell_id.get(cell.get("id")) is not None:
            i = by_cell_id[cell.get("id")]
            if _norm(cell.get("source", "")) not in unmarked:
                edited_unmarked[i] = cell.get("source", "")
        elif cell.get("cell_type") == "code" and cell.get("source", "").strip() and not (
                gid is None and _norm(cell.get("source", "")) in unmarked):
            extras.setdefault(anchor, []).append(cell)
            n_extra += 1
            if gid is not None:
                flags.append(f"cell with unknown grade_id {gid!r} kept as an extra cell")

    cells, ids = [], []

    def add_extras(key):
        for extra in extras.get(key, []):
            cells.append(nbformat.v4.new_code_cell(extra.get("source", "")))
            ids.append(None)

    add_extras(None)
    for index, (src, gid) in enumerate(zip(source_nb.cells, source_ids)):
        new = copy.deepcopy(src)
        if index in edited_unmarked:
            new["source"] = edited_unmarked[index]
            flags.append(f"edited unmarked cell {index} (the student's version runs, as in nbgrader)")
        new.pop("outputs", None) if new.get("cell_type") != "code" else new.update(outputs=[])
        if new.get("cell_type") == "code":
            new["execution_count"] = None
        hits = by_id.get(gid, []) if gid else []
        if gid and len(hits) > 1:
            flags.append(f"duplicated cell {gid!r} ({len(hits)} copies; the last one is used"
                         + (")" if is_answer(src) else " only for comparison)"))
        if gid and is_answer(src):
            stub = released.get(gid, src)
            if not hits:
                flags.append(f"deleted answer cell {gid!r} (the empty stub runs instead)")
                new["source"] = stub.get("source", "")
            else:
                mine = student_nb.cells[hits[-1]]
                if mine.get("cell_type") != src.get("cell_type"):
                    flags.append(f"answer cell {gid!r} changed to {mine.get('cell_type')} (the stub runs)")
                    new["source"] = stub.get("source", "")
                else:
                    new["source"] = mine.get("source", "")
        elif gid and src.get("cell_type") == "code":
            kind = "test cell" if is_test(src) else "locked cell"
            if not hits:
                flags.append(f"deleted {kind} {gid!r} (restored)")
            elif gid in released and _norm(student_nb.cells[hits[-1]].get("source", "")) != _norm(
                    released[gid].get("source", "")):
                flags.append(f"edited {kind} {gid!r} (the original runs)")
        cells.append(new)
        ids.append(gid)
        if gid:
            add_extras(gid)
    if n_extra:
        flags.append(f"{n_extra} extra code cell(s) added by the student (kept in place)")

    order = [g for g in (grade_id(c) for c in student_nb.cells) if g in known]
    first_seen = list(dict.fromkeys(order))
    expected_order = [g for g in source_ids if g in set(first_seen)]
    if first_seen != expected_order:
        flags.append("cells moved (the original order runs)")

    spec = (student_nb.get("metadata", {}).get("kernelspec") or {}).get("name")
    want = (source_nb.get("metadata", {}).get("kernelspec") or {}).get("name", "python3")
    if spec is not None and spec != want:
        flags.append(f"kernelspec changed to {str(spec)[:40]!r} (ignored)")
    taken = {c.get("id") for c in cells if c.get("id")}
    for i, cell in enumerate(cells):      # cells of an nbformat 4.0-4.4 source have no id
        if not cell.get("id"):
            cell["id"] = next(name for name in (f"cell-{i}-{n}" for n in range(len(cells) + 1))
                              if name not in taken)
            taken.add(cell["id"])
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(source_nb.get("metadata", {})))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return Rebuilt(notebook=nb, cell_ids=ids, flags=flags)
