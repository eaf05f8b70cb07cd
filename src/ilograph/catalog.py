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

__all__ = ["Descriptions", "FileEntry", "describe", "write_descriptions", "sitemap_xml", "robots_txt",
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

def describe(project: Project, sources: Sources, files: Iterable[FileEntry], triples: int) -> Descriptions:
    """VoID, DCAT-AP and schema.org descriptions of ``sources`` as released in ``files``.

    ``triples`` is the release's triple count (the distinct triples of every graph). Raises
    :class:`~ilograph.errors.ConfigError` when a date, theme or contact setting cannot be read.
    """
    facts = _Facts.of(project, sources, [_file(f) for f in files], triples)
    return Descriptions(void=_void(facts), dcat=_dcat(facts), schema=_schema(facts))


def write_descriptions(folder: Path, project: Project, sources: Sources, files: Iterable[FileEntry],
                       triples: int) -> list[Path]:
    """Write ``void.ttl``, ``dcat.ttl``, ``dataset.jsonld``, ``sitemap.xml`` and ``robots.txt`` into
    ``folder`` (byte-identical for the same input) and return their paths.

    Raises :class:`~ilograph.errors.ReleaseError` when one of them would overwrite a file already
    in ``folder`` (a release named after one of them) or the sitemap would exceed 50,000 URLs, and
    what :func:`describe` raises.
    """
    taken = [name for name in FILES if (folder / name).exists()]
    if taken:
        raise ReleaseError(f"{folder}: {', '.join(taken)} already exist; the catalogue files would overwrite "
                           f"them (choose another [dataset] release-name)")
    described = describe(project, sources, files, triples)
    prefixes = _prefixes(sources)
    texts: dict[str, bytes] = {
        "void.ttl": serialize_turtle(described.void, _used(described.void, prefixes)),
        "dcat.ttl": serialize_turtle(described.dcat, _used(described.dcat, prefixes)),
        "dataset.jsonld": (json.dumps(described.schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(),
        "sitemap.xml": sitemap_xml(project, sources).encode(),
        "robots.txt": robots_txt(project).encode(),
    }
    paths = []
    for name in FILES:
        (folder / name).write_bytes(texts[name])
        paths.append(folder / name)
    return paths


def serialize_turtle(graph: rdflib.Graph, prefixes: Mapping[str, str] | None = None) -> bytes:
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


def sitemap_xml(project: Project, sources: Sources, *, base: str | None = None) -> str:
    """``sitemap.xml``: the home, vocabulary and downloads pages, then every resource IRI under
    ``<base>id/``, sorted; ``lastmod`` is the ``modified`` (else ``issued``) setting.

    ``base`` replaces ``project.base`` in every URL (a server publishing under another host).
    Raises :class:`~ilograph.errors.ReleaseError` beyond 50,000 URLs (one sitemap file's limit).
    """
    public = base or project.base
    space = project.base + RESOURCE_PATH
    resources: set[str] = set()
    for q in sources.dataset:
        for term in (q.subject, q.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(space):
                resources.add(term.value)
    pages = [project.base] + _vocabularies(project, sources) + [project.base + DOWNLOAD_PATH]
    urls = pages + sorted(resources - set(pages))
    if len(urls) > SITEMAP_LIMIT:
        raise ReleaseError(f"the sitemap would list {len(urls)} URLs, more than the {SITEMAP_LIMIT} one file may hold")
    date = project.dataset.modified or project.dataset.issued
    lastmod = f"<lastmod>{escape(date[:10])}</lastmod>" if date else ""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for iri in urls:
        url = public + iri[len(project.base):]
        lines.append(f"  <url><loc>{escape(_uri(url))}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


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
    def of(cls, project: Project, sources: Sources, files: list[_File], triples: int) -> "_Facts":
        base, space = project.base, project.base + RESOURCE_PATH
        name = project.dataset.release_name
        dumps = []
        for f in sorted(files, key=lambda f: f.name):
            stem, _, rest = f.name.partition(".")
            suffix, _, gz = rest.partition(".")
            if stem == name and suffix in DUMP_FORMATS and gz in ("", "gz"):
                dumps.append((f, suffix, gz == "gz"))
        rdf_type = ox.NamedNode(str(RDF.type))
        unique: set[ox.Triple] = {q.triple for q in sources.dataset}
        subjects: set = set()
        objects: set = set()
        instances: dict[str, set] = defaultdict(set)
        by_predicate: dict[str, list] = defaultdict(lambda: [0, set(), set()])
        weight: Counter = Counter()
        for t in unique:
            subjects.add(t.subject)
            objects.add(t.object)
            row = by_predicate[t.predicate.value]
            row[0] += 1
            row[1].add(t.subject)
            row[2].add(t.object)
            if t.predicate == rdf_type and isinstance(t.object, ox.NamedNode):
                instances[t.object.value].add(t.subject)
            if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(space):
                weight[t.subject.value] += 1
        namespaces = _namespaces(sources)
        used = set(by_predicate) | set(instances)
        vocabularies = sorted({_namespace(iri, namespaces) for iri in used})
        examples = [iri for iri, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]

        derivation = _sub_properties(sources, str(PROV.wasDerivedFrom))
        graphs = []
        for f in sources.files:
            node = ox.NamedNode(f.graph)
            about = {(q.predicate.value, q.object) for q in sources.dataset.quads_for_subject(node)}
            count = sum(1 for _ in sources.dataset.quads_for_graph_name(node))
            graphs.append((f.graph, f.path.relative_to(project.root).as_posix(), count, sorted(about, key=str)))
        documents: set[str] = set()
        links: Counter = Counter()
        langs: set[str] = set()
        dates: list[ox.Literal] = []
        for q in sources.quads(("data",)):
            o, p = q.object, q.predicate.value
            if isinstance(o, ox.NamedNode):
                if p in derivation:
                    documents.add(o.value)
                if (p != str(RDF.type) and not o.value.startswith(base) and isinstance(q.subject, ox.NamedNode)
                        and q.subject.value.startswith(base)):
                    links[(_target(o.value)[0], p)] += 1
            elif isinstance(o, ox.Literal):
                if o.language:
                    langs.add(o.language.split("-")[0].lower())
                elif o.datatype.value in (str(XSD.date), str(XSD.dateTime), str(XSD.gYear), str(XSD.gYearMonth)):
                    dates.append(o)
        temporal = None
        if dates:
            temporal = (min(dates, key=lambda d: (_period(d)[0], d.value)),
                        max(dates, key=lambda d: (_period(d)[1], d.value)))
        ontologies = {}
        for q in sources.quads(("ontology",)):
            if q.predicate == rdf_type and q.object.value == str(OWL.Ontology) and isinstance(q.subject, ox.NamedNode):
                ontologies[q.subject.value] = _title(sources, q.subject) or q.subject.value
        return cls(project=project, sources=sources, dumps=dumps, triples=triples,
                   entities=sum(1 for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(space)),
                   distinct_subjects=len(subjects), distinct_objects=len(objects),
                   classes=Counter({c: len(s) for c, s in instances.items()}),
                   properties={p: (r[0], len(r[1]), len(r[2])) for p, r in by_predicate.items()},
                   vocabularies=vocabularies, examples=examples, graphs=sorted(graphs), derivation=derivation,
                   source_documents=documents, links=dict(links),
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

def _void(facts: _Facts) -> rdflib.Graph:
    g = rdflib.Graph()
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


def _common(g: rdflib.Graph, facts: _Facts, node: URIRef) -> None:
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

def _dcat(facts: _Facts) -> rdflib.Graph:
    g = rdflib.Graph()
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


def _concept(g: rdflib.Graph, iri: URIRef, label: str, scheme: str) -> URIRef:
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    g.add((iri, SKOS.inScheme, URIRef(scheme)))
    return iri


def _typed(g: rdflib.Graph, iri: URIRef, cls: URIRef) -> URIRef:
    g.add((iri, RDF.type, cls))
    return iri


def _language(g: rdflib.Graph, language: tuple[str, str]) -> URIRef:
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
    return quote(iri, safe=":/?#[]@!$&'()*+,;=%~")


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


def _title(sources: Sources, node: ox.NamedNode) -> str | None:
    for predicate in (DCTERMS.title, RDFS.label):
        values = sorted(q.object for q in sources.dataset.quads_for_subject(node)
                        if q.predicate.value == str(predicate) and isinstance(q.object, ox.Literal))
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


def _vocabularies(project: Project, sources: Sources) -> list[str]:
    """The ontologies published under the base (their IRIs serve the vocabulary's documentation)."""
    rdf_type, ontology = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(OWL.Ontology))
    return sorted({q.subject.value for q in sources.dataset.quads_for_predicate(rdf_type) if q.object == ontology
                   and isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(project.base)})


def _sub_properties(sources: Sources, top: str) -> set[str]:
    """``top`` and every property declared (transitively) its sub-property in the sources."""
    edges: dict[str, set[str]] = defaultdict(set)
    for q in sources.dataset.quads_for_predicate(ox.NamedNode(str(RDFS.subPropertyOf))):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            edges[q.object.value].add(q.subject.value)
    found, todo = {top}, [top]
    while todo:
        for sub in edges[todo.pop()] - found:
            found.add(sub)
            todo.append(sub)
    return found


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


def _used(graph: rdflib.Graph, prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes whose namespace starts an IRI (or a datatype) of ``graph``."""
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    iris |= {str(t.datatype) for _, _, t in graph if isinstance(t, Literal) and t.datatype}
    return {p: ns for p, ns in prefixes.items() if any(iri.startswith(ns) for iri in iris)}


def _prefixes(sources: Sources) -> dict[str, str]:
    from .release import STANDARD_PREFIXES
    prefixes = {**STANDARD_PREFIXES, **PREFIXES}
    for p, ns in sorted(sources.prefixes().items()):
        if p not in prefixes and ns not in prefixes.values():
            prefixes[p] = ns
    return prefixes
