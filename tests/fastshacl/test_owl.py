"""Differential tests: ilograph.fastowl gives exactly owlrl's inconsistency messages (owlrl, as
ilograph.validate.run_owl_rl runs it, is the reference)."""

from __future__ import annotations

import decimal
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from ilograph import fastowl
from ilograph.fastshacl import Mirror
from ilograph.load import load, parse_file
from ilograph.project import open_project
from tests.conftest import ROOT
from tests.fastshacl.helpers import graph_of
from tests.fastshacl.test_differential import Mutator, mutate

HERE = Path(__file__).parent


def test_shipped_project(sources):
    outcome = fastowl.check(sources)
    assert outcome.engine == fastowl.SPARQL, outcome.reason
    assert outcome.messages == fastowl.reference(sources.to_rdflib())


def test_edge_cases_rdflib_graph():
    graph = rdflib.Graph().parse(HERE / "owl_edge.ttl", format="turtle")
    outcome = fastowl.check(graph)
    assert outcome.engine == fastowl.SPARQL, outcome.reason
    expected = fastowl.reference(graph)
    assert outcome.messages == expected
    kinds = {m.split(" ")[0] for m in expected}
    assert {"Disjoint", "Lexical"} <= kinds and any("'Nothing'" in m for m in expected)


def test_edge_cases_pyoxigraph_quads(project):
    triples, _ = parse_file(HERE / "owl_edge.ttl", project.base)
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("urn:edge")) for t in triples]
    outcome = fastowl.check(Mirror.from_quads(quads))
    assert outcome.messages == fastowl.reference(graph_of(quads))


def _is_bad_decimal(q: ox.Quad) -> bool:
    o = q.object
    return isinstance(o, ox.Literal) and o.datatype.value.endswith("#decimal") and o.value == "abc"


def test_mutations_of_shipped_data(sources):
    m = Mutator(sources)
    mutate(m)
    quads = [q for q in m.quads if not _is_bad_decimal(q)]  # owlrl fails on it: see the next test
    outcome = fastowl.check(Mirror.from_quads(quads))
    expected = fastowl.reference(graph_of(quads))
    assert expected, "the mutations make the graph inconsistent"
    assert outcome.messages == expected


def test_a_decimal_owlrl_cannot_read_fails_the_same_way():
    """owlrl's dt-not-type check catches ValueError, but its decimal converter raises
    decimal.InvalidOperation: owlrl stops, and so does the fast check (same exception)."""
    graph = rdflib.Graph()
    graph.add((rdflib.URIRef("http://example.org/s"), rdflib.URIRef("http://example.org/p"),
               rdflib.Literal("abc", datatype=rdflib.XSD.decimal)))
    with pytest.raises(decimal.InvalidOperation):
        fastowl.reference(graph)
    with pytest.raises(decimal.InvalidOperation):
        fastowl.check(graph)


def test_other_owl_constructs_are_left_to_owlrl():
    graph = rdflib.Graph().parse(HERE / "owl_edge.ttl", format="turtle")
    ex = rdflib.Namespace("http://example.org/owl#")
    graph.add((ex.partOf, rdflib.RDF.type, rdflib.OWL.TransitiveProperty))
    graph.add((ex.a, ex.partOf, ex.b))
    outcome = fastowl.check(graph)
    assert outcome.engine == fastowl.OWLRL and "TransitiveProperty" in outcome.reason
    assert outcome.messages == fastowl.reference(graph)


GENERATOR = ROOT / "bench" / "generate.py"


@pytest.mark.skipif(not GENERATOR.exists() or not os.environ.get("ILOGRAPH_SLOW_TESTS"),
                    reason="set ILOGRAPH_SLOW_TESTS=1 (owlrl needs about a minute for 10k triples)")
def test_generated_project_with_violations(tmp_path):
    out = tmp_path / "generated"
    subprocess.run([sys.executable, str(GENERATOR), "--triples", "10000", "--out", str(out), "--violations", "1",
                    "--quiet"], check=True)
    sources = load(open_project(out))
    outcome = fastowl.check(sources)
    assert outcome.engine == fastowl.SPARQL
    assert outcome.messages == fastowl.reference(sources.to_rdflib())


def test_the_reference_engines_leave_rdflib_as_they_found_it(tmp_path):
    """owlrl registers lexical checkers for xsd:gYear and the other ``g`` types that refuse a time
    zone and leaves them behind; pySHACL sets ``rdflib.NORMALIZE_LITERALS`` while it runs. Seen in
    CI: after a reference validation in the same process, the fast engine (which follows rdflib's
    verdicts) called ``"1438-14:00"^^xsd:gYear`` ill-typed and failed a valid project."""
    import rdflib.term

    from ilograph.validate import validate
    from ilograph.load import load_shape_sets

    before = dict(rdflib.term._toPythonMapping)
    g = rdflib.Graph()
    g.add((rdflib.URIRef("https://example.org/e"), rdflib.URIRef("https://example.org/year"),
           rdflib.Literal("1438-14:00", datatype=rdflib.XSD.gYear)))
    fastowl.reference(g)
    assert dict(rdflib.term._toPythonMapping) == before
    assert rdflib.NORMALIZE_LITERALS is True

    root = tmp_path / "project"
    for folder in ("ontology", "shapes"):
        (root / folder).mkdir(parents=True)
        for f in (ROOT / folder).glob("*.ttl"):
            (root / folder / f.name).write_bytes(f.read_bytes())
    (root / "data").mkdir()
    (root / "data" / "events.ttl").write_text(
        "@prefix ilo: <https://w3id.org/ilograph/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "<https://w3id.org/ilograph/id/event/e1> a ilo:Event ; skos:prefLabel \"e\"@en ; rdfs:label \"e\"@en ;\n"
        "  ilo:startDate \"1400+05:30\"^^xsd:gYear ; ilo:endDate \"1438-14:00\"^^xsd:gYear .\n"
        "<https://w3id.org/ilograph/id/event/e2> a ilo:Event ; skos:prefLabel \"f\"@en ; rdfs:label \"f\"@en ;\n"
        "  ilo:startDate \"1503-02Z\"^^xsd:gYearMonth .\n", encoding="utf-8")
    project = open_project(root)
    shapes = load_shape_sets(project)
    for engine in ("reference", "fast", "reference", "fast"):
        report = validate(load(project), shapes, engine=engine)
        assert not [f for f in report.findings if f.severity.endswith("Violation")], (engine, report.findings)
