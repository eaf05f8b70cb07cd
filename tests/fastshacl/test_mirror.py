"""The pieces of ilograph.fastshacl that make it exact: the mirror store, the query rewriting, and
the stable names of blank-node shapes."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib

from ilograph import fastshacl as fs
from ilograph.load import load_shapes, to_rdflib

X = "http://www.w3.org/2001/XMLSchema#"
S, P = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")


def lit(value: str, dt: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(X + dt))


def test_a_plain_store_rewrites_literals():
    """Why the mirror exists: pyoxigraph's Store keeps some literals by value."""
    store = ox.Store()
    store.add(ox.Quad(S, P, lit("5", "positiveInteger")))
    store.add(ox.Quad(S, P, lit("1.50", "decimal")))
    stored = {str(q.object) for q in store}
    assert stored == {f'"5"^^<{X}integer>', f'"1.5"^^<{X}decimal>'}


TRICKY = [lit("5", "positiveInteger"), lit("05", "positiveInteger"), lit("5", "integer"), lit("1.50", "decimal"),
          lit("1", "boolean"), lit("2017-03-29Z", "date"), lit("2017-02-30", "date"), lit("2017-13", "gYearMonth"),
          lit("-3", "positiveInteger"), lit("abc", "decimal"), lit("P1Y0M", "duration"), ox.Literal("x", language="en"),
          ox.Literal("plain")]


def test_the_mirror_keeps_what_rdflib_sees():
    quads = [ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), P, o) for i, o in enumerate(TRICKY)]
    mirror = fs.Mirror.from_quads(quads)
    stored = {q.subject.value: q.object for q in mirror.store if q.graph_name != fs._ILL}
    for i, o in enumerate(TRICKY):
        assert mirror.decode(stored[f"http://example.org/s{i}"]) == to_rdflib(o), o
    assert stored["http://example.org/s0"].datatype.value == fs.SURROGATE + X + "positiveInteger"
    assert stored["http://example.org/s5"].datatype.value == X + "date"
    # rdflib flags these ill-typed (per triple); it has no parser for xsd:gYearMonth: "2017-13" is not
    ill = {q.subject.value for q in mirror.store.quads_for_pattern(None, None, None, fs._ILL)}
    assert ill == {"http://example.org/s6", "http://example.org/s8", "http://example.org/s9"}
    assert mirror.surrogate_predicates == {P.value}


def test_a_store_is_refused():
    with pytest.raises(TypeError):
        fs.mirror_of(ox.Store())


def test_focus_nodes_are_joined_at_the_start_of_the_query_group():
    text = 'PREFIX ex: <http://e/>\nSELECT DISTINCT ?value WHERE { $this ex:p ?value . FILTER(?value != "{") }'
    out = fs._inject(text, "FOCUS", add_this=True)
    assert " ".join(out.split()) == ('PREFIX ex: <http://e/> SELECT DISTINCT ?this ?value WHERE { FOCUS . '
                                     '$this ex:p ?value . FILTER(?value != "{") }')
    star = fs._inject("SELECT * WHERE { $this ?p ?o }", "F", add_this=True)
    assert " ".join(star.split()) == "SELECT * WHERE { F . $this ?p ?o }"


def _rewrite(query: str) -> str:
    from rdflib.plugins.sparql import prepareQuery
    return fs._minus_rewrite(prepareQuery(query).algebra, query)


def test_not_exists_becomes_minus_only_when_equivalent():
    safe = "SELECT $this WHERE { $this <http://e/p> ?v FILTER NOT EXISTS { ?v <http://e/q> ?w . FILTER(?w > 1) } }"
    assert "MINUS {" in _rewrite(safe) and "NOT EXISTS" not in _rewrite(safe)
    # no shared variable: NOT EXISTS is a test on the whole graph, MINUS would remove nothing
    unrelated = "SELECT $this WHERE { $this <http://e/p> ?v FILTER NOT EXISTS { ?x <http://e/q> ?y } }"
    assert _rewrite(unrelated) == unrelated
    # the inner filter reads an outer variable: MINUS would evaluate it unbound
    outer = "SELECT $this WHERE { $this <http://e/p> ?v FILTER NOT EXISTS { $this <http://e/q> ?w FILTER(?w = ?v) } }"
    assert _rewrite(outer) == outer
    # a shared variable that may be unbound (OPTIONAL)
    optional = ("SELECT $this WHERE { $this <http://e/p> ?v OPTIONAL { $this <http://e/r> ?o } "
                "FILTER NOT EXISTS { ?o <http://e/q> ?w } }")
    assert _rewrite(optional) == optional


def test_blank_node_shapes_have_stable_keys(project):
    a = load_shapes(project)[0]
    b = load_shapes(project)[0]  # parsed again: other blank node labels
    keys_a = sorted(fs.shape_key(a, s) for s in set(a.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#property"))))
    keys_b = sorted(fs.shape_key(b, s) for s in set(b.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#property"))))
    assert keys_a == keys_b
    assert all(k.startswith("https://w3id.org/ilograph/shapes#") for k in keys_a)


def test_plan_says_what_it_compiled(project):
    plan = fs.compile_shapes(load_shapes(project)[0])
    assert plan.fast and not plan.fallback
    assert all(q.lstrip().upper().startswith(("SELECT", "PREFIX")) for q in plan.queries)
    assert "compiled to" in plan.summary()
