"""Differential tests: the fast path (ilograph.fastshacl) gives exactly pySHACL's results.

pySHACL is the reference. Results are compared as multisets of normalized results (focus node,
result path, value, source constraint component, source shape, severity, messages), on: the
shipped project, the shape examples of tests/shapes/, mutated copies of the shipped data covering
every constraint component the shipped shapes use, edge cases of every compiled component (with
pySHACL's default messages), and a generated project with injected violations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from ilograph import fastshacl as fs
from ilograph.load import load, load_shape_sets, parse_file
from ilograph.project import open_project
from tests.conftest import ROOT
from tests.fastshacl.helpers import assert_same, graph_of, reference

HERE = Path(__file__).parent
EXAMPLES = sorted((ROOT / "tests" / "shapes").glob("*/*.ttl"))
ILO = "https://w3id.org/ilograph/def#"


@pytest.fixture(scope="module")
def shape_sets(project):
    return load_shape_sets(project)


@pytest.fixture(scope="module")
def data_plan(shape_sets):
    return fs.compile_shapes(shape_sets.data)


@pytest.fixture(scope="module")
def all_shapes(project):
    from ilograph.load import load_shapes
    return load_shapes(project)[0]


@pytest.fixture(scope="module")
def all_plan(all_shapes):
    return fs.compile_shapes(all_shapes)


# --- the shipped project ----------------------------------------------------------------------

def test_every_shipped_shape_is_compiled(shape_sets):
    for shapes in (shape_sets.data, shape_sets.ontology):
        plan = fs.compile_shapes(shapes)
        assert plan.fallback == {}, plan.summary()
        assert plan.fast


def test_shipped_project_data_shapes(sources, shape_sets, data_plan):
    outcome = fs.execute(data_plan, sources, ("ontology", "data"))
    assert set(outcome.engines.values()) == {fs.SPARQL}
    assert_same(outcome.results, reference(sources.to_rdflib(), shape_sets.data))


def test_shipped_project_ontology_shapes(sources, shape_sets):
    plan = fs.compile_shapes(shape_sets.ontology)
    fast = fs.run(plan, sources, ("ontology",))
    assert_same(fast, reference(sources.to_rdflib(("ontology",)), shape_sets.ontology))


# --- the shape examples -----------------------------------------------------------------------

def _renamed(term, stem: str):
    """example.org IRIs made distinct per example file, so that the files can be merged."""
    if isinstance(term, rdflib.URIRef) and str(term).startswith("http://example.org/"):
        return rdflib.URIRef(f"http://example.org/{stem}/{str(term)[len('http://example.org/'):]}")
    if isinstance(term, ox.NamedNode) and term.value.startswith("http://example.org/"):
        return ox.NamedNode(f"http://example.org/{stem}/{term.value[len('http://example.org/'):]}")
    return term


def test_shape_examples_parsed_by_rdflib(sources, all_shapes, all_plan):
    """Every example of tests/shapes/{valid,invalid} (each merged with the ontology as
    tests/test_shapes.py does, their example.org IRIs renamed per file so that all examples are
    validated in one run), parsed by rdflib: the fast path reads the very graph pySHACL reads."""
    graph = sources.to_rdflib(("ontology",))
    for path in EXAMPLES:
        example = rdflib.Graph().parse(path, format="turtle")
        for s, p, o in example:
            graph.add((_renamed(s, path.stem), p, _renamed(o, path.stem)))
    fast = fs.run(all_plan, graph)
    ref = reference(graph, all_shapes)
    assert_same(fast, ref)
    # each invalid example broke something
    broken = {str(r.focus).split("/")[3] for r in fast if str(r.focus).startswith("http://example.org/")}
    assert {p.stem for p in EXAMPLES if p.parent.name == "invalid"} - broken <= {
        p.stem for p in EXAMPLES if p.stem.startswith("hygiene-")}


# --- mutations of the shipped data ------------------------------------------------------------

class Mutator:
    """Breaks a copy of the shipped quads, picking resources by class (the data changes)."""

    def __init__(self, sources) -> None:
        self.quads = list(sources.quads(("ontology", "data")))
        self.store = sources.store
        self.g = ox.NamedNode("urn:mutations")
        self.used: set[str] = set()
        self.done: list[str] = []

    def pick(self, cls: str, n: int = 1, where: str = "") -> list[ox.NamedNode]:
        rows = self.store.query(
            f"SELECT DISTINCT ?x WHERE {{ ?x a <{ILO}{cls}> . {where} FILTER(isIRI(?x)) }} ORDER BY STR(?x)",
            use_default_graph_as_union=True)
        found = [r["x"] for r in rows if r["x"].value not in self.used][:n]
        if len(found) < n:
            pytest.skip(f"the shipped data has too few ilo:{cls}")
        self.used.update(x.value for x in found)
        return found

    def add(self, s, p: str, o) -> None:
        self.quads.append(ox.Quad(s, ox.NamedNode(p), o, self.g))

    def remove(self, s, p: str, o=None) -> None:
        pn = ox.NamedNode(p)
        self.quads = [q for q in self.quads
                      if not (q.subject == s and q.predicate == pn and (o is None or q.object == o))]

    def values(self, s, p: str) -> list:
        pn = ox.NamedNode(p)
        return [q.object for q in self.quads if q.subject == s and q.predicate == pn]


SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def lit(value: str, dt: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(value, language=lang)
    return ox.Literal(value, datatype=ox.NamedNode(XSD + dt)) if dt else ox.Literal(value)


def mutate(m: Mutator) -> None:
    """One mutation (or more) per constraint component of the shipped shapes."""
    unit_a, unit_b, unit_c = m.pick("Unit", 3)
    # qualified min count (no English prefLabel), unique language, datatype (plain prefLabel)
    m.remove(unit_a, SKOS + "prefLabel")
    m.add(unit_a, SKOS + "prefLabel", lit("Unité", lang="fr"))
    m.add(unit_b, SKOS + "prefLabel", lit("Another English name", lang="en"))
    m.add(unit_b, SKOS + "altLabel", lit("plain alt label"))
    # language in + max count (rdfs:label), min count (description), min length (quote)
    m.add(unit_c, RDFS + "label", lit("Unité", lang="fr"))
    m.remove(unit_c, DCT + "description")
    m.add(unit_c, ILO + "quote", lit("short", lang="en"))
    # SPARQL: unit not reaching the international organization
    m.remove(unit_a, ILO + "unitOf")
    # label differs from the English prefLabel (SPARQL, warning)
    (prog,) = m.pick("Programme")
    m.remove(prog, RDFS + "label")
    m.add(prog, RDFS + "label", lit("A label that is not the preferred label", lang="en"))
    # node kind + class (ilo:source a literal), pattern + datatype (acronym)
    m.add(prog, ILO + "source", lit("a source written as text"))
    m.add(prog, ILO + "acronym", lit("TWO WORDS"))
    m.add(prog, ILO + "acronym", lit("ACR", lang="en"))
    # class: implements a unit; sh:or on the implementer: a partner implements
    m.add(prog, ILO + "implements", unit_b)
    (partner,) = m.pick("Partner")
    (inst,) = m.pick("Convention")
    m.add(partner, ILO + "implements", inst)
    # instruments: code mismatch (SPARQL), pattern, datatypes with exact lexical forms, has value
    m.remove(inst, ILO + "code")
    m.add(inst, ILO + "code", lit("C 9"))
    m.remove(inst, ILO + "instrumentNumber")
    m.add(inst, ILO + "instrumentNumber", lit("012", "positiveInteger"))
    m.add(inst, ILO + "instrumentNumber", lit("12", "integer"))
    m.add(inst, ILO + "instrumentNumber", lit("0", "positiveInteger"))
    m.remove(inst, RDF_TYPE, ox.NamedNode("http://data.europa.eu/eli/ontology#LegalResource"))
    m.add(inst, ILO + "adoptionDate", lit("2002-02-30", "date"))
    (decl,) = m.pick("Declaration")
    m.add(decl, ILO + "code", lit("R1"))
    # dates: sh:or of datatypes (plain, ill-typed, and a gYearMonth rdflib does not check), end before start
    (membership,) = m.pick("Membership")
    m.remove(membership, ILO + "startDate")
    m.remove(membership, ILO + "endDate")
    m.add(membership, ILO + "startDate", lit("2019-05", "gYearMonth"))
    m.add(membership, ILO + "endDate", lit("2018-13", "gYearMonth"))
    m.add(membership, ILO + "endDate", lit("March 2018"))
    # disjoint holder / body, max count
    body = m.values(membership, ILO + "body")
    if body:
        m.add(membership, ILO + "holder", body[0])
    (chair,) = m.pick("Chairmanship")
    m.remove(chair, ILO + "rotating")
    m.add(chair, ILO + "rotating", lit("yes", "boolean"))
    m.add(chair, ILO + "rotating", lit("1", "boolean"))
    # chairs shortcut without its chairmanship (SPARQL)
    m.add(unit_b, ILO + "chairs", partner)
    # work items: duplicate positions with different datatypes (SPARQL + datatype), missing position,
    # orphan (SPARQL), two owners (inverse path max count), abstract type (sh:or on the node)
    areas = m.pick("OperationalArea", 3)
    m.remove(areas[0], ILO + "position")
    m.add(areas[0], ILO + "position", lit("1", "integer"))
    m.remove(areas[1], ILO + "position")
    m.add(areas[1], ILO + "position", lit("01", "positiveInteger"))
    m.remove(areas[2], ILO + "position")
    goals = m.pick("Goal", 2)
    m.add(prog, ILO + "hasGoal", goals[0])
    m.add(unit_c, ILO + "hasGoal", goals[0])
    m.add(unit_b, ILO + "hasGoal", goals[0])
    for owner in [q.subject for q in m.quads if q.predicate.value == ILO + "hasGoal" and q.object == goals[1]]:
        m.remove(owner, ILO + "hasGoal", goals[1])
    orphan = ox.NamedNode("https://w3id.org/ilograph/id/work-item/orphan")
    m.add(orphan, RDF_TYPE, ox.NamedNode(ILO + "WorkItem"))
    m.add(orphan, SKOS + "prefLabel", lit("Orphan", lang="en"))
    m.add(orphan, RDFS + "label", lit("Orphan", lang="en"))
    m.add(orphan, ILO + "position", lit("3", "positiveInteger"))
    # statistics: value range, decimal lexical forms, datatype
    stat = m.pick("Statistic")[0]
    m.remove(stat, ILO + "proportion")
    m.add(stat, ILO + "proportion", lit("1.50", "decimal"))
    m.add(stat, ILO + "proportion", lit("-0.0", "decimal"))
    m.add(stat, ILO + "proportionGreaterThan", lit("abc", "decimal"))
    # an abstract agent (class on the node shape), a domain violation, a blank-node focus node
    agent = ox.NamedNode("https://w3id.org/ilograph/id/agent/someone")
    m.add(agent, RDF_TYPE, ox.NamedNode(ILO + "Agent"))
    m.add(goals[1], ILO + "position", lit("2", "positiveInteger"))
    m.add(goals[1], ILO + "rotating", lit("true", "boolean"))
    blank = ox.BlankNode("mutationblank")
    m.add(blank, ILO + "source", lit("not a document"))
    m.add(blank, ILO + "quote", lit("Quoted without a language tag"))


def test_mutations_of_shipped_data(sources, shape_sets, data_plan):
    m = Mutator(sources)
    mutate(m)
    outcome = fs.execute(data_plan, fs.Mirror.from_quads(m.quads))
    ref = reference(graph_of(m.quads), shape_sets.data)
    assert_same(outcome.results, ref)
    # the mutations exercise every constraint component the shipped data shapes use
    used = {str(c.component_iri) for c in data_plan.checks}
    reported = {str(r.component) for r in outcome.results}
    assert used - reported == set(), sorted(used - reported)


# --- edge cases: every compiled component, default messages, blank nodes, literal forms -------

@pytest.fixture(scope="module")
def edge_shapes():
    return rdflib.Graph().parse(HERE / "edge_shapes.ttl", format="turtle")


def test_edge_cases_rdflib_graph(edge_shapes):
    data = rdflib.Graph().parse(HERE / "edge_data.ttl", format="turtle")
    plan = fs.compile_shapes(edge_shapes)
    outcome = fs.execute(plan, data)
    assert_same(outcome.results, reference(data, edge_shapes))
    assert outcome.engines["http://example.org/ns#FallbackShape"] == fs.PYSHACL
    assert outcome.engines["http://example.org/ns#PersonShape"] == fs.SPARQL
    components = {r.component.split("#")[1] for r in outcome.results if r.engine == fs.SPARQL}
    assert {"ClassConstraintComponent", "DatatypeConstraintComponent", "NodeKindConstraintComponent",
            "MinCountConstraintComponent", "MaxCountConstraintComponent", "MinInclusiveConstraintComponent",
            "MaxInclusiveConstraintComponent", "MinExclusiveConstraintComponent",
            "MaxExclusiveConstraintComponent", "MinLengthConstraintComponent", "MaxLengthConstraintComponent",
            "PatternConstraintComponent", "LanguageInConstraintComponent", "UniqueLangConstraintComponent",
            "InConstraintComponent", "HasValueConstraintComponent", "EqualsConstraintComponent",
            "DisjointConstraintComponent", "OrConstraintComponent", "AndConstraintComponent",
            "NotConstraintComponent", "XoneConstraintComponent", "QualifiedMinCountConstraintComponent",
            "QualifiedMaxCountConstraintComponent", "SPARQLConstraintComponent"} <= components


def test_edge_cases_pyoxigraph_quads(edge_shapes, project):
    triples, _ = parse_file(HERE / "edge_data.ttl", project.base)
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("urn:edge")) for t in triples]
    plan = fs.compile_shapes(edge_shapes)
    assert_same(fs.run(plan, quads), reference(graph_of(quads), edge_shapes))


# --- what the fast path does not compile goes to pySHACL ---------------------------------------

UNSUPPORTED = """
@prefix ex: <http://example.org/ns#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:ClosedShape a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:closed true ; sh:ignoredProperties ( <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ) ;
    sh:property [ sh:path ex:name ] .
