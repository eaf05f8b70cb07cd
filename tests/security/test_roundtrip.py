"""Round trips (issue 5, item 7): random resources with nasty literals (quotes, backslashes,
newlines, carriage returns, ``</script>``, ``]]>``, astral and combining characters, bidi controls,
100,000-character strings, language tags, typed values in non-canonical lexical forms, blank n-ary
nodes; see :mod:`tests.security.strategies`) come back as the same graph

* from every dump of a release that holds the data (Turtle, N-Triples, RDF/XML, JSON-LD, TriG,
  N-Quads, and their gzip copies; written in one process or, as for large releases, partly by
  ``ilograph.dumpworker``), each read by two independent parsers, rdflib and pyoxigraph, and
  compared by graph isomorphism with what was written into ``data/``: exactly, lexical forms and
  all (language tags compared without case, as RDF defines them);
* from a real ``ilograph serve`` on 127.0.0.1: each resource's document in every RDF format
  (Turtle, N-Triples, JSON-LD, RDF/XML, reached through the 303 of content negotiation), its
  ``DESCRIBE`` through ``/sparql`` in every graph format, a ``CONSTRUCT`` of the whole generated
  graph (blank nodes included) in every graph format, a ``SELECT`` of every generated literal in
  SPARQL JSON, XML, CSV and TSV, and the dumps under ``/download/`` byte for byte.

Answers of ``/sparql`` come from the store, which keeps typed literals in canonical form (README,
"Known deviations": ``"01"^^xsd:nonNegativeInteger`` is read back as ``"1"^^xsd:integer``), so
they are compared with the generated triples put through the same store; the dumps and the
resource documents are compared with the triples as written.

Each example writes a project (the shipped ontology and shapes, one generated data file written by
pyoxigraph's Turtle or rdflib's N-Triples serializer), builds it and parses everything back, so
examples are few: 10 dump examples and 3 served examples by default, 150 and 20 with
``ILOGRAPH_FULL=1``; in CI (``CI`` set) the examples are derandomized, so a run is reproducible. A
failure names the file or URL and the triples missing and extra (Hypothesis shrinks the dataset to
a minimal one with ``ILOGRAPH_FULL=1`` only: each try is a build).

Faults found, each kept with its minimal example after the dump property test (a strict xfail
while open).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch
from urllib.parse import quote, urljoin

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.web.conftest import start_server

from .strategies import (
    BASE,
    ILO,
    PREFIXES,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    Generated,
    datasets,
)
from .strategies import typed as typed_literal

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("ILOGRAPH_FULL") == "1"
#: Where projects are built: memory when the system has it (a build fsyncs every file).
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None

#: Every example builds a release (a few seconds), so shrinking a failure would take minutes: it is
#: left to ILOGRAPH_FULL=1 runs; a failure's message names the file and the exact triples that differ.
PHASES = tuple(Phase) if FULL else (Phase.explicit, Phase.reuse, Phase.generate)
settings.register_profile(
    "roundtrip", deadline=None, derandomize=bool(os.environ.get("CI")), print_blob=True, phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
DUMP_EXAMPLES = 150 if FULL else 10
SERVED_EXAMPLES = 20 if FULL else 3

#: The whole-graph dumps of a release, by suffix: (pyoxigraph format, rdflib format, holds quads).
DUMPS = {
    "ttl": (ox.RdfFormat.TURTLE, "turtle", False),
    "nt": (ox.RdfFormat.N_TRIPLES, "nt", False),
    "rdf": (ox.RdfFormat.RDF_XML, "xml", False),
    "jsonld": (ox.RdfFormat.JSON_LD, "json-ld", False),
    "trig": (ox.RdfFormat.TRIG, "trig", True),
    "nq": (ox.RdfFormat.N_QUADS, "nquads", True),
}
#: Documents of a resource: extension -> (media type, pyoxigraph format, rdflib format).
DOCUMENTS = {
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE, "turtle"),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES, "nt"),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD, "json-ld"),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML, "xml"),
}
#: /sparql graph formats: format= name -> (media type, pyoxigraph format, rdflib format).
GRAPH_FORMATS = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE, "turtle"),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES, "nt"),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD, "json-ld"),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML, "xml"),
}
SOLUTION_FORMATS = ("json", "xml", "csv", "tsv")
#: How the data file is written: pyoxigraph's Turtle or rdflib's N-Triples.
WRITERS = st.sampled_from(["oxigraph", "rdflib"])
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Datatypes that Turtle writes as bare numbers, whose lexical form rdflib's Turtle and TriG
#: parsers do not keep (``00.5`` is read as ``"0.5"``): for rdflib, these compare by value.
NUMERIC = {XSD + t for t in ("integer", "decimal", "nonNegativeInteger", "positiveInteger")}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = RDF + "langString"
SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"


# --- writing and building a project ---------------------------------------------------------

def ontology_triples() -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=ROOT / "ontology" / "ilograph.ttl", format=ox.RdfFormat.TURTLE,
                                       base_iri=BASE)]


ONTOLOGY = ontology_triples()


def _rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    """A term for rdflib's serializer, its lexical form kept exactly (no normalization)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)


