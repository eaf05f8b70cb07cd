"""Shape examples: each valid file conforms; each invalid file breaks exactly the constraints its
``# expect:`` lines name (shape, constraint component, path)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from ilograph.load import to_rdflib
from tests.conftest import ROOT

EXAMPLES = ROOT / "tests" / "shapes"
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))
NS = {"sh": str(SH), "ilo": "https://w3id.org/ilograph/def#", "skos": "http://www.w3.org/2004/02/skos/core#",
      "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "dcterms": "http://purl.org/dc/terms/",
      "rdf": str(RDF), "owl": "http://www.w3.org/2002/07/owl#"}


def expand(name: str) -> str | None:
    if name == "-":
        return None
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, _, local = name.partition(":")
    return NS[prefix] + local


def results_of(example: Path, sources, shapes) -> set[tuple[str, str, str | None, str]]:
    import pyshacl
    graph = sources.to_rdflib(("ontology",))
    graph.parse(example, format="turtle")
    _, report, _ = pyshacl.validate(data_graph=graph, shacl_graph=shapes, inference="none", advanced=True,
                                    allow_warnings=True, allow_infos=True)
    found = set()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(r, SH.sourceShape)
        if isinstance(shape, rdflib.BNode):  # a property shape: name it by its node shape
            parent = shapes.value(None, SH.property, shape)
            shape = parent if parent is not None else shape
        path = report.value(r, SH.resultPath)
        found.add((str(shape), str(report.value(r, SH.sourceConstraintComponent)),
                   str(path) if isinstance(path, rdflib.URIRef) else None,
                   str(report.value(r, SH.resultSeverity))))
    return found


def expectations(example: Path) -> set[tuple[str, str, str | None, str]]:
    expected = set()
    for line in example.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*expect(-warning)?:\s*(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            severity = SH.Warning if m.group(1) else SH.Violation
            expected.add((expand(m.group(2)), expand(m.group(3)), expand(m.group(4)), str(severity)))
    return expected


def test_there_are_examples():
    assert len(VALID) >= 4 and len(INVALID) >= 10


@pytest.mark.parametrize("example", VALID, ids=[p.stem for p in VALID])
def test_valid_example_conforms(example, sources, shapes):
    violations = {r for r in results_of(example, sources, shapes) if r[3] == str(SH.Violation)}
    assert violations == set()


@pytest.mark.parametrize("example", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_example_breaks_what_it_names(example, sources, shapes):
    expected = expectations(example)
    assert expected, f"{example.name}: name what it breaks in '# expect:' lines"
    found = results_of(example, sources, shapes)
    violations = {r for r in found if r[3] == str(SH.Violation)}
    assert {e for e in expected if e[3] == str(SH.Violation)} == violations
    named_warnings = {e for e in expected if e[3] == str(SH.Warning)}
    assert named_warnings <= found
