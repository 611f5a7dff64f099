"""Shared fixtures: paths, and the built book served on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK_HTML = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
# Chromium as root in a container, with every background connection switched off.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def book_html() -> Path:
    """The built book; `make test` builds it before pytest runs."""
    if not (BOOK_HTML / "index.html").exists():
        pytest.fail("The built book is missing: run `make book` (or `make test`, which builds it first).")
    return BOOK_HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 on a free port; returns (base_url, server)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


@pytest.fixture(scope="session")
def book_url(book_html):
    url, server = serve(book_html)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by playwright (never `playwright install`)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make env)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def jupyter_book() -> str:
    exe = shutil.which("jupyter-book", path=str(Path(__import__("sys").executable).parent))
    if exe is None:
        pytest.fail("jupyter-book is not installed in this environment: run `make env`.")
    return exe
