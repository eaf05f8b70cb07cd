"""Catalogue metadata generated from the graph and the release, so it cannot drift from them:
VoID, a DCAT-AP 3 catalogue, a schema.org ``Dataset`` in JSON-LD, ``sitemap.xml`` and ``robots.txt``.

Every count is computed from the loaded sources; every distribution's size and checksum comes from
the release manifest's file list; every other statement comes from ``[dataset]`` in
``ilograph.toml`` (:class:`ilograph.project.Dataset`). Nothing reads the clock: dates are the
``issued``/``modified`` settings. All URLs are built from ``project.base``, the canonical base IRI:

==================================  =====================================================
``<base>``                          home page (also the DCAT landing page and homepage)
``<base>#dataset``                  the dataset (one node for VoID, DCAT and schema.org)
``<base>#catalog``                  the DCAT catalogue; ``#sparql-service`` its data service
``<base>#distribution-<file>``      the DCAT distribution of one dump
``<base>id/...``                    the resources (``void:uriSpace``), listed in the sitemap
``<base>sparql``                    the SPARQL endpoint (its GET answers the service description)
``<base>download/<file>``           a release file (``void:dataDump``, ``dcat:downloadURL``)
``<base>sitemap.xml``               the sitemap, named by ``robots.txt``
==================================  =====================================================

Use it from a release (``release.py``, in ``_write_files``, after the checksums of the dumps are
computed and *before* ``release.json`` and ``SHA256SUMS`` are written, so both list the new files)::

    entries = [ReleaseFile(p.name, p.stat().st_size, sha256(p), media_type(p.name)) for p in sorted(written)]
    say("catalogue metadata")
    written += write_descriptions(folder, project, sources, entries, len(triples))
    entries = [ReleaseFile(p.name, p.stat().st_size, sha256(p), media_type(p.name)) for p in sorted(written)]

It writes ``void.ttl``, ``dcat.ttl``, ``dataset.jsonld``, ``sitemap.xml`` and ``robots.txt``.
:func:`describe` gives the same descriptions in memory (rdflib graphs and a dict) for a server;
:func:`jsonld_for_html` serializes the schema.org dict for a ``<script type="application/ld+json">``.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Union
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

from .errors import ConfigError, ReleaseError
from .load import Sources, from_rdflib, to_rdflib
from .project import Project

if TYPE_CHECKING:
    from .release import ReleaseFile

__all__ = ["Descriptions", "FileEntry", "Prepared", "describe", "prepare", "write_descriptions", "sitemap_xml", "sitemaps", "robots_txt",
           "jsonld_for_html", "serialize_turtle", "dataset_iri"]

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")  # open: rdflib's closed DCAT lacks DCAT 3 terms
ADMS = rdflib.Namespace("http://www.w3.org/ns/adms#")
DCATAP = rdflib.Namespace("http://data.europa.eu/r5r/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
GSP = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")
SCHEMA = "https://schema.org/"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"
FORMATS = "http://www.w3.org/ns/formats/"

PREFIXES = {"void": str(VOID), "dcat": str(DCAT), "dcatap": str(DCATAP), "adms": str(ADMS), "spdx": str(SPDX),
            "vcard": str(VCARD), "geo": str(GSP), "formats": FORMATS,
            "filetype": EU + "file-type/", "theme": EU + "data-theme/", "lang": EU + "language/"}

DOWNLOAD_PATH = "download/"
SPARQL_PATH = "sparql"
RESOURCE_PATH = "id/"
SITEMAP_LIMIT = 50_000  # URLs in one sitemap file (sitemaps.org)
FILES = ("void.ttl", "dcat.ttl", "dataset.jsonld", "sitemap.xml", "robots.txt")

# suffix of a whole-graph dump: (format name, IANA media type, EU file type, W3C format IRI)
DUMP_FORMATS = {
    "ttl": ("Turtle", "text/turtle", "RDF_TURTLE", "Turtle"),
    "nt": ("N-Triples", "application/n-triples", "RDF_N_TRIPLES", "N-Triples"),
    "rdf": ("RDF/XML", "application/rdf+xml", "RDF_XML", "RDF_XML"),
    "jsonld": ("JSON-LD", "application/ld+json", "JSON_LD", "JSON-LD"),
    "trig": ("TriG", "application/trig", "RDF_TRIG", "TriG"),
    "nq": ("N-Quads", "application/n-quads", "RDF_N_QUADS", "N-Quads"),
}
QUAD_FORMATS = {"trig", "nq"}
GZIP = IANA + "application/gzip"

# Controlled vocabularies DCAT-AP recommends, with the labels its shapes require (skos:prefLabel).
DATA_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
    "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
    "JUST": "Justice, legal system and public safety", "REGI": "Regions and cities",
    "SOCI": "Population and society", "TECH": "Science and technology", "TRAN": "Transport",
}
LANGUAGES = {"en": ("ENG", "English"), "fr": ("FRA", "French"), "es": ("SPA", "Spanish"),
             "de": ("DEU", "German"), "it": ("ITA", "Italian"), "pt": ("POR", "Portuguese"),
             "nl": ("NLD", "Dutch"), "ar": ("ARA", "Arabic"), "zh": ("ZHO", "Chinese"),
             "ru": ("RUS", "Russian"), "ja": ("JPN", "Japanese")}
PUBLISHER_TYPES = {"http://purl.org/adms/publishertype/" + k: v for k, v in {
    "Academia-ScientificOrganisation": "Academia/Scientific organisation", "Company": "Company",
    "IndustryConsortium": "Industry consortium", "LocalAuthority": "Local authority",
    "NationalAuthority": "National authority", "NonGovernmentalOrganisation": "Non-governmental organisation",
    "NonProfitOrganisation": "Non-profit organisation", "PrivateIndividual(s)": "Private individual(s)",
    "RegionalAuthority": "Regional authority", "StandardisationBody": "Standardisation body",
    "SupraNationalAuthority": "Supra-national authority"}.items()}
LICENCE_TYPE = "http://purl.org/adms/licencetype/"
LICENCES = {  # licence IRI (without trailing slash): (name, ADMS licence types)
    "https://creativecommons.org/licenses/by/4.0": ("Creative Commons Attribution 4.0 International", ("Attribution",)),
    "https://creativecommons.org/licenses/by-sa/4.0": ("Creative Commons Attribution-ShareAlike 4.0 International",
                                                       ("Attribution", "ShareAlike")),
    "https://creativecommons.org/publicdomain/zero/1.0": ("Creative Commons CC0 1.0 Universal", ("PublicDomain",)),
    "http://opendatacommons.org/licenses/odbl/1.0": ("Open Data Commons Open Database License 1.0",
                                                     ("Attribution", "ShareAlike")),
}
LOCATIONS = {  # spatial IRI: (name, bounding box, centroid) as WKT
    "http://sws.geonames.org/6295630/": ("Earth", "POLYGON((-180 -90,180 -90,180 90,-180 90,-180 -90))", "POINT(0 0)"),
}
AVAILABILITY = (EU + "planned-availability/AVAILABLE", "Available")  # kept for the medium term
ACCESS_PUBLIC = EU + "access-right/PUBLIC"
SPARQL_PROTOCOL = ("https://www.w3.org/TR/sparql11-protocol/", "SPARQL 1.1 Protocol")
# datasets that links point into: (IRI prefix, slug, title, homepage, SPARQL endpoint)
KNOWN_TARGETS = (
    ("http://www.wikidata.org/entity/", "wikidata", "Wikidata", "https://www.wikidata.org/",
     "https://query.wikidata.org/sparql"),
    ("http://dbpedia.org/resource/", "dbpedia", "DBpedia", "https://www.dbpedia.org/", "https://dbpedia.org/sparql"),
    ("http://sws.geonames.org/", "geonames", "GeoNames", "https://www.geonames.org/", None),
    ("https://www.ilo.org/dyn/normlex/", "normlex", "NORMLEX, the ILO's information system on international "
     "labour standards", None, None),
)
_DATE_TYPES = ((re.compile(r"-?\d{4,}-\d\d-\d\d(Z|[+-]\d\d:\d\d)?"), XSD.date),
               (re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), XSD.dateTime),
               (re.compile(r"-?\d{4,}-\d\d"), XSD.gYearMonth), (re.compile(r"-?\d{4,}"), XSD.gYear))

FileEntry = Union["ReleaseFile", tuple, Mapping]
"""A release file: a :class:`ilograph.release.ReleaseFile`, a ``(name, size, sha256, media_type)``
tuple, or a ``release.json`` entry (a dict with those keys)."""


@dataclass(frozen=True)
class Descriptions:
    """The dataset described three ways: VoID and DCAT-AP as rdflib graphs, schema.org as a dict
    ready for ``json.dumps`` (with an inline context, so nothing is fetched)."""

    void: rdflib.Graph
    dcat: rdflib.Graph
    schema: dict


@dataclass(frozen=True)
class _File:
    name: str
    size: int
    sha256: str
    media_type: str


def dataset_iri(project: Project) -> str:
    """The IRI of the dataset (the subject of the VoID, DCAT and schema.org descriptions)."""
    return project.base + "#dataset"


# --- entry points -----------------------------------------------------------------------------

def describe(project: Project, sources: Sources, files: Iterable[FileEntry], triples: int,
             statistics: "Statistics | None" = None) -> Descriptions:
    """VoID, DCAT-AP and schema.org descriptions of ``sources`` as released in ``files``.

    ``triples`` is the release's triple count (the distinct triples of every graph);
    ``statistics`` the counts gathered while the release was written (computed from ``sources``
    when not given). Raises :class:`~ilograph.errors.ConfigError` when a date, theme or contact
    setting cannot be read.
    """
    void, dcat, schema = _describe(project, sources, files, triples, statistics)
    return Descriptions(void=void.graph(), dcat=dcat.graph(), schema=schema)


def _describe(project: Project, sources: Sources, files: Iterable[FileEntry], triples: int,
              statistics: "Statistics | Prepared | None") -> tuple["_Triples", "_Triples", dict]:
    listed = [_file(f) for f in files]
    if isinstance(statistics, Prepared):
        facts = dataclasses.replace(statistics.facts, dumps=_dumps(project.dataset.release_name, listed))
    else:
        facts = _Facts.of(project, sources, listed, triples, statistics or Statistics.of(project, sources))
    return _void(facts), _dcat(facts), _schema(facts)


@dataclass(frozen=True)
class Prepared:
    """What the descriptions say that does not depend on the release's files (counts, sources,
    links, dates, the sitemap): made by :func:`prepare` while the last dumps are still being
    written, then completed by :func:`write_descriptions` with the files' sizes and checksums."""

    facts: "_Facts"
    sitemaps: dict[str, str]


