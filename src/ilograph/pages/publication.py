"""A release opened for publication: the store every page is drawn from, the release's files,
JSON-LD context and schema.org description, and what a page needs to know about any term it names.

Queries are the ``queries/*.rq`` files of this package; the IRI or text a query is about is bound
with ``substitutions`` (``?this``, ``?space``, ``?q``, ``?ns``), never formatted into the query text.
Every query sees as its default graph the merge of the named graphs (the source files): the
union of the named graphs of a store that holds only them, or the default graph itself of a store
laid out as the query service's (:func:`ilograph.store.fill`: it holds that merge, with the same
blank nodes).

Opening is cheap whatever the size when the release's on-disk store is given
(:meth:`Publication.open` with ``disk=``): the store is opened read-only and the exact literals are
looked up per subject when a page needs them; only the manifest, the checksums, the JSON-LD
context and the schema.org description are read at start.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox

from ..errors import InputError
from ..store import DiskStore, ExactLiterals

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ILO = "https://w3id.org/ilograph/def#"
SCHEMA = "https://schema.org/"

RDF_TYPE = RDF + "type"
PREF_LABEL, LABEL, ALT_LABEL = SKOS + "prefLabel", RDFS + "label", SKOS + "altLabel"
TITLE, DESCRIPTION, DEFINITION, COMMENT = DCTERMS + "title", DCTERMS + "description", SKOS + "definition", RDFS + "comment"
ACRONYM, POSITION, SOURCE, QUOTE = ILO + "acronym", ILO + "position", ILO + "source", ILO + "quote"

_CACHE_LIMIT = 50_000  # term descriptions kept per publication


@cache
def query_text(name: str) -> str:
    """The text of ``queries/<name>.rq`` in this package."""
    return (files(__package__) / "queries" / f"{name}.rq").read_text(encoding="utf-8")


def run(store: ox.Store, name: str, *, merged: bool = False,
        **bindings: ox.NamedNode | ox.Literal) -> list[ox.QuerySolution]:
    """Run the package query ``name`` with each keyword bound to its variable (``this=...``). Its
    default graph is the union of the store's named graphs, or with ``merged`` (a store filled by
    :func:`ilograph.store.fill`) the store's default graph, which holds their merge."""
    result = store.query(query_text(name), substitutions={ox.Variable(k): v for k, v in bindings.items()},
                         use_default_graph_as_union=not merged)
    return list(result)  # type: ignore[arg-type]


def construct(store: ox.Store, name: str, *, merged: bool = False,
              **bindings: ox.NamedNode | ox.Literal) -> list[ox.Triple]:
    """Run the package CONSTRUCT query ``name`` (as :func:`run`); the distinct triples in a stable order."""
    result = store.query(query_text(name), substitutions={ox.Variable(k): v for k, v in bindings.items()},
                         use_default_graph_as_union=not merged)
    return sorted(set(result), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))  # type: ignore[arg-type]


