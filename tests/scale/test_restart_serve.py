"""``ilograph serve`` restarted on an unchanged release reuses it and its on-disk store without
reading them again; a changed source, or a release file changed behind its back, is noticed.

The evidence is the server's own account of its start (its log lines), the store's marker left
untouched, and the checks that a stamp spares: with a matching stamp, ``release_is_current``
answers without hashing any file (the hashing functions are made to fail to prove it)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest

from ilograph import release as release_module
from ilograph.project import open_project
from ilograph.serve import prepare
from ilograph.store import (
    STORE_MARKER,
    InProcessStore,
    Job,
    default_store_dir,
    open_disk_store,
    prepare_disk_store,
    release_is_current,
)

from ..web.conftest import start_server

ADDED = ('\n<https://w3id.org/ilograph/id/unit/coop> <http://www.w3.org/2000/01/rdf-schema#comment> '
         '"a sentence added by the restart test"@en .\n')
ASK_ADDED = ('ASK { <https://w3id.org/ilograph/id/unit/coop> <http://www.w3.org/2000/01/rdf-schema#comment> '
             '"a sentence added by the restart test"@en }')


def answers(url: str, triples: int) -> None:
    """The endpoint and a resource page answer as they should."""
    r = httpx.get(url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, timeout=30)
    assert r.status_code == 200 and int(r.json()["results"]["bindings"][0]["n"]["value"]) == triples
    page = httpx.get(url + "/id/unit/coop.html", timeout=30)
    assert page.status_code == 200 and "Cooperatives" in page.text


def test_a_restart_reuses_the_release_and_the_store(copy_project, tmp_path: Path) -> None:
    root = copy_project()
    first = start_server(root, tmp_path / "first.log", "--workers", "2", ready_within=600)  # builds first
    try:
        triples = json.loads((root / "dist" / "release.json").read_text())["triples"]
        answers(first.url, triples)
    finally:
        assert first.stop() == 0
    assert "building the release" in first.output() and "loaded in" in first.output()
    marker = default_store_dir(open_project(root)) / STORE_MARKER
    held, stamp = marker.read_bytes(), marker.stat().st_mtime_ns
    assert json.loads(held)["triples"] == triples

    second = start_server(root, tmp_path / "second.log", "--workers", "2")
    try:
        answers(second.url, triples)
    finally:
        assert second.stop() == 0
    log = second.output()
    assert "is up to date" in log and "already holds this release" in log, log
    assert "building the release" not in log and "loaded in" not in log and "loading" not in log, log
    assert marker.read_bytes() == held and marker.stat().st_mtime_ns == stamp  # the store was not touched


def test_an_unchanged_release_is_recognised_without_reading_it(copy_project, monkeypatch) -> None:
    project = open_project(copy_project())
    prepare(project, None, say=lambda m: None)  # builds, and stamps what it built
    dist = project.root / "dist"

    def never(*args, **kwargs):
        raise AssertionError("a file was hashed although nothing changed")

    monkeypatch.setattr(release_module, "sources_digest", never)
    monkeypatch.setattr(release_module, "verify", never)
    assert release_is_current(project, dist)  # stat calls only

    source = project.root / "data" / "seed-001-cooperatives-unit.ttl"
    os.utime(source)  # touched, not changed: the stamp no longer matches, so the full check runs
    with pytest.raises(AssertionError, match="hashed"):
        release_is_current(project, dist)
    monkeypatch.undo()
    assert release_is_current(project, dist)  # the full check passes and stamps it again
    monkeypatch.setattr(release_module, "sources_digest", never)
    monkeypatch.setattr(release_module, "verify", never)
    assert release_is_current(project, dist)


def test_a_changed_source_rebuilds_the_release_and_the_store(copy_project) -> None:
    project = open_project(copy_project())
    store_dir = default_store_dir(project)
    said: list[str] = []
    before = prepare(project, None, say=said.append)
    assert prepare_disk_store(store_dir, before) is False

    source = project.root / "data" / "seed-001-cooperatives-unit.ttl"
    source.write_text(source.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    said.clear()
    after = prepare(project, None, say=said.append)
    assert any("building the release" in m for m in said), said
    assert after.id != before.id
    assert prepare_disk_store(store_dir, after) is False  # loaded again
    held = open_disk_store(store_dir)
    assert held is not None and held.release == after.id
    store = InProcessStore(after, held.open())
    answer = asyncio.run(store.run(Job(query=ASK_ADDED, format="json", max_rows=10, base_iri=after.base)))
    assert json.loads(answer.body)["boolean"] is True
    assert prepare_disk_store(store_dir, after) is True  # and reused from then on


def test_a_corrupted_release_file_is_noticed_and_rebuilt(copy_project) -> None:
    project = open_project(copy_project())
    built = prepare(project, None, say=lambda m: None)
    dist = project.root / "dist"
    assert release_is_current(project, dist)
    victim = built.triples_file
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x20  # one letter's case: same size
    times = victim.stat()
    victim.chmod(0o644)
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(times.st_atime_ns, times.st_mtime_ns))  # even the modification time put back
    assert release_module.verify(dist.resolve())  # the file is indeed corrupt
    assert not release_is_current(project, dist)  # the stamp (change time) no longer matches: checked in full
    said: list[str] = []
    rebuilt = prepare(project, None, say=said.append)
    assert any("building the release" in m for m in said), said
    assert release_module.verify(dist.resolve()) == [] and rebuilt.id == built.id
    assert release_is_current(project, dist)