def write_data(folder: Path, g: Generated, writer: str) -> None:
    """The generated triples as a data file, written by a serializer, never by formatting:
    pyoxigraph's Turtle, or rdflib's N-Triples (rdflib's Turtle serializer writes
    ``"01"^^xsd:decimal`` as the bare token ``01.0`` and ``"0"^^xsd:boolean`` as the integer ``0``,
    so it cannot write these values)."""
    if writer == "oxigraph":
        (folder / "generated.ttl").write_bytes(ox.serialize(g.triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES))
    else:
        graph = rdflib.Graph()
        for t in g.triples:
            graph.add((_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object)))
        (folder / "generated.nt").write_bytes(graph.serialize(format="nt", encoding="utf-8"))


def write_project(root: Path, g: Generated, writer: str) -> Path:
    (root / "ontology").mkdir(parents=True)
    (root / "data").mkdir()
    shutil.copyfile(ROOT / "ontology" / "ilograph.ttl", root / "ontology" / "ilograph.ttl")
    shutil.copytree(ROOT / "shapes", root / "shapes")
    (root / "ilograph.toml").write_text(f'[dataset]\nbase = "{BASE}"\ntitle = "Round trips"\n', encoding="utf-8")
    write_data(root / "data", g, writer)
    return root


def build_release(root: Path) -> Path:
    """``ilograph build`` of the project; the path of the release. A refusal is a fault of the
    strategies (they must only make data the shapes accept): the report says why."""
    from ilograph.errors import ValidationFailed
    from ilograph.project import open_project
    from ilograph.release import build
    from ilograph.report import as_text

    try:
        return build(open_project(root)).path
    except ValidationFailed as exc:
        # the violations first (a long report of warnings would hide them when cut)
        faults = [f for f in exc.report.findings if f.severity.endswith("Violation")]
        listed = "\n".join(f"{f.focus}: {f.message} [{f.path}, {f.value}, {f.component}]" for f in faults[:20])
        raise AssertionError(f"the generated data does not conform ({len(faults)} violation(s)):\n{listed}\n\n"
                             + as_text(exc.report)[:4000]) from None


@contextmanager
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="ilograph-roundtrip-", dir=SCRATCH))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- comparing graphs -----------------------------------------------------------------------

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _plain(term: Term) -> Term:
    """Language tags are case-insensitive: compare them in lower case."""
    if isinstance(term, ox.Literal) and term.language and term.language != term.language.lower():
        return ox.Literal(term.value, language=term.language.lower())
    return term


def canonical(quads: Iterable[ox.Quad | ox.Triple]) -> set[str]:
    """The quads with blank nodes labelled canonically (RDFC-1.0), as N-Quads lines: two graphs
    are isomorphic when these sets are equal."""
    dataset = ox.Dataset()
    for q in quads:
        graph = q.graph_name if isinstance(q, ox.Quad) else ox.DefaultGraph()
        dataset.add(ox.Quad(_plain(q.subject), q.predicate, _plain(q.object), graph))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def _short(line: str, limit: int = 400) -> str:
    return line if len(line) <= limit else f"{line[:limit]}... ({len(line):,} characters)"


