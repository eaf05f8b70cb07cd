"""Named queries: ``queries/*.rq`` files whose leading comment block gives the question in plain
words. Values are bound with substitutions, never formatted into query text."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import QueryError
from .project import Project

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name (file stem), the question it answers, and its text."""

    name: str
    path: Path | None
    question: str
    comment: str
    text: str


def read_query(path: Path) -> NamedQuery:
    """Read one ``.rq`` file. Raises :class:`QueryError` if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot read the query: {exc}") from exc
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
    header = [h for h in header if h]
    question = header[0] if header else path.stem
    return NamedQuery(name=path.stem, path=path, question=question, comment="\n".join(header[1:]), text=text)


def named_queries(project: Project) -> list[NamedQuery]:
    return [read_query(p) for p in project.named_queries()]


def find_query(project: Project, name: str) -> NamedQuery:
    """A query by name (``cq-01-...``, or a unique prefix such as ``cq-01``) or by file path."""
    path = Path(name)
    if path.suffix == ".rq" and path.is_file():
        return read_query(path)
    queries = named_queries(project)
    exact = [q for q in queries if q.name == name]
    if exact:
        return exact[0]
    prefixed = [q for q in queries if q.name.startswith(name)]
    if len(prefixed) == 1:
        return prefixed[0]
    if not queries:
        raise QueryError(f"no query named {name!r}: {project.queries_dir} has no .rq files")
    choices = ", ".join(q.name for q in (prefixed or queries))
    what = "is ambiguous" if prefixed else "is not a query file nor a named query"
    raise QueryError(f"{name!r} {what}; named queries: {choices}")


def execute(store: ox.Store, query: str, *, base_iri: str | None = None,
            substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
            union: bool = True) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run a SPARQL query on ``store`` (the default graph is the union of all graphs).

    Raises :class:`QueryError` with the position of a syntax error.
    """
    subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
    try:
        return store.query(query, base_iri=base_iri, use_default_graph_as_union=union, substitutions=subs)
    except SyntaxError as exc:
        raise QueryError(f"the query is not valid SPARQL: {exc}") from None


def _short(term: object, prefixes: dict[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for p, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
            local = term.value[len(ns):]
            if term.value.startswith(ns) and re.fullmatch(r"[\w.-]*", local):
                return f"{p}:{local}"
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        return term.value
    return str(term)


def as_table(result: ox.QuerySolutions | ox.QueryBoolean, prefixes: dict[str, str]) -> str:
    """A plain-text table of a SELECT result (or the boolean of an ASK)."""
    if isinstance(result, ox.QueryBoolean):
        return ("yes" if bool(result) else "no") + "\n"
    names = [v.value for v in result.variables]
    rows = [[_short(sol[n], prefixes).replace("\n", " ") for n in names] for sol in result]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    out = io.StringIO()
    out.write(" | ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for r in rows:
        out.write(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return out.getvalue()


def xml_carriage_returns(body: bytes) -> bytes:
    """pyoxigraph's XML writers (RDF/XML, SPARQL XML results) put a literal's carriage returns in
    raw, and XML parsers read them as line ends (XML 1.0, 2.11): write them as character
    references. Markup and IRIs never hold one, so every carriage return of the document is a
    literal's."""
    return body.replace(b"\r", b"&#13;") if b"\r" in body else body


def serialize(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: str) -> bytes:
    """Serialize a result: SELECT/ASK as json|xml|csv|tsv; CONSTRUCT/DESCRIBE as turtle|ntriples|jsonld|rdfxml."""
    if isinstance(result, ox.QueryTriples):
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"a CONSTRUCT or DESCRIBE result can be written as {', '.join(GRAPH_FORMATS)}, not {fmt!r}")
        body = result.serialize(format=GRAPH_FORMATS[fmt])
    elif fmt not in RESULT_FORMATS:
        raise QueryError(f"a SELECT or ASK result can be written as table, {', '.join(RESULT_FORMATS)}, not {fmt!r}")
    else:
        body = result.serialize(format=RESULT_FORMATS[fmt])
    return xml_carriage_returns(body) if fmt in ("xml", "rdfxml") else body
