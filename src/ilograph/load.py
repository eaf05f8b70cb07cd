"""Load a project's sources into one dataset: a named graph per source file.

Parsing is done by pyoxigraph (fast, and its syntax errors carry line and column). The result keeps
the quads in an in-memory pyoxigraph store for SPARQL checks, converts to rdflib on demand for
pySHACL and owlrl, and can say on which line of which file an IRI first appears.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urljoin

import pyoxigraph as ox
import rdflib

from .errors import LoadError
from .project import RDF_SUFFIXES, Project

_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
            ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML}
_PARSER_PREFIX = re.compile(r"^Parser error at line \d+ between columns \d+ and \d+: |^Parser error at line \d+ column \d+: |^error at \d+:\d+: ")

_HINTS = (
    ("dot is expected", "end the previous statement with ' .', or separate its predicates with ';' and its objects with ','"),
    ("has not been declared", "declare the prefix at the top of the file, e.g. @prefix ilo: <https://w3id.org/ilograph/def#> ."),
    ("prefix", "check the @prefix declarations at the top of the file"),
    ("invalid IRI", "IRIs are written <...> without spaces, or as prefix:name"),
    ("UTF-8", "save the file as UTF-8"),
    ("unexpected end", "a statement, string or bracket is not closed"),
    ("string", "check the quotes: a literal is written \"...\" and a long one \"\"\"...\"\"\""),
)


@dataclass(frozen=True)
class SourceFile:
    """One parsed source file and the named graph it was loaded into."""

    path: Path
    graph: str
    kind: str  # "ontology" or "data"
    triples: int
    prefixes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Sources:
    """The loaded project: every source file's quads, by named graph.

    ``dataset`` holds the quads exactly as written (what validation and dumps read); ``store`` holds
    the same quads for SPARQL. The store compares literals by value and keeps them in canonical
    form (``"5"^^xsd:positiveInteger`` becomes ``"5"^^xsd:integer``), so it is never the source of a dump.
    """

    project: Project
    files: list[SourceFile]
    dataset: ox.Dataset
    store: ox.Store

    def __len__(self) -> int:
        return len(self.dataset)

    def file_for_graph(self, graph: str) -> SourceFile | None:
        return self._by_graph.get(graph)

    @cached_property
    def _by_graph(self) -> dict[str, SourceFile]:
        return {f.graph: f for f in self.files}

    @property
    def data_graphs(self) -> list[str]:
        return [f.graph for f in self.files if f.kind == "data"]

    @property
    def ontology_graphs(self) -> list[str]:
        return [f.graph for f in self.files if f.kind == "ontology"]

    def quads(self, kinds: Iterable[str] = ("ontology", "data")) -> Iterator[ox.Quad]:
        for f in self.files:
            if f.kind in kinds:
                yield from self.dataset.quads_for_graph_name(ox.NamedNode(f.graph))

    def to_rdflib(self, kinds: Iterable[str] = ("ontology", "data")) -> rdflib.Graph:
        """The union of the chosen files as one rdflib Graph (what pySHACL and owlrl read)."""
        graph = rdflib.Graph()
        add = graph.add
        for q in self.quads(kinds):
            add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return graph

    def prefixes(self) -> dict[str, str]:
        """Every prefix declared in a source file (first declaration wins), for readable output."""
        merged: dict[str, str] = {}
        for f in self.files:
            for k, v in f.prefixes.items():
                merged.setdefault(k, v)
        return merged

    @cached_property
    def positions(self) -> "Positions":
        return Positions(self)

    def defining_file(self, iri: str) -> SourceFile | None:
        """The file that types ``iri`` (the first one in load order), else the first mentioning it."""
        node = ox.NamedNode(iri)
        typed = {q.graph_name.value for q in self.store.quads_for_pattern(node, _RDF_TYPE, None, None)
                 if isinstance(q.graph_name, ox.NamedNode)}
        for f in self.files:
            if f.graph in typed:
                return f
        for f in self.files:
            if next(iter(self.store.quads_for_pattern(node, None, None, ox.NamedNode(f.graph))), None):
                return f
        return None

    def statement_file(self, subject: str, predicate: str, value: ox.NamedNode | ox.BlankNode | ox.Literal | None = None) -> SourceFile | None:
        """The first file (in load order) that states ``subject predicate value`` (any value if None)."""
        graphs = {q.graph_name.value for q in self.dataset.quads_for_subject(ox.NamedNode(subject))
                  if q.predicate.value == predicate and (value is None or q.object == value)
                  and isinstance(q.graph_name, ox.NamedNode)}
        return next((f for f in self.files if f.graph in graphs), None)

    def locate(self, iri: str, in_file: SourceFile | None = None) -> tuple[Path, int | None] | None:
        """``(file, line)`` where ``iri`` is first written in its defining file (or ``in_file``)."""
        f = in_file or self.defining_file(iri)
        if f is None:
            return None
        return f.path, self.positions.line(f, iri)


_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    """Convert one pyoxigraph term to rdflib."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(dt))
    raise TypeError(f"unsupported RDF term {term!r}")