def prepare(project: Project, sources: Sources, triples: int, statistics: "Statistics") -> Prepared:
    """The file-independent part of the descriptions of ``sources`` (see :class:`Prepared`)."""
    return Prepared(_Facts.of(project, sources, [], triples, statistics),
                    sitemaps(project, sources, statistics=statistics))


class _Triples:
    """The statements of a description, in a list (an rdflib Graph costs about 40 µs a statement,
    which a VoID of thousands of linksets felt); :meth:`graph` gives the rdflib Graph."""

    def __init__(self) -> None:
        self._seen: set = set()
        self._list: list = []

    def add(self, triple: tuple) -> None:
        if triple not in self._seen:
            self._seen.add(triple)
            self._list.append(triple)

    def __iter__(self):
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def graph(self) -> rdflib.Graph:
        g = rdflib.Graph()
        for t in self._list:
            g.add(t)
        return g


def write_descriptions(folder: Path, project: Project, sources: Sources, files: Iterable[FileEntry],
                       triples: int, statistics: "Statistics | Prepared | None" = None) -> list[Path]:
    """Write ``void.ttl``, ``dcat.ttl``, ``dataset.jsonld``, ``sitemap.xml`` (and, past 50,000 URLs,
    ``sitemap-<n>.xml``: see :func:`sitemaps`) and ``robots.txt`` into ``folder`` (byte-identical for
    the same input) and return their paths.

    Raises :class:`~ilograph.errors.ReleaseError` when one of them would overwrite a file already
    in ``folder`` (a release named after one of them), and what :func:`describe` raises.
    """
    taken = [name for name in FILES if (folder / name).exists()] + sorted(p.name for p in folder.glob("sitemap-*.xml"))
    if taken:
        raise ReleaseError(f"{folder}: {', '.join(taken)} already exist; the catalogue files would overwrite "
                           f"them (choose another [dataset] release-name)")
    statistics = statistics or Statistics.of(project, sources)
    void, dcat, schema = _describe(project, sources, files, triples, statistics)
    prefixes = _prefixes(sources)
    pages = statistics.sitemaps if isinstance(statistics, Prepared) else sitemaps(project, sources, statistics=statistics)
    texts: dict[str, str | bytes] = {
        "void.ttl": serialize_turtle(void, _used(void, prefixes)),
        "dcat.ttl": serialize_turtle(dcat, _used(dcat, prefixes)),
        "dataset.jsonld": json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        **pages,
        "robots.txt": robots_txt(project),
    }
    paths = []
    for name in sorted(texts):  # encoded one at a time (the sitemaps of a big graph weigh hundreds of MB)
        text = texts[name]
        (folder / name).write_bytes(text.encode() if isinstance(text, str) else text)
        paths.append(folder / name)
    return paths