ex:AncestorShape a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:property [ sh:path [ sh:zeroOrMorePath ex:parentOf ] ; sh:maxCount 2 ] .
ex:NamedShape a sh:NodeShape ; sh:targetClass ex:Person ; sh:node ex:HasName .
ex:HasName a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:ValueSensitive a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:sparql [ sh:select "SELECT $this ?value WHERE { $this <http://example.org/ns#count> ?value FILTER (?value > 4) }" ] .
ex:Fast a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:name ; sh:maxCount 1 ] .
"""


def test_unsupported_constructs_are_validated_by_pyshacl(edge_shapes):
    shapes = rdflib.Graph().parse(data=UNSUPPORTED, format="turtle")
    data = rdflib.Graph().parse(HERE / "edge_data.ttl", format="turtle")
    plan = fs.compile_shapes(shapes)
    ex = "http://example.org/ns#"
    fallback = {str(n): why for n, why in plan.fallback.items()}
    assert "ClosedConstraintComponent" in fallback[ex + "ClosedShape"]
    assert "zeroOrMorePath" in fallback[ex + "AncestorShape"]
    assert "NodeConstraintComponent" in fallback[ex + "NamedShape"]
    assert {str(n) for n in plan.fast} == {ex + "Fast", ex + "ValueSensitive"}
    outcome = fs.execute(plan, data)
    # the comparison is value-sensitive and ex:count holds xsd:positiveInteger literals, which the
    # mirror stores under a surrogate datatype: decided at run time, for this data
    assert "value-sensitive" in outcome.reasons[ex + "ValueSensitive"]
    assert outcome.engines == {ex + "Fast": fs.SPARQL, ex + "ValueSensitive": fs.PYSHACL,
                               ex + "ClosedShape": fs.PYSHACL, ex + "AncestorShape": fs.PYSHACL,
                               ex + "NamedShape": fs.PYSHACL}
    by_engine = {r.shape: r.engine for r in outcome.results}
    assert by_engine[ex + "ClosedShape"] == fs.PYSHACL
    assert {r.engine for r in outcome.results if r.shape.startswith(ex + "Fast ")} == {fs.SPARQL}
    assert_same(outcome.results, reference(data, shapes))


def test_value_sensitive_query_stays_fast_without_surrogate_literals():
    shapes = rdflib.Graph().parse(data=UNSUPPORTED, format="turtle")
    data = rdflib.Graph().parse(data="""
        @prefix ex: <http://example.org/ns#> .
        ex:a a ex:Person ; ex:name "A", "B" ; ex:count 3, 5 .""", format="turtle")
    outcome = fs.execute(fs.compile_shapes(shapes), data)
    assert outcome.engines["http://example.org/ns#ValueSensitive"] == fs.SPARQL
    assert_same(outcome.results, reference(data, shapes))


# --- a generated project with violations -------------------------------------------------------

GENERATOR = ROOT / "bench" / "generate.py"


# pySHACL needs 30-90 s for 10k triples of this data (per-focus-node SPARQL), about half for the
# generator's minimum (5000 triples, ~190 results with one violation of each kind), the default here
# to keep the suite short; ILOGRAPH_FASTSHACL_TRIPLES=10000 runs the 10k project (identical too;
# bench/shacl_speed.py compares the engines on it as well)
TRIPLES = int(os.environ.get("ILOGRAPH_FASTSHACL_TRIPLES", "5000"))


@pytest.mark.skipif(not GENERATOR.exists(), reason="bench/generate.py is not there")
def test_generated_project_with_violations(tmp_path):
    out = tmp_path / "generated"
    subprocess.run([sys.executable, str(GENERATOR), "--triples", str(TRIPLES), "--out", str(out), "--violations", "1",
                    "--quiet"], check=True)
    project = open_project(out)
    sources = load(project)
    sets = load_shape_sets(project)
    plan = fs.compile_shapes(sets.data)
    outcome = fs.execute(plan, sources)
    assert set(outcome.engines.values()) == {fs.SPARQL}
    assert len(outcome.results) > 100
    assert_same(outcome.results, reference(sources.to_rdflib(), sets.data))
