"""Fixtures of the linked-data tests: the shipped project's release (built once per session by
tests/conftest.py), a real ``ilograph serve`` of it on 127.0.0.1, a client, and the release opened
for publication (what the server should answer is checked against it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ilograph.pages import Publication

from ..web.conftest import Server, start_server

ROOT = Path(__file__).resolve().parents[2]
#: the row cap of the test server: low, so that a result is cut
MAX_ROWS = 200
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="session")
def live(release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``ilograph serve`` of the shipped project, serving the session's release (up to date, so
    reused, not rebuilt)."""
    running = start_server(ROOT, tmp_path_factory.mktemp("linked-logs") / "serve.log", "--out", str(release.path),
                           "--workers", "2", "--timeout", "5", "--max-rows", str(MAX_ROWS))
    yield running
    code = running.stop()
    assert code == 0, f"ilograph serve exited with {code} after Ctrl-C:\n{running.output()}"


@pytest.fixture(scope="session")
def http(live: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="session")
def publication(release) -> Publication:
    return Publication.open(release.path)
