"""Fast SHACL validation with pySHACL's answers.

The constraint components a shapes graph uses (SHACL Core and SHACL-SPARQL constraints) are compiled
into set-based SPARQL queries run on pyoxigraph: one query per constraint, over all focus nodes at
once. The results are the ones pySHACL (the reference) gives: same focus nodes, result paths,
values, source constraint components, source shapes, severities and messages (``sh:message``, with
pySHACL's ``{$this}`` / ``{?var}`` substitution, or pySHACL's own default message text, produced by
pySHACL's own code). A top-level shape using a construct the fast path does not support is
validated by pySHACL instead, automatically; each :class:`Result` says which engine checked it.

Usage::

    plan = compile_shapes(shapes)                 # rdflib.Graph of shapes
    results = run(plan, sources, kinds=("ontology", "data"))   # or an rdflib.Graph, quads, a Mirror

Exactness
---------
The queries run on a :class:`Mirror`: a pyoxigraph Store holding the data exactly as pySHACL sees it
(an rdflib graph built with :func:`ilograph.load.to_rdflib`): literals keep rdflib's normalized
lexical form and their datatype. pyoxigraph's Store stores some literals by value (``"5"^^xsd:
positiveInteger`` comes back as ``"5"^^xsd:integer``, ``"1.50"^^xsd:decimal`` as ``"1.5"``), so
such literals are stored under a surrogate datatype (``<urn:x-ilograph-fastshacl:dt:...>``); the
triples whose literal rdflib flags ill-typed are also copied into a side graph (rdflib keeps the
flag per triple: ``"TRUE"`` and ``"true"^^xsd:boolean`` are one term for it). Term equality,
``STR``, ``LANG`` and the ``sh:datatype`` check are then exact. A SHACL-SPARQL query that applies a
value-sensitive operation (comparison, arithmetic, ``DATATYPE``, casts...) to a variable that may
hold such a literal in this data is sent to pySHACL (decided per run, see
``_SparqlConstraint.unsafe_reason``).

At scale the data is not copied: :meth:`Mirror.borrowed` makes the loaded sources' own store exact
for the time of a run. Only the quads of typed literals are read (from each graph's N-Triples
text); those the store keeps in another form are taken out and their exact form put in a side
graph, and the store is given back as it was on exit. The queries of a run go to a thread pool
(pyoxigraph evaluates a query without holding the GIL); the value-wise constraints of one focus
set and path are one query, each row flagging the constraints it breaks.

Note on ill-typed literals: pySHACL reports an ill-typed literal under ``sh:datatype`` only when
rdflib flags it ill-typed. rdflib has no parser for ``xsd:gYear`` / ``xsd:gYearMonth``, so
``"2017-13"^^xsd:gYearMonth`` conforms to ``sh:datatype xsd:gYearMonth`` for pySHACL, and here too.
"""

from __future__ import annotations

import itertools
import logging
import re
import sys
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

if TYPE_CHECKING:  # pragma: no cover
    from .load import Sources

__all__ = ["Result", "Plan", "Mirror", "compile_shapes", "run", "normalize_pyshacl", "shape_key",
           "path_text", "comparable", "SPARQL", "PYSHACL"]

SPARQL, PYSHACL = "sparql", "pyshacl"

_NS = "urn:x-ilograph-fastshacl:"
SURROGATE = _NS + "dt:"    # a literal rdflib accepts but pyoxigraph's Store would rewrite
_SCRATCH = ox.NamedNode(_NS + "scratch")
_ILL = ox.NamedNode(_NS + "ill")  # the triples whose literal object rdflib flags ill-typed
_EXACT = ox.NamedNode(_NS + "exact")  # a borrowed store's typed literals, in their exact form
_FOCUS = ox.NamedNode(_NS + "focus")
_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = str(RDF.langString)

log = logging.getLogger(__name__)


# --- results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    """One validation result, as pySHACL would report it."""

    focus: rdflib.term.Node
    path: rdflib.term.Node | None          # an IRI, or the blank node of a complex path in the shapes graph
    value: rdflib.term.Node | None
    component: URIRef                       # sh:sourceConstraintComponent
    source_shape: rdflib.term.Node          # sh:sourceShape (a node of the shapes graph)
    severity: URIRef                        # sh:Violation | sh:Warning | sh:Info
    messages: tuple = ()                    # rdflib Literals (sh:resultMessage), in pySHACL's order
    engine: str = SPARQL                    # "sparql" (fast path) or "pyshacl" (fallback)
    shape: str = ""                         # stable key of source_shape (see shape_key)
    path_key: str | None = None             # stable text of path (see path_text)

    @property
    def message(self) -> str | None:
        """The first message: for a SHACL-SPARQL result, the constraint's own (pySHACL adds the
        shape's sh:message after it)."""
        return str(self.messages[0]) if self.messages else None

    def key(self) -> tuple:
        """A comparable form, independent of the engine and of blank node labels of the shapes."""
        return (_term_key(self.focus), self.path_key, _term_key(self.value), str(self.component), self.shape,
                str(self.severity), tuple(sorted((str(m), m.language or "") for m in self.messages)))


def comparable(results: Iterable[Result]) -> list[tuple]:
    """Results as a sorted list of :meth:`Result.key` (a multiset, for comparing engines)."""
    return sorted((r.key() for r in results), key=repr)


def _term_key(term: rdflib.term.Node | None) -> str | None:
    if term is None:
        return None
    return term.n3()


def shape_key(shapes: rdflib.Graph, node: rdflib.term.Node, _depth: int = 0) -> str:
    """A stable name for a shape: its IRI, or for a blank node its holder's key, the predicate that
    holds it and its own content (so that it does not depend on blank node labels)."""
    if not isinstance(node, BNode):
        return str(node)
    if _depth > 8:
        return "[...]"
    holder, pred = _holder(shapes, node)
    content = _content(shapes, node)
    if holder is None:
        return f"[{content}]"
    return f"{shape_key(shapes, holder, _depth + 1)} {_qname(pred)} [{content}]"


def _holder(g: rdflib.Graph, node: BNode) -> tuple[rdflib.term.Node | None, URIRef | None]:
    """The shape holding a blank node (through sh:property, sh:or lists...)."""
    for _ in range(1000):
        subjects = sorted(g.subject_predicates(node), key=lambda sp: (sp[1] != RDF.first, sp[0].n3(), sp[1]))
        if not subjects:
            return None, None
        s, p = subjects[0]
        if p in (RDF.first, RDF.rest):  # climb to the head of the list
            node = s
            continue
        return s, p
    return None, None


def _content(g: rdflib.Graph, node: rdflib.term.Node, depth: int = 0) -> str:
    if not isinstance(node, BNode):
        return node.n3()
    if depth > 6:
        return "[...]"
    items = list(g.items(node)) if (node, RDF.first, None) in g else None
    if items is not None:
        return "(" + " ".join(_content(g, i, depth + 1) for i in items) + ")"
    parts = sorted(f"{_qname(p)} {_content(g, o, depth + 1)}" for p, o in g.predicate_objects(node))
    return "[" + "; ".join(parts) + "]"


def _qname(p: rdflib.term.Node | None) -> str:
    if p is None:
        return "?"
    s = str(p)
    return "sh:" + s[len(str(SH)):] if s.startswith(str(SH)) else p.n3()


def path_text(shapes: rdflib.Graph, path: rdflib.term.Node | None) -> str | None:
    """A SHACL path as stable text: ``<p>``, ``^<p>``, ``(<a> / <b>)``, ``(<a> | <b>)``, ``<p>*``..."""
    if path is None:
        return None
    if not isinstance(path, BNode):
        return path.n3()
    if (path, RDF.first, None) in shapes:
        return "(" + " / ".join(path_text(shapes, i) or "?" for i in shapes.items(path)) + ")"
    for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                      (SH.zeroOrOnePath, "{}?")):
        inner = shapes.value(path, pred)
        if inner is not None:
            return fmt.format(path_text(shapes, inner))
    alt = shapes.value(path, SH.alternativePath)
    if alt is not None:
        return "(" + " | ".join(path_text(shapes, i) or "?" for i in shapes.items(alt)) + ")"
    return _content(shapes, path)


def normalize_pyshacl(report: rdflib.Graph, shapes: rdflib.Graph, engine: str = PYSHACL) -> list[Result]:
    """pySHACL's results graph as :class:`Result` objects (comparable with the fast path's).

    ``shapes`` is the shapes graph given to pySHACL (pySHACL keeps the labels of blank-node shapes
    and paths in its report, so they are looked up there)."""
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(r, SH.sourceShape)
        path = report.value(r, SH.resultPath)
        if isinstance(path, BNode) and (path, None, None) in shapes:
            ptext = path_text(shapes, path)
        elif isinstance(path, BNode):
            ptext = path_text(report, path)
        else:
            ptext = path_text(shapes, path)
        out.append(Result(
            focus=report.value(r, SH.focusNode), path=path, value=report.value(r, SH.value),
            component=report.value(r, SH.sourceConstraintComponent), source_shape=shape,
            severity=report.value(r, SH.resultSeverity),
            messages=tuple(sorted(report.objects(r, SH.resultMessage))), engine=engine,
            shape=shape_key(shapes, shape) if shape is not None else "", path_key=ptext))
    return out


# --- the data: an exact mirror in a pyoxigraph Store ------------------------------------------

def _oxigraph_keeps(pairs: Sequence[tuple[str, str]]) -> list[bool]:
    """For each (lexical form, datatype), whether a pyoxigraph Store gives the literal back unchanged."""
    return [form.value == lex and form.datatype.value == dt
            for form, (lex, dt) in zip(_oxigraph_forms(pairs), pairs)]


