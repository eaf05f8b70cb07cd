"""Readers during a release swap (issue 5, item 6): while builds replace the release again and
again, a reader sees the old release or the new one, whole, never an error or a mix; a running
``ilograph serve`` keeps serving its own release, intact, however many builds happen beside it,
and the releases nobody serves any more are pruned."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import httpx

from ilograph.pin import pin
from ilograph.project import open_project
from ilograph.release import build, verify
from tests.web.conftest import start_server

LABEL_FILE = Path("data") / "seed-001-cooperatives-unit.ttl"


def _set_version(root: Path, n: int) -> None:
    """Make the sources differ between builds by one sourced fact (a new alternative label)."""
    path = root / LABEL_FILE
    text = path.read_text(encoding="utf-8").split("\n# swap-test\n")[0]
    path.write_text(text + f'\n# swap-test\nunit:coop skos:altLabel "ILO COOP {n}"@en .\n', encoding="utf-8")


def _sums(folder: Path) -> dict[str, str]:
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name.lstrip("*"): digest for digest, name in (line.split(None, 1) for line in lines)}


def _read_release(folder: Path) -> str:
    """Read a whole release as a server would: every file listed, each matching its checksum
    (:func:`ilograph.release.verify`). Returns the release id; raises AssertionError (or OSError)
    on anything inconsistent."""
    problems = verify(folder)
    assert not problems, f"{folder.name}: {problems}"
    manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    assert manifest["files"], folder
    return hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()[:16]


def test_readers_during_swaps_see_one_whole_release(copy_project, tmp_path: Path) -> None:
    root = copy_project()
    out = tmp_path / "dist"
    _set_version(root, 0)
    ids = {build(open_project(root), out).id}
    stop = threading.Event()
    seen: list[str] = []
    errors: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                # through the link, as a static file server would: each file whole, of some release
                manifest = json.loads((out / "release.json").read_text(encoding="utf-8"))
                assert manifest["triples"] > 0
                # a server resolves the link once and pins what it serves
                folder = out.resolve()
                with pin(folder):
                    if folder.is_dir():  # (pruned between resolve and pin: resolve again)
                        seen.append(_read_release(folder))
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for n in range(1, 6):  # five distinct releases: older ones get pruned while being read
            _set_version(root, n)
            ids.add(build(open_project(root), out).id)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:5]
    assert len(seen) > 5 and set(seen) <= ids
    assert len(set(seen)) >= 2, "the readers never overlapped a swap: the test proved nothing"
    kept = [p for p in (tmp_path / ".dist.releases").iterdir() if p.is_dir()]
    assert len(kept) == 2, f"unpinned old releases were not pruned: {sorted(p.name for p in kept)}"


def test_a_running_server_keeps_its_release_through_later_builds(copy_project, tmp_path: Path) -> None:
    root = copy_project()
    _set_version(root, 0)
    served = build(open_project(root)).path.resolve()
    sums = _sums(served)
    server = start_server(root, tmp_path / "serve.log")
    try:
        for n in range(1, 4):  # three newer releases: without its pin, the served one would be pruned
            _set_version(root, n)
            build(open_project(root))
        assert served.is_dir(), "a build pruned the release a running server serves"
        for name in ("SHA256SUMS", "release.json", *sorted(sums)[:6]):
            r = httpx.get(f"{server.url}/download/{name}", timeout=30)
            assert r.status_code == 200, (name, r.status_code, r.text[:200])
            if name in sums:
                assert hashlib.sha256(r.content).hexdigest() == sums[name], name
        r = httpx.get(server.sparql, params={"query": 'ASK { ?u <http://www.w3.org/2004/02/skos/core#altLabel> "ILO COOP 0"@en }'},
                      headers={"accept": "application/sparql-results+json"}, timeout=30)
        assert r.status_code == 200 and r.json()["boolean"] is True, "the server no longer answers from its release"
    finally:
        assert server.stop() == 0
    # once nobody serves it, the next build prunes it
    _set_version(root, 4)
    build(open_project(root))
    assert not served.exists(), "a release nobody serves any more was kept"
    assert not Path(f"{served}.pin").exists()
    assert sorted(p.suffix for p in served.parent.iterdir() if not p.is_dir()) == []
    assert os.path.islink(root / "dist")