def serialize_turtle(graph: "rdflib.Graph | Iterable[tuple]", prefixes: Mapping[str, str] | None = None) -> bytes:
    """Byte-stable Turtle: blank nodes labelled canonically, triples sorted (as the release dumps)."""
    from .release import STANDARD_PREFIXES, canonical_quads  # imported here: release.py imports this module

    quads = [ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in graph]
    out = ox.serialize([q.triple for q in canonical_quads(quads)], format=ox.RdfFormat.TURTLE,
                       prefixes=dict(prefixes or {**STANDARD_PREFIXES, **PREFIXES}))
    return out if isinstance(out, bytes) else bytes(out)


def jsonld_for_html(obj: object) -> str:
    """JSON for a ``<script type="application/ld+json">`` element: ``<``, ``>`` and ``&`` (and the
    line separators U+2028/U+2029) are written as ``\\uXXXX`` escapes, which JSON reads as the same
    characters, so no string in the data can close the element or open a comment."""
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def sitemap_xml(project: Project, sources: Sources, *, base: str | None = None,
                statistics: "Statistics | None" = None) -> str:
    """``sitemap.xml``: the home, vocabulary and downloads pages, then every resource IRI under
    ``<base>id/``, sorted; ``lastmod`` is the ``modified`` (else ``issued``) setting. Past 50,000
    URLs (one sitemap file's limit) it is a sitemap index naming ``sitemap-1.xml``, ``sitemap-2.xml``
    ... (see :func:`sitemaps`).

    ``base`` replaces ``project.base`` in every URL (a server publishing under another host).
    """
    return sitemaps(project, sources, base=base, statistics=statistics)["sitemap.xml"]