def _typed_lines(text: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Each line of a canonical N-Triples text whose object is a typed literal: (start, end, its
    predicate and literal as written, ``<predicate> "lexical"^^<datatype>``). Found without
    parsing: in a line ``S P "lexical"^^<datatype> .`` neither S nor P holds a ``"`` or a space,
    so the predicate starts after the first space and the literal at the first ``"``, and its
    lexical form ends at the last ``"^^<``."""
    find, rfind = text.find, text.rfind
    at = find(b'"^^<')
    while at >= 0:
        start = rfind(b"\n", 0, at) + 1
        end = find(b"\n", at)
        end = len(text) if end < 0 else end
        close = rfind(b'"^^<', at, end)
        if text[end - 3:end] == b"> ." and find(b">", close + 4, end - 2) == end - 3:
            yield start, end, text[find(b" ", start, close) + 1:end - 2]
        at = find(b'"^^<', end)


def _literal_key(written: bytes) -> tuple[str, tuple[str, str]]:
    """(predicate, (lexical form, datatype)) of ``<predicate> "lexical"^^<datatype>`` as written
    in N-Triples."""
    if b"\\" in written:
        (t,) = ox.parse(b"<x:s> " + written + b" .\n", format=ox.RdfFormat.N_TRIPLES)
        return t.predicate.value, (t.object.value, t.object.datatype.value)
    space = written.find(b" ")
    close = written.rfind(b'"^^<')
    return (sys.intern(written[1:space - 1].decode()),
            (written[space + 2:close].decode(), sys.intern(written[close + 4:-1].decode())))


def typed_literals(sources: "Sources", known: Profile | None = None) -> "TypedLiterals":
    """The typed literals of ``sources``, read once for all the checks (kept with the sources)."""
    derived = getattr(sources, "derived", None)
    if derived is None:
        return TypedLiterals(sources, known)
    found = derived.get("typed literals")
    if found is None:
        found = derived["typed literals"] = TypedLiterals(sources, known)
    return found


class TypedLiterals:
    """The typed literals of loaded sources, as written (a store keeps some in another form), read
    from each graph's N-Triples text or, for sources given as a ``pyoxigraph.Dataset``, from the
    quads of the predicates that have typed literals (``known``, else every predicate)."""

    def __init__(self, sources: "Sources", known: Profile | None = None) -> None:
        self.sources, self.known = sources, known
        self.texts = getattr(sources, "texts", None)
        self._keys: dict[bytes, tuple[str, tuple[str, str]]] = {}  # as written -> (predicate, key)
        self.pairs: dict[tuple[str, tuple[str, str]], None] = {}  # (predicate, key), after distinct()
        self._distinct: list[tuple[str, str]] | None = None

    def distinct(self) -> list[tuple[str, str]]:
        """Every distinct typed literal (lexical form, datatype), graph by graph in load order
        (read once); :attr:`pairs` then holds the distinct (predicate, literal) pairs."""
        if self._distinct is None:
            self._distinct = list(dict.fromkeys(k for _, found in self._scan() for k in found))
        return self._distinct

    def _scan(self) -> Iterator[tuple[str, dict[tuple[str, str], None]]]:
        pairs = self.pairs
        graphs = list(dict.fromkeys(f.graph for f in self.sources.files))  # each once, in load order
        if self.texts is None:
            found: dict[str, dict[tuple[str, str], None]] = defaultdict(dict)
            for q in self._dataset_quads():
                k = (q.object.value, q.object.datatype.value)
                found[q.graph_name.value][k] = None
                pairs[(q.predicate.value, k)] = None
            yield from ((graph, found[graph]) for graph in graphs if graph in found)
            return
        known = self._keys
        for graph in graphs:
            raw = dict.fromkeys(written for _, _, written in _typed_lines(self.texts.get(graph)))
            keys: dict[tuple[str, str], None] = {}
            for written in raw:
                pk = known.get(written)
                if pk is None:
                    pk = known[written] = _literal_key(written)
                k = pk[1]
                if k[1] != _XSD_STRING and k[1] != _RDF_LANGSTRING:
                    keys[k] = None
                    pairs[pk] = None
            if keys:
                yield graph, keys

    def quads(self, wanted: set[tuple[str, tuple[str, str]]]) -> Iterator[tuple[ox.Quad, tuple[str, str]]]:
        """The quads whose (predicate, literal) is one of ``wanted`` (after :meth:`distinct`), with
        the literal's key. Only those lines of the texts are parsed."""
        if self.texts is None:
            for q in self._dataset_quads():
                k = (q.object.value, q.object.datatype.value)
                if (q.predicate.value, k) in wanted:
                    yield q, k
            return
        keyed = self._keys
        for graph in dict.fromkeys(f.graph for f in self.sources.files):
            text = self.texts.get(graph)
            lines = [text[start:end] for start, end, written in _typed_lines(text) if keyed[written] in wanted]
            if lines:
                g = ox.NamedNode(graph)
                for t in ox.parse(b"\n".join(lines) + b"\n", format=ox.RdfFormat.N_TRIPLES):
                    yield ox.Quad(t.subject, t.predicate, t.object, g), (t.object.value, t.object.datatype.value)

    def _dataset_quads(self) -> Iterator[ox.Quad]:
        if self.known is None:
            self.known = profile(self.sources.store)
        for p in sorted(self.known.typed):
            for q in self.sources.dataset.quads_for_predicate(ox.NamedNode(p)):
                o = q.object
                if (type(o) is ox.Literal and not o.language and o.datatype.value != _XSD_STRING
                        and isinstance(q.graph_name, ox.NamedNode)):
                    yield q


def _oxigraph_forms(pairs: Sequence[tuple[str, str]]) -> list[ox.Literal]:
    """For each (lexical form, datatype), the literal a pyoxigraph Store holds for it (asked in
    chunks: a small store at a time keeps the memory low)."""
    forms: list[Any] = [None] * len(pairs)
    p = ox.NamedNode(_NS + "p")
    for at in range(0, len(pairs), _FORMS_CHUNK):
        store = ox.Store()
        store.extend([ox.Quad(ox.BlankNode(f"b{i}"), p, ox.Literal(lex, datatype=ox.NamedNode(dt)))
                      for i, (lex, dt) in enumerate(pairs[at:at + _FORMS_CHUNK], start=at)])
        for q in store:
            forms[int(q.subject.value[1:])] = q.object
        del store
    return forms


_FORMS_CHUNK = 20_000


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs every lexical form it cannot convert; checking ill-typed literals is not an error."""
    logger = logging.getLogger("rdflib.term")
    level, logger.level = logger.level, logging.CRITICAL
    try:
        yield
    finally:
        logger.level = level


class _Ambiguous(Exception):
    """The store's form of some typed literal cannot be told apart: copy the data instead."""


@dataclass
class Profile:
    """What a store holds, from one pass over it: the predicates of each named graph, and the
    predicates with a typed literal object (neither a string nor language-tagged)."""

    predicates: dict[str, set[str]]
    typed: set[str]


def profile(store: ox.Store) -> Profile:
    """One query over every quad of ``store`` (shared by the vocabulary check, the exact view of
    the literals and the OWL RL checks)."""
    predicates: dict[str, set[str]] = defaultdict(set)
    typed: set[str] = set()
    for g, p, dt in store.query("SELECT DISTINCT ?g ?p (DATATYPE(?o) AS ?d) WHERE { GRAPH ?g { ?s ?p ?o } }"):
        predicates[g.value].add(p.value)
        if dt is not None and dt.value not in (_XSD_STRING, _RDF_LANGSTRING):
            typed.add(p.value)
    return Profile(predicates=dict(predicates), typed=typed)


class Mirror:
    """The data as pySHACL sees it, in a pyoxigraph Store that keeps literals exact.

    ``Mirror.restore = False`` (a process that ends with its validation, such as the build's
    validation child) leaves a borrowed store in its exact form, and keeps no copy of what it
    took out.

    Build it with :meth:`from_sources`, :meth:`from_rdflib` or :meth:`from_quads`. The data is the
    store's default graph (one graph, as pySHACL sees it; pyoxigraph plans queries on it much better
    than on a list of named graphs); :func:`run` writes focus node sets into a scratch named graph.
    """

    restore = True  # give a borrowed store back as it was

    def __init__(self) -> None:
        self.store = ox.Store()
        self.surrogate_predicates: set[str] = set()  # predicates with a surrogate or ill-typed literal object
        self.ill_count = 0  # triples whose literal object rdflib flags ill-typed (copied into the graph _ILL)
        self._encoded: dict[tuple[str, str], ox.Literal] = {}
        self._decoded: dict[ox.Literal, Literal] = {}  # stored typed literal: its rdflib term, made once
        self._ill: set[tuple[str, str]] = set()  # (lexical form, datatype) rdflib flags ill-typed
        self._subclasses: dict[str, list[rdflib.term.Node]] = {}
        self._rdflib_graph: rdflib.Graph | None = None
        self._rdflib_factory: Callable[[], rdflib.Graph] | None = None
        self._ns_source: rdflib.Graph | None = None
        self.predicates: list[str] | None = None          # the predicates of the data, when known
        self.typed_literals: list[ox.Literal] | None = None  # its typed literals (as stored), when known

    # building

    @classmethod
    def from_sources(cls, sources: "Sources", kinds: Iterable[str] = ("ontology", "data")) -> "Mirror":
        """The files of the given kinds of loaded :class:`~ilograph.load.Sources` (exact quads)."""
        kinds = tuple(kinds)
        m = cls()
        quads: list[ox.Quad] = []
        for f in sources.files:
            if f.kind in kinds:
                quads += sources.dataset.quads_for_graph_name(ox.NamedNode(f.graph))
        m._load(quads)
        m._rdflib_factory = lambda: sources.to_rdflib(kinds)
        return m

    @classmethod
    def from_quads(cls, quads: Iterable[ox.Quad | ox.Triple]) -> "Mirror":
        """Quads or triples as parsed by pyoxigraph (converted to rdflib by pySHACL's fallback with
        :func:`ilograph.load.to_rdflib`, as ``Sources.to_rdflib`` does)."""
        m = cls()
        given = [q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, q.object) for q in quads]
        m._load(list(given))

        def factory() -> rdflib.Graph:
            from .load import to_rdflib
            graph = rdflib.Graph()
            for q in given:
                graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
            return graph
        m._rdflib_factory = factory
        return m

    @classmethod
    def from_rdflib(cls, graph: rdflib.Graph) -> "Mirror":
        """An rdflib graph, as is (pySHACL's fallback validates this very graph)."""
        m = cls()
        quads = []
        with _quiet_rdflib():
            for s, p, o in graph:
                q = ox.Quad(_ox_node(s), ox.NamedNode(str(p)), m.encode(o) if isinstance(o, Literal) else _ox_node(o))
                quads.append(q)
                if isinstance(o, Literal) and o.ill_typed is True:
                    quads.append(ox.Quad(q.subject, q.predicate, q.object, _ILL))
                    m.ill_count += 1
        m.store.extend(quads)
        m.surrogate_predicates = {q.predicate.value for q in quads if q.graph_name == _ILL or (
            isinstance(q.object, ox.Literal) and q.object.datatype.value.startswith(SURROGATE))}
        m._rdflib_graph = graph
        m._ns_source = graph
        return m

    def _load(self, quads: list[ox.Quad]) -> None:
        """Store the quads (in their graphs: queries read the union), typed literals in their
        stored form. ``quads`` is modified in place."""
        Lit = ox.Literal
        typed: list[tuple[int, tuple[str, str]]] = []
        keys: dict[tuple[str, str], None] = {}
        for i, q in enumerate(quads):
            o = q.object
            if type(o) is Lit:
                dt = o.datatype.value
                if dt != _XSD_STRING and dt != _RDF_LANGSTRING:
                    k = (o.value, dt)
                    typed.append((i, k))
                    keys[k] = None
        self._prepare([k for k in keys if k not in self._encoded])
        encoded, ill_keys = self._encoded, self._ill
        # a literal rdflib flags ill-typed is the same term as its well-typed twin ("TRUE" and
        # "true"^^xsd:boolean); rdflib keeps the first object added for a triple, and its flag
        ill_terms = {encoded[k] for k in keys if k in ill_keys}
        first: dict[tuple, bool] = {}
        special: set[str] = set()
        for i, k in typed:
            e = encoded[k]
            q = quads[i]
            if e.value != k[0] or e.datatype.value != k[1]:
                q = quads[i] = ox.Quad(q.subject, q.predicate, e, q.graph_name)
                if e.datatype.value.startswith(SURROGATE):
                    special.add(q.predicate.value)
            if ill_terms and e in ill_terms:
                first.setdefault((q.subject, q.predicate, e), k in ill_keys)
        ill = self._mark_ill(first, special)
        self.store.extend(quads)
        if ill:
            self.store.extend(ill)

    @classmethod
    @contextmanager
    def borrowed(cls, sources: "Sources", kinds: Iterable[str] = ("ontology", "data"),
                 known: Profile | None = None) -> Iterator["Mirror"]:
        """The loaded sources' own store, made exact for the time of the ``with`` block.

        No copy of the data: the few triples whose typed literal the store keeps in another form
        than rdflib (``"5"^^xsd:positiveInteger`` stored as ``"5"^^xsd:integer``) are swapped for
        their exact form, and swapped back on exit (also on error). Only the typed literals are read
        from ``sources.dataset``, by predicate. When ``kinds`` leaves out some loaded files, the
        store holds more than asked: the data is copied instead (:meth:`from_sources`)."""
        kinds = tuple(kinds)
        if any(f.kind not in kinds for f in sources.files):
            yield cls.from_sources(sources, kinds)
            return
        m = cls()
        m.store = sources.store
        m._rdflib_factory = lambda: sources.to_rdflib(kinds)
        try:
            removed = m._swap_in(sources, known or profile(sources.store))
        except _Ambiguous as exc:
            log.info("validating a copy of the data: %s", exc)
            yield cls.from_sources(sources, kinds)
            return
        try:
            yield m
        finally:
            if m.restore:
                m._swap_out(removed)

    def _swap_in(self, sources: "Sources", known: Profile) -> list[ox.Quad]:
        """Put the exact form of the data's typed literals into the (shared) store; return the
        quads taken out of it."""
        store = self.store
        order = {f.graph: i for i, f in enumerate(sources.files)}
        graphs = {ox.NamedNode(g) for g in order}
        self.predicates = sorted(set().union(*[known.predicates.get(f.graph, set()) for f in sources.files]))
        literals = typed_literals(sources, known)
        # first pass: only the distinct literals (a big graph has millions of typed quads, and
        # holding them all took a gigabyte at 10M triples), in load order, as rdflib adds them
        keys = literals.distinct()
        self._prepare([k for k in keys if k not in self._encoded])
        canonical = dict(zip(keys, _oxigraph_forms(keys)))
        encoded, ill_keys = self._encoded, self._ill
        self.typed_literals = list(dict.fromkeys(encoded[k] for k in keys))
        ill_terms = {encoded[k] for k in keys if k in ill_keys}
        # the literals whose triples need a look: stored in another form than rdflib's, or
        # ill-typed
        odd = [k for k in keys if encoded[k] != canonical[k] or k in ill_keys]
        removed: dict[ox.Quad, None] = {}
        added: list[ox.Quad] = []
        first: dict[tuple, bool] = {}
        special: set[str] = set()
        # a stored form written one way only with its predicate (no "5"^^xsd:integer beside
        # "5"^^xsd:positiveInteger), well-typed: each quad of the store with that predicate and
        # form takes the exact form, blank nodes included
        sharing: dict[tuple[str, ox.Literal], int] = defaultdict(int)
        for p, k in literals.pairs:
            sharing[(p, canonical[k])] += 1
        odd_set = set(odd)
        unique = {(p, canonical[k]): encoded[k] for p, k in literals.pairs if k in odd_set
                  and sharing[(p, canonical[k])] == 1 and k not in ill_keys and encoded[k] not in ill_terms}
        for (p, c), e in unique.items():  # one literal at a time: millions of quads in a big graph
            batch = [q for q in store.quads_for_pattern(None, ox.NamedNode(p), c, None) if q.graph_name in graphs]
            for q in batch:
                store.remove(q)
            store.extend([ox.Quad(q.subject, q.predicate, e, _EXACT) for q in batch])
            if batch and e.datatype.value.startswith(SURROGATE):
                special.add(p)
            if self.restore:
                removed.update(dict.fromkeys(batch))
            del batch
        # the others, and any literal sharing a stored form or an rdflib form with one of those
        # (the exact twin of a swapped triple, a blank node's literal in two forms, the first
        # object rdflib kept for a triple): second pass, over the lines of those literals only
        odd_forms = {(p, canonical[k]) for p, k in literals.pairs
                     if k in odd_set and (p, canonical[k]) not in unique}
        wanted = {(p, k) for p, k in literals.pairs if (p, canonical[k]) in odd_forms or encoded[k] in ill_terms}
        typed = [(order[q.graph_name.value], q, k) for q, k in literals.quads(wanted)
                 if q.graph_name.value in order] if wanted else []
        typed.sort(key=lambda t: t[0])  # file order (rdflib keeps the first object added of a triple)
        exact_here = {(q.subject, q.predicate, encoded[k], q.graph_name) for _, q, k in typed
                      if encoded[k] == canonical[k]}
        # blank nodes: the store has its own labels for them (not the text's); a blank node's typed
        # literal is found in the store by predicate, literal and graph, which must say which form
        by_form: dict[tuple, set] = defaultdict(set)
        for _, q, k in typed:
            if isinstance(q.subject, ox.BlankNode):
                if k in ill_keys:
                    raise _Ambiguous("an ill-typed literal on a blank node")
                by_form[(q.predicate, canonical[k], q.graph_name)].add(encoded[k])
        for (p, c, g), forms in by_form.items():
            if len(forms) > 1:
                raise _Ambiguous("blank nodes with one literal in two forms")
            (e,) = forms
            if e != c:
                for q in store.quads_for_pattern(None, p, c, g):
                    if isinstance(q.subject, ox.BlankNode):
                        removed[q] = None
                        added.append(ox.Quad(q.subject, p, e, _EXACT))
                        if e.datatype.value.startswith(SURROGATE):
                            special.add(p.value)
        for _, q, k in typed:
            if isinstance(q.subject, ox.BlankNode):
                continue
            e = encoded[k]
            if e != canonical[k]:
                c = canonical[k]
                if (q.subject, q.predicate, c, q.graph_name) not in exact_here:
                    removed[ox.Quad(q.subject, q.predicate, c, q.graph_name)] = None
                added.append(ox.Quad(q.subject, q.predicate, e, _EXACT))
                if e.datatype.value.startswith(SURROGATE):
                    special.add(q.predicate.value)
            if ill_terms and e in ill_terms:
                first.setdefault((q.subject, q.predicate, e), k in ill_keys)
        ill = self._mark_ill(first, special)
        for q in removed:
            store.remove(q)
        store.extend(added + ill)
        return list(removed) if self.restore else []

    def _mark_ill(self, first: dict[tuple, bool], special: set[str]) -> list[ox.Quad]:
        """The quads of graph ``_ILL`` (the triples whose first-added literal rdflib flags
        ill-typed), counted; their predicates join ``special`` as the predicates whose values need
        the exact view."""
        ill = [ox.Quad(s, p, o, _ILL) for (s, p, o), is_ill in first.items() if is_ill]
        self.ill_count = len(ill)
        special.update(q.predicate.value for q in ill)
        self.surrogate_predicates = special
        return ill

    def _swap_out(self, removed: list[ox.Quad]) -> None:
        self.store.remove_graph(_EXACT)
        self.store.remove_graph(_ILL)
        self.store.extend(removed)

    def _prepare(self, keys: list[tuple[str, str]]) -> None:
        """Decide the stored form of typed literals (lexical form, datatype) as written."""
        views = []
        made = []
        with _quiet_rdflib():
            for lex, dt in keys:
                lit = Literal(lex, datatype=URIRef(dt))
                views.append((str(lit), dt, lit.ill_typed is True))
                made.append(lit)
        keeps = _oxigraph_keeps([(n, dt) for n, dt, ill in views])
        for key, (n, dt, ill), keep, lit in zip(keys, views, keeps, made):
            if ill:
                self._ill.add(key)
            if keep:
                encoded = self._encoded[key] = ox.Literal(n, datatype=ox.NamedNode(dt))
            else:
                encoded = self._encoded[key] = ox.Literal(n, datatype=ox.NamedNode(SURROGATE + dt))
            if n == key[0]:  # what decode() would make again: kept (the OWL checks read every one)
                self._decoded[encoded] = lit

    # terms

    def encode(self, term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        """An rdflib term (data or shapes graph) as stored in the mirror."""
        if not isinstance(term, Literal):
            return _ox_node(term)
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is None:
            return ox.Literal(str(term))
        dt = str(term.datatype)
        if dt == _XSD_STRING:  # an explicit xsd:string is not the plain literal for rdflib
            return ox.Literal(str(term), datatype=ox.NamedNode(SURROGATE + dt))
        if dt == _RDF_LANGSTRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(dt))
        key = (str(term), dt)
        if key not in self._encoded:
            self._prepare([key])
        return self._encoded[key]

    def decode(self, term: Any) -> rdflib.term.Node | None:
        """A mirror term as the rdflib term pySHACL reports."""
        if term is None:
            return None
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return BNode(term.value)
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        found = self._decoded.get(term)
        if found is not None:
            return found
        if dt.startswith(SURROGATE):
            dt = dt[len(SURROGATE):]
        with _quiet_rdflib():
            return Literal(term.value, datatype=URIRef(dt))

    def sparql(self, term: rdflib.term.Node) -> str:
        """An rdflib term (not a blank node) as SPARQL text, in its stored form."""
        return str(self.encode(term))

    # queries

    def query(self, text: str) -> Any:
        return self.store.query(text, use_default_graph_as_union=True)

    def subclasses(self, cls: str) -> list[rdflib.term.Node]:
        """``cls`` and its subclasses (rdfs:subClassOf*), per run."""
        if cls not in self._subclasses:
            found = {URIRef(cls)}
            for r in self.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> }}"):
                found.add(self.decode(r["c"]))
            self._subclasses[cls] = sorted(found, key=lambda t: t.n3())
        return self._subclasses[cls]

    def rdflib_graph(self) -> rdflib.Graph:
        """The data as an rdflib graph, for pySHACL (built once, when first needed)."""
        if self._rdflib_graph is None:
            self._rdflib_graph = self._rdflib_factory() if self._rdflib_factory else rdflib.Graph()
        return self._rdflib_graph

    def namespace_graph(self) -> rdflib.Graph:
        """An empty rdflib graph with the namespace bindings of pySHACL's copy of the data graph
        (pySHACL's default messages write nodes with them)."""
        from pyshacl.rdfutil.clone import clone_graph
        source = self._ns_source if self._ns_source is not None else rdflib.Graph()
        return clone_graph(_namespaces_only(source))

    def describe(self, graph: rdflib.Graph, node: rdflib.term.Node, depth: int = 0) -> None:
        """Copy the description of a blank node (recursively) into ``graph`` (for pySHACL's messages)."""
        if not isinstance(node, BNode) or depth > 12 or (node, None, None) in graph:
            return
        for q in self.store.quads_for_pattern(ox.BlankNode(str(node)), None, None, None):
            if q.graph_name != _ILL:
                o = self.decode(q.object)
                graph.add((node, URIRef(q.predicate.value), o))
                self.describe(graph, o, depth + 1)