def assert_isomorphic(actual: Iterable[ox.Quad | ox.Triple], expected: Iterable[ox.Quad | ox.Triple], what: str) -> None:
    got, want = canonical(actual), canonical(expected)
    if got == want:
        return
    missing, extra = sorted(want - got), sorted(got - want)
    lines = [f"{what}: not isomorphic to what was written ({len(missing)} quads missing, {len(extra)} extra)"]
    # a difference in a blank node's statements relabels every blank node after it: show the
    # quads without blank nodes first, they say what changed
    ground = [m for m in missing if "_:" not in m][:8], [e for e in extra if "_:" not in e][:8]
    shown = ground if any(ground) else (missing[:8], extra[:8])
    lines += ["  missing: " + _short(m) for m in shown[0]]
    lines += ["  extra:   " + _short(e) for e in shown[1]]
    raise AssertionError("\n".join(lines))


def _from_rdflib(term: rdflib.term.Node) -> Term:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != RDF_LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unexpected rdflib term {term!r}")


@contextmanager
def exact_literals() -> Iterator[None]:
    """rdflib parsing without literal normalization (by default it rewrites ``"01"^^xsd:integer``
    to ``"1"`` and drops a date's time zone), so that what a file holds is what is compared."""
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def parse_rdflib(data: bytes, fmt: str, *, quads: bool = False) -> list[ox.Quad]:
    with exact_literals():
        if quads:
            ds = rdflib.Dataset()
            ds.parse(data=data, format=fmt)
            out = []
            for s, p, o, g in ds.quads((None, None, None, None)):
                graph = ox.DefaultGraph() if g is None or g == rdflib.graph.DATASET_DEFAULT_GRAPH_ID else \
                    ox.NamedNode(str(g.identifier if isinstance(g, rdflib.Graph) else g))
                out.append(ox.Quad(_from_rdflib(s), _from_rdflib(p), _from_rdflib(o), graph))
            return out
        graph = rdflib.Graph().parse(data=data, format=fmt, publicID=BASE)
        return [ox.Quad(_from_rdflib(s), _from_rdflib(p), _from_rdflib(o)) for s, p, o in graph]


def parse_oxigraph(data: bytes, fmt: ox.RdfFormat) -> list[ox.Quad]:
    return list(ox.parse(data, format=fmt, base_iri=BASE))


def _map_quads(quads: Iterable[ox.Quad | ox.Triple], fn) -> list[ox.Quad]:
    out = []
    for q in quads:
        graph = q.graph_name if isinstance(q, ox.Quad) else ox.DefaultGraph()
        out.append(ox.Quad(fn(q.subject), q.predicate, fn(q.object), graph))
    return out


def rdflib_joined(quads: Iterable[ox.Quad | ox.Triple]) -> list[ox.Quad]:
    """IRIs as rdflib's RDF/XML parser reads them: it resolves every ``rdf:about`` and
    ``rdf:resource`` with ``urljoin``, which drops an empty query or parameter (a final ``?`` or
    ``;``). Applied to both sides, so that only rdflib's own rewriting is forgiven."""
    return _map_quads(quads, lambda t: ox.NamedNode(urljoin(BASE, t.value)) if isinstance(t, ox.NamedNode) else t)


def numbers_by_value(quads: Iterable[ox.Quad | ox.Triple]) -> list[ox.Quad]:
    """Numeric literals in a canonical form of their value (``"00.50"`` and ``".5"`` as ``"0.5"``)."""
    out = []
    for q in quads:
        o = q.object
        if isinstance(o, ox.Literal) and o.datatype.value in NUMERIC:
            value = Decimal(o.value)
            o = ox.Literal("0" if value == 0 else format(value.normalize(), "f"), datatype=o.datatype)
        graph = q.graph_name if isinstance(q, ox.Quad) else ox.DefaultGraph()
        out.append(ox.Quad(q.subject, q.predicate, o, graph))
    return out


def check_document(data: bytes, ox_format: ox.RdfFormat, rdflib_format: str, expected: list, what: str, *,
                   quads: bool = False) -> None:
    """``data`` read by pyoxigraph and by rdflib is isomorphic to ``expected``. RDF/XML holds no raw
    carriage return (a conforming XML parser such as rdflib's would read it as a line end)."""
    assert_isomorphic(parse_oxigraph(data, ox_format), expected, f"{what} read by pyoxigraph")
    want, got = expected, parse_rdflib(data, rdflib_format, quads=quads)
    if ox_format == ox.RdfFormat.RDF_XML:
        assert b"\r" not in data, f"{what}: a raw carriage return, which XML parsers read as a line end"
        want, got = rdflib_joined(want), rdflib_joined(got)
    if ox_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        want, got = numbers_by_value(want), numbers_by_value(got)
    assert_isomorphic(got, want, f"{what} read by rdflib")


