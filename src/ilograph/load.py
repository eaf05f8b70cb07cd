"""Load a project's sources into one dataset: a named graph per source file.

Parsing is done by pyoxigraph (fast, and its syntax errors carry line and column). The result keeps
the quads in an in-memory pyoxigraph store for SPARQL checks, converts to rdflib on demand for
pySHACL and owlrl, and can say on which line of which file an IRI first appears.

Two kinds of input would make a build run out of memory or time rather than fail, and are refused
with a message (exit code 2) before they can: RDF/XML whose internal entities expand to more than
:data:`MAX_ENTITY_EXPANSION` characters (the "billion laughs": a 1 KB file expanding to gigabytes),
and groups of blank nodes that look alike and are linked to each other (a long RDF list of one
repeated value, deeply nested ``( )`` or ``[ ]``): the release labels blank nodes canonically, and
for such a group that takes time growing with the cube of its size (a list of 300 equal items: five
seconds; 20,000: many gigabytes, then a crash), and for a cycle of them, exponentially.
"""

from __future__ import annotations

import bisect
import heapq
import re
import shutil
import tempfile
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urljoin

import pyoxigraph as ox
import rdflib

from .errors import InputError, LoadError
from .project import RDF_SUFFIXES, Project

_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
            ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML}
_PARSER_PREFIX = re.compile(r"^Parser error at line \d+ between columns \d+ and \d+: |^Parser error at line \d+ column \d+: |^error at \d+:\d+: ")

