"""Fixtures of the catalogue tests: the shipped project's release (built once per session by the
top-level ``release`` fixture), its descriptions written once, and the DCAT-AP 3.0.1 shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib

from ilograph.catalog import describe, write_descriptions

ROOT = Path(__file__).resolve().parents[2]
DCAT_AP = ROOT.parent / "shared" / "reference" / "dcat-ap-3.0.1"


@pytest.fixture(scope="session")
def manifest(release):
    return json.loads((release.path / "release.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def descriptions(project, sources, manifest):
    return describe(project, sources, manifest["files"], manifest["triples"])


@pytest.fixture(scope="session")
def written(project, sources, manifest, tmp_path_factory):
    """The catalogue files, written once into a folder of their own."""
    folder = tmp_path_factory.mktemp("catalog")
    paths = write_descriptions(folder, project, sources, manifest["files"], manifest["triples"])
    return {p.name: p for p in paths}


@pytest.fixture(scope="session")
def dump(release):
    """The whole graph as re-read by rdflib from the N-Triples dump (the independent count)."""
    return rdflib.Graph().parse(release.path / "ilograph.nt", format="nt")


@pytest.fixture(scope="session")
def dcat_ap():
    """The DCAT-AP 3.0.1 shape files, read where the project's reference material lives."""
    if not (DCAT_AP / "shapes.ttl").is_file():
        pytest.skip(f"the DCAT-AP 3.0.1 shapes are not at {DCAT_AP} (they are read from ../shared/reference/, "
                    "never copied into the project)")

    def load(*names: str) -> rdflib.Graph:
        graph = rdflib.Graph()
        for name in names:
            graph.parse(DCAT_AP / name, format="turtle")
        return graph
    return {"mandatory": load("shapes.ttl", "range.ttl"), "recommended": load("shapes_recommended.ttl")}
