"""Fetch the book's JavaScript (ipywidgets' HTML manager, require.js) into _vendor/.

Entries of package.json marked ``"serve": false`` (axe-core, the accessibility checker that
tests/book/test_accessibility.py runs in Chromium) are used by the tests only: they go to
tests/_vendor/ (TEST_DEST), which the book never serves.

The exact versions and their sha512 integrity are pinned in package.json; the tarballs come
from the npm registry through `npm pack` (a set-up step, like pip), and the built book then
serves them itself, so no page ever asks a CDN. Idempotent: does nothing when _vendor/ is
already complete for the pinned versions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "_vendor"
TEST_DEST = ROOT / "tests" / "_vendor"
STAMP = DEST / ".vendored.json"


def integrity_of(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch(name: str, spec: dict, workdir: Path) -> None:
    if shutil.which("npm") is None:
        sys.exit("vendor_js: `npm` was not found. Install Node.js and npm (Debian: apt-get install npm).")
    out = subprocess.run(
        ["npm", "pack", f"{name}@{spec['version']}", "--pack-destination", str(workdir), "--json"],
        check=True, capture_output=True, text=True,
    )
    tarball = workdir / json.loads(out.stdout)[0]["filename"]
    found = integrity_of(tarball)
    if found != spec["integrity"]:
        sys.exit(f"vendor_js: integrity mismatch for {name}@{spec['version']}: "
                 f"pinned {spec['integrity']}, downloaded {found}. Refusing to vendor it.")
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir / name.replace("/", "_"), filter="data")
    unpacked = workdir / name.replace("/", "_")
    dest = DEST if spec.get("serve", True) else TEST_DEST
    for src_rel, dst_rel in spec["copy"].items():
        src, dst = unpacked / src_rel, dest / dst_rel
        if "*" in src_rel:  # a glob: copy the matching files into the folder dst
            dst.mkdir(parents=True, exist_ok=True)
            for match in sorted(unpacked.glob(src_rel)):
                shutil.copy2(match, dst / match.name)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, ignore=lambda _d, names: [
                n for n in names if any(n.endswith(s) for s in spec["skip"])])
        else:
            shutil.copy2(src, dst)


def main() -> None:
    pins = json.loads((ROOT / "package.json").read_text())["vendor"]
    test_only = [TEST_DEST / dst for spec in pins.values() if not spec.get("serve", True)
                 for dst in spec["copy"]]
    if (STAMP.exists() and json.loads(STAMP.read_text()) == pins
            and all(path.exists() for path in test_only)):
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in pins.items():
            fetch(name, spec, Path(tmp))
    DEST.mkdir(exist_ok=True)
    STAMP.write_text(json.dumps(pins, indent=1))
    print(f"vendored {', '.join(pins)} into {DEST.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
