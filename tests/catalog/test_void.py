"""VoID: every count equals the one rdflib computes independently from the released dumps."""

from __future__ import annotations

from collections import Counter

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, VOID

from ilograph.catalog import dataset_iri


def _int(graph: rdflib.Graph, node, prop) -> int:
    values = list(graph.objects(node, prop))
    assert len(values) == 1, (node, prop, values)
    return int(values[0])


def test_dataset_counts_equal_the_dump(descriptions, project, dump):
    v, d = descriptions.void, URIRef(dataset_iri(project))
    space = project.base + "id/"
    assert _int(v, d, VOID.triples) == len(dump)
    assert _int(v, d, VOID.entities) == len({s for s in dump.subjects() if isinstance(s, URIRef) and s.startswith(space)})
    assert _int(v, d, VOID.classes) == len(set(dump.objects(None, RDF.type)))
    assert _int(v, d, VOID.properties) == len(set(dump.predicates()))
    assert _int(v, d, VOID.distinctSubjects) == len(set(dump.subjects()))
    assert _int(v, d, VOID.distinctObjects) == len(set(dump.objects()))
    assert str(v.value(d, VOID.uriSpace)) == space
    assert v.value(d, VOID.sparqlEndpoint) == URIRef(project.base + "sparql")


def test_class_and_property_partitions_equal_the_dump(descriptions, project, dump):
    v, d = descriptions.void, URIRef(dataset_iri(project))
    classes = {v.value(p, VOID["class"]): int(v.value(p, VOID.entities)) for p in v.objects(d, VOID.classPartition)}
    expected = Counter(o for _, o in dump.subject_objects(RDF.type))
    assert classes == dict(expected)
    properties = {v.value(p, VOID.property): int(v.value(p, VOID.triples)) for p in v.objects(d, VOID.propertyPartition)}
    assert properties == dict(Counter(p for _, p, _ in dump))
    assert sum(properties.values()) == len(dump)


def test_one_subset_per_named_graph_with_its_count_and_source(descriptions, project, release, sources):
    v, d = descriptions.void, URIRef(dataset_iri(project))
    quads = rdflib.Dataset()
    quads.parse(release.path / "ilograph.nq", format="nquads")
    counts = {str(g.identifier): len(g) for g in quads.graphs() if len(g)}
    subsets = {str(s): int(v.value(s, VOID.triples)) for s in v.objects(d, VOID.subset)
               if (s, RDF.type, VOID.Dataset) in v and (s, RDF.type, VOID.Linkset) not in v}
    assert subsets == counts
    ilo_source = URIRef("https://w3id.org/ilograph/def#source")
    prov = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    for f in sources.files:
        if f.kind == "data":
            stated = set(quads.graph(URIRef(f.graph)).objects(URIRef(f.graph), ilo_source)) | {
                o for g in quads.graphs() for o in g.objects(URIRef(f.graph), ilo_source)}
            assert stated, f.graph
            assert set(v.objects(URIRef(f.graph), prov)) == stated
            assert set(v.objects(URIRef(f.graph), ilo_source)) == stated


def test_linksets_count_the_links_to_each_external_dataset(descriptions, project, dump):
    v, d = descriptions.void, URIRef(dataset_iri(project))
    linksets = {}
    for ls in v.subjects(RDF.type, VOID.Linkset):
        targets = set(v.objects(ls, VOID.target))
        assert d in targets and len(targets) == 2
        (other,) = targets - {d}
        linksets[(str(v.value(other, VOID.uriSpace)), v.value(ls, VOID.linkPredicate))] = int(v.value(ls, VOID.triples))
    same_as = sum(1 for o in dump.objects(None, OWL.sameAs) if str(o).startswith("http://www.wikidata.org/entity/"))
    see_also = sum(1 for o in dump.objects(None, RDFS.seeAlso) if str(o).startswith("https://www.ilo.org/dyn/normlex/"))
    assert linksets == {("http://www.wikidata.org/entity/", OWL.sameAs): same_as,
                        ("https://www.ilo.org/dyn/normlex/", RDFS.seeAlso): see_also}
    assert same_as == 1 and see_also == 2


def test_dumps_features_vocabularies_and_examples(descriptions, project, manifest, dump):
    v, d = descriptions.void, URIRef(dataset_iri(project))
    dumps = {str(u) for u in v.objects(d, VOID.dataDump)}
    names = {f["name"] for f in manifest["files"] if f["name"].startswith("ilograph.")}
    assert dumps == {project.base + "download/" + n for n in names}
    assert {str(f).rsplit("/", 1)[-1] for f in v.objects(d, VOID.feature)} == {
        "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "TriG", "N-Quads"}
    vocabularies = {str(u) for u in v.objects(d, VOID.vocabulary)}
    assert "https://w3id.org/ilograph/def#" in vocabularies
    used = {str(p) for p in dump.predicates()} | {str(c) for c in dump.objects(None, RDF.type)}
    assert all(any(iri.startswith(ns) for iri in used) for ns in vocabularies), "only vocabularies in use"
    examples = set(v.objects(d, VOID.exampleResource))
    assert examples and all((e, None, None) in dump for e in examples)
    assert v.value(d, rdflib.DCTERMS.modified) == Literal(project.dataset.modified or project.dataset.issued,
                                                          datatype=rdflib.XSD.date)


def test_the_written_void_is_the_described_one(descriptions, written):
    from rdflib.compare import isomorphic
    parsed = rdflib.Graph().parse(written["void.ttl"], format="turtle")
    assert isomorphic(parsed, descriptions.void)