def _namespaces_only(source: rdflib.Graph) -> rdflib.Graph:
    g = rdflib.Graph(bind_namespaces="none")
    for p, n in source.namespace_manager.namespaces():
        g.namespace_manager.bind(p, n, override=True, replace=True)
    return g


def _ox_node(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"unsupported term {term!r}")


# --- compiling shapes -------------------------------------------------------------------------

class Unsupported(Exception):
    """A construct the fast path does not compile: the top-level shape goes to pySHACL."""


_RDF_TYPE_PATH = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"


@dataclass
class FocusSet:
    """A set of focus nodes: a pattern binding ``?this``, evaluated inside each query that needs it
    (pyoxigraph reads much faster than it writes: materializing the sets cost more than this)."""

    key: str
    where: str                        # binds ?this (possibly several times)
    parent: "FocusSet | None" = None  # the set it is derived from (values of a path)

    def pattern(self, var: str = "?this") -> str:
        """A subquery binding ``var`` to each focus node once."""
        return f"{{ SELECT DISTINCT {var} WHERE {{ {self.body(var, 0)} }} }}"

    def stored(self, var: str = "?this") -> str:
        """The focus nodes written in the scratch graph by :func:`execute` (for SHACL-SPARQL
        queries, which pyoxigraph plans better from a quad pattern than from a subquery)."""
        return f"GRAPH <{_SCRATCH.value}> {{ <{self.key}> <{_NS}in> {var} }}"

    def body(self, var: str, depth: int) -> str:
        return self.where.replace("?_fs_up", f"?_fs_up{depth}").replace("?this", var).replace(
            "__PARENT__", self.parent.body(f"?_fs_up{depth}", depth + 1) if self.parent else "")


@dataclass
class Check:
    """One compiled constraint of one shape, over one focus set."""

    shape: Any                 # pyshacl.shape.Shape: the source shape
    component: Any             # the pySHACL constraint component object (messages are made by it)
    component_iri: URIRef
    focus: FocusSet
    kind: str                  # "rows" | "python" | "sparql"
    query: str = ""            # rows: SELECT ?this [?v] [?l] ; python: SELECT DISTINCT ?v
    value: str | None = None   # rows: the variable holding the result's sh:value ("v", "this" or None)
    vp: str = ""               # the value pattern ?this -> ?v (property shapes)
    sparql: Any = None         # sparql: _SparqlConstraint
    top: Any = None            # the top-level shape node this check belongs to
    cond: str | None = None    # rows: true when a value conforms (the query keeps the values where it is
                               # false); the checks of one focus set and value pattern run as one query


@dataclass
class Plan:
    """What :func:`compile_shapes` made of a shapes graph."""

    shapes: rdflib.Graph                       # the shapes graph given (not modified)
    checks: list[Check]
    focus_sets: list[FocusSet]
    fast: list[rdflib.term.Node]               # top-level shapes validated by SPARQL
    fallback: dict[rdflib.term.Node, str]      # top-level shapes validated by pySHACL, and why
    pyshacl_options: dict[str, Any]
    _sg: Any = None                            # pySHACL's ShapesGraph over a copy of ``shapes``
    _keys: dict = field(default_factory=dict)

    @property
    def queries(self) -> list[str]:
        return [c.query or (c.sparql.text if c.sparql else "") for c in self.checks]

    def key(self, node: rdflib.term.Node) -> str:
        if node not in self._keys:
            self._keys[node] = shape_key(self.shapes, node)
        return self._keys[node]

    def summary(self) -> str:
        lines = [f"{len(self.fast)} top-level shapes compiled to {len(self.checks)} SPARQL checks; "
                 f"{len(self.fallback)} validated by pySHACL"]
        for node, why in sorted(self.fallback.items(), key=lambda kv: self.key(kv[0])):
            lines.append(f"  pyshacl: {self.key(node)}: {why}")
        return "\n".join(lines)