# --- the dumps ------------------------------------------------------------------------------

def check_release(release: Path, g: Generated, name: str) -> None:
    manifest = json.loads((release / "release.json").read_text(encoding="utf-8"))
    listed = {f["name"] for f in manifest["files"]}
    data = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(BASE + "graph/generated")) for t in g.triples]
    onto = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(BASE + "graph/ontology/ilograph"))
            for t in ONTOLOGY]
    assert set(manifest["graphs"]) == {BASE + "graph/generated", BASE + "graph/ontology/ilograph"}, manifest["graphs"]
    everything = [q.triple for q in onto + data]
    for suffix, (ox_format, rdflib_format, holds_quads) in DUMPS.items():
        file = f"{name}.{suffix}"
        assert file in listed and f"{file}.gz" in listed, (file, sorted(listed))
        body = (release / file).read_bytes()
        assert gzip.decompress((release / f"{file}.gz").read_bytes()) == body, f"{file}.gz differs from {file}"
        check_document(body, ox_format, rdflib_format, onto + data if holds_quads else everything, file,
                       quads=holds_quads)
    # ontology.ttl/.rdf/.jsonld hold none of the generated data: tests/test_release.py reads them back


@settings(settings.get_profile("roundtrip"), max_examples=DUMP_EXAMPLES)
@given(g=datasets(), writer=WRITERS, second_process=st.booleans())
def test_every_dump_reads_back_as_the_data_written(g: Generated, writer: str, second_process: bool) -> None:
    """``second_process``: the Turtle, RDF/XML and TriG dumps written by the separate process that
    large releases use (``ilograph.dumpworker``), as if the dataset were large."""
    import ilograph.release
    from ilograph.project import open_project

    threshold = 0 if second_process else ilograph.release.SECOND_PROCESS_TRIPLES
    with scratch() as folder, patch.object(ilograph.release, "SECOND_PROCESS_TRIPLES", threshold):
        root = write_project(folder / "project", g, writer)
        release = build_release(root)
        check_release(release, g, open_project(root).dataset.release_name)


# --- known faults, each with its minimal example -------------------------------------------

def _one_place(*values: tuple[str, ox.Literal]) -> Generated:
    """A minimal dataset: one place with an English label and ``values`` (predicate, literal)."""
    g = Generated()
    node = ox.NamedNode(BASE + "id/place/x")
    g.add(node, RDF + "type", ox.NamedNode(BASE + "def#Place"))
    for predicate, value in (values or ((SKOS + "prefLabel", ox.Literal("x", language="en")),)):
        g.add(node, predicate, value)
    if not any(p == SKOS + "prefLabel" for p, _ in values):
        g.add(node, SKOS + "prefLabel", ox.Literal("x", language="en"))
    label = next(v for p, v in [(t.predicate.value, t.object) for t in g.triples] if p == SKOS + "prefLabel")
    g.add(node, RDFS + "label", label)
    return g


def _label(text: str) -> Generated:
    return _one_place((SKOS + "prefLabel", ox.Literal(text, language="en")))


@contextmanager
def built(g: Generated) -> Iterator[Path]:
    with scratch() as folder:
        yield build_release(write_project(folder / "project", g, "oxigraph"))


def test_jsonld_dump_keeps_every_literal() -> None:
    """What rdflib's JSON-LD serializer, which wrote the dump before, lost or crashed on: a date's
    time zone, "+01", an empty string beside another value, an xsd:integer past 64 bits."""
    g = _one_place((RDFS + "comment", ox.Literal("")), (RDFS + "comment", ox.Literal("another", language="fr")),
                   (ILO + "startDate", typed_literal("2020-01-01+05:30", "date")),
                   (SCHEMA + "url", typed_literal("+01", "integer")),
                   (SCHEMA + "maximumAttendeeCapacity", typed_literal("1" + "0" * 30, "integer")))
    with built(g) as release:
        assert_isomorphic(parse_oxigraph((release / "graph.jsonld").read_bytes(), ox.RdfFormat.JSON_LD),
                          ONTOLOGY + g.triples, "graph.jsonld read by pyoxigraph")


