"""Quality measures of the exercises' tests, beyond "every mutation fails a hidden check".

- `catch_rates`: per part (answer cell), the share of its catalogue mutations that its own
  *visible* checks already catch, i.e. that a student sees fail before grading. Mutations
  marked ``"hidden_only": "<why>"`` in ``mutations.py`` (and ``hardcode``) are excluded by
  design: typing in the visible answers passes the visible checks on purpose.
- `leaked_fragments`: pieces of solution code that a student version shows anyway, found
  after normalising both sides (comments and whitespace removed), including the
  sub-expressions of a solution line (``A @ W.T`` in a hint gives away ``A @ W.T + b``).
- `stochastic_cells` / `seed_offsets`: the answers that draw random numbers, which the
  seed-robustness test re-runs with shifted seeds and valid alternative implementations.

See exercises/README.md, "The harness".
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

import exercise_harness as harness

HARDCODE = "hardcode"
CATCH_RATE_MIN = 0.8
SEED_OFFSETS = (0, 1, 2, 3, 4)        # the seed-robustness test runs every offset
CATCH_REPORT: dict[str, list[str]] = {}   # filled by the tests, printed by conftest's summary
RANDOM_RE = re.compile(r"\brng\b|default_rng|\bseed\b|random\.")


# ---------------------------------------------------------------------------- catch rate
def part_test_cell(nb, answer_id: str) -> str | None:
    """The grade_id of the first test cell after the answer cell `answer_id` (its part's test)."""
    seen = False
    for cell in nb.cells:
        if harness.grade_id(cell) == answer_id and harness.is_answer(cell):
            seen = True
        elif seen and harness.is_test(cell):
            return harness.grade_id(cell)
    return None


def caught_by_visible(ev, mutation: dict) -> bool:
    """True if a visible check of the mutated part's test cell fails (or never runs)."""
    test_id = part_test_cell(ev.source, mutation["cell"])
    run = ev.mutation_runs[mutation["name"]]
    submitted = ev.records_of(run)
    from nnkit import checks

    for key, ref in ev.reference_records.items():
        if ref.cell != test_id or checks.is_hidden(key[0]):
            continue
        if not checks.compare(ref, submitted.get(key)).passed:
            return True
    return False


@dataclass
class PartRate:
    part: str
    counted: list[str]
    caught: list[str]

    @property
    def rate(self) -> float:
        return len(self.caught) / len(self.counted) if self.counted else 1.0

    def line(self) -> str:
        missed = sorted(set(self.counted) - set(self.caught))
        text = f"{self.part:<22} {len(self.caught)}/{len(self.counted)} = {self.rate:4.0%}"
        return text + (f"  (missed: {', '.join(missed)})" if missed else "")


def counted_mutations(mutations: list[dict]) -> list[dict]:
    return [m for m in mutations if m["name"] != HARDCODE and not m.get("hidden_only")]


def catch_rates(ev) -> dict[str, PartRate]:
    """Per answer cell with counted mutations: which of them the visible checks catch."""
    rates: dict[str, PartRate] = {}
    for m in counted_mutations(ev.mutations):
        rate = rates.setdefault(m["cell"], PartRate(m["cell"], [], []))
        rate.counted.append(m["name"])
        if caught_by_visible(ev, m):
            rate.caught.append(m["name"])
    return rates


# ---------------------------------------------------------------------------- leaks
def _strip_comments(source: str) -> str:
    """`source` without comments (tokenize-exact when it parses, else a regex fallback)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type != tokenize.COMMENT]
        return tokenize.untokenize(tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return re.sub(r"#.*", "", source)


def normalise(text: str) -> str:
    """Whitespace and quotes removed, so that spacing or quoting never hides a match."""
    return re.sub(r"[\s\"'`]", "", text)


def _leaves(node: ast.AST) -> int:
    return sum(isinstance(n, (ast.Name, ast.Constant)) for n in ast.walk(node))


def _significant(node: ast.AST) -> bool:
    """A sub-expression that gives code away: a matrix product of two names (``A @ W.T``,
    ``delta.T @ h_prev``), or an operation, comparison, call or index over three or more
    names and numbers (``gamma * v + lr * grad``, ``(lo + hi) / 2``, ``H[:, t - 1]``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return _leaves(node) >= 2
    if isinstance(node, (ast.BinOp, ast.Compare, ast.Call, ast.Subscript, ast.BoolOp)):
        return _leaves(node) >= 3
    return False


def solution_fragments(nb) -> dict[str, str]:
    """Normalised solution lines and their significant sub-expressions -> the original line."""
    fragments: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        inside = False
        for line in cell.source.splitlines():
            marker = harness.SOLUTION_RE.search(line)
            if marker:
                inside = marker.group(1) == "BEGIN"
                continue
            if not inside:
                continue
            code = _strip_comments(line).strip()
            try:
                tree = ast.parse(code.rstrip(":") + (" pass" if code.endswith(":") else ""))
            except SyntaxError:
                try:
                    tree = ast.parse(code.removeprefix("return ").strip())
                except SyntaxError:
                    continue
            if _leaves(tree) >= 3 and len(normalise(code)) >= 8:   # the whole line
                fragments.setdefault(normalise(code), line.strip())
            for node in ast.walk(tree):
                if isinstance(node, ast.expr) and _significant(node):
                    text = normalise(ast.unparse(node))
                    if len(text) >= 5:
                        fragments.setdefault(text, line.strip())
    return fragments


def given_code(nb) -> str:
    """Normalised code the student is given: code cells outside solution and hidden regions."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code" or harness.is_test(cell):
            continue
        region = False
        for line in cell.source.splitlines():
            if harness.SOLUTION_RE.search(line):
                region = not region
                continue
            if not region:
                code = _strip_comments(line)
                parts.append(normalise(code))
                try:
                    for node in ast.walk(ast.parse(code.strip().removeprefix("return "))):
                        if isinstance(node, ast.expr):
                            parts.append(normalise(ast.unparse(node)))
                except SyntaxError:
                    pass
    return "\n".join(parts)


def _unparse_all(text: str) -> str:
    """Unparsed (normalised) sub-expressions of every line of `text` that parses as code."""
    out = []
    for line in text.splitlines():
        try:
            tree = ast.parse(_strip_comments(line).strip())
        except SyntaxError:
            continue
        out.extend(normalise(ast.unparse(n)) for n in ast.walk(tree) if isinstance(n, ast.expr))
    return "\n".join(out)


def student_text(student) -> str:
    """Everything a student reads, normalised per line: markdown, given code, visible tests,
    hints; inline code spans of markdown are also unparsed (so ``A@W.T`` matches ``A @ W.T``)."""
    lines = []
    for cell in student.cells:
        for line in cell.source.splitlines():
            lines.append(normalise(line))
        spans = re.findall(r"`([^`\n]+)`", cell.source)
        strings = re.findall(r"\"([^\"\n]*)\"|'([^'\n]*)'", cell.source)
        pieces = spans + [a or b for a, b in strings]
        lines.append(_unparse_all("\n".join(pieces)))
        if cell.cell_type == "code":
            lines.append(_unparse_all(cell.source))
    return "\n".join(lines)


def leaked_fragments(nb, student) -> dict[str, str]:
    """Solution fragments (normalised) found in the student version and not given anyway."""
    given = given_code(nb)
    text = student_text(student)
    return {frag: line for frag, line in solution_fragments(nb).items()
            if frag in text and frag not in given}


# ---------------------------------------------------------------------------- randomness
def stochastic_cells(nb) -> list[str]:
    """Answer cells whose solution draws random numbers (mentions rng, seed, default_rng)."""
    out = []
    for cell in nb.cells:
        if not harness.is_answer(cell):
            continue
        inside, hit = False, False
        for line in cell.source.splitlines():
            marker = harness.SOLUTION_RE.search(line)
            if marker:
                inside = marker.group(1) == "BEGIN"
                continue
            if inside and RANDOM_RE.search(_strip_comments(line)):
                hit = True
        if hit:
            out.append(harness.grade_id(cell))
    return out
