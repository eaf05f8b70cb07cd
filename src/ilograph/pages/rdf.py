"""A resource's description as RDF, in every format the publication serves: the resource's own
statements, the statements that link to it, and the labels and types of what it links to.

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
...                   ox.Literal("A", language="en"), ox.NamedNode("http://example.org/graph")))
>>> len(describe(store, "http://example.org/a")), describe(store, "http://example.org/nothing")
(1, [])
>>> resource_document(store, "http://example.org/a", "nt").decode()
'<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "A"@en .\\n'
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping

import pyoxigraph as ox

from ..errors import IlographError
from ..query import xml_carriage_returns
from ..store import ExactLiterals
from .publication import construct

#: extension: (pyoxigraph format or None for JSON-LD, media type)
FORMATS = {
    "ttl": (ox.RdfFormat.TURTLE, "text/turtle"),
    "nt": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "rdf": (ox.RdfFormat.RDF_XML, "application/rdf+xml"),
    "jsonld": (None, "application/ld+json"),
}
_ALIASES = {"turtle": "ttl", "ntriples": "nt", "n-triples": "nt", "rdfxml": "rdf", "xml": "rdf", "json-ld": "jsonld",
            "json": "jsonld", **{media: ext for ext, (_, media) in FORMATS.items()}}


class NotFound(IlographError):
    """The IRI is not described by the publication (a 404)."""

    exit_code = 2


def format_name(fmt: str) -> str:
    """The extension naming a resource format: ``ttl``, ``nt``, ``rdf`` or ``jsonld`` (also read
    from ``turtle``, ``ntriples``, ``rdfxml``, ``json-ld`` or a media type). Raises ValueError."""
    key = fmt.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return key


def describe(store: ox.Store, iri: str, *, exact: ExactLiterals | None = None,
             merged: bool = False) -> list[ox.Triple]:
    """The description of ``iri`` served as RDF (``queries/describe.rq``): its own statements,
    the statements linking to it, and the labels (``skos:prefLabel``, ``rdfs:label``, every
    language) and types of every resource it links to or is linked from; blank nodes it points to
    are followed to their own statements. Distinct triples in a stable order; an empty list when
    the store says nothing of ``iri`` (a 404).

    ``exact`` (:class:`~ilograph.store.ExactLiterals` of the release) gives back literals as they
    were written: the store keeps them in canonical form (``"2"^^xsd:positiveInteger`` reads back
    as ``xsd:integer``). ``merged``: see :func:`~.publication.run`.
    """
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return []
    triples = set(construct(store, "describe", merged=merged, this=node))
    todo = [t.object for t in triples if isinstance(t.object, ox.BlankNode)]
    seen: set[ox.BlankNode] = set()
    while todo:
        blank = todo.pop()
        if blank in seen:
            continue
        seen.add(blank)
        for q in store.quads_for_pattern(blank, None, None, None):
            triples.add(q.triple)
            if isinstance(q.object, ox.BlankNode):
                todo.append(q.object)
    if exact is not None:
        triples = exact.restore(triples)
    return sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def resource_document(store: ox.Store, iri: str, fmt: str, *, context: Mapping | None = None,
                      prefixes: Mapping[str, str] | None = None, exact: ExactLiterals | None = None,
                      merged: bool = False) -> bytes:
    """The description of ``iri`` (:func:`describe`) serialized as ``fmt`` (``ttl``, ``nt``,
    ``rdf``, ``jsonld``, or their names and media types): Turtle and RDF/XML with the ``prefixes``
    they use; JSON-LD compacted with ``context`` (the release's ``context.jsonld``, inline, so a
    reader fetches nothing; default: the prefixes). Output is stable for the same store.

    Raises :class:`NotFound` when the store says nothing of ``iri``, ValueError for an unknown format.
    """
    ext = format_name(fmt)
    triples = describe(store, iri, exact=exact, merged=merged)
    if not triples:
        raise NotFound(f"{iri} is not described here")
    return serialize(triples, ext, context=context, prefixes=prefixes)


def serialize(triples: list[ox.Triple], fmt: str, *, context: Mapping | None = None,
              prefixes: Mapping[str, str] | None = None) -> bytes:
    """``triples`` written as ``fmt`` (see :func:`resource_document`)."""
    ext = format_name(fmt)
    used = _used_prefixes(triples, prefixes or {})
    if ext == "jsonld":
        return _jsonld(triples, context if context is not None else {"@context": used})
    rdf_format = FORMATS[ext][0]
    assert rdf_format is not None
    if ext in ("ttl", "rdf"):
        out = ox.serialize(triples, format=rdf_format, prefixes=used)
    else:
        out = ox.serialize(triples, format=rdf_format)
    body = out if isinstance(out, bytes) else bytes(out or b"")
    return xml_carriage_returns(body) if ext == "rdf" else body


def _used_prefixes(triples: list[ox.Triple], prefixes: Mapping[str, str]) -> dict[str, str]:
    iris = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {p: ns for p, ns in sorted(prefixes.items()) if any(i.startswith(ns) for i in iris)}


def _jsonld(triples: list[ox.Triple], context: Mapping) -> bytes:
    """Compact JSON-LD with ``context``, written by the release's writer (:mod:`ilograph.jsonld`),
    so a document keeps every literal exactly as the dump does (rdflib's compaction, used before,
    rewrote ``"01"^^xsd:integer`` as ``1``, dropped an empty string beside another value and failed
    on an integer past 64 bits)."""
    from ..jsonld import CompactWriter
    from ..load import by_subject

    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    out = io.BytesIO()
    writer = CompactWriter(out, dict(context.get("@context", context)))
    for subject, statements in by_subject(sorted(text.splitlines(keepends=True))):
        writer.node(subject, statements)
    writer.close()
    document = _stable(json.loads(out.getvalue()))
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _stable(node: object, in_list: bool = False) -> object:
    """JSON-LD arrays sorted (they are sets), ``@list`` arrays kept in order."""
    if isinstance(node, dict):
        return {k: _stable(v, k == "@list") for k, v in node.items()}
    if isinstance(node, list):
        items = [_stable(v) for v in node]
        return items if in_list else sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return node