def test_rdfxml_keeps_carriage_returns() -> None:
    g = _label("a\rb\r\nc")
    with built(g) as release:
        parsed = parse_rdflib((release / "graph.rdf").read_bytes(), "xml")
        assert_isomorphic(parsed, ONTOLOGY + g.triples, "graph.rdf read by rdflib")


@pytest.mark.parametrize("char", ["\x01", "\x0b", "\x1f", "\ufffe", "\uffff"],
                         ids=["U+0001", "U+000B", "U+001F", "U+FFFE", "U+FFFF"])
def test_xml_forbidden_characters_are_refused_or_written(char: str) -> None:
    """A character XML 1.0 cannot hold (U+000B comes from word processors) is refused with the file
    and line, or written so that the RDF/XML dump is still well-formed: never a broken dump."""
    from ilograph.errors import IlographError

    g = _label(f"a{char}b")
    with scratch() as folder:
        root = write_project(folder / "project", g, "oxigraph")
        try:
            release = build_release(root)
        except IlographError as exc:  # refused, naming the file: fine
            assert "generated.ttl" in str(exc), str(exc)
            return
        rdflib.Graph().parse(data=(release / "graph.rdf").read_bytes(), format="xml")


def test_jsonld_document_keeps_every_literal() -> None:
    """rdflib's compaction, which the documents use, loses these: the document must not."""
    from ilograph.pages.rdf import serialize

    node = ox.NamedNode(BASE + "id/place/x")
    triples = [ox.Triple(node, ox.NamedNode(RDFS + "comment"), ox.Literal("")),
               ox.Triple(node, ox.NamedNode(RDFS + "comment"), ox.Literal("another")),
               ox.Triple(node, ox.NamedNode(SCHEMA + "size"), typed_literal("01", "integer")),
               ox.Triple(node, ox.NamedNode(ILO + "rotating"), typed_literal("1", "boolean")),
               ox.Triple(node, ox.NamedNode(SCHEMA + "maximumAttendeeCapacity"), typed_literal("1" + "0" * 30, "integer"))]
    body = serialize(triples, "jsonld", prefixes=PREFIXES)
    check_document(body, ox.RdfFormat.JSON_LD, "json-ld", triples, "the JSON-LD document")


# --- the served formats ---------------------------------------------------------------------

#: Characters a resource path may hold to have pages and documents (RFC 3986 path characters;
#: IRIs with others, such as non-ASCII letters, are reached through /sparql only).
URI_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/")
LABELS = (ox.NamedNode(SKOS + "prefLabel"), ox.NamedNode(RDFS + "label"), ox.NamedNode(RDF + "type"))


def described(triples: list[ox.Triple], iri: str) -> set[ox.Triple]:
    """What a resource's document holds (README, "Linked data and pages"): its statements, the
    statements linking to it, the labels and types of every IRI it links to or is linked from,
    and the statements of blank nodes reached from those."""
    node = ox.NamedNode(iri)
    out = {t for t in triples if t.subject == node or t.object == node}
    linked = {t.object for t in out if t.subject == node and isinstance(t.object, ox.NamedNode)} | \
        {t.subject for t in out if t.object == node and isinstance(t.subject, ox.NamedNode)}
    linked.discard(node)
    out |= {t for t in triples if t.subject in linked and t.predicate in LABELS}
    return out | blank_closure(triples, out)


def blank_closure(triples: list[ox.Triple], start: set[ox.Triple]) -> set[ox.Triple]:
    todo = [t.object for t in start if isinstance(t.object, ox.BlankNode)]
    seen: set[ox.BlankNode] = set()
    out: set[ox.Triple] = set()
    while todo:
        blank = todo.pop()
        if blank in seen:
            continue
        seen.add(blank)
        for t in triples:
            if t.subject == blank:
                out.add(t)
                if isinstance(t.object, ox.BlankNode):
                    todo.append(t.object)
    return out