DEFAULT_PYSHACL_OPTIONS = dict(inference="none", abort_on_first=False, allow_infos=True, allow_warnings=True,
                               meta_shacl=False, advanced=True, js=False, debug=False, do_owl_imports=False)


def compile_shapes(shapes: rdflib.Graph, **pyshacl_options: Any) -> Plan:
    """Compile a shapes graph. ``pyshacl_options`` are the options of the reference pySHACL call
    (default: those of :func:`ilograph.validate.run_shacl`); they are used for the fallback."""
    from pyshacl.shapes_graph import ShapesGraph

    options = dict(DEFAULT_PYSHACL_OPTIONS, **pyshacl_options)
    copy = rdflib.Graph(bind_namespaces="none")
    for p, n in shapes.namespace_manager.namespaces():
        copy.namespace_manager.bind(p, n, override=True, replace=True)
    for t in shapes:
        copy.add(t)
    sg = ShapesGraph(copy)
    plan = Plan(shapes=shapes, checks=[], focus_sets=[], fast=[], fallback={}, pyshacl_options=options, _sg=sg)
    compiler = _Compiler(plan, sg, options)
    global_reason = compiler.global_unsupported()
    for shape in sorted(sg.shapes, key=lambda s: plan.key(s.node)):
        if not compiler.is_top_level(shape):
            continue
        if global_reason:
            plan.fallback[shape.node] = global_reason
            continue
        try:
            checks = compiler.top_level(shape)
        except Unsupported as exc:
            plan.fallback[shape.node] = str(exc)
            continue
        except Exception as exc:  # pySHACL itself rejects the shape: let it say so
            plan.fallback[shape.node] = f"pySHACL cannot load it: {type(exc).__name__}: {exc}"
            continue
        plan.fast.append(shape.node)
        plan.checks.extend(checks)
    plan.focus_sets = list(compiler.focus_sets.values())
    return plan


