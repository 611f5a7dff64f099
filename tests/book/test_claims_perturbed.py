"""Every claim of the book can fail: perturbing its measured values makes it false.

While the book builds, `_ext/claim_record.py` has each page's kernel record its claims in
`_build/claims/<page>.json` (`make chapter CH=...` or `make book` writes them). Here every
check of every claim is re-evaluated with its measured values moved by 10 % and by the check's
own margin, up and down (`nnkit.book.claims.audit`). A check that still holds under every
perturbation cannot fail (vacuous); a two-sided check that fails only one way is weak. Both are
listed with their sentence, to be rewritten.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nnkit.book.claims import Check, audit

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "_build" / "claims"
PAGES = sorted(p for p in [*ROOT.glob("chapters/*.md"), *ROOT.glob("*.md")]
               if re.search(r"(?<![\w.])claim\(", p.read_text()))


def record_of(page: Path) -> dict:
    record = RECORDS / page.relative_to(ROOT).with_suffix(".json")
    if not record.exists():
        pytest.skip(f"{record.relative_to(ROOT)} is missing: build the page first "
                    f"(make chapter CH={page.relative_to(ROOT)})")
    if record.stat().st_mtime < page.stat().st_mtime:
        pytest.fail(f"{record.relative_to(ROOT)} is older than {page.relative_to(ROOT)}: "
                    "rebuild the page so that its claims are recorded again")
    return json.loads(record.read_text())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_claim_fails_when_its_values_are_perturbed(page):
    claims = record_of(page)["claims"]
    in_source = len(re.findall(r"(?<![\w.])claim\(", page.read_text()))
    assert len(claims) >= in_source, (
        f"{page.name}: {len(claims)} claims recorded, {in_source} calls in the source; "
        "rebuild the page (a cached run does not record)")
    problems = []
    for entry in claims:
        for data in entry["checks"]:
            problem = audit(Check.from_json(data))
            if problem:
                problems.append(f"- \"{entry['sentence']}\"\n    {problem}")
    assert not problems, (f"{page.name}: {len(problems)} checks cannot fail as their sentence "
                          "says; rewrite them:\n" + "\n".join(problems))
