"""Page weight of a built book: bytes a reader downloads per page.

    python benchmarks/page_weight.py _build/html [other_build/html ...]

For every page (each .html outside _static, _sources, _images): the HTML itself, and the
local files it names in src="..." or <link href="..."> (images, scripts, stylesheets), each
counted once per page. Files loaded later by scripts (MathJax fonts, lazily loaded widgets)
are not counted. With two builds, prints both and the difference per page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

REF = re.compile(r'''(?:src|href)=["']([^"'#?]+)''')
LINK = re.compile(r"<link\b[^>]*>|<(?:img|script|source|iframe)\b[^>]*>", re.I)


def page_weights(root: Path) -> dict[str, tuple[int, int]]:
    """page -> (html bytes, html + referenced local files bytes)."""
    out = {}
    for page in sorted(root.rglob("*.html")):
        rel = page.relative_to(root)
        if any(part.startswith("_") for part in rel.parts):
            continue
        html = page.read_text(encoding="utf-8", errors="replace")
        files = set()
        for tag in LINK.findall(html):
            if tag.lower().startswith("<link") and "stylesheet" not in tag and "preload" not in tag:
                continue
            for ref in REF.findall(tag):
                if urlsplit(ref).scheme:
                    continue
                target = (page.parent / unquote(ref)).resolve()
                if target.is_file():
                    files.add(target)
        size = page.stat().st_size
        out[rel.as_posix()] = (size, size + sum(f.stat().st_size for f in files))
    return out


def main(args: list[str]) -> int:
    if not args:
        print(__doc__)
        return 2
    builds = [page_weights(Path(a)) for a in args]
    pages = sorted(set().union(*builds))
    head = "".join(f"{'html kB':>10}{'total kB':>10}" for _ in builds)
    print(f"{'page':40s}{head}" + ("  change of total" if len(builds) == 2 else ""))
    for p in pages:
        cells = "".join(f"{b[p][0] / 1e3:10.1f}{b[p][1] / 1e3:10.1f}" if p in b else f"{'-':>10}{'-':>10}"
                        for b in builds)
        change = ""
        if len(builds) == 2 and p in builds[0] and p in builds[1]:
            change = f"  {(builds[1][p][1] - builds[0][p][1]) / 1e3:+.1f} kB"
        print(f"{p:40s}{cells}{change}")
    for b, a in zip(builds, args):
        print(f"{a}: {len(b)} pages, total {sum(v[1] for v in b.values()) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