class _Compiler:
    def __init__(self, plan: Plan, sg: Any, options: dict[str, Any]) -> None:
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
        self.plan = plan
        self.sg = sg
        self.g: rdflib.Graph = sg.graph
        self.options = options
        self.params = list(ALL_CONSTRAINT_PARAMETERS)
        self.param_map = dict(CONSTRAINT_PARAMETERS_MAP)
        if options.get("advanced"):
            from pyshacl.constraints.advanced import ExpressionConstraint, SH_expression
            self.params.append(SH_expression)
            self.param_map[SH_expression] = ExpressionConstraint
        self.focus_sets: dict[str, FocusSet] = {}
        self._fresh = itertools.count()
        self._encoder = Mirror()  # encodes shapes-graph literals the way a mirror stores them

    # -- shapes as pySHACL sees them

    def global_unsupported(self) -> str | None:
        g = self.g
        if self.options.get("advanced"):
            if next(g.subjects(SH.rule, None), None) is not None:
                return "the shapes graph has SHACL rules (sh:rule), which change the data before validation"
            for t in (SH.SPARQLFunction, SH.Function, SH.JSFunction, SH.TargetType, SH.SPARQLTargetType):
                if next(g.subjects(RDF.type, t), None) is not None:
                    return f"the shapes graph declares SHACL-AF functions or target types ({_qname(t)})"
        if self.options.get("inference", "none") not in (None, "none"):
            return f"pySHACL is asked to infer ({self.options['inference']}) before validating"
        if self.options.get("ont_graph") is not None:
            return "pySHACL is given an ontology graph to mix in"
        return None

    def is_top_level(self, shape: Any) -> bool:
        targets = shape.target()
        if any(list(t) for t in targets):
            return True
        return bool(self.options.get("advanced")) and (shape.node, SH.target, None) in self.g

    def shape(self, node: rdflib.term.Node) -> Any:
        try:
            return self.sg.lookup_shape_from_node(node)
        except KeyError:
            raise Unsupported(f"{node.n3()} is not a shape pySHACL knows") from None

    def components(self, shape: Any) -> list[Any]:
        """The pySHACL constraint component objects of a shape (in pySHACL's order), or Unsupported."""
        from pyshacl.errors import ConstraintLoadWarning
        if len(set(shape.objects(SH.severity))) > 1:
            raise Unsupported("a shape with several sh:severity values")
        if len(set(shape.objects(SH.deactivated))) > 1:
            raise Unsupported("a shape with several sh:deactivated values")
        seen = []
        for p, _ in self.g.predicate_objects(shape.node):
            if p in self.params and self.param_map[p] not in seen:
                seen.append(self.param_map[p])
        out = []
        for cls in seen:
            try:
                out.append(cls(shape))
            except ConstraintLoadWarning:
                continue  # pySHACL skips it too
        if shape.find_custom_constraints():
            raise Unsupported("a custom (SPARQL-based) constraint component")
        return out

    # -- focus sets

    def focus_from_targets(self, shape: Any) -> FocusSet:
        t_nodes, t_classes, implicit, t_objects_of, t_subjects_of = shape.target()
        if (shape.node, SH.target, None) in self.g:
            raise Unsupported("a SHACL-AF custom target (sh:target)")
        branches = []
        for n in sorted(set(t_nodes), key=lambda x: x.n3()):
            if isinstance(n, BNode):
                raise Unsupported("a blank node as sh:targetNode")
            branches.append(f"{{ VALUES ?this {{ {self.term(n)} }} }}")
        classes = sorted(set(t_classes) | set(implicit), key=lambda x: x.n3())
        if any(not isinstance(c, URIRef) for c in classes):
            raise Unsupported("a target class that is not an IRI")
        if classes:  # the instances of the classes and their subclasses, listed per run
            branches.append(f"{{ __TYPED__(?this|?_fs_t|{' '.join(str(c) for c in classes)})__ }}")
        for p in sorted(set(t_subjects_of), key=lambda x: x.n3()):
            if not isinstance(p, URIRef):
                raise Unsupported("sh:targetSubjectsOf a non-IRI")
            branches.append(f"{{ ?this <{p}> [] }}")
        for p in sorted(set(t_objects_of), key=lambda x: x.n3()):
            if not isinstance(p, URIRef):
                raise Unsupported("sh:targetObjectsOf a non-IRI")
            branches.append(f"{{ [] <{p}> ?this }}")
        where = " UNION ".join(branches)
        return self._focus_set("targets " + where, where)

    def focus_from_values(self, parent: FocusSet, path_sparql: str) -> FocusSet:
        where = f"__PARENT__ {self.triple('?_fs_up', path_sparql, '?this')} ."
        return self._focus_set(f"values of {parent.key} {path_sparql}", where, parent)

    def _focus_set(self, ident: str, where: str, parent: FocusSet | None = None) -> FocusSet:
        if ident not in self.focus_sets:
            key = f"{_NS}focus/{len(self.focus_sets)}"
            self.focus_sets[ident] = FocusSet(key=key, where=where, parent=parent)
        return self.focus_sets[ident]

    # -- terms and paths

    def term(self, t: rdflib.term.Node) -> str:
        if isinstance(t, BNode):
            raise Unsupported("a blank node where a constant is needed")
        return str(self._encoder.encode(t))

    def path(self, path: rdflib.term.Node, depth: int = 0) -> str:
        """A SHACL path as a SPARQL property path with pySHACL's semantics, or Unsupported."""
        if isinstance(path, URIRef):
            return f"<{path}>"
        if not isinstance(path, BNode) or depth > 8:
            raise Unsupported("an unusual sh:path")
        g = self.g
        if (path, RDF.first, None) in g:
            items = list(g.items(path))
            if len(items) < 2:
                raise Unsupported("a sequence path with fewer than two steps")
            return "(" + "/".join(self.path(i, depth + 1) for i in items) + ")"
        inverse = list(g.objects(path, SH.inversePath))
        if inverse:
            if len(inverse) == 1 and isinstance(inverse[0], URIRef):
                return f"^<{inverse[0]}>"
            raise Unsupported("an inverse of a complex path (pySHACL inverts each step in place)")
        alternatives = list(g.objects(path, SH.alternativePath))
        if alternatives:
            items = list(g.items(alternatives[0]))
            if len(alternatives) > 1 or len(items) < 2:
                raise Unsupported("an unusual sh:alternativePath")
            return "(" + "|".join(self.path(i, depth + 1) for i in items) + ")"
        for p in (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
            if (path, p, None) in g:
                raise Unsupported(f"a {_qname(p)} path")
        raise Unsupported("an unknown kind of sh:path")

    @staticmethod
    def triple(s: str, path: str, o: str) -> str:
        """A triple pattern; a one-step inverse path is written as the reversed triple (pyoxigraph
        joins triple patterns much faster than it evaluates property paths)."""
        if path.startswith("^<") and path.endswith(">") and path.count("<") == 1:
            return f"{o} {path[1:]} {s}"
        return f"{s} {path} {o}"

    def fresh(self) -> str:
        return f"?_v{next(self._fresh)}"

    # -- checks

    def top_level(self, shape: Any) -> list[Check]:
        focus = self.focus_from_targets(shape)
        checks = self.shape_checks(shape, focus, top=shape.node, stack=())
        for c in checks:
            c.top = shape.node
        return checks

    def shape_checks(self, shape: Any, focus: FocusSet, top: Any, stack: tuple) -> list[Check]:
        if shape.node in stack:
            raise Unsupported("recursive shapes")
        stack = stack + (shape.node,)
        comps = self.components(shape)
        if shape.deactivated:
            return []
        checks: list[Check] = []
        if shape.is_property_shape:
            vp, v = self.triple("?this", self.path(shape.path()), "?v") + " .", "?v"
            ctx = self.triple_context("?this", shape.path())
        else:
            vp, v, ctx = "", "?this", None
        F = focus.pattern()
        for c in comps:
            name = type(c).__name__
            iri = c.shacl_constraint_component
            def add(kind: str, query: str = "", value: bool = True, sparql: Any = None,
                    comp: URIRef = iri, c: Any = c, cond: str | None = None) -> None:
                var = ("v" if re.match(r"SELECT (DISTINCT )?\?this \?v\b", query) else "this") if value else None
                checks.append(Check(shape=shape, component=c, component_iri=comp, focus=focus, kind=kind,
                                    query=query, value=var, sparql=sparql, vp=vp, cond=cond))
            if name == "ClassConstraintComponent":
                for cls in c.class_rules:
                    cond = self.cond_class(cls, v)
                    add("rows", f"SELECT DISTINCT ?this ?v WHERE {{ {F} {vp} FILTER(!({cond})) }}"
                        if shape.is_property_shape else
                        f"SELECT DISTINCT ?this WHERE {{ {F} FILTER(!({cond})) }}", cond=cond)
            elif name in ("DatatypeConstraintComponent", "NodeKindConstraintComponent", "InConstraintComponent",
                          "LanguageInConstraintComponent", "MinLengthConstraintComponent",
                          "MaxLengthConstraintComponent"):
                cond = self.value_cond(c, v, ctx)
                add("rows", self.value_query(F, vp, v, cond), cond=cond)
            elif name in ("MinCountConstraintComponent", "MaxCountConstraintComponent"):
                path = self.path(shape.path())
                if name == "MinCountConstraintComponent":
                    n = int(c.min_count.value)
                    if n == 0:
                        continue
                    q = (f"SELECT ?this WHERE {{ {F} FILTER NOT EXISTS {{ {self.triple('?this', path, '?v')} }} }}"
                         if n == 1 else
                         f"SELECT ?this WHERE {{ {F} OPTIONAL {{ {self.triple('?this', path, '?v')} }} }} GROUP BY ?this "
                         f"HAVING (COUNT(DISTINCT ?v) < {n})")
                else:
                    n = int(c.max_count.value)
                    q = (f"SELECT DISTINCT ?this WHERE {{ {F} {self.triple('?this', path, '?v')} }}" if n == 0 else
                         f"SELECT ?this WHERE {{ {F} {self.triple('?this', path, '?v')} }} GROUP BY ?this "
                         f"HAVING (COUNT(DISTINCT ?v) > {n})")
                add("rows", q, value=False)
            elif name == "UniqueLangConstraintComponent":
                if not next(iter(c.string_rules)):
                    continue
                path = self.path(shape.path())
                add("rows", f"SELECT ?this ?l WHERE {{ {F} {self.triple('?this', path, '?v')} FILTER(isLiteral(?v) && LANG(?v) != \"\") "
                            f"BIND(LCASE(LANG(?v)) AS ?l) }} GROUP BY ?this ?l HAVING (COUNT(DISTINCT ?v) > 1)",
                    value=False)
            elif name in ("PatternConstraintComponent", "MinInclusiveConstraintComponent",
                          "MaxInclusiveConstraintComponent", "MinExclusiveConstraintComponent",
                          "MaxExclusiveConstraintComponent"):
                add("python", self.value_query(F, vp, v, None))  # pySHACL's own code checks the values
            elif name == "HasValueConstraintComponent":
                for hv in c.has_value_set:
                    if shape.is_property_shape:
                        q = (f"SELECT ?this WHERE {{ {F} FILTER NOT EXISTS {{ "
                             f"{self.triple('?this', self.path(shape.path()), self.term(hv))} }} }}")
                    else:
                        q = f"SELECT ?this WHERE {{ {F} FILTER(!sameTerm(?this, {self.term(hv)})) }}"
                    add("rows", q, value=False)
            elif name == "DisjointConstraintComponent":
                for dj in c.property_compare_set:
                    if not isinstance(dj, URIRef):
                        raise Unsupported("sh:disjoint with a non-IRI")
                    add("rows", f"SELECT DISTINCT ?this ?v WHERE {{ {F} {vp} ?this <{dj}> {v} }}"
                        if shape.is_property_shape else f"SELECT ?this WHERE {{ {F} ?this <{dj}> ?this }}")
            elif name == "EqualsConstraintComponent":
                for eq in c.property_compare_set:
                    if not isinstance(eq, URIRef):
                        raise Unsupported("sh:equals with a non-IRI")
                    if shape.is_property_shape:
                        path = self.path(shape.path())
                        t = self.triple("?this", path, "?v")
                        add("rows", f"SELECT DISTINCT ?this ?v WHERE {{ {F} {t} FILTER NOT EXISTS {{ ?this <{eq}> ?v }} }}")
                        add("rows", f"SELECT DISTINCT ?this ?v WHERE {{ {F} ?this <{eq}> ?v FILTER NOT EXISTS {{ {t} }} }}")
                    else:
                        add("rows", f"SELECT ?this WHERE {{ {F} FILTER NOT EXISTS {{ ?this <{eq}> ?this }} }}")
                        add("rows", f"SELECT DISTINCT ?this ?v WHERE {{ {F} ?this <{eq}> ?v FILTER(!sameTerm(?v, ?this)) }}")
            elif name in ("OrConstraintComponent", "AndConstraintComponent", "XoneConstraintComponent",
                          "NotConstraintComponent"):
                lists = {"OrConstraintComponent": "or_list", "AndConstraintComponent": "and_list",
                         "XoneConstraintComponent": "xone_nodes", "NotConstraintComponent": "not_list"}[name]
                for item in getattr(c, lists):
                    cond = self.logical_cond(name, item, v, stack, ctx)
                    if cond is None:
                        continue
                    add("rows", self.value_query(F, vp, v, cond) if shape.is_property_shape else
                        f"SELECT ?this WHERE {{ {F} FILTER(!({cond})) }}", cond=cond)
            elif name == "QualifiedValueShapeConstraintComponent":
                if c.is_disjoint:
                    raise Unsupported("sh:qualifiedValueShapesDisjoint")
                path = self.path(shape.path())
                sh_ = SH
                for vs in c.value_shapes:
                    if self.sg.is_filtered_out_shape(vs):
                        continue
                    cond = self.conform(vs, "?v", stack, ctx)
                    if c.max_count is not None:
                        add("rows", f"SELECT ?this WHERE {{ {F} {self.triple('?this', path, '?v')} FILTER({cond}) }} GROUP BY ?this "
                                    f"HAVING (COUNT(DISTINCT ?v) > {int(c.max_count)})",
                            value=False, comp=sh_.QualifiedMaxCountConstraintComponent)
                    if c.min_count is not None and int(c.min_count) > 0:
                        n = int(c.min_count)
                        t = self.triple("?this", path, "?v")
                        q = (f"SELECT ?this WHERE {{ {F} FILTER NOT EXISTS {{ {t} FILTER({cond}) }} }}"
                             if n == 1 else
                             f"SELECT ?this WHERE {{ {F} OPTIONAL {{ {t} FILTER({cond}) }} }} "
                             f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})")
                        add("rows", q, value=False, comp=sh_.QualifiedMinCountConstraintComponent)
            elif name == "PropertyConstraintComponent":
                child_focus = focus if not shape.is_property_shape else \
                    self.focus_from_values(focus, self.path(shape.path()))
                for p in c.property_shapes:
                    if self.sg.is_filtered_out_shape(p):
                        continue
                    child = self.shape(p)
                    if not child.is_property_shape:
                        raise Unsupported("sh:property pointing to a node shape")
                    checks.extend(self.shape_checks(child, child_focus, top, stack))
            elif name == "SPARQLBasedConstraint":
                for qh in c.sparql_constraints:
                    if qh.deactivated:
                        continue
                    add("sparql", sparql=_SparqlConstraint.compile(self, shape, qh, focus))
            else:
                raise Unsupported(f"{name} is not compiled (yet)")
        return checks

    def value_query(self, F: str, vp: str, v: str, cond: str | None) -> str:
        if cond is None:  # all distinct value nodes (checked in Python)
            return f"SELECT DISTINCT {v} WHERE {{ {F} {vp} }}"
        if v == "?this":
            return f"SELECT ?this WHERE {{ {F} FILTER(!({cond})) }}"
        return f"SELECT DISTINCT ?this ?v WHERE {{ {F} {vp} FILTER(!({cond})) }}"

    # -- conditions: SPARQL expressions that never raise an error, true when a value conforms

    def cond_class(self, cls: rdflib.term.Node, v: str) -> str:
        """``v`` is a SHACL instance of ``cls``. pyoxigraph evaluates ``rdf:type/rdfs:subClassOf*``
        slowly for a bound subject, so the subclasses of ``cls`` are listed once per run (the
        placeholder ``__SUBCLASSES__(<C>)__``) and ``v``'s types looked up among them."""
        if not isinstance(cls, URIRef):
            raise Unsupported("sh:class with a blank node or literal")
        return f"__CLASS__({v}|{self.fresh()}|{cls})__"

    def triple_context(self, subject: str, path: rdflib.term.Node) -> Any:
        """Where a value reached through ``path`` comes from, for the ill-typed check: the triple
        (subject, IRI) of a one-step path, "never" when the values are subjects (no literal), or None."""
        if isinstance(path, URIRef):
            return (subject, f"<{path}>")
        if isinstance(path, BNode) and (path, SH.inversePath, None) in self.g:
            return "never"
        return None

    @staticmethod
    def ill_marker(v: str, ctx: Any) -> str:
        """Placeholder, resolved per run: is the literal ``v`` (from the triple ``ctx``) ill-typed?"""
        if ctx == "never":
            return "false"
        if ctx is None:
            return "__ILL__()__"
        return f"__ILL__({ctx[0]}|{ctx[1]}|{v})__"

    def value_cond(self, c: Any, v: str, ctx: Any = None) -> str:
        """The condition of a value-wise component (pySHACL object ``c``) on the value ``v``;
        ``ctx`` says where ``v`` comes from (see :meth:`triple_context`)."""
        name = type(c).__name__
        if name == "ClassConstraintComponent":
            return " && ".join(self.cond_class(cls, v) for cls in c.class_rules)
        if name == "DatatypeConstraintComponent":
            d = c.datatype_rule
            if not isinstance(d, URIRef):
                raise Unsupported("sh:datatype with a non-IRI")
            if d == RDFS.Literal:
                return f"isLiteral({v})"
            if d == RDFS.Datatype:
                return (f"(isLiteral({v}) && !sameTerm(DATATYPE({v}), <{_XSD_STRING}>) "
                        f"&& !sameTerm(DATATYPE({v}), <{_RDF_LANGSTRING}>))")
            if d == RDF.langString:
                return f"(isLiteral({v}) && LANG({v}) != \"\")"
            if d == XSD.string:
                return (f"(isLiteral({v}) && (sameTerm(DATATYPE({v}), <{d}>) "
                        f"|| sameTerm(DATATYPE({v}), <{SURROGATE}{d}>)))")
            return (f"(isLiteral({v}) && (sameTerm(DATATYPE({v}), <{d}>) "
                    f"|| sameTerm(DATATYPE({v}), <{SURROGATE}{d}>)) && !{self.ill_marker(v, ctx)})")
        if name == "NodeKindConstraintComponent":
            k = c.nodekind_rule
            return {SH.IRI: f"isIRI({v})", SH.BlankNode: f"isBlank({v})", SH.Literal: f"isLiteral({v})",
                    SH.BlankNodeOrIRI: f"!isLiteral({v})", SH.BlankNodeOrLiteral: f"!isIRI({v})",
                    SH.IRIOrLiteral: f"!isBlank({v})"}.get(k, "false")
        if name == "InConstraintComponent":
            terms = [t for t in c.in_vals if not isinstance(t, BNode)]
            return "(" + " || ".join([f"sameTerm({v}, {self.term(t)})" for t in terms] or ["false"]) + ")"
        if name == "LanguageInConstraintComponent":
            needs = set()
            for item in self.g.items(c.string_rules[0]):
                if not isinstance(item, Literal) or not isinstance(item.value, str):
                    raise Unsupported("sh:languageIn with a non-string")
                needs.add(str(item.value).lower())
            has = f"isLiteral({v}) && LANG({v}) != \"\""
            if "*" in needs:
                return f"({has})"
            lst = ", ".join(_sparql_string(n) for n in sorted(needs))
            if not needs:
                return "false"
            return (f"({has} && (LCASE(LANG({v})) IN ({lst}) "
                    f"|| LCASE(STRBEFORE(CONCAT(LANG({v}), \"-\"), \"-\")) IN ({lst})))")
        if name in ("MinLengthConstraintComponent", "MaxLengthConstraintComponent"):
            n = int(c.string_rules[0].value)
            if name == "MinLengthConstraintComponent":
                return "true" if n == 0 else f"(!isBlank({v}) && STRLEN(STR({v})) >= {n})"
            return f"(!isBlank({v}) && STRLEN(STR({v})) <= {n})"
        if name == "HasValueConstraintComponent":
            return " && ".join(f"sameTerm({v}, {self.term(hv)})" for hv in c.has_value_set)
        raise Unsupported(f"{name} inside a logical constraint")

    def logical_cond(self, name: str, item: rdflib.term.Node, v: str, stack: tuple, ctx: Any = None) -> str | None:
        """The condition of one sh:or / sh:and / sh:xone list or sh:not shape; None: no check."""
        if name == "NotConstraintComponent":
            if self.sg.is_filtered_out_shape(item):
                return None
            return f"!({self.conform(item, v, stack, ctx)})"
        members = list(self.g.items(item))
        if not members:
            raise Unsupported("a logical constraint with an empty or broken list")
        if name != "XoneConstraintComponent":
            members = list(dict.fromkeys(members))  # pySHACL uses a set
        members = [m for m in members if not self.sg.is_filtered_out_shape(m)]
        if not members:
            return None
        conds = [self.conform(m, v, stack, ctx) for m in members]
        if name == "OrConstraintComponent":
            return "(" + " || ".join(conds) + ")"
        if name == "AndConstraintComponent":
            return "(" + " && ".join(conds) + ")"
        return "((" + " + ".join(f"IF({c}, 1, 0)" for c in conds) + ") = 1)"

    def conform(self, node: rdflib.term.Node, v: str, stack: tuple, ctx: Any = None) -> str:
        """A condition true when the value ``v`` conforms to the shape ``node`` (as pySHACL decides
        when it validates a value against a shape of sh:or, sh:not, sh:qualifiedValueShape...)."""
        shape = self.shape(node)
        if node in stack:
            raise Unsupported("recursive shapes")
        stack = stack + (node,)
        comps = self.components(shape)
        if shape.deactivated:
            return "true"
        if shape.severity != SH.Violation:
            raise Unsupported("a nested shape whose severity is not sh:Violation (its conformance "
                              "depends on pySHACL's allow_warnings / allow_infos)")
        parts: list[str] = []
        if shape.is_property_shape:
            path = self.path(shape.path())
            x = self.fresh()
            xctx = self.triple_context(v, shape.path())
            value_conds: list[str] = []
            for c in comps:
                name = type(c).__name__
                if name == "MinCountConstraintComponent":
                    n = int(c.min_count.value)
                    if n > 0:
                        parts.append(self.at_least(v, path, n))
                elif name == "MaxCountConstraintComponent":
                    parts.append(f"!{self.at_least(v, path, int(c.max_count.value) + 1)}")
                elif name == "HasValueConstraintComponent":
                    parts.extend(f"EXISTS {{ {self.triple(v, path, self.term(hv))} }}" for hv in c.has_value_set)
                elif name == "UniqueLangConstraintComponent":
                    if next(iter(c.string_rules)):
                        a, b = self.fresh(), self.fresh()
                        parts.append(f"NOT EXISTS {{ {self.triple(v, path, a)} . {self.triple(v, path, b)} FILTER(!sameTerm({a}, {b}) "
                                     f"&& isLiteral({a}) && isLiteral({b}) && LANG({a}) != \"\" "
                                     f"&& LCASE(LANG({a})) = LCASE(LANG({b}))) }}")
                elif name == "DisjointConstraintComponent":
                    parts.extend(f"NOT EXISTS {{ {self.triple(v, path, x)} . {v} <{dj}> {x} }}" for dj in c.property_compare_set
                                 if isinstance(dj, URIRef))
                elif name == "PropertyConstraintComponent":
                    raise Unsupported("sh:property inside a property shape used by a logical constraint")
                elif name in ("OrConstraintComponent", "AndConstraintComponent", "XoneConstraintComponent",
                              "NotConstraintComponent"):
                    lists = {"OrConstraintComponent": "or_list", "AndConstraintComponent": "and_list",
                             "XoneConstraintComponent": "xone_nodes", "NotConstraintComponent": "not_list"}[name]
                    for item in getattr(c, lists):
                        cond = self.logical_cond(name, item, x, stack, xctx)
                        if cond is not None:
                            value_conds.append(cond)
                else:
                    value_conds.append(self.value_cond(c, x, xctx))
            if value_conds:
                parts.append(f"NOT EXISTS {{ {self.triple(v, path, x)} FILTER(!({' && '.join(value_conds)})) }}")
        else:
            for c in comps:
                name = type(c).__name__
                if name == "PropertyConstraintComponent":
                    for p in c.property_shapes:
                        if self.sg.is_filtered_out_shape(p):
                            continue
                        if not self.shape(p).is_property_shape:
                            raise Unsupported("sh:property pointing to a node shape")
                        parts.append(self.conform(p, v, stack, None))
                elif name in ("OrConstraintComponent", "AndConstraintComponent", "XoneConstraintComponent",
                              "NotConstraintComponent"):
                    lists = {"OrConstraintComponent": "or_list", "AndConstraintComponent": "and_list",
                             "XoneConstraintComponent": "xone_nodes", "NotConstraintComponent": "not_list"}[name]
                    for item in getattr(c, lists):
                        cond = self.logical_cond(name, item, v, stack, ctx)
                        if cond is not None:
                            parts.append(cond)
                elif name == "DisjointConstraintComponent":
                    parts.extend(f"NOT EXISTS {{ {v} <{dj}> {v} }}" for dj in c.property_compare_set
                                 if isinstance(dj, URIRef))
                else:
                    parts.append(self.value_cond(c, v, ctx))
        return "(" + " && ".join(parts or ["true"]) + ")"

    def at_least(self, v: str, path: str, n: int) -> str:
        if n <= 0:
            return "true"
        if n > 3:
            raise Unsupported("a count above 3 inside a logical constraint")
        xs = [self.fresh() for _ in range(n)]
        triples = " . ".join(self.triple(v, path, x) for x in xs)
        distinct = " && ".join(f"!sameTerm({a}, {b})" for a, b in itertools.combinations(xs, 2))
        return f"EXISTS {{ {triples} {f'FILTER({distinct})' if distinct else ''} }}"


