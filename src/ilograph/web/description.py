"""The SPARQL 1.1 Service Description answered at the endpoint when a request carries no query:
what the service speaks and writes, its limits, and its default dataset with the triple count of
the default graph and of every named graph (VoID)."""

from __future__ import annotations

import pyoxigraph as ox

from ..store import ReleaseInfo
from .negotiate import Format
from .results import TRUNCATED_LINK
from .settings import Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {"sd": SD, "formats": FORMATS, "void": VOID, "dcterms": DCT, "rdf": RDF, "rdfs": RDFS, "xsd": XSD}
_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                   "Turtle", "N-Triples", "JSON-LD", "RDF_XML")
_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(XSD + "integer"))


def describe(endpoint: str, release: ReleaseInfo, settings: Settings) -> list[ox.Triple]:
    """The service description of the endpoint at ``endpoint`` (an absolute URL)."""
    service = _n(endpoint)
    dataset = _n(endpoint + "#dataset")
    default = _n(endpoint + "#default-graph")
    a = _n(RDF + "type")
    triples = [
        ox.Triple(service, a, _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), service),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, _n(SD + "defaultEntailmentRegime"), _n("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, _n(SD + "defaultDataset"), dataset),
        ox.Triple(service, _n(RDFS + "label"), ox.Literal(f"SPARQL endpoint of {release.title or 'the dataset'}")),
        ox.Triple(service, _n(RDFS + "comment"), ox.Literal(
            "A read-only SPARQL 1.1 query service (SPARQL Update, SERVICE and LOAD are refused). "
            f"Limits: a query is stopped after {settings.timeout:g} s; results are cut after "
            f"{settings.max_rows} rows (solutions or triples); request bodies up to {settings.max_body} bytes; "
            f"request URLs up to {settings.max_url} bytes (POST longer queries). Without a dataset in the "
            "request or FROM clauses, the default graph is the merge of every named graph (each triple once).")),
    ]
    triples += [ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + f)) for f in _RESULT_FORMATS]
    triples += [
        ox.Triple(dataset, a, _n(SD + "Dataset")),
        ox.Triple(dataset, a, _n(VOID + "Dataset")),
        ox.Triple(dataset, _n(DCT + "title"), ox.Literal(release.title or "dataset")),
        ox.Triple(dataset, _n(DCT + "identifier"), ox.Literal(release.id)),
        ox.Triple(dataset, _n(VOID + "triples"), _int(release.triples)),
        ox.Triple(dataset, _n(VOID + "sparqlEndpoint"), service),
        ox.Triple(dataset, _n(SD + "defaultGraph"), default),
        ox.Triple(default, a, _n(SD + "Graph")),
        ox.Triple(default, _n(VOID + "triples"), _int(release.triples)),
        ox.Triple(default, _n(RDFS + "comment"), ox.Literal("the merge of every named graph: each triple once")),
    ]
    for name in release.graphs:
        entry = ox.BlankNode()
        graph = ox.BlankNode()
        triples += [
            ox.Triple(dataset, _n(SD + "namedGraph"), entry),
            ox.Triple(entry, a, _n(SD + "NamedGraph")),
            ox.Triple(entry, _n(SD + "name"), _n(name)),
            ox.Triple(entry, _n(SD + "graph"), graph),
            ox.Triple(graph, a, _n(SD + "Graph")),
            ox.Triple(graph, _n(VOID + "triples"), _int(release.graph_triples.get(name, 0))),
        ]
    truncated = _n(endpoint.rsplit("/sparql", 1)[0] + TRUNCATED_LINK)
    triples += [
        ox.Triple(truncated, _n(RDFS + "label"), ox.Literal("truncated result")),
        ox.Triple(truncated, _n(RDFS + "comment"), ox.Literal(
            f"A result linking here was cut at the row cap of {settings.max_rows} rows; the answer's "
            "X-Ilograph-Truncated header says the same. Narrow the query (LIMIT/OFFSET) to page through it.")),
    ]
    return _grouped(triples)


def _grouped(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The triples with each subject's together (in order of first appearance), so that Turtle
    writes each subject once."""
    by_subject: dict[object, list[ox.Triple]] = {}
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)
    return [t for group in by_subject.values() for t in group]


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    """The description in one of the RDF formats."""
    kind = _RDF_FORMATS[fmt.name]
    kwargs = {"prefixes": PREFIXES} if fmt.name in ("turtle", "rdfxml") else {}
    return ox.serialize(triples, format=kind, **kwargs) or b""  # type: ignore[arg-type]