def sitemaps(project: Project, sources: Sources, *, base: str | None = None,
             statistics: "Statistics | None" = None) -> dict[str, str]:
    """The sitemap files by name: ``sitemap.xml`` alone while the URLs fit in one file (50,000),
    else ``sitemap.xml`` as a sitemap index and ``sitemap-<n>.xml`` with 50,000 URLs each, to be
    published beside it at the root of the site."""
    public = base or project.base
    statistics = statistics or Statistics.of(project, sources)
    resources = statistics.resources()
    pages = [project.base] + statistics.vocabularies(project) + [project.base + DOWNLOAD_PATH]
    urls = pages + sorted(resources - set(pages))
    date = project.dataset.modified or project.dataset.issued
    lastmod = f"<lastmod>{escape(date[:10])}</lastmod>" if date else ""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    files: dict[str, str] = {}
    parts = [urls[i:i + SITEMAP_LIMIT] for i in range(0, len(urls), SITEMAP_LIMIT)]
    for n, part in enumerate(parts, start=1):
        lines = [head, '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for iri in part:
            url = public + iri[len(project.base):]
            lines.append(f"  <url><loc>{escape(_uri(url))}</loc>{lastmod}</url>")
        lines.append("</urlset>")
        files["sitemap.xml" if len(parts) == 1 else f"sitemap-{n}.xml"] = "\n".join(lines) + "\n"
    if len(parts) > 1:
        lines = [head, '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for n in range(1, len(parts) + 1):
            lines.append(f"  <sitemap><loc>{escape(_uri(public))}sitemap-{n}.xml</loc>{lastmod}</sitemap>")
        lines.append("</sitemapindex>")
        files = {"sitemap.xml": "\n".join(lines) + "\n", **files}
    return files


def robots_txt(project: Project, *, base: str | None = None) -> str:
    """``robots.txt``: everything may be crawled except SPARQL requests with a query string; names
    the sitemap. ``base`` replaces ``project.base`` (a server publishing under another host); paths
    are those of the base, as a robots.txt at the root of its host reads them."""
    public = base or project.base
    path = urlsplit(public).path or "/"
    return (f"# {project.dataset.title}: crawl the pages and the downloads; SPARQL queries are left to people.\n"
            "User-agent: *\n"
            f"Disallow: {path}{SPARQL_PATH}?\n"
            "Allow: /\n"
            "\n"
            f"Sitemap: {_uri(public)}sitemap.xml\n")


# --- counts gathered in one pass over the triples ---------------------------------------------

_RDF_TYPE = b"<" + str(RDF.type).encode() + b">"
_OWL_ONTOLOGY = b"<" + str(OWL.Ontology).encode() + b">"


class Statistics:
    """What VoID, DCAT and the sitemap count, gathered in one pass over the distinct triples in
    subject order (:meth:`add` per subject, as :func:`ilograph.load.by_subject` groups them), so the
    release counts while it writes its dumps. Terms are kept as N-Triples bytes; counts do not
    depend on blank node labels."""

    def __init__(self, project: Project, sources: Sources) -> None:
        self._space = b"<" + (project.base + RESOURCE_PATH).encode()
        self._base = b"<" + project.base.encode()
        self._graphs = {b"<" + g.encode() + b">": g for g in sources.graphs}
        # the vocabulary's own subjects: their statements are not the data's links
        self._vocabulary = {line.split(b" ", 1)[0] for g in sources.ontology_graphs for line in sources.texts.lines(g)}
        edges: dict[str, set[str]] = defaultdict(set)
        for q in sources.store.quads_for_pattern(None, ox.NamedNode(str(RDFS.subPropertyOf)), None, None):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                edges[q.object.value].add(q.subject.value)
        found, todo = {str(PROV.wasDerivedFrom)}, [str(PROV.wasDerivedFrom)]
        while todo:
            for sub in edges[todo.pop()] - found:
                found.add(sub)
                todo.append(sub)
        self.derivation: set[str] = found  # prov:wasDerivedFrom and its sub-properties
        self.links: Counter = Counter()  # (predicate, object) of a resource under the base to an IRI outside
        self.triples = 0
        self.subjects = 0
        self.entities = 0
        self.objects: set[bytes] = set()
        self.properties: dict[bytes, list] = {}  # predicate: [triples, distinct subjects, distinct objects]
        self.classes: Counter = Counter()
        self.top: list[tuple[int, int, str]] = []  # the three subjects with most statements: (count, -rank, IRI)
        self._resources: list[str] = []  # subjects under the resource space
        self.about: dict[str, list[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal]]] = {}
        self.ontology_subjects: list[str] = []

    @classmethod
    def of(cls, project: Project, sources: Sources) -> "Statistics":
        """Count the distinct triples of ``sources`` (every graph)."""
        from .load import by_subject
        statistics = cls(project, sources)
        for subject, statements in by_subject(sources.union_lines()):
            statistics.add(subject, statements)
        return statistics

    def add(self, subject: bytes, statements: Mapping[bytes, list[bytes]]) -> None:
        """Count one subject's statements (predicate term to its distinct object terms)."""
        self.subjects += 1
        count = 0
        objects, properties = self.objects, self.properties
        for predicate, values in statements.items():
            n = len(values)
            count += n
            row = properties.get(predicate)
            if row is None:
                row = properties[predicate] = [0, 0, set()]
            row[0] += n
            row[1] += 1
            row[2].update(values)
            objects.update(values)
        self.triples += count
        types = statements.get(_RDF_TYPE)
        if types:
            for t in types:
                if t[:1] == b"<":
                    self.classes[t] += 1
            if _OWL_ONTOLOGY in types and subject[:1] == b"<":
                self.ontology_subjects.append(subject[1:-1].decode())
        if subject.startswith(self._base) and subject not in self._vocabulary:
            base, links = self._base, self.links
            for predicate, values in statements.items():
                if predicate != _RDF_TYPE:
                    for o in values:
                        if o[:1] == b"<" and not o.startswith(base):
                            links[(predicate, o)] += 1
        if subject.startswith(self._space):
            iri = subject[1:-1].decode()
            self.entities += 1
            self._resources.append(iri)
            entry = (count, -self.subjects, iri)
            if len(self.top) < 3:
                heapq.heappush(self.top, entry)
            elif entry > self.top[0]:
                heapq.heapreplace(self.top, entry)
        graph = self._graphs.get(subject)
        if graph is not None:
            text = b"".join(subject + b" " + p + b" " + o + b" .\n" for p, values in statements.items() for o in values)
            self.about[graph] = [(q.predicate.value, q.object) for q in ox.parse(text, ox.RdfFormat.N_TRIPLES)]

    def resources(self) -> set[str]:
        """Every IRI under the resource space used as a subject or an object."""
        space = self._space
        return set(self._resources) | {o[1:-1].decode() for o in self.objects if o.startswith(space)}

    def vocabularies(self, project: Project) -> list[str]:
        """The ontologies published under the base (their IRIs serve the vocabulary's documentation)."""
        return sorted({iri for iri in self.ontology_subjects if iri.startswith(project.base)})


# --- what the descriptions say, computed once -------------------------------------------------

@dataclass
class _Facts:
    project: Project
    sources: Sources
    dumps: list[tuple[_File, str, bool]]  # (file, dump format suffix, gzip-compressed)
    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    classes: Counter
    properties: dict[str, tuple[int, int, int]]  # predicate: (triples, distinct subjects, distinct objects)
    vocabularies: list[str]
    examples: list[str]
    graphs: list[tuple[str, str, int, list[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal]]]]  # (graph, file, triples, statements about it)
    derivation: set[str]  # prov:wasDerivedFrom and its sub-properties
    source_documents: set[str]
    links: dict[tuple[str, str], int]  # (target prefix, predicate): links
    languages: list[str]
    temporal: tuple[ox.Literal, ox.Literal] | None
    ontologies: dict[str, str]  # ontology IRI: title

    @classmethod
    def of(cls, project: Project, sources: Sources, files: list[_File], triples: int,
           statistics: "Statistics") -> "_Facts":
        base = project.base
        name = project.dataset.release_name
        dumps = _dumps(name, files)
        st = statistics
        classes = Counter({c[1:-1].decode(): n for c, n in st.classes.items()})
        properties = {p[1:-1].decode(): (n, subjects, len(objects)) for p, (n, subjects, objects) in st.properties.items()}
        namespaces = _namespaces(sources)
        vocabularies = sorted({_namespace(iri, namespaces) for iri in set(properties) | set(classes)})
        examples = [iri for _, _, iri in sorted(st.top, reverse=True)]

        derivation = st.derivation
        graphs = []
        for f in sources.files:
            about = st.about.get(f.graph, [])
            graphs.append((f.graph, f.path.relative_to(project.root).as_posix(), sources.texts.count(f.graph), about))
        links: Counter = Counter()
        for (p, o), n in st.links.items():
            links[(_target_prefix(o[1:-1].decode()), p[1:-1].decode())] += n
        # the data graphs' own facts, found by patterns with a literal start (fast on big texts); each
        # pattern ends at the line feed, which in N-Triples only ends a statement, so a string that
        # merely contains such text cannot match
        derived = [re.compile(rb" <" + re.escape(p.encode()) + rb"> <([^>]*)> \.\n") for p in sorted(derivation)]
        tagged = re.compile(rb'"@([A-Za-z]+)(?:-[A-Za-z0-9]+)* \.\n')
        dated = re.compile(rb' "([-+0-9:TZ.]*)"\^\^<http://www\.w3\.org/2001/XMLSchema#(date|dateTime|gYear|gYearMonth)> \.\n')
        documents: set[str] = set()
        langs: set[str] = set()
        found_dates: set[tuple[bytes, bytes]] = set()
        for graph in dict.fromkeys(f.graph for f in sources.files if f.kind == "data"):
            text = sources.texts.get(graph)
            for pattern in derived:
                documents.update(m.decode() for m in set(pattern.findall(text)))
            langs.update(m.decode().lower() for m in set(tagged.findall(text)))
            found_dates.update(dated.findall(text))
        dates = [ox.Literal(value.decode(), datatype=ox.NamedNode(str(XSD) + kind.decode()))
                 for value, kind in sorted(found_dates)]
        temporal = None
        if dates:
            temporal = (min(dates, key=lambda d: (_period(d)[0], d.value)),
                        max(dates, key=lambda d: (_period(d)[1], d.value)))
        ontology_quads = list(sources.quads(("ontology",)))
        rdf_type, owl_ontology = str(RDF.type), str(OWL.Ontology)
        ontologies = {}
        for q in ontology_quads:
            if q.predicate.value == rdf_type and q.object.value == owl_ontology and isinstance(q.subject, ox.NamedNode):
                ontologies[q.subject.value] = _title(ontology_quads, q.subject) or q.subject.value
        return cls(project=project, sources=sources, dumps=dumps, triples=triples,
                   entities=st.entities, distinct_subjects=st.subjects, distinct_objects=len(st.objects),
                   classes=classes, properties=properties,
                   vocabularies=vocabularies, examples=examples, graphs=sorted(graphs, key=lambda g: g[:3]),
                   derivation=derivation, source_documents=documents, links=dict(links),
                   languages=sorted(lang for lang in langs if lang in LANGUAGES), temporal=temporal,
                   ontologies=dict(sorted(ontologies.items())))

    # shared nodes and literals
    @property
    def settings(self):
        return self.project.dataset

    def iri(self, fragment: str) -> URIRef:
        return URIRef(self.project.base + "#" + fragment)

    @property
    def dataset(self) -> URIRef:
        return URIRef(dataset_iri(self.project))

    @property
    def publisher(self) -> URIRef:
        return URIRef(self.settings.publisher) if self.settings.publisher else self.iri("publisher")

    @property
    def homepage(self) -> URIRef:
        return URIRef(self.settings.homepage or self.project.base)

    @property
    def language(self) -> str:
        return self.settings.language or "en"

    def text(self, value: str) -> Literal:
        """A literal from the settings, in the settings' language."""
        return Literal(value, lang=self.language)

    def date(self, setting: str) -> Literal | None:
        value = getattr(self.settings, setting)
        if value is None and setting == "modified":
            value, setting = self.settings.issued, "issued"
        if value is None:
            return None
        for pattern, datatype in _DATE_TYPES:
            if pattern.fullmatch(value):
                return Literal(value, datatype=datatype)
        raise ConfigError(f"[dataset] {setting} = {value!r} is not a date (write it as YYYY-MM-DD)")

    def download(self, name: str) -> URIRef:
        return URIRef(self.project.base + DOWNLOAD_PATH + quote(name))

    @property
    def sparql(self) -> URIRef:
        return URIRef(self.project.base + SPARQL_PATH)

    def themes(self) -> list[tuple[URIRef, str]]:
        out = []
        for value in self.settings.themes:
            code = value.rsplit("/", 1)[-1] if value.startswith(EU + "data-theme/") else value
            if code not in DATA_THEMES:
                raise ConfigError(f"[dataset] themes: {value!r} is not an EU data theme; use one of "
                                  + ", ".join(sorted(DATA_THEMES)))
            out.append((URIRef(EU + "data-theme/" + code), DATA_THEMES[code]))
        return out

    def contact(self) -> tuple[URIRef, URIRef]:
        """(vcard property, value) of the contact point: an e-mail address or a web page."""
        value = self.settings.contact or str(self.homepage)
        if value.startswith("mailto:"):
            return VCARD.hasEmail, URIRef(value)
        if re.fullmatch(r"[^@\s:/]+@[^@\s]+\.[^@\s]+", value):
            return VCARD.hasEmail, URIRef("mailto:" + value)
        if value.startswith(("http://", "https://")):
            return VCARD.hasURL, URIRef(value)
        raise ConfigError(f"[dataset] contact = {value!r}: give an e-mail address or an http(s) URL")

    def dump_description(self, suffix: str, gz: bool) -> str:
        label = DUMP_FORMATS[suffix][0]
        text = f"The whole graph ({self.triples} triples: vocabulary and data) as {label}"
        if suffix in QUAD_FORMATS:
            text += ", with one named graph per source file"
        return text + (", gzip-compressed." if gz else ".")