def named(iri: str) -> ox.NamedNode | None:
    """``iri`` as a node, or None when it is not a valid IRI (a store read leniently may hold IRIs
    that cannot be written back, such as ones with ``<`` or ``"``: such a term is shown as text)."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


@dataclass(frozen=True)
class FileInfo:
    """One file of the release, as the downloads page lists it."""

    name: str
    size: int
    sha256: str
    media_type: str


@dataclass(frozen=True)
class TermInfo:
    """What a page shows of a term it names (see ``queries/term.rq``)."""

    iri: str
    values: Mapping[str, tuple[ox.NamedNode | ox.BlankNode | ox.Literal, ...]]

    def get(self, key: str) -> tuple[ox.NamedNode | ox.BlankNode | ox.Literal, ...]:
        return self.values.get(key, ())

    def literals(self, key: str) -> list[ox.Literal]:
        return sorted((v for v in self.get(key) if isinstance(v, ox.Literal)), key=lambda v: (v.language or "", v.value))

    def iris(self, key: str) -> list[str]:
        return sorted(v.value for v in self.get(key) if isinstance(v, ox.NamedNode))

    @property
    def position(self) -> int | None:
        for v in self.get(POSITION):
            try:
                return int(v.value)
            except ValueError:
                continue
        return None


@dataclass
class Publication:
    """Everything the pages are drawn from. Open a release folder with :meth:`open`, or wrap a
    store with :meth:`from_store` (tests, a server that already holds one)."""

    store: ox.Store
    base: str
    title: str = "Untitled dataset"
    description: str = ""
    release_id: str = ""
    triples: int = 0
    files: tuple[FileInfo, ...] = ()
    context: dict = field(default_factory=dict)
    schema: dict | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    #: the literals as released where the store keeps another form (it canonicalizes them, so
    #: that ``"2"^^xsd:positiveInteger`` reads back as ``xsd:integer``); used for exact descriptions
    exact: ExactLiterals | None = None
    folder: Path | None = None
    #: whether the store holds the merge of the named graphs in its default graph (filled by
    #: :func:`ilograph.store.fill`), which queries then read, or only named graphs
    merged: bool = False
    _terms: dict[str, TermInfo] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, folder: str | Path, *, store: ox.Store | None = None, disk: DiskStore | None = None) -> Publication:
        """Open the release at ``folder`` (its ``release.json``, context, schema.org description
        and ``SHA256SUMS``). With ``disk`` (the release's on-disk store, see
        :func:`ilograph.store.prepare_disk_store`), its store is opened read-only and nothing else
        is read: start-up does not grow with the release. Otherwise the quads are parsed: into a
        new in-memory store, or, when ``store`` is given (it must hold the release's quads and
        nothing else), only to find the exact literals.

        Raises :class:`~ilograph.errors.InputError` when ``folder`` is not a readable release.
        """
        folder = Path(folder).resolve()
        try:
            manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
            listed = manifest["files"]
            quads_name = next(f["name"] for f in listed if f["media_type"] == "application/n-quads")
            context = _read_json(folder / "context.jsonld") or {"@context": {}}
            schema = _read_json(folder / "dataset.jsonld")
            sums = _read_sums(folder / "SHA256SUMS")
            exact: ExactLiterals | None = None
            if disk is not None:
                store, exact = disk.open(), ExactLiterals.open(disk.exact)
            else:
                quads = list(ox.parse(path=str(folder / quads_name), format=ox.RdfFormat.N_QUADS))
                exact = ExactLiterals.scan(quads)
                if store is None:
                    store = ox.Store()
                    store.bulk_extend(quads)
                del quads
        except (OSError, ValueError, KeyError, StopIteration, TypeError, SyntaxError) as exc:
            raise InputError(f"{folder}: not a readable ilograph release ({type(exc).__name__}: {exc}); "
                             "run `ilograph build`") from None
        infos = [FileInfo(str(f["name"]), int(f["size"]), str(f["sha256"]), str(f["media_type"])) for f in listed]
        from ..release import media_type
        for name in ("release.json", "SHA256SUMS"):
            path = folder / name
            if path.is_file() and name not in {f.name for f in infos}:
                digest = sums.get(name) or hashlib.sha256(path.read_bytes()).hexdigest()
                infos.append(FileInfo(name, path.stat().st_size, digest, media_type(name)))
        dataset = manifest.get("dataset", {})
        description = str((schema or {}).get("description", "")) if isinstance(schema, dict) else ""
        return cls(store=store, base=str(dataset["base"]), title=str(dataset.get("title") or "Untitled dataset"),
                   description=description,
                   release_id=hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()[:16],
                   triples=int(manifest.get("triples", 0)), files=tuple(sorted(infos, key=lambda f: f.name)),
                   context=context, schema=schema if isinstance(schema, dict) else None,
                   prefixes=_prefixes(context), exact=exact, folder=folder, merged=disk is not None)

    @classmethod
    def from_store(cls, store: ox.Store, base: str, **settings: object) -> Publication:
        """A publication over ``store`` without a release folder (no downloads, no exact copy)."""
        pub = cls(store=store, base=base, **settings)  # type: ignore[arg-type]
        if not pub.prefixes:
            pub.prefixes = _prefixes(pub.context)
        if not pub.triples:
            pub.triples = len({q.triple for q in store})
        return pub

    # --- what is published ------------------------------------------------------------------

    def run(self, name: str, **bindings: ox.NamedNode | ox.Literal) -> list[ox.QuerySolution]:
        """:func:`run` on this publication's store, with its default graph."""
        return run(self.store, name, merged=self.merged, **bindings)

    def resources(self) -> list[str]:
        """Every IRI under the base that has a page of its own: subjects and objects of the
        store, except the home page (the base and its fragments), the vocabulary (``def``) and IRIs
        whose path cannot be a file name (see :meth:`page_of`)."""
        found = set()
        for row in self.run("resources", space=ox.Literal(self.base)):
            iri = row["r"].value
            if self.page_of(iri) is not None:
                found.add(iri)
        return sorted(found)

    def page_of(self, iri: str) -> str | None:
        """The page name (path under the base) of a resource IRI, or None when ``iri`` has no page
        of its own: outside the base, the home page, the vocabulary, or a path that cannot be a
        file name (empty or dot segments, a fragment or query, percent-escapes or characters outside
        the URI path set: a file server would decode them and miss the file)."""
        if not iri.startswith(self.base):
            return None
        path = iri[len(self.base):]
        if path == "def" or path.startswith(("def/", "def#")) or not _safe_path(path):
            return None
        return path

    def file_path(self, name: str) -> Path | None:
        """The path of the release file ``name`` (exactly as listed: no other path is ever given
        out), or None."""
        if self.folder is None or name not in {f.name for f in self.files}:
            return None
        return self.folder / name

    def ontologies(self) -> list[str]:
        return sorted(row["ontology"].value for row in self.run("ontologies", space=ox.Literal(self.base)))

    # --- documents --------------------------------------------------------------------------

    def describe(self, iri: str) -> list[ox.Triple]:
        """:func:`~.rdf.describe` with the release's exact literals."""
        from .rdf import describe

        return describe(self.store, iri, exact=self.exact, merged=self.merged)

    def document(self, iri: str, fmt: str) -> bytes:
        """:func:`~.rdf.resource_document` with the release's JSON-LD context, prefixes and exact
        literals. Raises :class:`~.rdf.NotFound` and ValueError as it does."""
        from .rdf import resource_document

        return resource_document(self.store, iri, fmt, context=self.context or None, prefixes=self.prefixes,
                                 exact=self.exact, merged=self.merged)

    def vocabulary_document(self, fmt: str) -> bytes:
        """The vocabulary as ``fmt``: the release's ``ontology.<ext>`` file when there is one, else
        written from the ontology graphs (``<base>graph/ontology/...``). Raises
        :class:`~.rdf.NotFound` when there is no vocabulary, ValueError for an unknown format."""
        from .rdf import NotFound, format_name, serialize

        ext = format_name(fmt)
        if self.folder is not None and (self.folder / f"ontology.{ext}").is_file():
            return (self.folder / f"ontology.{ext}").read_bytes()
        prefix = self.base + "graph/ontology/"
        found = {q.triple for graph in self.store.named_graphs()
                 if isinstance(graph, ox.NamedNode) and graph.value.startswith(prefix)
                 for q in self.store.quads_for_pattern(None, None, None, graph)}
        if self.exact is not None:
            found = self.exact.restore(found)
        triples = sorted(found, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        if not triples:
            raise NotFound("this publication has no vocabulary")
        return serialize(triples, ext, context=self.context or None, prefixes=self.prefixes)

    # --- terms ----------------------------------------------------------------------------

    def term(self, iri: str) -> TermInfo:
        """Labels, types, acronyms, position, publisher, date, sources and inverses of ``iri``."""
        info = self._terms.get(iri)
        if info is None:
            values: dict[str, list] = {}
            node = named(iri)
            for row in (self.run("term", this=node) if node is not None else ()):
                values.setdefault(row["key"].value, []).append(row["value"])
            info = TermInfo(iri, {k: tuple(v) for k, v in values.items()})
            if len(self._terms) > _CACHE_LIMIT:
                self._terms.clear()
            self._terms[iri] = info
        return info

    def curie(self, iri: str) -> str:
        """``iri`` as ``prefix:local`` when a known prefix fits, else the IRI itself."""
        best = ""
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and len(ns) > len(self.prefixes.get(best, "")) and len(iri) > len(ns):
                best = prefix
        if best:
            local = iri[len(self.prefixes[best]):]
            if "/" not in local and "#" not in local:
                return f"{best}:{local}"
        return iri

    def statements(self, iri: str) -> Iterator[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal, str | None]]:
        """(predicate, object, named graph) of every statement about ``iri``."""
        node = named(iri)
        if node is None:
            return
        for row in self.run("statements", this=node):
            g = row["g"]
            yield row["p"].value, row["o"], (g.value if g is not None else None)


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    value = json.loads(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else None


def _read_sums(path: Path) -> dict[str, str]:
    sums = {}
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        if name:
            sums[name] = digest
    return sums


def _prefixes(context: dict) -> dict[str, str]:
    """The prefixes of a JSON-LD context (terms mapped to an IRI ending in ``/`` or ``#``), with
    the standard ones."""
    from ..release import STANDARD_PREFIXES

    prefixes = dict(STANDARD_PREFIXES)
    for key, value in (context.get("@context") or {}).items():
        if (isinstance(value, str) and value.endswith(("/", "#")) and ":" not in key and not key.startswith("@")
                and value not in prefixes.values()):
            prefixes.setdefault(key, value)
    return prefixes


_PATH_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/")


def _safe_path(path: str) -> bool:
    """A path that can be a file of the static site and a route of the server."""
    if not path or path.startswith("/") or path.endswith("/") or any(c not in _PATH_CHARS for c in path):
        return False
    segments = path.split("/")
    if not all(s and s not in (".", "..") and not s.startswith(".") for s in segments):
        return False
    return not (segments[0] in _RESERVED or path.endswith(_DOCUMENT_SUFFIXES) or path in ("index", "def", "search"))


#: first path segments the publication uses for itself, and the suffixes of its documents
_RESERVED = {"download", "static", "sparql", "search", "sitemap.xml", "robots.txt", "dcat.ttl", "void.ttl",
             "dataset.jsonld", "nginx.conf", "queries"}
_DOCUMENT_SUFFIXES = (".html", ".ttl", ".jsonld", ".nt", ".rdf", ".gz")