def _sparql_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


# --- SHACL-SPARQL constraints -----------------------------------------------------------------

_SAFE_WRAPPERS = {"Builtin_STR", "Builtin_LANG", "Builtin_isIRI", "Builtin_isURI", "Builtin_isBLANK",
                  "Builtin_isLITERAL", "Builtin_BOUND", "Builtin_sameTerm"}
_PATTERN_NODES = {"SelectQuery", "Project", "Distinct", "Reduced", "BGP", "Filter", "Extend", "Join", "LeftJoin",
                  "Union"}


class _SparqlConstraint:
    """A sh:sparql constraint (sh:select) rewritten to run over all focus nodes at once.

    pySHACL runs the query once per focus node with ``$this`` pre-bound. Here the focus set is
    joined at the start of the query's top-level group: the same solutions, provided ``$this`` is
    only used where it is bound in both readings (checked on the query's algebra)."""

    def __init__(self) -> None:
        self.qh: Any = None
        self.text = ""
        self.projected: list[str] = []
        self.algebra: Any = None
        self.triples: list[tuple] = []
        self.focus: Any = None
        self.stored = False
        self.exprs: list[tuple[Any, Any]] = []  # (expression, variable it is bound to by BIND or None)

    @classmethod
    def compile(cls, compiler: _Compiler, shape: Any, qh: Any, focus: FocusSet) -> "_SparqlConstraint":
        from pyshacl.errors import ReportableRuntimeError, ValidationFailure
        from rdflib.plugins.sparql import prepareQuery

        self = cls()
        self.qh = qh
        try:
            init, text = qh.pre_bind_variables(URIRef(_NS + "focus-node"))
        except (ValidationFailure, ReportableRuntimeError, NotImplementedError) as exc:
            raise Unsupported(f"pySHACL rejects the SPARQL constraint: {exc}") from None
        if set(init) - {"this"}:
            raise Unsupported("a SPARQL constraint using $currentShape")
        full = qh.apply_prefixes(text)
        try:
            query = prepareQuery(full)
        except Exception as exc:
            raise Unsupported(f"rdflib cannot parse the SPARQL constraint: {exc}") from None
        algebra = query.algebra
        if algebra.name != "SelectQuery":
            raise Unsupported("a SPARQL constraint that is not a SELECT")
        self.projected = [str(v) for v in algebra.PV]
        if "failure" in self.projected:
            raise Unsupported("a SPARQL constraint selecting ?failure")
        self._walk(algebra, True)
        full = _minus_rewrite(algebra, full)
        self.focus = focus
        self.stored = self._scratch_safe()
        self.text = _inject(full, focus.stored() if self.stored else focus.pattern(),
                            add_this="this" not in self.projected)
        try:  # (the class placeholders, resolved per run, replaced by something of the same shape)
            ox.Store().query(re.sub(r"__TYPED__\(([^|)]*)\|([^|)]*)\|[^)]*\)__", r"\1 a \2", self.text))
        except SyntaxError as exc:
            raise Unsupported(f"pyoxigraph cannot parse the rewritten SPARQL constraint: {exc}") from None
        return self

    def _scratch_safe(self) -> bool:
        """The scratch graph (focus nodes) cannot match the query's triple patterns: every pattern
        whose predicate is a variable (or a complex path) has ``$this`` as subject."""
        from rdflib.term import Variable
        return all(isinstance(p, URIRef) or (isinstance(s, Variable) and str(s) == "this")
                   for s, p, o in self.triples)

    # the algebra: what is allowed, where ?this is used, what the runtime check needs

    def _walk(self, node: Any, bound: bool, exists: bool = False) -> None:
        """``bound``: ?this is bound here; ``exists``: inside EXISTS, where the outer solution is
        substituted everywhere (so ``bound`` holds for the whole pattern)."""
        name = getattr(node, "name", None)
        if exists and bound:
            if name == "BGP":
                self.triples.extend(node.triples)
                return
            if name in ("Filter", "Extend", "Join", "LeftJoin", "Union"):
                for k in ("p", "p1", "p2"):
                    if k in node and node[k] is not None:
                        self._walk(node[k], True, True)
                if name in ("Filter", "Extend") or (name == "LeftJoin" and node.expr is not None):
                    self._expr(node.expr, True)
                    self.exprs.append((node.expr, node.var if name == "Extend" else None))
                return
        if exists and name in ("SelectQuery", "Project", "Distinct", "Reduced"):
            raise Unsupported("a subquery inside EXISTS")
        if name not in _PATTERN_NODES:
            raise Unsupported(f"a SPARQL constraint using {name or type(node).__name__} "
                              "(aggregates, subqueries, MINUS, GRAPH, ORDER BY, LIMIT... are left to pySHACL)")
        if name in ("SelectQuery", "Project", "Distinct", "Reduced"):
            self._walk(node.p, bound)
        elif name == "BGP":
            self.triples.extend(node.triples)
        elif name in ("Filter", "Extend"):
            self._walk(node.p, bound)
            self._expr(node.expr, bound or "this" in _certain(node.p))
            self.exprs.append((node.expr, node.var if name == "Extend" else None))
        elif name == "LeftJoin":
            self._walk(node.p1, bound)
            self._walk(node.p2, False)
            if node.expr is not None and getattr(node.expr, "name", "") != "TrueFilter":
                self._expr(node.expr, bound or "this" in _certain(node.p1) | _certain(node.p2))
                self.exprs.append((node.expr, None))
        elif name in ("Join", "Union"):
            self._walk(node.p1, False)
            self._walk(node.p2, False)

    def _expr(self, e: Any, bound: bool) -> None:
        from rdflib.term import Variable
        if isinstance(e, Variable):
            if str(e) == "this" and not bound:
                raise Unsupported("a SPARQL constraint using $this where the focus node may not be bound")
            return
        if isinstance(e, (list, tuple)):
            for x in e:
                self._expr(x, bound)
            return
        name = getattr(e, "name", None)
        if name is None:
            return
        if name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            self._group(e.graph, bound)
            return
        for k, x in e.items():
            if k != "_vars":
                self._expr(x, bound)

    def _group(self, g: Any, bound: bool) -> None:
        """A group graph pattern inside EXISTS (rdflib keeps it as a parse tree)."""
        from rdflib.term import Variable
        name = getattr(g, "name", None)
        if name == "GroupGraphPatternSub":
            for part in g.part or []:
                self._group(part, bound)
        elif name == "TriplesBlock":
            for block in g.triples:
                for i in range(0, len(block) - 2, 3):
                    t = tuple(block[i:i + 3])
                    if not bound and any(isinstance(x, Variable) and str(x) == "this" for x in t):
                        raise Unsupported("a SPARQL constraint using $this in EXISTS where it may not be bound")
                    self.triples.append(t)
        elif name in ("Filter", "Bind"):
            self._expr(g.expr, bound)
            self.exprs.append((g.expr, getattr(g, "var", None) if name == "Bind" else None))
        elif name == "OptionalGraphPattern":
            self._group(g.graph, bound)
        elif name == "GroupOrUnionGraphPattern":
            for x in g.graph:
                self._group(x, bound)
        elif name in _PATTERN_NODES:  # rdflib sometimes gives the algebra
            self._walk(g, bound, exists=True)
        else:
            raise Unsupported(f"a SPARQL constraint using {name} inside EXISTS")

    def unsafe_reason(self, mirror: Mirror) -> str | None:
        """Why this query cannot run on this mirror with rdflib's semantics, or None.

        Literals pyoxigraph would rewrite are stored under surrogate datatypes: exact for term
        equality, STR and LANG, not for value comparisons, arithmetic, DATATYPE or casts."""
        from rdflib.paths import Path
        from rdflib.term import Variable
        special = mirror.surrogate_predicates
        if not special:
            return None
        tainted: set[str] = set()
        for s, p, o in self.triples:
            if isinstance(o, Literal):
                e = mirror.encode(o)
                if e.datatype is not None and e.datatype.value.startswith(SURROGATE):
                    return f"the constant {o.n3()} is stored under a surrogate datatype"
            reaches = (isinstance(p, (Variable, Path)) or str(p) in special)
            if reaches:
                for x in ((s, o) if isinstance(p, Path) else (o,)):
                    if isinstance(x, Variable):
                        tainted.add(str(x))
        changed = True
        while changed:
            changed = False
            for e, var in self.exprs:
                if var is not None and str(var) not in tainted and _returns_tainted(e, tainted):
                    tainted.add(str(var))
                    changed = True
        for e, var in self.exprs:
            bad = _unsafe_use(e, tainted, safe=var is not None)
            if bad:
                return (f"?{bad} may hold a literal stored under a surrogate datatype here, and the query "
                        "applies a value-sensitive operation to it")
        return None