# --- VoID -------------------------------------------------------------------------------------

def _void(facts: _Facts) -> _Triples:
    g = _Triples()
    d, base = facts.dataset, facts.project.base
    g.add((d, RDF.type, VOID.Dataset))
    _common(g, facts, d)
    g.add((d, FOAF.homepage, facts.homepage))
    g.add((d, VOID.uriSpace, Literal(base + RESOURCE_PATH)))
    g.add((d, VOID.sparqlEndpoint, facts.sparql))
    for f, suffix, _gz in facts.dumps:
        g.add((d, VOID.dataDump, facts.download(f.name)))
        g.add((d, VOID.feature, URIRef(FORMATS + DUMP_FORMATS[suffix][3])))
    for ns in facts.vocabularies:
        g.add((d, VOID.vocabulary, URIRef(ns)))
    for iri in facts.examples:
        g.add((d, VOID.exampleResource, URIRef(iri)))
    for prop, value in ((VOID.triples, facts.triples), (VOID.entities, facts.entities),
                        (VOID.classes, len(facts.classes)), (VOID.properties, len(facts.properties)),
                        (VOID.distinctSubjects, facts.distinct_subjects),
                        (VOID.distinctObjects, facts.distinct_objects)):
        g.add((d, prop, _int(value)))
    for cls, count in sorted(facts.classes.items()):
        part = BNode()
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, _int(count)))
    for prop, (count, subjects, objects) in sorted(facts.properties.items()):
        part = BNode()
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, _int(count)))
        g.add((part, VOID.distinctSubjects, _int(subjects)))
        g.add((part, VOID.distinctObjects, _int(objects)))
    for graph, path, count, about in facts.graphs:  # one subset per named graph (source file)
        sub = URIRef(graph)
        g.add((d, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, RDFS.label, Literal(path)))
        g.add((sub, VOID.triples, _int(count)))
        for p, o in about:
            g.add((sub, URIRef(p), to_rdflib(o)))
            if p in facts.derivation:
                g.add((sub, PROV.wasDerivedFrom, to_rdflib(o)))
    targets = {}
    for (prefix, predicate), count in sorted(facts.links.items()):
        _, slug, title, homepage, endpoint = _target(prefix)
        target = facts.iri("dataset-" + slug)
        if target not in targets:
            targets[target] = True
            g.add((target, RDF.type, VOID.Dataset))
            g.add((target, DCTERMS.title, Literal(title, lang="en")))
            g.add((target, VOID.uriSpace, Literal(prefix)))
            if homepage:
                g.add((target, FOAF.homepage, URIRef(homepage)))
            if endpoint:
                g.add((target, VOID.sparqlEndpoint, URIRef(endpoint)))
        linkset = facts.iri(f"links-{slug}-{_local(predicate)}")
        g.add((d, VOID.subset, linkset))
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, VOID.target, d))
        g.add((linkset, VOID.target, target))
        g.add((linkset, VOID.subjectsTarget, d))
        g.add((linkset, VOID.objectsTarget, target))
        g.add((linkset, VOID.linkPredicate, URIRef(predicate)))
        g.add((linkset, VOID.triples, _int(count)))
    return g