def from_rdflib(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert one rdflib term to pyoxigraph."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported RDF term {term!r}")


def parse_file(path: Path, base: str) -> tuple[list[ox.Triple], dict[str, str]]:
    """Parse one RDF file. Raises :class:`LoadError` with file, line and column on a syntax error."""
    fmt = _FORMATS.get(path.suffix)
    if fmt is None:
        raise LoadError(path, f"unsupported file type {path.suffix!r}",
                        hint="use one of " + ", ".join(sorted(RDF_SUFFIXES)))
    try:
        with path.open("rb") as stream:
            parser = ox.parse(stream, fmt, base_iri=base, without_named_graphs=True)
            triples = [q.triple for q in parser]
            prefixes = dict(parser.prefixes) if fmt is not ox.RdfFormat.RDF_XML else {}
    except SyntaxError as exc:
        reason = _PARSER_PREFIX.sub("", str(exc.msg if exc.msg else exc))
        hint = next((h for key, h in _HINTS if key.lower() in reason.lower()), None)
        raise LoadError(path, reason, exc.lineno, exc.offset, hint) from None
    except OSError as exc:
        raise LoadError(path, f"cannot read the file: {exc.strerror or exc}") from None
    return triples, prefixes


def load(project: Project) -> Sources:
    """Parse every file of ``ontology/`` and ``data/`` into its own named graph.

    Raises :class:`LoadError` for the first file that cannot be parsed.
    """
    dataset = ox.Dataset()
    files: list[SourceFile] = []
    for kind, folder in (("ontology", project.ontology_dir), ("data", project.data_dir)):
        for path in project.sources(folder):
            triples, prefixes = parse_file(path, project.base)
            graph = project.graph_iri(path)
            g = ox.NamedNode(graph)
            for t in triples:
                dataset.add(ox.Quad(t.subject, t.predicate, t.object, g))
            files.append(SourceFile(path=path, graph=graph, kind=kind, triples=len(triples), prefixes=prefixes))
    store = ox.Store()
    store.extend(dataset)
    return Sources(project=project, files=files, dataset=dataset, store=store)


@dataclass(frozen=True)
class ShapeSets:
    """The shapes of a project: ``data`` shapes validate ontology and data together; ``ontology``
    shapes (files named ``ontology-*.ttl``) check the vocabulary alone."""

    data: rdflib.Graph
    ontology: rdflib.Graph
    files: tuple[Path, ...]


def load_shape_sets(project: Project) -> ShapeSets:
    """Parse ``shapes/``. Raises :class:`LoadError` on a syntax error."""
    paths = project.sources(project.shapes_dir)
    onto = [p for p in paths if p.name.startswith("ontology-")]
    data = [p for p in paths if p not in onto]
    return ShapeSets(data=load_shapes(project, data)[0], ontology=load_shapes(project, onto)[0], files=tuple(paths))


def load_shapes(project: Project, paths: list[Path] | None = None) -> tuple[rdflib.Graph, list[Path]]:
    """The union of ``shapes/*.ttl`` (or of ``paths``) as an rdflib Graph, and the files it came from."""
    graph = rdflib.Graph()
    paths = project.sources(project.shapes_dir) if paths is None else paths
    for path in paths:
        triples, prefixes = parse_file(path, project.base)
        for prefix, ns in prefixes.items():
            graph.bind(prefix, ns, override=False)
        for t in triples:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph, paths


# --- positions -------------------------------------------------------------------------------

_TOKENS = re.compile(r'''
    (?P<comment>\#[^\n]*)
  | (?P<long>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\')
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<pname>(?<![\w.:-])(?:[A-Za-z][\w.-]*)?:(?:[\w%:-]|\\.|\.(?=[\w%:-]))*)
''', re.X)


class Positions:
    """Finds the line where an IRI is first written in a Turtle or N-Triples file.

    Files are scanned only when asked, once each, so loading big files costs nothing here.
    """

    def __init__(self, sources: Sources) -> None:
        self._base = sources.project.base
        self._index: dict[Path, dict[str, int]] = {}

    def line(self, source: SourceFile, iri: str) -> int | None:
        if source.path not in self._index:
            self._index[source.path] = self._scan(source)
        return self._index[source.path].get(iri)

    def _scan(self, source: SourceFile) -> dict[str, int]:
        if source.path.suffix not in (".ttl", ".nt"):
            return {}
        text = source.path.read_text(encoding="utf-8", errors="replace")
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        found: dict[str, int] = {}
        prefixes = source.prefixes
        for m in _TOKENS.finditer(text):
            kind = m.lastgroup
            if kind == "iri":
                iri = urljoin(self._base, m.group()[1:-1])
            elif kind == "pname":
                prefix, _, local = m.group().partition(":")
                if prefix not in prefixes:
                    continue
                iri = prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
            else:
                continue
            if iri not in found:
                found[iri] = bisect.bisect_right(starts, m.start())
        return found
