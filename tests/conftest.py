"""Shared fixtures: the shipped project, a loaded copy, a release built once per session, and
throw-away copies of the project for tests that break things."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib

from ilograph.load import load, load_shapes
from ilograph.project import open_project

ROOT = Path(__file__).resolve().parents[1]

#: a release dump's suffix: the format rdflib reads it in
DUMP_FORMATS = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}


def parse_dump(path: Path) -> rdflib.Graph:
    """A release dump read by rdflib as one graph (the statements of every graph of TriG and
    N-Quads, merged)."""
    fmt = DUMP_FORMATS[path.suffix[1:]]
    if fmt not in ("trig", "nquads"):
        return rdflib.Graph().parse(path, format=fmt)
    ds = rdflib.Dataset()
    ds.parse(path, format=fmt)
    graph = rdflib.Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-expected", action="store_true", default=False,
                     help="rewrite tests/expected/ from the current results (review the diff!)")


@pytest.fixture(scope="session")
def project():
    return open_project(ROOT)


@pytest.fixture(scope="session")
def sources(project):
    return load(project)


@pytest.fixture(scope="session")
def shapes(project):
    return load_shapes(project)[0]


@pytest.fixture(scope="session")
def release(project, tmp_path_factory):
    from ilograph.release import build
    out = tmp_path_factory.mktemp("release") / "dist"
    return build(project, out)


@pytest.fixture
def copy_project(tmp_path):
    """A fresh copy of the shipped project (sources only) to break on purpose."""
    def make() -> Path:
        target = tmp_path / "project"
        for name in ("ontology", "data", "shapes", "queries"):
            if (ROOT / name).exists():
                shutil.copytree(ROOT / name, target / name)
        shutil.copy(ROOT / "ilograph.toml", target / "ilograph.toml")
        return target
    return make