def _common(g: _Triples, facts: _Facts, node: URIRef) -> None:
    """What VoID and DCAT both say of the dataset: title, description, licence, publisher, dates."""
    s = facts.settings
    g.add((node, DCTERMS.title, facts.text(s.title)))
    if s.description:
        g.add((node, DCTERMS.description, facts.text(s.description)))
    g.add((node, DCTERMS.license, URIRef(s.license)))
    g.add((node, DCTERMS.publisher, facts.publisher))
    g.add((facts.publisher, RDF.type, FOAF.Agent))
    g.add((facts.publisher, FOAF.name, Literal(s.publisher_name or s.title)))
    for prop, setting in ((DCTERMS.issued, "issued"), (DCTERMS.modified, "modified")):
        value = facts.date(setting)
        if value is not None:
            g.add((node, prop, value))


# --- DCAT-AP 3 --------------------------------------------------------------------------------

def _dcat(facts: _Facts) -> _Triples:
    g = _Triples()
    s, d, base = facts.settings, facts.dataset, facts.project.base
    catalog, service, contact = facts.iri("catalog"), facts.iri("sparql-service"), facts.iri("contact")
    licence = URIRef(s.license)
    home = facts.homepage
    themes = facts.themes()
    spatial = URIRef(s.spatial) if s.spatial else None
    language = LANGUAGES.get(facts.language.split("-")[0])

    # the catalogue
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, facts.text(s.title)))
    g.add((catalog, DCTERMS.description, Literal(
        f"Catalogue of “{s.title}”: the dataset, its downloads and its SPARQL endpoint.", lang="en")))
    g.add((catalog, DCTERMS.publisher, facts.publisher))
    g.add((catalog, FOAF.homepage, home))
    g.add((catalog, DCTERMS.license, licence))
    g.add((catalog, DCAT.dataset, d))
    g.add((catalog, DCAT.service, service))
    if language:
        g.add((catalog, DCTERMS.language, _language(g, language)))
    for prop, setting in ((DCTERMS.issued, "issued"), (DCTERMS.modified, "modified")):
        value = facts.date(setting)
        if value is not None:
            g.add((catalog, prop, value))
    if themes:
        scheme = URIRef(EU + "data-theme")
        g.add((catalog, DCAT.themeTaxonomy, scheme))
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, DCTERMS.title, Literal("Data theme", lang="en")))
    if spatial is not None:
        g.add((catalog, DCTERMS.spatial, spatial))

    # shared nodes: publisher, contact point, licence, homepage, themes, place, access rights
    publisher = facts.publisher
    kind = s.publisher_type
    if kind:
        g.add((publisher, DCTERMS.type, _concept(g, URIRef(kind), PUBLISHER_TYPES.get(kind, kind.rsplit("/", 1)[-1]),
                                                  "http://purl.org/adms/publishertype/1.0")))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(s.publisher_name or s.title)))
    g.add((contact,) + facts.contact())
    g.add((home, RDF.type, FOAF.Document))
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    known = LICENCES.get(s.license.rstrip("/"))
    if known:
        g.add((licence, RDFS.label, Literal(known[0], lang="en")))
        for kind in known[1]:
            g.add((licence, DCTERMS.type, _concept(g, URIRef(LICENCE_TYPE + kind), kind,
                                                    "http://purl.org/adms/licencetype/1.0")))
    for theme, label in themes:
        _concept(g, theme, label, EU + "data-theme")
    if spatial is not None:
        g.add((spatial, RDF.type, DCTERMS.Location))
        if str(spatial) in LOCATIONS:
            name, bbox, centroid = LOCATIONS[str(spatial)]
            g.add((spatial, RDFS.label, Literal(name, lang="en")))
            g.add((spatial, DCAT.bbox, Literal(bbox, datatype=GSP.wktLiteral)))
            g.add((spatial, DCAT.centroid, Literal(centroid, datatype=GSP.wktLiteral)))
    public = URIRef(ACCESS_PUBLIC)
    g.add((public, RDF.type, DCTERMS.RightsStatement))
    g.add((public, RDFS.label, Literal("Public", lang="en")))

    # the dataset
    g.add((d, RDF.type, DCAT.Dataset))
    _common(g, facts, d)
    g.add((d, DCTERMS.creator, publisher))
    g.add((d, DCTERMS.identifier, Literal(str(d))))
    g.add((d, DCAT.version, Literal(s.version)))
    g.add((d, DCAT.landingPage, home))
    g.add((d, DCAT.contactPoint, contact))
    g.add((d, DCTERMS.accessRights, public))
    for keyword in s.keywords:
        g.add((d, DCAT.keyword, facts.text(keyword)))
    for theme, _ in themes:
        g.add((d, DCAT.theme, theme))
    if spatial is not None:
        g.add((d, DCTERMS.spatial, spatial))
    for lang in facts.languages:
        g.add((d, DCTERMS.language, _language(g, LANGUAGES[lang])))
    if facts.temporal:
        period = BNode()
        g.add((d, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, to_rdflib(facts.temporal[0])))
        g.add((period, DCAT.endDate, to_rdflib(facts.temporal[1])))
    for ontology, title in facts.ontologies.items():
        g.add((d, DCTERMS.conformsTo, URIRef(ontology)))
        g.add((URIRef(ontology), RDF.type, DCTERMS.Standard))
        g.add((URIRef(ontology), DCTERMS.title, Literal(title, lang="en")))
    provenance = BNode()
    g.add((d, DCTERMS.provenance, provenance))
    g.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
    g.add((provenance, RDFS.label, Literal(_provenance_text(facts), lang="en")))

    # one distribution per whole-graph dump
    for f, suffix, gz in facts.dumps:
        label, media, filetype, _ = DUMP_FORMATS[suffix]
        dist = facts.iri("distribution-" + f.name)
        url = facts.download(f.name)
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f.name)))
        g.add((dist, DCTERMS.description, Literal(facts.dump_description(suffix, gz), lang="en")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.mediaType, _typed(g, URIRef(IANA + media), DCTERMS.MediaType)))
        g.add((dist, DCTERMS.format, _typed(g, URIRef(EU + "file-type/" + filetype), DCTERMS.MediaTypeOrExtent)))
        if gz:
            g.add((dist, DCAT.compressFormat, _typed(g, URIRef(GZIP), DCTERMS.MediaType)))
        g.add((dist, DCAT.byteSize, Literal(str(f.size), datatype=XSD.nonNegativeInteger)))
        checksum = BNode()
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(f.sha256.lower(), datatype=XSD.hexBinary)))
        g.add((dist, DCTERMS.license, licence))
        g.add((dist, DCATAP.availability, _concept(g, URIRef(AVAILABILITY[0]), AVAILABILITY[1],
                                                    EU + "planned-availability")))
        modified = facts.date("modified")
        if modified is not None:
            g.add((dist, DCTERMS.modified, modified))

    # the SPARQL endpoint
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal(f"{s.title}: SPARQL endpoint", lang="en")))
    g.add((service, DCTERMS.description, Literal(
        "A read-only SPARQL 1.1 query service over the whole graph, one named graph per source file; "
        "a GET without a query answers its service description.", lang="en")))
    g.add((service, DCAT.endpointURL, facts.sparql))
    g.add((service, DCAT.endpointDescription, facts.sparql))
    g.add((service, DCAT.servesDataset, d))
    g.add((service, DCAT.landingPage, home))
    g.add((service, DCTERMS.conformsTo, URIRef(SPARQL_PROTOCOL[0])))
    g.add((URIRef(SPARQL_PROTOCOL[0]), RDF.type, DCTERMS.Standard))
    g.add((URIRef(SPARQL_PROTOCOL[0]), DCTERMS.title, Literal(SPARQL_PROTOCOL[1], lang="en")))
    g.add((service, DCTERMS.license, licence))
    g.add((service, DCTERMS.accessRights, public))
    g.add((service, DCTERMS.publisher, publisher))
    g.add((service, DCAT.contactPoint, contact))
    for keyword in s.keywords:
        g.add((service, DCAT.keyword, facts.text(keyword)))
    for theme, _ in themes:
        g.add((service, DCAT.theme, theme))
    return g


