"""Every resource's description, in every format, parses and is about that resource; what the
description holds; unknown IRIs; literals as released."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from ilograph.pages import NotFound, describe, format_name, resource_document

RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}
COOP = "https://w3id.org/ilograph/id/unit/coop"
ILO = rdflib.Namespace("https://w3id.org/ilograph/def#")


def test_every_resource_in_every_format_parses_and_is_about_it(pub):
    resources = pub.resources()
    assert len(resources) > 100
    for iri in resources:
        node = URIRef(iri)
        for ext, name in RDFLIB_FORMATS.items():
            data = pub.document(iri, ext)
            graph = rdflib.Graph().parse(data=data, format=name, publicID="http://invalid.invalid/")
            assert len(graph) > 0, (iri, ext)
            assert (node, None, None) in graph or (None, None, node) in graph, (iri, ext)


def test_the_four_formats_give_the_same_graph(pub):
    from rdflib.compare import isomorphic

    graphs = [rdflib.Graph().parse(data=pub.document(COOP, ext), format=name) for ext, name in RDFLIB_FORMATS.items()]
    for other in graphs[1:]:
        assert isomorphic(graphs[0], other)


def test_description_holds_own_and_incoming_statements_and_labels_of_neighbours(pub):
    graph = rdflib.Graph().parse(data=pub.document(COOP, "nt"), format="nt")
    coop = URIRef(COOP)
    r193 = URIRef("https://w3id.org/ilograph/id/instrument/r193")
    assert (coop, ILO.implements, r193) in graph
    assert (coop, RDF.type, ILO.Unit) in graph
    # incoming: a source document published by COOP
    assert any(o == coop for _, _, o in graph)
    # labels, in every language, and types of what it links to
    assert (r193, SKOS.prefLabel, rdflib.Literal("Recomendación sobre la promoción de las cooperativas, 2002 (núm. 193)",
                                                 lang="es")) in graph
    assert (r193, RDF.type, ILO.Recommendation) in graph
    assert (ILO.Unit, RDFS.label, rdflib.Literal("Unit", lang="en")) in graph
    # but not the neighbours' other statements
    assert (r193, ILO.code, None) not in graph


def test_literals_are_given_as_released(pub):
    """The store reads xsd:positiveInteger back as xsd:integer; the documents keep the datatype."""
    strategy = URIRef("https://w3id.org/ilograph/id/strategy-line/advancing-cooperatives-and-ssees")
    graph = rdflib.Graph().parse(data=pub.document(str(strategy), "ttl"), format="turtle")
    position = graph.value(strategy, ILO.position)
    assert position is not None and position.datatype == XSD.positiveInteger


def test_jsonld_is_compact_with_the_release_context_inline(pub, release):
    doc = json.loads(pub.document(COOP, "jsonld"))
    context = json.loads((release.path / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert doc["@context"] == context
    text = json.dumps(doc)
    assert "unit:coop" in text and "implements" in text


def test_unknown_iris_are_not_described(pub):
    assert describe(pub.store, "https://w3id.org/ilograph/id/unit/nothing-here") == []
    assert describe(pub.store, "not an iri") == []
    with pytest.raises(NotFound):
        resource_document(pub.store, "https://w3id.org/ilograph/id/unit/nothing-here", "ttl")


def test_format_names():
    assert format_name("turtle") == format_name("text/turtle") == format_name(".ttl") == "ttl"
    assert format_name("application/ld+json") == "jsonld"
    with pytest.raises(ValueError):
        format_name("yaml")


def test_blank_nodes_are_followed():
    store = ox.Store()
    a, b, p = ox.NamedNode("http://example.org/a"), ox.BlankNode(), ox.NamedNode("http://example.org/p")
    store.add(ox.Quad(a, p, b, ox.NamedNode("http://example.org/g")))
    store.add(ox.Quad(b, p, ox.Literal("inside"), ox.NamedNode("http://example.org/g")))
    triples = describe(store, "http://example.org/a")
    assert any(t.object == ox.Literal("inside") for t in triples)


def test_vocabulary_documents(pub):
    graph = rdflib.Graph().parse(data=pub.vocabulary_document("ttl"), format="turtle")
    assert (ILO.Unit, RDF.type, rdflib.OWL.Class) in graph
    nt = rdflib.Graph().parse(data=pub.vocabulary_document("nt"), format="nt")
    assert len(nt) == len(graph)
