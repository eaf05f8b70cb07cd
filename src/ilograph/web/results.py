"""Run one job on a pyoxigraph store and write its result, cut at the row cap.

This runs where the query runs (a worker process, or in-process for tests), so it returns plain
bytes and a few numbers that cross a pipe cheaply. SELECT results are written here rather than by
pyoxigraph's serializer because pyoxigraph can only serialize a whole result, and the cap must stop
reading rows. A truncated result says so inside the document where the format has room for it: a
``link`` in the head of SPARQL JSON and XML (the place both specifications keep for links to
metadata) and a comment line in Turtle and N-Triples. CSV and TSV have no such place (RFC 4180
has no comments), nor JSON-LD and RDF/XML, so for them the HTTP headers alone say it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import replace
from itertools import islice
from json.encoder import encode_basestring as _js  # type: ignore[attr-defined]
from typing import Iterable, Iterator
from xml.sax.saxutils import escape as _xml_escape

import pyoxigraph as ox

from ..query import xml_carriage_returns
from ..store import Answer, Job

TRUNCATED_LINK = "/sparql#truncated"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
_GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                  "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
_WITH_PREFIXES = {"turtle", "rdfxml"}
_RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                   "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
_ERROR_AT = re.compile(r"^error at (\d+):(\d+): ")
_XML_ATTR = {'"': "&quot;"}
#: An XML parser reads a raw carriage return as a line end (XML 1.0, 2.11: "\r\n" and "\r" become
#: "\n"); a literal keeps its own only as a character reference.
_XML_TEXT = {"\r": "&#13;"}


#: Bodies smaller than this are sent as they are: gzip would save little and cost a round of work.
COMPRESS_FROM = 1400


def answer(store: ox.Store, job: Job, *, merge: ox.Store | None = None) -> Answer:
    """Run ``job`` (see :func:`run`), then gzip the body when the job asks and it is worth it."""
    result = run(store, job, merge=merge)
    if job.compress and result.error is None and len(result.body) >= COMPRESS_FROM:
        return replace(result, body=gzip.compress(result.body, compresslevel=5, mtime=0), encoding="gzip")
    return result


def run(store: ox.Store, job: Job, *, merge: ox.Store | None = None) -> Answer:
    """Run ``job`` on ``store`` and serialize its result. A job that can only see the merged
    default graph (no dataset, no ``GRAPH``) runs on ``merge`` when given (see
    :func:`ilograph.store.load_merge`).

    Never raises for a bad query: a syntax error comes back as an :class:`Answer` with
    ``error="syntax"`` and its line and column; an engine failure with ``error="engine"``.
    """
    kwargs: dict[str, object] = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
    # Otherwise the query's FROM clauses, or the store's default graph: the merge of every graph.
    elif merge is not None and job.union and not job.uses_graph:
        store = merge
    try:
        result = store.query(job.query, **kwargs)  # type: ignore[arg-type]
        if isinstance(result, ox.QueryBoolean):
            return Answer(body=write_boolean(bool(result), job.format), rows=-1)
        if isinstance(result, ox.QueryTriples):
            return write_graph(result, job)
        if job.within_cap:
            body = result.serialize(format=_RESULT_FORMATS[job.format]) or b""
            return Answer(body=xml_carriage_returns(body) if job.format == "xml" else body, rows=-1)
        return write_solutions(result, job.format, job.max_rows)
    except SyntaxError as exc:
        text = str(exc.msg if getattr(exc, "msg", None) else exc)
        m = _ERROR_AT.match(text)
        if m:
            return Answer(error="syntax", message=text[m.end():], line=int(m.group(1)), column=int(m.group(2)))
        return Answer(error="syntax", message=text)
    except (OSError, ValueError, RuntimeError, MemoryError) as exc:
        return Answer(error="engine", message=f"{type(exc).__name__}: {exc}")


# --- SELECT and ASK ---------------------------------------------------------------------------

def _json_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _js(term.value) + "}"
    if isinstance(term, ox.Literal):
        out = '{"type":"literal","value":' + _js(term.value)
        if term.language:
            out += ',"xml:lang":' + _js(term.language)
            direction = getattr(term, "direction", None)
            if direction is not None:
                out += ',"its:dir":' + _js(str(direction.value if hasattr(direction, "value") else direction).lower())
        elif term.datatype.value != XSD_STRING:
            out += ',"datatype":' + _js(term.datatype.value)
        return out + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + _js(term.value) + "}"
    if isinstance(term, ox.Triple):
        return ('{"type":"triple","value":{"subject":' + _json_term(term.subject) + ',"predicate":'
                + _json_term(term.predicate) + ',"object":' + _json_term(term.object) + "}}")
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return "<uri>" + _xml_escape(term.value) + "</uri>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{_xml_escape(term.language, _XML_ATTR)}">' + _xml_escape(term.value, _XML_TEXT) + "</literal>"
        if term.datatype.value != XSD_STRING:
            return (f'<literal datatype="{_xml_escape(term.datatype.value, _XML_ATTR)}">'
                    + _xml_escape(term.value, _XML_TEXT) + "</literal>")
        return "<literal>" + _xml_escape(term.value, _XML_TEXT) + "</literal>"
    if isinstance(term, ox.BlankNode):
        return "<bnode>" + _xml_escape(term.value) + "</bnode>"
    if isinstance(term, ox.Triple):
        return ("<triple><subject>" + _xml_term(term.subject) + "</subject><predicate>" + _xml_term(term.predicate)
                + "</predicate><object>" + _xml_term(term.object) + "</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_value(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


def _capped(rows: Iterable, cap: int) -> tuple[list, bool]:
    taken = list(islice(rows, cap + 1))
    if len(taken) > cap:
        return taken[:cap], True
    return taken, False


def write_solutions(result: ox.QuerySolutions, fmt: str, max_rows: int) -> Answer:
    """SELECT solutions as ``json``, ``xml``, ``csv`` or ``tsv``, at most ``max_rows`` of them."""
    names = [v.value for v in result.variables]
    rows, truncated = _capped(result, max_rows)
    if fmt == "json":
        out = ['{"head":{"vars":[', ",".join(_js(n) for n in names), "]"]
        if truncated:
            out.append(',"link":[' + _js(TRUNCATED_LINK) + "]")
        out.append('},"results":{"bindings":[')
        for i, row in enumerate(rows):
            if i:
                out.append(",")
            out.append("{" + ",".join(_js(n) + ":" + _json_term(t) for n, t in zip(names, row, strict=True) if t is not None) + "}")
        out.append("]}}")
        body = "".join(out).encode()
    elif fmt == "xml":
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        out.extend(f'<variable name="{n}"/>' for n in names)
        if truncated:
            out.append(f'<link href="{TRUNCATED_LINK}"/>')
        out.append("</head><results>")
        for row in rows:
            out.append("<result>")
            out.extend(f'<binding name="{n}">{_xml_term(t)}</binding>' for n, t in zip(names, row, strict=True) if t is not None)
            out.append("</result>")
        out.append("</results></sparql>\n")
        body = "".join(out).encode()
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerows([_csv_value(t) for t in row] for row in rows)
        body = buffer.getvalue().encode()
    elif fmt == "tsv":
        lines = ["\t".join("?" + n for n in names)]
        lines.extend("\t".join("" if t is None else str(t) for t in row) for row in rows)
        body = ("\n".join(lines) + "\n").encode()
    else:
        raise ValueError(f"a SELECT result cannot be written as {fmt!r}")
    return Answer(body=body, rows=len(rows), truncated=truncated)


def write_boolean(value: bool, fmt: str) -> bytes:
    """An ASK result as ``json`` or ``xml``."""
    word = "true" if value else "false"
    if fmt == "json":
        return b'{"head":{},"boolean":' + word.encode() + b"}"
    if fmt == "xml":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{word}</boolean></sparql>\n").encode()
    raise ValueError(f"an ASK result cannot be written as {fmt!r}")


# --- CONSTRUCT and DESCRIBE -------------------------------------------------------------------

class _Counter:
    """Passes at most ``cap`` triples on and remembers whether there were more."""

    def __init__(self, triples: Iterator[ox.Triple], cap: int) -> None:
        self._triples = triples
        self._cap = cap
        self.count = 0
        self.truncated = False

    def __iter__(self) -> Iterator[ox.Triple]:
        for triple in self._triples:
            if self.count >= self._cap:
                self.truncated = True
                return
            self.count += 1
            yield triple


def write_graph(result: ox.QueryTriples, job: Job) -> Answer:
    """CONSTRUCT/DESCRIBE triples as ``turtle``, ``ntriples``, ``jsonld`` or ``rdfxml``, at most
    ``job.max_rows`` of them."""
    fmt = _GRAPH_FORMATS.get(job.format)
    if fmt is None:
        raise ValueError(f"a CONSTRUCT or DESCRIBE result cannot be written as {job.format!r}")
    counter = _Counter(iter(result), job.max_rows)
    kwargs = {"prefixes": dict(job.prefixes)} if job.format in _WITH_PREFIXES and job.prefixes else {}
    body = ox.serialize(counter, format=fmt, **kwargs) or b""  # type: ignore[arg-type]
    if job.format == "rdfxml":
        body = xml_carriage_returns(body)
    if counter.truncated and job.format in ("turtle", "ntriples"):
        body = (f"# truncated: only the first {job.max_rows} triples are shown "
                f"(the row cap of this service)\n").encode() + body
    return Answer(body=body, rows=counter.count, truncated=counter.truncated)