def _provenance_text(facts: _Facts) -> str:
    data = [f for f in facts.sources.files if f.kind == "data"]
    onto = [f for f in facts.sources.files if f.kind == "ontology"]
    text = (f"Generated by ilograph from {_count(len(data), 'data file')} and {_count(len(onto), 'vocabulary file')}, "
            "each kept as its own named graph, after validation against the project's SHACL shapes.")
    if facts.source_documents:
        text += (f" The facts cite {_count(len(facts.source_documents), 'source document')}, linked from the "
                 "resources and from the named graphs (prov:wasDerivedFrom and its sub-properties).")
    return text


def _concept(g: _Triples, iri: URIRef, label: str, scheme: str) -> URIRef:
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    g.add((iri, SKOS.inScheme, URIRef(scheme)))
    return iri


def _typed(g: _Triples, iri: URIRef, cls: URIRef) -> URIRef:
    g.add((iri, RDF.type, cls))
    return iri


def _language(g: _Triples, language: tuple[str, str]) -> URIRef:
    iri = URIRef(EU + "language/" + language[0])
    g.add((iri, RDF.type, DCTERMS.LinguisticSystem))
    g.add((iri, RDFS.label, Literal(language[1], lang="en")))
    return iri


# --- schema.org -------------------------------------------------------------------------------

