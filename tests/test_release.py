"""The release: every format re-parses (by an independent parser) to the sources' graph,
checksums hold, builds are deterministic and atomic."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from ilograph.errors import ReleaseError
from ilograph.release import build, verify
from tests.conftest import DUMP_FORMATS, parse_dump

FORMATS = DUMP_FORMATS


@pytest.fixture(scope="session")
def source_graph(sources):
    return sources.to_rdflib()


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_dump_reparses_isomorphic_to_sources(release, source_graph, suffix):
    parsed = parse_dump(release.path / f"ilograph.{suffix}")
    assert len(parsed) == len(source_graph)
    assert isomorphic(parsed, source_graph)


def test_gzip_copies_match(release):
    for suffix in FORMATS:
        plain = (release.path / f"ilograph.{suffix}").read_bytes()
        assert gzip.decompress((release.path / f"ilograph.{suffix}.gz").read_bytes()) == plain


def test_quads_keep_one_graph_per_source_file(release, sources):
    ds = rdflib.Dataset()
    ds.parse(release.path / "ilograph.nq", format="nquads")
    graphs = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert graphs == {f.graph for f in sources.files}


def test_ontology_dumps_hold_the_vocabulary_alone(release, sources):
    expected = sources.to_rdflib(("ontology",))
    for suffix, fmt in (("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")):
        parsed = rdflib.Graph().parse(release.path / f"ontology.{suffix}", format=fmt)
        assert isomorphic(parsed, expected), suffix


def test_jsonld_is_compact_and_self_contained(release):
    import json
    doc = json.loads((release.path / "ilograph.jsonld").read_text(encoding="utf-8"))
    context = json.loads((release.path / "context.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == context["@context"], "the dump inlines the published context (nothing to fetch)"
    coop = next(n for n in doc["@graph"] if n.get("id") == "unit:coop")
    assert coop["prefLabel"]["en"]
    assert "implements" in coop or "guidedBy" in coop


def test_sha256sums_is_accepted_by_sha256sum(release):
    names = {p.name for p in release.path.iterdir()} - {"SHA256SUMS"}
    listed = {line.split("  ", 1)[1] for line in (release.path / "SHA256SUMS").read_text().splitlines()}
    assert listed == names, "SHA256SUMS lists every file"
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=release.path, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    assert verify(release.path) == []


def test_verify_catches_a_corrupted_byte(release, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(release.path, copy)
    target = copy / "ilograph.nt"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert verify(copy) == ["ilograph.nt: checksum mismatch", "dcat.ttl: distribution ilograph.nt: checksum differs"]


def test_verify_checks_the_dcat_checksums_too(release, tmp_path):
    """A file replaced together with its SHA256SUMS line is still caught by the catalogue's checksums."""
    import hashlib
    copy = tmp_path / "copy"
    shutil.copytree(release.path, copy)
    target = copy / "ilograph.ttl"
    target.write_bytes(target.read_bytes() + b"# appended\n")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    sums = copy / "SHA256SUMS"
    sums.write_text("".join(f"{digest}  ilograph.ttl\n" if line.endswith("  ilograph.ttl") else line + "\n"
                            for line in sums.read_text().splitlines()))
    assert verify(copy) == ["dcat.ttl: distribution ilograph.ttl: byte size differs",
                            "dcat.ttl: distribution ilograph.ttl: checksum differs"]


def _build_in_subprocess(project_root: Path, out: Path, seed: str) -> None:
    env = dict(os.environ, PYTHONHASHSEED=seed, TZ="Pacific/Kiritimati" if seed == "1" else "UTC")
    done = subprocess.run([sys.executable, "-m", "ilograph", "build", "--project", str(project_root), "--out", str(out), "-q"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_two_builds_are_byte_identical(project, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _build_in_subprocess(project.root, a, "1")
    _build_in_subprocess(project.root, b, "4242")
    files_a = sorted(p.name for p in a.iterdir())
    assert files_a == sorted(p.name for p in b.iterdir())
    for name in files_a:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_failing_build_leaves_the_previous_release_intact(project, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    first = build(project, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import ilograph.release as rel
    real = rel.gzip_file
    calls = {"n": 0}

    def failing(path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(path)

    monkeypatch.setattr(rel, "gzip_file", failing)  # the disk fills up midway through the build
    with pytest.raises(ReleaseError, match="previous release .* is untouched"):
        build(project, out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before
    assert verify(out) == []
    assert not list((tmp_path / ".dist.releases").glob("staging-*")), "the staging folder is cleaned up"
    assert first.id == out.resolve().name


def test_rebuilding_unchanged_sources_reuses_the_release(project, tmp_path):
    out = tmp_path / "dist"
    first = build(project, out)
    second = build(project, out)
    assert second.id == first.id and second.reused


def test_a_new_release_replaces_the_old_atomically(copy_project, tmp_path):
    root = copy_project()
    from ilograph.project import open_project
    out = tmp_path / "dist"
    first = build(open_project(root), out)
    path = root / "data" / "seed-001-cooperatives-unit.ttl"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment changes no triple\n", encoding="utf-8")
    with (root / "data" / "seed-001-cooperatives-unit.ttl").open("a", encoding="utf-8") as f:
        f.write('<id/unit/coop> <http://www.w3.org/2004/02/skos/core#altLabel> "ILO Cooperatives Unit"@en .\n')
    second = build(open_project(root), out)
    assert second.id != first.id
    assert out.is_symlink() and out.resolve().name == second.id
    assert verify(out) == []
    # the previous release is kept one generation for readers still using it
    assert (tmp_path / ".dist.releases" / first.id).is_dir()