#: Characters that the internal entities of an RDF/XML file may add to it, in all.
MAX_ENTITY_EXPANSION = 16 * 1024 * 1024
#: The budget of a file's look-alike linked blank nodes: the sum of the cubes of their groups' sizes
#: (a chain of 200 equal list cells costs 8 million, about a second to label canonically).
MAX_BLANK_NODE_WORK = 8_000_000
#: The largest group of look-alike blank nodes that may link in a cycle (7 in a clique: a second).
MAX_BLANK_NODE_CYCLE = 6
_DOCTYPE = re.compile(r"<!DOCTYPE\s[^\[>]*\[(.*?)\]\s*>", re.DOTALL)
_ENTITY = re.compile(r"""<!ENTITY\s+(%\s+)?([^\s"'%>]+)\s+(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(r"&([A-Za-z_:][-A-Za-z0-9._:]*);")
#: Bytes of N-Triples that :class:`GraphTexts` keeps in memory; larger projects spill to disk.
SPILL_BYTES = 64 * 1024 * 1024
_ENTITY_CAP = MAX_ENTITY_EXPANSION * 1024  # sizes are counted up to this, so numbers stay small

_HINTS = (
    ("dot is expected", "end the previous statement with ' .', or separate its predicates with ';' and its objects with ','"),
    ("has not been declared", "declare the prefix at the top of the file, e.g. @prefix ilo: <https://w3id.org/ilograph/def#> ."),
    ("prefix", "check the @prefix declarations at the top of the file"),
    ("invalid IRI", "IRIs are written <...> without spaces, or as prefix:name"),
    ("UTF-8", "save the file as UTF-8"),
    ("unexpected end", "a statement, string or bracket is not closed"),
    ("string", "check the quotes: a literal is written \"...\" and a long one \"\"\"...\"\"\""),
    ("should end with a ']'", "close the [ ... ] (a blank node's statements) with ']' before the ' .'"),
    ("must be an IRI", "write it as an IRI: <...> in full (N-Triples takes nothing else), or prefix:name in Turtle"),
    ("language", "a language tag is letters, digits and hyphens after @, e.g. @en or @en-GB (not @en_GB)"),
    ("subtag", "a language tag is letters, digits and hyphens after @, e.g. @en or @en-GB (not @en_GB)"),
    ("Unexpected character", ("Turtle does not allow that character there: look for a typo at that column "
                              "(a language tag is written @en-GB, not @en_GB)")),
    ("ill-formed document", "every XML element opened must be closed: <x>...</x> or <x/>"),
)


class TooCostly(InputError):
    """A source file that parses, but that the build cannot afford: entities that expand past the
    limit, or look-alike blank nodes it cannot label canonically. Located like a
    :class:`LoadError` (``file:line: message`` and a hint), without being called a syntax error."""

    def __init__(self, path: Path, message: str, line: int | None = None, hint: str | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        self.hint = hint
        text = f"{path}:{line}: {message}" if line is not None else f"{path}: {message}"
        super().__init__(text + (f"\n  hint: {hint}" if hint else ""))


@dataclass(frozen=True)
class SourceFile:
    """One parsed source file and the named graph it was loaded into."""

    path: Path
    graph: str
    kind: str  # "ontology" or "data"
    triples: int
    prefixes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


class GraphTexts:
    """Each named graph's triples as canonical N-Triples: sorted, unique lines, each ending with
    ``\\n``. Kept in memory; past ``spill`` bytes in all, further graphs are kept in files of a
    temporary folder (removed by :meth:`close` or when the object is collected), so a graph of
    tens of millions of triples does not hold its text twice in memory."""

    def __init__(self, spill: int | None = None) -> None:
        self._memory: dict[str, bytes] = {}
        self._files: dict[str, Path] = {}
        self._counts: dict[str, int] = {}
        self._size = 0
        self._spill = SPILL_BYTES if spill is None else spill
        self._folder: Path | None = None
        self._finalizer: weakref.finalize | None = None

    def put(self, graph: str, text: bytes) -> None:
        self._memory.pop(graph, None)
        self._files.pop(graph, None)
        if self._size + len(text) <= self._spill:
            self._memory[graph] = text
        else:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="ilograph-graphs-"))
                self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._folder), True)
            path = self._folder / f"{len(self._files):06d}.nt"
            path.write_bytes(text)
            self._files[graph] = path
        self._size += len(text)
        self._counts[graph] = text_lines(text)

    def count(self, graph: str) -> int:
        """The graph's triples."""
        return self._counts.get(graph, 0)

    def get(self, graph: str) -> bytes:
        """The graph's N-Triples (empty for a graph that holds nothing)."""
        if graph in self._memory:
            return self._memory[graph]
        if graph in self._files:
            return self._files[graph].read_bytes()
        return b""

    def lines(self, graph: str) -> Iterator[bytes]:
        """The graph's lines (each with its line feed), read lazily from disk when spilled."""
        if graph in self._files:
            with self._files[graph].open("rb") as f:
                yield from f
        elif graph in self._memory:
            yield from self._memory[graph].splitlines(keepends=True)

    def __contains__(self, graph: object) -> bool:
        return graph in self._memory or graph in self._files

    @property
    def size(self) -> int:
        """Bytes of N-Triples held in all."""
        return self._size

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


def nquads(text: bytes, graph: str) -> bytes:
    """N-Triples lines (canonical, as :class:`GraphTexts` holds them) as N-Quads lines in ``graph``.
    Exact: a raw line feed only ends a line in canonical N-Triples, always after `` .``."""
    return text.replace(b" .\n", b" <" + graph.encode() + b"> .\n")


@dataclass(eq=False)
class Sources:
    """The loaded project: every source file's triples, by named graph.

    ``texts`` holds each graph's triples exactly as written (canonical N-Triples, sorted, one line
    per distinct triple): what validation and the dumps read. ``store`` holds the same quads for
    SPARQL. The store compares literals by value and keeps them in canonical form
    (``"5"^^xsd:positiveInteger`` becomes ``"5"^^xsd:integer``), so it is never the source of a
    dump. ``dataset`` offers the quads as written with the methods of a ``pyoxigraph.Dataset``;
    reading one graph, or all, is cheap; looking quads up by subject, predicate or object builds
    a full ``pyoxigraph.Dataset`` on first use (about 11 s and 1 GB per million quads).

    ``dataclasses.replace(sources, dataset=other, store=...)`` gives sources holding the quads of
    ``other`` (a ``pyoxigraph.Dataset``): its texts are made again from it.
    """

    project: Project
    files: list[SourceFile]
    dataset: "ox.Dataset | QuadView | None" = None
    store: ox.Store | None = None
    texts: "GraphTexts | None" = None
    #: what the checks derive from the texts once and share (not copied by ``dataclasses.replace``)
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.dataset is None or isinstance(self.dataset, QuadView):
            if self.texts is None:
                raise TypeError("Sources needs texts or a dataset")
            self.dataset = QuadView(self)
        else:  # quads given as a pyoxigraph Dataset
            texts = GraphTexts()
            for graph in dict.fromkeys(f.graph for f in self.files):
                quads = self.dataset.quads_for_graph_name(ox.NamedNode(graph))
                texts.put(graph, sorted_unique(bytes(ox.serialize((q.triple for q in quads),
                                                                  format=ox.RdfFormat.N_TRIPLES))))
            self.texts = texts
        if self.store is None:
            self.store = ox.Store()
            for graph in self.graphs:
                self.store.load(self.texts.get(graph), ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        self._length = sum(self.texts.count(g) for g in self.graphs)

    def __len__(self) -> int:
        return self._length

    @property
    def graphs(self) -> list[str]:
        """Every named graph, once, in load order."""
        return list(dict.fromkeys(f.graph for f in self.files))

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

    def graph_quads(self, graph: str) -> Iterator[ox.Quad]:
        """The quads of one named graph, as written (parsed again from its N-Triples: about a
        million quads a second)."""
        text = self.texts.get(graph)
        if text:
            yield from ox.parse(nquads(text, graph), ox.RdfFormat.N_QUADS)

    def quads(self, kinds: Iterable[str] = ("ontology", "data")) -> Iterator[ox.Quad]:
        kinds = tuple(kinds)
        for graph in dict.fromkeys(f.graph for f in self.files if f.kind in kinds):
            yield from self.graph_quads(graph)

    def union_lines(self, kinds: Iterable[str] = ("ontology", "data")) -> Iterator[bytes]:
        """The distinct triples of the chosen files as sorted N-Triples lines (blank nodes with the
        labels of this load)."""
        kinds = tuple(kinds)
        graphs = dict.fromkeys(f.graph for f in self.files if f.kind in kinds)
        return merge_unique(*(self.texts.lines(g) for g in graphs))

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
        s, p = ox.NamedNode(subject), ox.NamedNode(predicate)
        exact = value is not None and not isinstance(value, ox.Literal)
        graphs = {q.graph_name.value for q in self.store.quads_for_pattern(s, p, value if exact else None, None)
                  if isinstance(q.graph_name, ox.NamedNode)}
        if isinstance(value, ox.Literal):  # the store keeps literals in canonical form: look for the written one
            line = f"{s} {p} {value} .\n".encode()
            graphs = {g for g in graphs if (b"\n" + self.texts.get(g)).find(b"\n" + line) >= 0}
        return next((f for f in self.files if f.graph in graphs), None)

    def locate(self, iri: str, in_file: SourceFile | None = None) -> tuple[Path, int | None] | None:
        """``(file, line)`` where ``iri`` is first written in its defining file (or ``in_file``)."""
        f = in_file or self.defining_file(iri)
        if f is None:
            return None
        return f.path, self.positions.line(f, iri)

    def close(self) -> None:
        """Remove the temporary files of big graphs (also done when the object is collected)."""
        self.texts.close()


class QuadView:
    """The quads of :class:`Sources` as written, with the methods of a ``pyoxigraph.Dataset``.
    Iterating and :meth:`quads_for_graph_name` read the graphs' texts; the lookups by term build
    a ``pyoxigraph.Dataset`` once, on first use."""

    def __init__(self, sources: Sources) -> None:
        self._sources = sources

    def __len__(self) -> int:
        return len(self._sources)

    def __iter__(self) -> Iterator[ox.Quad]:
        return self._sources.quads()

    def quads_for_graph_name(self, graph_name: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> Iterator[ox.Quad]:
        if isinstance(graph_name, ox.NamedNode):
            return self._sources.graph_quads(graph_name.value)
        return iter(())

    @cached_property
    def _full(self) -> ox.Dataset:
        return ox.Dataset(self._sources.quads())

    def __contains__(self, quad: object) -> bool:
        return quad in self._full

    def quads_for_subject(self, subject: ox.NamedNode | ox.BlankNode) -> Iterator[ox.Quad]:
        return self._full.quads_for_subject(subject)

    def quads_for_predicate(self, predicate: ox.NamedNode) -> Iterator[ox.Quad]:
        return self._full.quads_for_predicate(predicate)

    def quads_for_object(self, obj: ox.NamedNode | ox.BlankNode | ox.Literal) -> Iterator[ox.Quad]:
        return self._full.quads_for_object(obj)


def merge_unique(*streams: Iterable[bytes]) -> Iterator[bytes]:
    """Merge sorted streams of lines into one sorted stream, each line once."""
    previous = None
    for line in heapq.merge(*streams):
        if line != previous:
            yield line
            previous = line


def by_subject(lines: Iterable[bytes]) -> Iterator[tuple[bytes, dict[bytes, list[bytes]]]]:
    """Sorted N-Triples lines grouped by subject: ``(subject, {predicate: [object, ...]})``, terms
    as written in N-Triples; predicates and objects in the lines' order."""
    subject = None
    statements: dict[bytes, list[bytes]] = {}
    for line in lines:
        s, p, o = line[:-3].split(b" ", 2)  # a line ends with " .\n"
        if s != subject:
            if subject is not None:
                yield subject, statements
            subject, statements = s, {}
        found = statements.get(p)
        if found is None:
            statements[p] = [o]
        else:
            found.append(o)
    if subject is not None:
        yield subject, statements


def text_lines(text: bytes) -> int:
    """Lines (so triples) in a graph's N-Triples."""
    return text.count(b"\n")


def sorted_unique(text: bytes) -> bytes:
    """N-Triples lines sorted (as bytes) with duplicates removed."""
    if not text:
        return b""
    lines = text.split(b"\n")
    lines.pop()  # after the last line feed
    lines = sorted(set(lines))
    lines.append(b"")
    return b"\n".join(lines)


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


def _parser(path: Path, base: str) -> ox.QuadParser:
    """A streaming parser of one source file (blank nodes renamed, so that each file's are its own).
    Raises :class:`LoadError` for an unknown suffix or an unreadable file and :class:`TooCostly` for
    RDF/XML whose entities expand past the limit; syntax errors come while reading it."""
    fmt = _FORMATS.get(path.suffix)
    if fmt is None:
        raise LoadError(path, f"unsupported file type {path.suffix!r}",
                        hint="use one of " + ", ".join(sorted(RDF_SUFFIXES)))
    try:
        if fmt is ox.RdfFormat.RDF_XML:
            data = path.read_bytes()
            check_entities(path, data)
            return ox.parse(data, fmt, base_iri=base, without_named_graphs=True, rename_blank_nodes=True)
        check_characters(path)
        data = path.read_bytes()
        if data.startswith(_BOM):  # a byte order mark, as some editors write: skipped
            data = data[len(_BOM):]
        return ox.parse(data, fmt, base_iri=base, without_named_graphs=True, rename_blank_nodes=True)
    except OSError as exc:
        raise LoadError(path, f"cannot read the file: {exc.strerror or exc}") from None


def _syntax_error(path: Path, exc: SyntaxError) -> LoadError:
    reason = _PARSER_PREFIX.sub("", str(exc.msg if exc.msg else exc))
    hint = next((h for key, h in _HINTS if key.lower() in reason.lower()), None)
    return LoadError(path, reason, exc.lineno, exc.offset, hint)


def _prefixes(parser: ox.QuadParser, path: Path) -> dict[str, str]:
    return {} if path.suffix in (".rdf", ".owl") else dict(parser.prefixes)


def parse_file(path: Path, base: str) -> tuple[list[ox.Triple], dict[str, str]]:
    """Parse one RDF file. Raises :class:`LoadError` with file, line and column on a syntax error, and
    :class:`TooCostly` for RDF/XML whose entities expand past the limit."""
    parser = _parser(path, base)
    try:
        triples = [q.triple for q in parser]
    except SyntaxError as exc:
        raise _syntax_error(path, exc) from None
    except OSError as exc:
        raise LoadError(path, f"cannot read the file: {exc.strerror or exc}") from None
    return triples, _prefixes(parser, path)


def parse_ntriples(path: Path, base: str) -> tuple[bytes, dict[str, str]]:
    """Parse one RDF file into canonical N-Triples, sorted, one line per distinct triple (the parser
    writes them without handing each triple to Python). Raises what :func:`parse_file` raises."""
    parser = _parser(path, base)
    try:
        text = ox.serialize(parser, format=ox.RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        raise _syntax_error(path, exc) from None
    except OSError as exc:
        raise LoadError(path, f"cannot read the file: {exc.strerror or exc}") from None
    return sorted_unique(bytes(text)), _prefixes(parser, path)


_BOM = b"\xef\xbb\xbf"
#: a control character XML 1.0 cannot hold, as a byte or as a Turtle escape (\u000B, \U0000000B)
#: (and the non-characters U+FFFE and U+FFFF, which XML excludes too)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]"
                      rb"|(?<!\\)(?:\\\\)*\\(?:u|U0000)(?:00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])|[fF]{3}[eEfF])")


#: the bytes :data:`_CONTROL` matches as such (the escapes all start with a backslash and u or U)
_CONTROL_BYTES = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0e, 0x20))


def _may_hold_control(block: bytes) -> bool:
    """Whether :data:`_CONTROL` could match in ``block``: a screen in C speed (a translation and
    substring searches) that spares almost every block the regular expression, which is slow on the
    large files of big graphs (3 s for 1M triples)."""
    return (len(block.translate(None, _CONTROL_BYTES)) != len(block) or b"\xef\xbf\xbe" in block
            or b"\xef\xbf\xbf" in block or b"\\u" in block or b"\\U" in block)


def check_characters(path: Path) -> None:
    """Refuse a Turtle or N-Triples file holding a control character other than tab and line ends
    (a NUL byte, for instance) or the non-character U+FFFE or U+FFFF, as a byte or as an escape:
    Turtle accepts one inside a string, but RDF/XML and HTML cannot carry it, so the release would
    be broken. Raises :class:`LoadError` at its line and column."""
    line, tail = 1, b""
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            for m in _CONTROL.finditer(block) if _may_hold_control(block) else ():
                escaped = m.group().startswith(b"\\")
                before = block[:m.end() - len(m.group().lstrip(b"\\")) - 1] if escaped else block[:m.start()]
                start = before.rfind(b"\n") + 1
                text = before[start:] if start else tail + before
                if not (escaped and text.lstrip().startswith(b"#")):  # an escape in a comment is only text
                    break
            else:
                line += block.count(b"\n")
                tail = block[block.rfind(b"\n") + 1:] if b"\n" in block else tail + block
                continue
            column = len(text.decode("utf-8", "replace")) + 1
            code = int(m.group().lstrip(b"\\")[1:], 16) if escaped else ord(m.group().decode("utf-8"))
            name = {0: " (a NUL byte)", 0x1b: " (escape)", 0x0c: " (form feed)"}.get(code, "")
            kind = "control character" if code < 0x20 else "non-character"
            raise LoadError(path, f"the file holds the {kind} U+{code:04X}{name}, which RDF/XML "
                            "and HTML cannot carry", line + before.count(b"\n"), column,
                            "delete it (it was pasted by accident, or the file is not text)")


def check_entities(path: Path, data: bytes) -> None:
    """Refuse an RDF/XML file whose internal entities expand to more than
    :data:`MAX_ENTITY_EXPANSION` characters in all, before the parser expands them. Raises
    :class:`TooCostly` naming the entity that expands most and the line declaring it."""
    if b"<!ENTITY" not in data:
        return
    text = data.decode("utf-8", errors="replace")
    doctype = _DOCTYPE.search(text)
    if doctype is None:
        return  # not a well-formed internal subset: the parser says where
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for m in _ENTITY.finditer(doctype.group(1)):
        if m.group(1) or m.group(2) in values:  # a parameter entity; a redeclaration (the first wins)
            continue
        values[m.group(2)] = m.group(3) if m.group(3) is not None else m.group(4)
        lines[m.group(2)] = text.count("\n", 0, doctype.start(1) + m.start()) + 1
    sizes = _entity_sizes(values)
    used: dict[str, int] = {}
    for name in _REFERENCE.findall(text, doctype.end()):
        if name in sizes:
            used[name] = used.get(name, 0) + 1
    total = sum(count * sizes[name] for name, count in used.items())
    if total <= MAX_ENTITY_EXPANSION:
        return
    worst = max(used, key=lambda name: used[name] * sizes[name])
    if sizes[worst] >= _ENTITY_CAP and _refers_to_itself(worst, values):
        what = f"its entities would expand without end (&{worst}; refers to itself)"
    elif sizes[worst] >= _ENTITY_CAP:
        what = f"its entities would expand to more than {_ENTITY_CAP:,} characters (&{worst}; alone)"
    else:
        what = f"its entities would expand to {total:,} characters (&{worst}; alone to {sizes[worst]:,})"
    raise TooCostly(path, f"{what}, more than the limit of {MAX_ENTITY_EXPANSION:,}: the file would not fit in "
                    "memory", lines[worst], "entities are for short abbreviations such as &owl;: write the "
                    "text out instead of nesting entities, or save the file as Turtle")


def _refers_to_itself(name: str, values: dict[str, str]) -> bool:
    seen, todo = set(), [name]
    while todo:
        for ref in _REFERENCE.findall(values.get(todo.pop(), "")):
            if ref == name:
                return True
            if ref in values and ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return False


def _entity_sizes(values: dict[str, str]) -> dict[str, int]:
    """How many characters each entity expands to, its references expanded (a reference to an
    unknown entity counts as written; a cycle as very large)."""
    refs = {name: _REFERENCE.findall(value) for name, value in values.items()}
    sizes: dict[str, int] = {}
    cap = _ENTITY_CAP
    for root in values:
        if root in sizes:
            continue
        stack, on_path = [root], {root}
        while stack:
            name = stack[-1]
            pending = [r for r in refs[name] if r in values and r not in sizes]
            cycle = [r for r in pending if r in on_path]
            if cycle:
                for member in on_path:
                    sizes[member] = cap
                stack.clear()
                break
            if pending:
                stack.append(pending[0])
                on_path.add(pending[0])
                continue
            size = len(_REFERENCE.sub("", values[name]))
            for r in refs[name]:
                size += sizes[r] if r in values else len(r) + 2
            sizes[name] = min(size, cap)
            stack.pop()
            on_path.discard(name)
    return sizes


def check_blank_nodes(path: Path, triples: list[ox.Triple]) -> None:
    """Refuse a file whose look-alike blank nodes, linked to each other, would take the release
    too long to label canonically (see the module docstring). Two blank nodes look alike when
    the statements about them are the same but for other blank nodes (RDFC-1.0's first-degree
    hash); the work grows with the cube of a linked group of them, and exponentially when the
    group has a cycle. Raises :class:`TooCostly` naming the resource the group hangs from."""
    BNode = ox.BlankNode
    pairs: set[tuple[str, str]] = set()
    for t in triples:
        if isinstance(t.object, BNode) and isinstance(t.subject, BNode):
            a, b = t.subject.value, t.object.value
            if a != b:
                pairs.add((a, b) if a < b else (b, a))
    if not pairs:
        return
    linked = {b for pair in pairs for b in pair}
    signature: dict[str, list[tuple[str, str, str]]] = {b: [] for b in linked}
    parent: dict[str, str] = {}  # a blank node's subject, to name where a group hangs from
    for t in triples:
        s, o = t.subject, t.object
        s_blank, o_blank = isinstance(s, BNode), isinstance(o, BNode)
        if s_blank and s.value in signature:
            signature[s.value].append(("s", t.predicate.value, "_" if o_blank else str(o)))
        if o_blank and o.value in signature:
            signature[o.value].append(("o", t.predicate.value, "_" if s_blank else str(s)))
            parent.setdefault(o.value, ("_:" + s.value) if s_blank else s.value)
    counts: dict[tuple, int] = {}
    keys = {}
    for b, statements in signature.items():
        key = keys[b] = tuple(sorted(statements))
        counts[key] = counts.get(key, 0) + 1
    root = {b: b for b in linked if counts[keys[b]] > 1}  # the look-alikes, each its own group

    def find(b: str) -> str:
        while root[b] != b:
            root[b] = root[root[b]]
            b = root[b]
        return b

    alike_pairs = [(a, b) for a, b in pairs if a in root and b in root]
    for a, b in alike_pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            root[ra] = rb
    size: dict[str, int] = {}
    links: dict[str, int] = {}
    for b in root:
        r = find(b)
        size[r] = size.get(r, 0) + 1
    for a, _ in alike_pairs:
        r = find(a)
        links[r] = links.get(r, 0) + 1
    work = sum(n ** 3 for n in size.values() if n > 1)
    cyclic = [r for r, n in size.items() if links.get(r, 0) >= n > MAX_BLANK_NODE_CYCLE]
    if work <= MAX_BLANK_NODE_WORK and not cyclic:
        return
    worst = cyclic[0] if cyclic else max(size, key=lambda r: size[r])
    owner, seen = parent.get(worst), {worst}
    while owner is not None and owner.startswith("_:") and owner not in seen:
        seen.add(owner)
        owner = parent.get(owner[2:])
    shape = "linked in a cycle" if cyclic else "linked to each other"
    under = f", under <{owner}>" if owner is not None and not owner.startswith("_:") else ""
    raise TooCostly(path, f"{size[worst]:,} blank nodes that look alike (the same statements but for other blank "
                    f"nodes) are {shape}{under}: labelling them canonically for the release would take too "
                    "long (an RDF list of one repeated value, or deeply nested ( ) or [ ], makes such a group)",
                    None, "give these nodes IRIs, make them differ (a list of distinct items is fine), "
                    "or nest less")


def load(project: Project) -> Sources:
    """Parse every file of ``ontology/`` and ``data/`` into its own named graph.

    Each file is parsed once into canonical N-Triples (kept, sorted, for validation and the
    dumps); the store is filled from that text in a second thread (pyoxigraph releases the GIL
    while loading), overlapping with the parsing of the next file.

    Raises :class:`LoadError` for the first file that cannot be parsed, :class:`TooCostly` for
    one the build could not afford.
    """
    store = ox.Store()
    texts = GraphTexts()
    files: list[SourceFile] = []
    pending: list[Future] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ilograph-load") as loader:
        try:
            for kind, folder in (("ontology", project.ontology_dir), ("data", project.data_dir)):
                for path in project.sources(folder):
                    text, prefixes = parse_ntriples(path, project.base)
                    if not text:
                        raise InputError(f"{path}: the file holds no statements (it is empty, or has only comments "
                                         f"and prefixes)\n  hint: write its facts (and, in data/, the source they come "
                                         f"from: graph:{path.stem} ilo:source src:<document> .), or delete the file")
                    if b"_:" in text:
                        check_blank_nodes(path, [q.triple for q in ox.parse(text, ox.RdfFormat.N_TRIPLES)])
                    graph = project.graph_iri(path)
                    pending.append(loader.submit(store.load, text, ox.RdfFormat.N_TRIPLES,
                                                 to_graph=ox.NamedNode(graph)))
                    if graph in texts:  # two files of one graph (a.ttl and a.nt)
                        texts.put(graph, sorted_unique(texts.get(graph) + text))
                    else:
                        texts.put(graph, text)
                    files.append(SourceFile(path=path, graph=graph, kind=kind, triples=text_lines(text),
                                            prefixes=prefixes))
        except BaseException:
            for f in pending:
                f.cancel()
            texts.close()
            raise
        for f in pending:
            f.result()
    return Sources(project, files, store=store, texts=texts)


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
