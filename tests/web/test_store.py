"""The store behind the service: releases that are reused while current, the on-disk store kept
in step with the release, and ``ilograph serve``'s exit codes when it cannot start."""

from __future__ import annotations

import io
import shutil
import socket
from pathlib import Path

import httpx
import pytest

from ilograph.cli import main
from ilograph.errors import InputError
from ilograph.project import open_project
from ilograph.store import STORE_MARKER, prepare_disk_store, read_release, release_is_current

from .conftest import start_server


def test_release_is_current(web_project: Path, web_release, tmp_path: Path) -> None:
    assert release_is_current(open_project(web_project), web_project / "dist")
    copy = tmp_path / "copy"
    shutil.copytree(web_project, copy, symlinks=True)
    assert release_is_current(open_project(copy), copy / "dist")
    (copy / "data" / "people.ttl").write_text((copy / "data" / "people.ttl").read_text() + "\n# changed\n")
    assert not release_is_current(open_project(copy), copy / "dist")
    assert not release_is_current(open_project(copy), tmp_path / "nowhere")


def test_a_release_of_an_older_layout_is_not_current(web_project: Path, web_release, tmp_path: Path) -> None:
    """A release written by an older ilograph (an intact folder from the same sources, but without
    files or fields this version writes) is rebuilt, not served as current."""
    import hashlib
    import json

    copy = tmp_path / "copy"
    shutil.copytree(web_project, copy, symlinks=True)
    shutil.rmtree(copy / ".ilograph", ignore_errors=True)  # no stamp: the full check runs
    folder = (copy / "dist").resolve()
    assert folder.is_relative_to(copy) and release_is_current(open_project(copy), copy / "dist")
    shutil.rmtree(copy / ".ilograph", ignore_errors=True)
    manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    manifest["layout"] = manifest["layout"] - 1
    (folder / "release.json").write_text(json.dumps(manifest), encoding="utf-8")
    digest = hashlib.sha256((folder / "release.json").read_bytes()).hexdigest()
    sums = [line if not line.endswith(" release.json") and not line.endswith("*release.json")
            else f"{digest}  release.json" for line in (folder / "SHA256SUMS").read_text().splitlines()]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    from ilograph.release import verify

    assert not [p for p in verify(folder) if "release.json" in p or "SHA256SUMS" in p]  # intact, just older
    assert not release_is_current(open_project(copy), copy / "dist")


def test_read_release(web_release) -> None:
    assert web_release.quads_file.is_file() and web_release.quads_file.suffix == ".nq"
    assert web_release.base == "https://example.org/g/" and len(web_release.id) == 16
    with pytest.raises(InputError):
        read_release(web_release.folder / "nothing")


def test_disk_store_is_reused_for_the_same_release(web_release, tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert prepare_disk_store(store, web_release) is False
    assert (store / STORE_MARKER).is_file()
    assert prepare_disk_store(store, web_release) is True
    (store / STORE_MARKER).write_text('{"release": "0000000000000000"}')
    assert prepare_disk_store(store, web_release) is False  # another release: loaded again
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not an ilograph store"):
        prepare_disk_store(other, web_release)


def test_serve_with_an_on_disk_store(web_project: Path, web_release, tmp_path: Path) -> None:
    store = tmp_path / "store"
    for attempt in ("loaded in", "already holds this release"):
        server = start_server(web_project, tmp_path / f"{attempt[:6]}.log", "--store", str(store), "--workers", "2")
        try:
            r = httpx.get(server.sparql, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, timeout=30)
            assert r.status_code == 200
            assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == web_release.triples
        finally:
            assert server.stop() == 0
        assert attempt in server.output()
    assert "SPARQL endpoint at http://127.0.0.1:" in server.output()


def test_serve_refuses_sources_that_do_not_conform(web_project: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(web_project, broken, ignore=shutil.ignore_patterns("dist", ".dist.releases"))
    (broken / "data" / "bad.ttl").write_text("<https://example.org/g/x> <https://example.org/g/def#nope> 1 .\n")
    err = io.StringIO()
    assert main(["serve", "--project", str(broken), "--port", "1"], stdout=io.StringIO(), stderr=err) == 1
    assert "no release was written" in err.getvalue()


def test_serve_reports_a_port_in_use(web_project: Path, web_release) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        err = io.StringIO()
        code = main(["serve", "--project", str(web_project), "--port", str(taken.getsockname()[1])],
                    stdout=io.StringIO(), stderr=err)
    assert code == 2 and "cannot listen on 127.0.0.1" in err.getvalue()


@pytest.mark.parametrize("option", [["--timeout", "0"], ["--workers", "0"], ["--max-rows", "0"], ["--port", "70000"]])
def test_serve_checks_its_options(web_project: Path, option: list[str]) -> None:
    err = io.StringIO()
    assert main(["serve", "--project", str(web_project), *option], stdout=io.StringIO(), stderr=err) == 2
    assert "out of range" in err.getvalue()
