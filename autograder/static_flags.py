"""Static flags: an answer that calls nnkit's own implementation of what it was asked to write.

For each answer cell, the names it defines (``def relu``) are compared with the names it uses
from nnkit (``from nnkit.functional import relu``, ``nnkit.functional.relu``,
``F.relu`` with ``import nnkit.functional as F``). Per assignment, ``autograder.json`` in the
source folder may list more dotted names to flag, or switch the check off::

    {"static_flags": {"enabled": true, "forbidden": ["nnkit.functional.relu", "nnkit.ReLU"]}}

A flag is information for the instructor; it never changes the score.
"""

from __future__ import annotations

import ast

from autograder.rebuild import grade_id, is_answer


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def nnkit_uses(source: str) -> tuple[set[str], set[str]]:
    """(dotted nnkit names the code uses, names the code defines). Unparsable code: empty."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set(), set()
    aliases: dict[str, str] = {}        # local name -> dotted nnkit name
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "nnkit":
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else "nnkit"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nnkit":
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
    used: set[str] = set(aliases.values())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            dotted = _dotted(node)
            if dotted:
                head, _, rest = dotted.partition(".")
                if head in aliases:
                    used.add(aliases[head] + ("." + rest if rest else ""))
        elif isinstance(node, ast.Call) and _dotted(node.func) in ("__import__", "importlib.import_module"):
            if node.args and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("nnkit"):
                used.add(str(node.args[0].value))
    return used, defined


def static_flags(notebook, cell_ids: list, source_nb, config: dict) -> list[str]:
    settings = config.get("static_flags", {}) if isinstance(config, dict) else {}
    if settings.get("enabled", True) is False:
        return []
    forbidden = {str(f) for f in settings.get("forbidden", [])}
    answers = {grade_id(c) for c in source_nb.cells if is_answer(c)}
    flags = []
    for cell, gid in zip(notebook.cells, cell_ids):
        if cell.get("cell_type") != "code" or (gid is not None and gid not in answers):
            continue
        used, defined = nnkit_uses(cell.get("source", ""))
        hits = sorted(u for u in used if u.rsplit(".", 1)[-1] in defined or u in forbidden
                      or any(u.startswith(f + ".") for f in forbidden))
        if hits:
            where = f"answer cell {gid!r}" if gid else "an extra cell"
            flags.append(f"{where} uses nnkit's own {', '.join(hits)[:200]} (static check)")
    return flags
