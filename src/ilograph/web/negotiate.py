"""Content negotiation: the formats the service writes, chosen by ``Accept`` (q-values, wildcards,
specificity) or by a ``format`` parameter (a short name or a media type)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One result format: its short name (the ``format`` parameter), the media type it is served
    as, and other media types that name it in ``Accept`` or ``format``."""

    name: str
    media_type: str
    content_type: str
    aliases: tuple[str, ...] = ()


JSON = Format("json", "application/sparql-results+json", "application/sparql-results+json",
              ("application/json", "text/json", "application/javascript", "text/javascript"))
XML = Format("xml", "application/sparql-results+xml", "application/sparql-results+xml; charset=utf-8",
             ("application/xml", "text/xml"))
CSV = Format("csv", "text/csv", "text/csv; charset=utf-8")
TSV = Format("tsv", "text/tab-separated-values", "text/tab-separated-values; charset=utf-8")
TURTLE = Format("turtle", "text/turtle", "text/turtle; charset=utf-8", ("application/x-turtle", "application/turtle"))
NTRIPLES = Format("ntriples", "application/n-triples", "application/n-triples", ("text/plain",))
JSONLD = Format("jsonld", "application/ld+json", "application/ld+json")
RDFXML = Format("rdfxml", "application/rdf+xml", "application/rdf+xml; charset=utf-8")

#: In server preference order: the first is the default when anything is acceptable.
SOLUTION_FORMATS = (JSON, XML, CSV, TSV)
BOOLEAN_FORMATS = (JSON, XML)
GRAPH_FORMATS = (TURTLE, NTRIPLES, JSONLD, RDFXML)
ALL_FORMATS = {f.name: f for f in SOLUTION_FORMATS + GRAPH_FORMATS}
_BY_MEDIA_TYPE = {t: f for f in ALL_FORMATS.values() for t in (f.media_type,) + f.aliases}


class NotAcceptable(Exception):
    """None of the formats that fit the result is acceptable; ``offered`` lists those formats."""

    def __init__(self, message: str, offered: tuple[Format, ...]) -> None:
        self.offered = offered
        super().__init__(message)


class UnknownFormat(ValueError):
    """A ``format`` parameter that names no format at all."""


def formats_for(form: str | None) -> tuple[Format, ...]:
    """The formats a query form can be written in (SELECT: all four result formats; ASK: JSON and
    XML, as CSV and TSV are defined for SELECT only; CONSTRUCT/DESCRIBE: the RDF formats)."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH_FORMATS
    if form == "ASK":
        return BOOLEAN_FORMATS
    return SOLUTION_FORMATS


def parse_accept(header: str) -> list[tuple[str, float, int]]:
    """``Accept`` as (media range, q, specificity) entries; malformed entries are skipped and a
    malformed q counts as 1. Specificity: 0 for ``*/*``, 1 for ``type/*``, 2 for a full type, 3 with
    parameters other than q."""
    entries = []
    for part in header.split(","):
        bits = part.split(";")
        media = bits[0].strip().lower()
        if "/" not in media:
            continue
        q = 1.0
        params = 0
        for param in bits[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
            elif key.strip():
                params = 1
        if media == "*/*":
            specificity = 0
        elif media.endswith("/*"):
            specificity = 1
        else:
            specificity = 2 + params
        entries.append((media, q, specificity))
    return entries


def quality(entries: list[tuple[str, float, int]], fmt: Format) -> tuple[float, int, int]:
    """How well a parsed ``Accept`` takes ``fmt``: (q, specificity, -position) of the most specific
    matching range (a ``type/*`` range matches a format's own media type, not its aliases), so that a higher tuple is preferred (q first, then an exact type over a
    wildcard, then the client's order). (0, -1, 0) when nothing matches."""
    best = (0.0, -1, 0)
    names = (fmt.media_type,) + fmt.aliases
    for index, (media, q, specificity) in enumerate(entries):
        if media == "*/*" or media in names or (specificity == 1 and fmt.media_type.startswith(media[:-1])):
            if specificity > best[1]:
                best = (q, specificity, -index)
    return best


#: Short names that mean an RDF format when the result is a graph (as SPARQLWrapper and Fuseki use them).
_GRAPH_NAMES = {"xml": RDFXML, "json": JSONLD, "ttl": TURTLE, "nt": NTRIPLES, "rdf": RDFXML,
                "json-ld": JSONLD, "n-triples": NTRIPLES}


def by_name(value: str, form: str | None) -> Format | None:
    """The format a ``format`` parameter value names (a short name or a media type) for a result
    of ``form``, or None."""
    key = value.strip().lower()
    if form in ("CONSTRUCT", "DESCRIBE") and key in _GRAPH_NAMES:
        return _GRAPH_NAMES[key]
    return ALL_FORMATS.get(key) or _BY_MEDIA_TYPE.get(key.split(";")[0].strip())


def choose(form: str | None, accept: str | None, format_params: tuple[str, ...] | str | None = ()) -> Format:
    """The format to write a result of ``form`` in.

    ``format_params`` (the values of ``format`` parameters, in order) win over ``Accept``: the
    first that names a format this kind of result can be written in is taken. Each may be a short
    name (``json``, ``turtle``, ...; for a graph, ``xml`` and ``json`` mean RDF/XML and JSON-LD) or
    a media type. Raises :class:`UnknownFormat` when none of them is a format at all, and
    :class:`NotAcceptable` when the formats asked for cannot hold this kind of result or nothing
    in ``Accept`` fits.
    """
    offered = formats_for(form)
    params = (format_params,) if isinstance(format_params, str) else tuple(format_params or ())
    if params:
        named = [by_name(p, form) for p in params]
        for fmt in named:
            if fmt is not None and fmt in offered:
                return fmt
        if all(fmt is None for fmt in named):
            raise UnknownFormat(f"unknown format {params[0]!r}; use one of: {', '.join(ALL_FORMATS)}")
        raise NotAcceptable(_describe(form, offered, "format=" + ",".join(params)), offered)
    if not accept or not accept.strip():
        return offered[0]
    entries = parse_accept(accept)
    if not entries:
        return offered[0]
    best, best_rank = offered[0], (0.0, -1, 0)
    for fmt in offered:  # in server order, so that only a strictly better rank displaces the default
        rank = quality(entries, fmt)
        if rank[0] > 0.0 and rank > best_rank:
            best, best_rank = fmt, rank
    if best_rank[0] <= 0.0:
        if form is None:  # not a query: its syntax error is the answer, in any format
            return offered[0]
        raise NotAcceptable(_describe(form, offered, f"Accept: {accept}"), offered)
    return best


def _describe(form: str | None, offered: tuple[Format, ...], asked: str) -> str:
    kind = {"ASK": "an ASK result", "CONSTRUCT": "a CONSTRUCT result", "DESCRIBE": "a DESCRIBE result"}.get(
        form or "", "a SELECT result" if form == "SELECT" else "this resource")
    listing = ", ".join(f"{f.media_type} (format={f.name})" for f in offered)
    return f"cannot answer {asked}: {kind} is available as {listing}"