def as_stored(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples as the store gives them back: typed literals in canonical form (README, "Known
    deviations"): what ``/sparql`` answers are compared with."""
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return [q.triple for q in store]


def literal_rows(triples: Iterable[ox.Triple]) -> Counter:
    """(subject, predicate, value, language, datatype) of each literal statement (blank nodes are
    labelled afresh in each answer: their rows compare as ``_:``)."""
    return Counter((str(t.subject) if isinstance(t.subject, ox.NamedNode) else "_:", t.predicate.value, t.object.value,
                    (t.object.language or "").lower(), t.object.datatype.value)
                   for t in triples if isinstance(t.object, ox.Literal))


def _row_diff(got: Counter, want: Counter, what: str) -> None:
    if got == want:
        return
    missing, extra = list((want - got).elements()), list((got - want).elements())
    raise AssertionError(f"{what}: {len(missing)} rows missing, {len(extra)} extra\n"
                         + "\n".join("  missing: " + _short(repr(m)) for m in missing[:8]) + "\n"
                         + "\n".join("  extra:   " + _short(repr(e)) for e in extra[:8]))


def solutions(body: bytes, fmt: str) -> list[dict[str, tuple[str, str, str] | None]]:
    """SELECT results as rows of variable -> (kind, value, language or datatype), read
    independently of the server's writers: json, ElementTree for XML, csv, and TSV terms parsed as
    Turtle."""
    rows: list[dict] = []
    if fmt == "json":
        doc = json.loads(body)
        for b in doc["results"]["bindings"]:
            rows.append({k: (v["type"].replace("typed-literal", "literal"), v["value"],
                             v.get("xml:lang", "").lower() or v.get("datatype", "" if "xml:lang" in v else XSD_STRING))
                         for k, v in b.items()})
    elif fmt == "xml":
        root = ET.fromstring(body)
        for result in root.iter(SPARQL_RESULTS + "result"):
            row = {}
            for binding in result.iter(SPARQL_RESULTS + "binding"):
                term = binding[0]
                kind = term.tag[len(SPARQL_RESULTS):]
                value = term.text or ""
                if kind == "literal":
                    lang = term.get("{http://www.w3.org/XML/1998/namespace}lang")
                    row[binding.get("name")] = (kind, value, lang.lower() if lang else term.get("datatype", XSD_STRING))
                else:
                    row[binding.get("name")] = ({"uri": "uri", "bnode": "bnode"}[kind], value, "")
            rows.append(row)
    elif fmt == "csv":
        reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
        names = next(reader)
        rows = [{n: ("csv", v, "") for n, v in zip(names, r, strict=True)} for r in reader]
    else:
        lines = body.decode("utf-8").split("\n")
        names = [n[1:] for n in lines[0].split("\t")]
        for line in lines[1:]:
            if not line:
                continue
            row = {}
            for name, cell in zip(names, line.split("\t"), strict=True):
                if not cell:
                    continue
                term = next(iter(ox.parse(f"<x:s> <x:p> {cell} .".encode(), format=ox.RdfFormat.TURTLE))).object
                if isinstance(term, ox.Literal):
                    row[name] = ("literal", term.value, term.language.lower() if term.language else term.datatype.value)
                elif isinstance(term, ox.NamedNode):
                    row[name] = ("uri", term.value, "")
                else:
                    row[name] = ("bnode", term.value, "")
            rows.append(row)
    return rows


def check_select(c: httpx.Client, query: str, expected: list[ox.Triple], what: str) -> None:
    """``?s ?p ?o`` rows of a SELECT of literal statements, in every solution format, equal the
    literal statements of ``expected`` (as strings for CSV, with language and datatype otherwise)."""
    want = literal_rows(expected)
    for fmt in SOLUTION_FORMATS:
        r = c.get("/sparql", params={"query": query, "format": fmt})
        assert r.status_code == 200, (what, fmt, r.status_code, r.text[:500])
        rows = solutions(r.content, fmt)
        if fmt == "csv":
            got = Counter((row["s"][1] if not row["s"][1].startswith("_:") else "_:", row["p"][1], row["o"][1])
                          for row in rows)
            strings: Counter = Counter()
            for (s, p, v, _, _), n in want.items():
                strings[(s[1:-1] if s.startswith("<") else s, p, v)] += n
            _row_diff(got, strings, f"{what} as csv")
            continue
        got = Counter()
        for row in rows:
            kind, value, tag = row["o"]
            assert kind == "literal", (what, fmt, row)
            lang, datatype = (tag, RDF_LANG_STRING) if tag and ":" not in tag else ("", tag)
            subject = f"<{row['s'][1]}>" if row["s"][0] == "uri" else "_:"
            got[(subject, row["p"][1], value, lang, datatype)] += 1
        _row_diff(got, want, f"{what} as {fmt}")


def check_graph_answer(c: httpx.Client, query: str, expected: list[ox.Triple], what: str) -> None:
    """A CONSTRUCT or DESCRIBE in every graph format is isomorphic to ``expected``."""
    for name, (media, ox_format, rdflib_format) in GRAPH_FORMATS.items():
        r = c.get("/sparql", params={"query": query, "format": name})
        assert r.status_code == 200, (what, name, r.status_code, r.text[:500])
        assert r.headers["content-type"].split(";")[0] == media, (what, name, r.headers["content-type"])
        check_document(r.content, ox_format, rdflib_format, expected, f"{what} as {name}")


def check_served(c: httpx.Client, g: Generated) -> None:
    everything = ONTOLOGY + g.triples
    generated = f"<{BASE}graph/generated>"
    # the whole generated graph, blank nodes and all, through /sparql
    stored = as_stored(g.triples)
    check_graph_answer(c, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {generated} {{ ?s ?p ?o }} }}", stored,
                       "CONSTRUCT of the generated graph")
    check_select(c, f"SELECT ?s ?p ?o WHERE {{ GRAPH {generated} {{ ?s ?p ?o FILTER(isLiteral(?o)) }} }}",
                 stored,
                 "SELECT of the generated literals")
    stored_all = as_stored(everything)
    for iri in sorted(g.resources):
        node = ox.NamedNode(iri)
        own = [t for t in stored_all if t.subject == node]
        check_graph_answer(c, f"DESCRIBE <{iri}>", own + sorted(blank_closure(stored_all, set(own)), key=str),
                           f"DESCRIBE <{iri}>")
        path = iri[len(BASE):]
        if not set(path) <= URI_PATH_CHARS:
            continue
        expected = sorted(described(everything, iri), key=str)
        for ext, (media, ox_format, rdflib_format) in DOCUMENTS.items():
            r = c.get("/" + quote(path, safe="".join(URI_PATH_CHARS)), headers={"accept": media})
            assert r.status_code == 303, (iri, media, r.status_code, r.text[:300])
            location = r.headers["location"]
            assert location.endswith("." + ext), (iri, media, location)
            r = c.get(location)
            assert r.status_code == 200, (iri, location, r.status_code, r.text[:300])
            assert r.headers["content-type"].split(";")[0] == media, (iri, location, r.headers["content-type"])
            check_document(r.content, ox_format, rdflib_format, expected, f"{location}")