def _spine_filter(algebra: Any) -> Any:
    """The Filter node of the top-level group of a SELECT query's algebra, or None."""
    node = algebra.p
    while getattr(node, "name", None) in ("Project", "Distinct", "Reduced"):
        node = node.p
    return node if getattr(node, "name", None) == "Filter" else None


def _conjuncts(e: Any) -> list[Any]:
    if getattr(e, "name", None) == "ConditionalAndExpression":
        out = _conjuncts(e.expr)
        for x in e.other or []:
            out += _conjuncts(x)
        return out
    return [e]


def _pure_pattern(g: Any) -> tuple[list[tuple], list[Any]] | None:
    """The triples and filters of a group made only of triples and filters (parse tree or algebra)."""
    name = getattr(g, "name", None)
    if name == "GroupGraphPatternSub":
        triples: list[tuple] = []
        filters: list[Any] = []
        for part in g.part or []:
            sub = _pure_pattern(part)
            if sub is None:
                return None
            triples += sub[0]
            filters += sub[1]
        return triples, filters
    if name == "TriplesBlock":
        return [tuple(b[i:i + 3]) for b in g.triples for i in range(0, len(b) - 2, 3)], []
    if name == "BGP":
        return [tuple(t) for t in g.triples], []
    if name == "Join":
        a, b = _pure_pattern(g.p1), _pure_pattern(g.p2)
        return None if a is None or b is None else (a[0] + b[0], a[1] + b[1])
    if name == "Filter":
        sub = _pure_pattern(g.p)
        return None if sub is None else (sub[0], sub[1] + [g.expr])
    return None


def _expr_vars(e: Any) -> set[str]:
    from rdflib.term import Variable
    if isinstance(e, Variable):
        return {str(e)}
    if isinstance(e, (list, tuple)):
        return set().union(*(_expr_vars(x) for x in e)) if e else set()
    if getattr(e, "name", None) is None:
        return set()
    if e.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
        return {"?"}  # nested: not a pure pattern
    return set().union(*(_expr_vars(x) for k, x in e.items() if k != "_vars")) if len(e) else set()


def _minus_rewrite(algebra: Any, text: str) -> str:
    """``FILTER NOT EXISTS { P }`` of the top-level group as ``MINUS { P }``, when they give the same
    solutions: P is triples and filters on its own variables, shares a variable with the rest of
    the query, and every shared variable is certainly bound there (pyoxigraph evaluates MINUS once
    for all solutions, NOT EXISTS once per solution: quadratic on large data)."""
    from rdflib.term import Variable
    top = _spine_filter(algebra)
    if top is None:
        return text
    nots = [e for e in _conjuncts(top.expr) if getattr(e, "name", None) == "Builtin_NOTEXISTS"]
    if not nots:
        return text
    certain = _certain(top.p) | {"this"}
    outer = {str(v) for v in (top.p.get("_vars") or ())} | {str(v) for v in algebra.PV} | {"this"}
    for e in _conjuncts(top.expr):
        if e not in nots:
            outer |= _expr_vars(e)
    for e in nots:
        pure = _pure_pattern(e.graph)
        if pure is None:
            return text
        triples, filters = pure
        inner = {str(x) for t in triples for x in t if isinstance(x, Variable)}
        if any(not _expr_vars(f) <= inner for f in filters):
            return text
        shared = inner & outer
        if not shared or not shared <= certain:
            return text
    # the same NOT EXISTS, in the text: at depth 1 of the query's group
    depth, spots = 0, []
    chars = list(_scan(text))
    code = "".join(ch for _, ch in chars)
    for m in re.finditer(r"FILTER\s+NOT\s+EXISTS\s*\{|[{}]", code, re.I):
        tok = m.group()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        else:
            if depth == 1:
                spots.append((chars[m.start()][0], chars[m.end() - 1][0]))
            depth += 1
    if len(spots) != len(nots):
        return text
    for start, brace in reversed(spots):
        text = text[:start] + "MINUS {" + text[brace + 1:]
    return text


def _certain(node: Any) -> set[str]:
    """Variables certainly bound by an algebra pattern."""
    from rdflib.term import Variable
    name = getattr(node, "name", None)
    if name == "BGP":
        return {str(x) for t in node.triples for x in t if isinstance(x, Variable)}
    if name == "Join":
        return _certain(node.p1) | _certain(node.p2)
    if name in ("LeftJoin",):
        return _certain(node.p1)
    if name in ("Filter", "Extend", "Project", "Distinct", "Reduced", "SelectQuery"):
        return _certain(node.p)
    if name == "Union":
        return _certain(node.p1) & _certain(node.p2)
    return set()


def _returns_tainted(e: Any, tainted: set[str]) -> bool:
    from rdflib.term import Variable
    if isinstance(e, Variable):
        return str(e) in tainted
    name = getattr(e, "name", "")
    if name in ("Builtin_IF", "Builtin_COALESCE"):
        return any(_returns_tainted(x, tainted) for k, x in e.items() if k != "_vars"
                   for x in (x if isinstance(x, list) else [x]))
    return False


def _unsafe_use(e: Any, tainted: set[str], safe: bool) -> str | None:
    """A tainted variable used by an operation that depends on literal values, else None."""
    from rdflib.term import Variable
    if isinstance(e, Variable):
        return None if safe or str(e) not in tainted else str(e)
    if isinstance(e, (list, tuple)):
        for x in e:
            r = _unsafe_use(x, tainted, False)
            if r:
                return r
        return None
    name = getattr(e, "name", None)
    if name is None or name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
        return None  # the pattern's own triples and filters are checked separately
    inner_safe = name in _SAFE_WRAPPERS
    for k, x in e.items():
        if k == "_vars":
            continue
        r = _unsafe_use(x, tainted, inner_safe)
        if r:
            return r
    return None