def _schema(facts: _Facts) -> dict:
    """A schema.org ``Dataset`` as Google's dataset guidance reads it, with an inline context (the
    ``@vocab`` of schema.org; URL-valued terms typed ``@id``) so no remote context is fetched."""
    s = facts.settings
    context: dict[str, object] = {"@vocab": SCHEMA}
    for term in ("url", "license", "contentUrl", "sameAs"):
        context[term] = {"@id": SCHEMA + term, "@type": "@id"}
    publisher = {"@type": "Organization", "@id": str(facts.publisher), "name": s.publisher_name or s.title,
                 "url": str(facts.homepage)}
    doc: dict[str, object] = {
        "@context": context,
        "@type": "Dataset",
        "@id": str(facts.dataset),
        "name": s.title,
        "url": str(facts.homepage),
        "identifier": str(facts.dataset),
        "license": s.license,
        "isAccessibleForFree": True,
        "version": s.version,
        "creator": publisher,
        "publisher": publisher,
        "includedInDataCatalog": {"@type": "DataCatalog", "@id": str(facts.iri("catalog")), "name": s.title,
                                  "url": str(facts.homepage)},
        "distribution": [
            {"@type": "DataDownload", "name": f.name, "description": facts.dump_description(suffix, gz),
             "contentUrl": str(facts.download(f.name)), "encodingFormat": f.media_type,
             "contentSize": f"{f.size} B", "sha256": f.sha256.lower(), "license": s.license}
            for f, suffix, gz in facts.dumps],
    }
    if s.description:
        doc["description"] = s.description
    if s.keywords:
        doc["keywords"] = list(s.keywords)
    if facts.languages:
        doc["inLanguage"] = list(facts.languages)
    issued, modified = facts.date("issued"), facts.date("modified")
    if issued is not None:
        doc["datePublished"] = str(issued)
    if modified is not None:
        doc["dateModified"] = str(modified)
    if facts.temporal:
        doc["temporalCoverage"] = f"{facts.temporal[0].value}/{facts.temporal[1].value}"
    spatial = s.spatial
    if spatial:
        place: dict[str, object] = {"@type": "Place", "@id": spatial}
        if spatial in LOCATIONS:
            place["name"] = LOCATIONS[spatial][0]
        doc["spatialCoverage"] = place
    return doc


# --- helpers ----------------------------------------------------------------------------------

def _dumps(name: str, files: list[_File]) -> list[tuple[_File, str, bool]]:
    """The whole-graph dumps among ``files``: (file, format suffix, gzip-compressed)."""
    dumps = []
    for f in sorted(files, key=lambda f: f.name):
        stem, _, rest = f.name.partition(".")
        suffix, _, gz = rest.partition(".")
        if stem == name and suffix in DUMP_FORMATS and gz in ("", "gz"):
            dumps.append((f, suffix, gz == "gz"))
    return dumps


def _file(entry: FileEntry) -> _File:
    if isinstance(entry, Mapping):
        return _File(str(entry["name"]), int(entry["size"]), str(entry["sha256"]), str(entry["media_type"]))
    if hasattr(entry, "sha256") and hasattr(entry, "name"):
        return _File(entry.name, int(entry.size), entry.sha256, entry.media_type)  # type: ignore[attr-defined]
    name, size, digest, media = entry  # type: ignore[misc]
    return _File(str(name), int(size), str(digest), str(media))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _int(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def _uri(iri: str) -> str:
    """An IRI as a URI (non-ASCII characters and spaces percent-encoded), as sitemaps require."""
    if _URI_SAFE.fullmatch(iri):
        return iri
    return quote(iri, safe=":/?#[]@!$&'()*+,;=%~")


_URI_SAFE = re.compile(r"[A-Za-z0-9:/?#\[\]@!$&'()*+,;=%~._-]*")


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("#/"))[-1] or "link"


def _period(literal: ox.Literal) -> tuple[str, str]:
    """The first and last day a date-like literal covers, as sortable ``YYYY-MM-DD`` strings."""
    value = literal.value.lstrip("-")[:10]
    if len(value) == 4:
        return value + "-01-01", value + "-12-31"
    if len(value) == 7:
        return value + "-01", value + "-31"
    return value, value


def _title(quads: list[ox.Quad], node: ox.NamedNode) -> str | None:
    for predicate in (DCTERMS.title, RDFS.label):
        values = sorted((q.object for q in quads if q.subject == node and q.predicate.value == str(predicate)
                         and isinstance(q.object, ox.Literal)), key=str)
        english = [v.value for v in values if (v.language or "en").startswith("en")]
        if english:
            return english[0]
    return None


def _namespaces(sources: Sources) -> list[str]:
    from .release import STANDARD_PREFIXES
    spaces = set(STANDARD_PREFIXES.values()) | set(sources.prefixes().values())
    return sorted(spaces, key=len, reverse=True)


def _namespace(iri: str, namespaces: list[str]) -> str:
    for ns in namespaces:
        if iri.startswith(ns) and len(iri) > len(ns) and ns[-1] in "#/":
            return ns
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[:cut + 1] if cut > 0 else iri


def _target(iri: str) -> tuple[str, str, str, str | None, str | None]:
    """The external dataset an IRI belongs to: (IRI prefix, slug, title, homepage, SPARQL endpoint);
    a known dataset, else the IRI's scheme and host."""
    for known in KNOWN_TARGETS:
        if iri.startswith(known[0]):
            return known
    parts = urlsplit(iri)
    prefix = f"{parts.scheme}://{parts.netloc}/" if parts.netloc else iri.split(":", 1)[0] + ":"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", parts.netloc or parts.scheme).strip("-").lower() or "external"
    return prefix, slug, parts.netloc or prefix, None, None


def _target_prefix(iri: str) -> str:
    """``_target(iri)[0]``, without parsing the IRI when its scheme and host are plain."""
    for known in KNOWN_TARGETS:
        if iri.startswith(known[0]):
            return known[0]
    scheme, sep, rest = iri.partition("://")
    if sep and scheme.isalpha():
        host = rest.split("/", 1)[0]
        if host and not any(c in host for c in "?#@"):
            return f"{scheme.lower()}://{host}/"
    return _target(iri)[0]


def _used(graph: "rdflib.Graph | _Triples", prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes whose namespace starts an IRI (or a datatype) of ``graph``."""
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    iris |= {str(t.datatype) for _, _, t in graph if isinstance(t, Literal) and t.datatype}
    ordered = sorted(iris)

    def starts(ns: str) -> bool:  # the first IRI not before ns is the one that would start with it
        i = bisect.bisect_left(ordered, ns)
        return i < len(ordered) and ordered[i].startswith(ns)
    return {p: ns for p, ns in prefixes.items() if starts(ns)}


def _prefixes(sources: Sources) -> dict[str, str]:
    from .release import STANDARD_PREFIXES
    prefixes = {**STANDARD_PREFIXES, **PREFIXES}
    for p, ns in sorted(sources.prefixes().items()):
        if p not in prefixes and ns not in prefixes.values():
            prefixes[p] = ns
    return prefixes