def check_downloads(c: httpx.Client, release: Path, name: str) -> None:
    """The dumps served at /download/ are the release's files, byte for byte (so what the dump test
    read back is what a client downloads)."""
    names = {f["name"] for f in json.loads((release / "release.json").read_text(encoding="utf-8"))["files"]}
    dumps = sorted(f"{name}.{suffix}{gz}" for suffix in DUMPS for gz in ("", ".gz"))
    assert set(dumps) <= names, sorted(names)
    for file in dumps:
        r = c.get(f"/download/{file}")
        assert r.status_code == 200, (file, r.status_code)
        assert r.content == (release / file).read_bytes(), f"/download/{file} differs from the release's file"


@settings(settings.get_profile("roundtrip"), max_examples=SERVED_EXAMPLES)
@given(g=datasets(), writer=WRITERS, store=st.sampled_from(["on disk", ":memory:"]))
def test_every_served_format_reads_back_as_the_data_written(g: Generated, writer: str, store: str) -> None:
    """``store``: the default on-disk store (in the project's ``.ilograph/``) or ``--store :memory:``."""
    from ilograph.project import open_project

    options = ("--store", ":memory:") if store == ":memory:" else ()
    with scratch() as folder:
        root = write_project(folder / "project", g, writer)
        server = start_server(root, folder / "serve.log", "--workers", "2", "--timeout", "20", *options)
        try:
            with httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as c:
                check_served(c, g)
                check_downloads(c, root / "dist", open_project(root).dataset.release_name)
        finally:
            code = server.stop()
        assert code == 0, server.output()