def _scan(text: str) -> Iterator[tuple[int, str]]:
    """Positions and characters of a SPARQL text outside strings, IRIs and comments."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch in "\"'":
            if text.startswith(ch * 3, i):
                j = text.find(ch * 3, i + 3)
                while j > 0 and text[j - 1] == "\\":
                    j = text.find(ch * 3, j + 1)
                i = n if j < 0 else j + 3
            else:
                j = i + 1
                while j < n and text[j] != ch:
                    j += 2 if text[j] == "\\" else 1
                i = j + 1
            continue
        if ch == "<":
            m = re.match(r"<[^<>\"{}|^`\\\s]*>", text[i:])
            if m:
                i += m.end()
                continue
        yield i, ch
        i += 1


def _inject(text: str, pattern: str, add_this: bool) -> str:
    """Insert ``pattern`` at the start of the top-level group (and ``?this`` into the projection)."""
    brace = next((i for i, ch in _scan(text) if ch == "{"), None)
    if brace is None:
        raise Unsupported("a SPARQL constraint without a group pattern")
    out = text[:brace + 1] + " " + pattern + " . " + text[brace + 1:]
    if add_this:
        chars = list(_scan(out[:brace]))
        code = "".join(ch for _, ch in chars)
        m = re.search(r"\bSELECT\s+((?:DISTINCT|REDUCED)\s+)?", code, re.I)
        if m is None:
            raise Unsupported("a SPARQL constraint whose SELECT clause cannot be found")
        if code[m.end():].lstrip().startswith("*"):
            return out
        at = chars[m.end()][0] if m.end() < len(chars) else brace
        out = out[:at] + "?this " + out[at:]
    return out


# --- running a plan ---------------------------------------------------------------------------

@dataclass
class Outcome:
    """What :func:`execute` did: the results, which engine checked each top-level shape and why
    pySHACL was used, and the time of each phase (seconds)."""

    results: list[Result]
    engines: dict[str, str]
    reasons: dict[str, str]
    timings: dict[str, float]
    slowest: list[tuple[float, str, str]] = field(default_factory=list)  # (seconds, shape, component)


def run(plan: Plan, data: Any, kinds: Iterable[str] = ("ontology", "data")) -> list[Result]:
    """Validate ``data`` (:class:`~ilograph.load.Sources` (the files of ``kinds``), an rdflib
    Graph, pyoxigraph quads or a :class:`Mirror`) against the compiled shapes."""
    return execute(plan, data, kinds).results


def mirror_of(data: Any, kinds: Iterable[str] = ("ontology", "data")) -> Mirror:
    if isinstance(data, Mirror):
        return data
    if isinstance(data, rdflib.Graph):
        return Mirror.from_rdflib(data)
    if is_sources(data):
        return Mirror.from_sources(data, kinds)
    if isinstance(data, ox.Store):
        raise TypeError("a pyoxigraph Store compares literals by value and loses datatypes: "
                        "give the Sources, an ox.Dataset or the quads")
    return Mirror.from_quads(data)


def is_sources(data: Any) -> bool:
    return hasattr(data, "dataset") and hasattr(data, "files") and hasattr(data, "store")


def execute(plan: Plan, data: Any, kinds: Iterable[str] = ("ontology", "data")) -> Outcome:
    """Validate ``data`` (as for :func:`run`) and say how: engines, reasons, timings. Loaded
    :class:`~ilograph.load.Sources` are validated in their own store (:meth:`Mirror.borrowed`)."""
    import time
    clock = time.perf_counter
    t0 = clock()
    if is_sources(data):
        with Mirror.borrowed(data, kinds) as mirror:
            return _execute(plan, mirror, {"mirror": clock() - t0})
    mirror = mirror_of(data, kinds)
    return _execute(plan, mirror, {"mirror": clock() - t0})


def _execute(plan: Plan, mirror: Mirror, timings: dict[str, float]) -> Outcome:
    import time
    clock = time.perf_counter

    t0 = clock()
    reasons = {plan.key(n): why for n, why in plan.fallback.items()}
    late: dict[rdflib.term.Node, str] = {}
    for c in plan.checks:
        if c.top in late:
            continue
        if c.kind == "sparql":
            why = c.sparql.unsafe_reason(mirror)
            if why:
                late[c.top] = why
        elif mirror.ill_count and "__ILL__()__" in c.query:
            late[c.top] = ("the data has ill-typed literals, and sh:datatype is checked on values not reached "
                           "through a one-step path (pySHACL's flag depends on which triple gave the value)")
    for node, why in late.items():
        reasons[plan.key(node)] = why
    checks = [c for c in plan.checks if c.top not in late]
    timings["plan"] = clock() - t0

    t0 = clock()
    runner = _Runner(plan, mirror)
    results: list[Result] = []
    per_check = []
    # the queries run on threads (pyoxigraph evaluates them without the GIL); their rows become
    # results here, in order, on this thread (pySHACL's message code and the rdflib graphs it
    # reads are not thread-safe)
    from concurrent.futures import ThreadPoolExecutor
    groups = _groups(checks)
    # SHACL-SPARQL queries read their focus nodes from the scratch graph: one focus set at a time
    # is written there (a focus set of a big graph has millions of nodes), its queries run, and it
    # is removed again
    stored: dict[str, FocusSet] = {}
    waiting: dict[str | None, list[list[Check]]] = defaultdict(list)
    for group in groups:
        c = group[0]
        key = c.sparql.focus.key if c.kind == "sparql" and c.sparql.stored else None
        if key is not None:
            stored[key] = c.sparql.focus
        waiting[key].append(group)
    timings["focus"] = 0.0
    with ThreadPoolExecutor(max_workers=workers()) as pool:
        for key in [None, *stored]:
            if key is not None:
                t1 = clock()
                _store_focus_set(mirror, stored[key])
                timings["focus"] += clock() - t1
            batch = waiting[key]
            texts = [runner.query_text(g) for g in batch]
            for group, (seconds, rows) in zip(batch, pool.map(runner.fetch, texts)):
                results.extend(runner.finish(group, rows))
                per_check.append((seconds, plan.key(group[0].shape.node),
                                  "+".join(c.component_iri.split("#")[-1] for c in group)))
            if key is not None:
                mirror.store.remove_graph(_SCRATCH)
    timings["sparql"] = clock() - t0 - timings["focus"]

    t0 = clock()
    fallback = set(plan.fallback) | set(late)
    if fallback:
        results.extend(_run_pyshacl(plan, mirror, fallback))
    timings["pyshacl"] = clock() - t0
    engines = {plan.key(n): SPARQL for n in plan.fast if n not in late}
    engines.update({plan.key(n): PYSHACL for n in fallback})
    return Outcome(results=results, engines=engines, reasons=reasons, timings=timings,
                   slowest=sorted(per_check, reverse=True)[:20])


def _store_focus_set(mirror: Mirror, focus: FocusSet) -> None:
    """Write the nodes of ``focus`` into the scratch graph (see :meth:`FocusSet.stored`), in chunks."""
    key, pred = ox.NamedNode(focus.key), ox.NamedNode(_NS + "in")
    rows = iter(mirror.query(_resolve_classes(f"SELECT DISTINCT ?this WHERE {{ {focus.body('?this', 0)} }}", mirror)))
    while chunk := [ox.Quad(key, pred, r[0], _SCRATCH) for r in itertools.islice(rows, 100_000)]:
        mirror.store.extend(chunk)


def _groups(checks: list[Check]) -> list[list[Check]]:
    """The checks in groups run by one query: value-wise checks (``cond``) of one focus set and
    one value pattern (a property shape's constraints on its values are read in one pass)."""
    groups: dict[tuple, list[Check]] = {}
    out: list[list[Check]] = []
    for c in checks:
        if c.kind == "rows" and c.cond is not None:
            key = (c.focus.key, c.vp, c.value)
            if key not in groups:
                groups[key] = []
                out.append(groups[key])
            groups[key].append(c)
        else:
            out.append([c])
    return out


def workers() -> int:
    """Threads for running queries: the CPUs this process may use (``ILOGRAPH_THREADS`` overrides)."""
    import os
    wanted = os.environ.get("ILOGRAPH_THREADS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, min(8, len(os.sched_getaffinity(0))))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, min(8, os.cpu_count() or 1))


class _Runner:
    def __init__(self, plan: Plan, mirror: Mirror) -> None:
        self.plan = plan
        self.mirror = mirror
        self.ns = mirror.namespace_graph()
        self.dummy = URIRef(_NS + "focus-node")

    def text(self, c: Check | str) -> str:
        """The query of a check, its placeholders resolved for this mirror: the subclasses of a
        class, and whether a literal reached through a triple is ill-typed."""
        q = _resolve_classes(c if isinstance(c, str) else c.query, self.mirror)
        if "__ILL__" not in q:
            return q
        if not self.mirror.ill_count:
            return re.sub(r"__ILL__\([^)]*\)__", "false", q)
        return re.sub(r"__ILL__\(([^|)]*)\|([^|)]*)\|([^|)]*)\)__",
                      lambda m: f"EXISTS {{ GRAPH <{_ILL.value}> {{ {m[1]} {m[2]} {m[3]} }} }}", q)

    def query_text(self, group: list[Check]) -> str:
        c = group[0]
        if len(group) > 1:
            return self.combined_text(group)
        if c.kind == "sparql":
            return _resolve_classes(c.sparql.text, self.mirror)
        return self.text(c)

    def fetch(self, text: str) -> tuple[float, list]:
        """The rows of a query (safe on any thread: reads the store only), and its time."""
        import time
        t0 = time.perf_counter()
        rows = list(self.mirror.query(text))
        return time.perf_counter() - t0, rows

    def finish(self, group: list[Check], rows: list) -> list[Result]:
        """The results of a group from its rows."""
        c = group[0]
        if len(group) > 1:
            return self.combined(group, rows)
        if c.kind == "python":
            return self.python(c, rows)
        if c.kind == "sparql":
            return self.sparql(c, rows)
        return self.check(c, rows)

    def check(self, c: Check, rows: Iterable | None = None) -> list[Result]:
        if c.kind == "rows":
            out = []
            for row in (self.mirror.query(self.text(c)) if rows is None else rows):
                f = self.mirror.decode(row["this"])
                v = None
                if c.value == "v":
                    v = self.mirror.decode(row["v"])
                elif c.value == "this":  # a node shape's value node is the focus node
                    v = f
                out.append(self.result(c, f, v))
            return out
        if c.kind == "python":
            return self.python(c)
        return self.sparql(c)

    def combined_text(self, group: list[Check]) -> str:
        """Value-wise checks of one focus set and value pattern, in one query: each row is a value
        failing at least one of them, with a flag per check."""
        first = group[0]
        flags = " ".join(f"?_b{i}" for i in range(len(group)))
        binds = " ".join(f"BIND(!({c.cond}) AS ?_b{i})" for i, c in enumerate(group))
        F = first.focus.pattern()
        if first.value == "v":
            q = f"SELECT DISTINCT ?this ?v {flags} WHERE {{ {F} {first.vp} {binds} FILTER({' || '.join(flags.split())}) }}"
        else:
            q = f"SELECT ?this {flags} WHERE {{ {F} {binds} FILTER({' || '.join(flags.split())}) }}"
        return self.text(q)

    def combined(self, group: list[Check], rows: Iterable | None = None) -> list[Result]:
        first = group[0]
        out = []
        decode = self.mirror.decode
        true = ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))
        for row in (self.mirror.query(self.combined_text(group)) if rows is None else rows):
            f = decode(row["this"])
            v = decode(row["v"]) if first.value == "v" else f
            for i, c in enumerate(group):
                if row[f"_b{i}"] == true:
                    out.append(self.result(c, f, v))
        return out

    def python(self, c: Check, rows: Iterable | None = None) -> list[Result]:
        values = [self.mirror.decode(r[0]) for r in (self.mirror.query(self.text(c)) if rows is None else rows)]
        if not values:
            return []
        reports = c.component.evaluate(None, self.ns, {self.dummy: set(values)}, [])[1]
        bad: dict[rdflib.term.Node, int] = defaultdict(int)
        for _desc, _node, triples in reports:
            for s, p, o in triples:
                if p == SH.value:
                    bad[o[1] if isinstance(o, tuple) else o] += 1
        if not bad:
            return []
        out = []
        if not c.shape.is_property_shape:
            for v, k in bad.items():
                out.extend(self.result(c, v, v) for _ in range(k))
            return out
        F = c.focus.pattern()
        vp = c.vp
        named = [v for v in bad if not isinstance(v, BNode)]
        rows = []
        for chunk in (named[i:i + 500] for i in range(0, len(named), 500)):
            values_clause = " ".join(self.mirror.sparql(v) for v in chunk)
            rows.extend(self.mirror.query(_resolve_classes(
                f"SELECT DISTINCT ?this ?v WHERE {{ VALUES ?v {{ {values_clause} }} {F} {vp} }}", self.mirror)))
        if len(named) < len(bad):
            rows.extend(r for r in self.mirror.query(_resolve_classes(
                f"SELECT DISTINCT ?this ?v WHERE {{ {F} {vp} FILTER(isBlank(?v)) }}", self.mirror))
                        if self.mirror.decode(r["v"]) in bad)
        for row in rows:
            f, v = self.mirror.decode(row["this"]), self.mirror.decode(row["v"])
            out.extend(self.result(c, f, v) for _ in range(bad[v]))
        return out

    def sparql(self, c: Check, rows: Iterable | None = None) -> list[Result]:
        sc: _SparqlConstraint = c.sparql
        shape = c.shape
        result_val_is_focus = not shape.is_property_shape
        seen: set = set()
        out = []
        decode = self.mirror.decode
        for row in (self.mirror.query(_resolve_classes(sc.text, self.mirror)) if rows is None else rows):
            f = decode(row["this"])
            var_dict: dict[str, Any] = {}
            for name in sc.projected:
                try:
                    val = row[name]
                except KeyError:
                    val = None
                if val is not None:
                    var_dict[name] = decode(val)
            p = var_dict.pop("path", None)
            v = var_dict.pop("value", None)
            t = var_dict.pop("this", None)
            if p is None and v is None and t is None:
                continue
            key = (f, t, p, v, tuple(var_dict.items()))
            if key in seen:
                continue
            seen.add(key)
            if v is None:
                v = f if result_val_is_focus else None
            out.append(self.result(c, t or f, v, path=p, bound_vars=(t, p, v, var_dict),
                                   source_constraint=sc.qh.node, extra_messages=sc.qh.messages or None))
        return out

    def result(self, c: Check, focus: rdflib.term.Node, value: rdflib.term.Node | None, path: Any = None,
               bound_vars: Any = None, source_constraint: Any = None, extra_messages: Any = None) -> Result:
        shape = c.shape
        own = list(shape.message)
        if c.kind != "sparql" and own:
            messages = tuple(own)
        else:
            self.mirror.describe(self.ns, focus)
            if value is not None:
                self.mirror.describe(self.ns, value)
            _d, _n, triples = c.component.make_v_result(
                self.ns, focus, value_node=value, result_path=path, constraint_component=c.component_iri,
                source_constraint=source_constraint, extra_messages=extra_messages, bound_vars=bound_vars)
            messages = tuple(dict.fromkeys(o for _s, p, o in triples if p == SH.resultMessage))
        if path is None and shape.is_property_shape:
            path = shape.path()
        return Result(focus=focus, path=path, value=value, component=c.component_iri, source_shape=shape.node,
                      severity=shape.severity, messages=messages, engine=SPARQL, shape=self.plan.key(shape.node),
                      path_key=self._path_key(path))

    def _path_key(self, path: Any) -> str | None:
        if path is None:
            return None
        if isinstance(path, BNode) and (path, None, None) in self.plan.shapes:
            return path_text(self.plan.shapes, path)
        return path_text(self.plan.shapes, path)


def _resolve_classes(q: str, mirror: Mirror) -> str:
    """Resolve the class placeholders of a query with this data's subclasses: pyoxigraph evaluates
    ``rdf:type/rdfs:subClassOf*`` slowly (for a bound subject, and by scanning every rdf:type
    triple for an unbound one), and quickly a lookup of ``rdf:type`` among listed classes."""
    def listed(classes: list[str]) -> list | None:
        found: dict = {}
        for cls in classes:
            for x in mirror.subclasses(cls):
                found[x] = None
        return None if any(isinstance(x, BNode) for x in found) else list(found)

    def instance(m: re.Match) -> str:  # __CLASS__(value|variable|class): an EXISTS condition
        v, t, cls = m[1], m[2], m[3]
        found = listed([cls])
        if found is None:  # a blank-node subclass cannot be written as a constant: the path
            return f"EXISTS {{ {v} {_RDF_TYPE_PATH} <{cls}> }}"
        return f"EXISTS {{ {v} <{RDF.type}> {t} FILTER({t} IN ({', '.join(mirror.sparql(x) for x in found)})) }}"

    def typed(m: re.Match) -> str:  # __TYPED__(subject|variable|classes): a pattern
        v, t, classes = m[1], m[2], m[3].split()
        found = listed(classes)
        if found is None:
            return " UNION ".join(f"{{ {v} {_RDF_TYPE_PATH} <{c}> }}" for c in classes)
        return f"VALUES {t} {{ {' '.join(mirror.sparql(x) for x in found)} }} {v} <{RDF.type}> {t}"

    if "__CLASS__" in q:
        q = re.sub(r"__CLASS__\(([^|)]*)\|([^|)]*)\|([^)]*)\)__", instance, q)
    if "__TYPED__" in q:
        q = re.sub(r"__TYPED__\(([^|)]*)\|([^|)]*)\|([^)]*)\)__", typed, q)
    return q


def _run_pyshacl(plan: Plan, mirror: Mirror, nodes: set) -> list[Result]:
    import pyshacl
    g = _fallback_graph(plan, nodes)
    options = {k: v for k, v in plan.pyshacl_options.items() if k not in ("ont_graph",)}
    from .rdflibstate import isolated
    with isolated():  # pySHACL restores rdflib's settings only when it returns normally
        _, report, _ = pyshacl.validate(data_graph=mirror.rdflib_graph(), shacl_graph=g, **options)
    return normalize_pyshacl(report, plan.shapes)


def _fallback_graph(plan: Plan, nodes: set) -> rdflib.Graph:
    """The shapes graph, where only the given top-level shapes keep their targets."""
    shapes = plan.shapes
    g = rdflib.Graph(bind_namespaces="none")
    for p, n in shapes.namespace_manager.namespaces():
        g.namespace_manager.bind(p, n, override=True, replace=True)
    targets = {SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.target}
    class_types = {RDFS.Class, URIRef("http://www.w3.org/2002/07/owl#Class")} | set(
        shapes.transitive_subjects(RDFS.subClassOf, RDFS.Class))
    drop = set(plan.fast) - nodes
    for s, p, o in shapes:
        if s in drop and (p in targets or (p == RDF.type and o in class_types)):
            continue
        g.add((s, p, o))
    return g
