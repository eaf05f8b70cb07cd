"""The terms the shapes name exist: a shape that targets ``ilo:Funds`` (for ``ilo:Fund``) or
constrains ``ilo:administredBy`` is valid SHACL and validates, but does not check what it was
written for. Every class, property and datatype a shape names is declared in ``ontology/`` (or is a
term of a known standard vocabulary, or an XML Schema datatype), else it is a Violation naming the
shape, its file and line.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, SH

from . import xsd
from .load import ShapeSets, Sources
from .validate import (
    _DECLARING_TYPES,
    _STANDARD,
    VIOLATION,
    Finding,
    _rel,
    _short,
    _split,
    standard_terms,
)

#: predicate of a shape -> what its (IRI) value must be
_ROLES = {SH.targetClass: "class", SH["class"]: "class", SH.targetSubjectsOf: "property",
          SH.targetObjectsOf: "property", SH.path: "property", SH.inversePath: "property",
          SH.zeroOrMorePath: "property", SH.oneOrMorePath: "property", SH.zeroOrOnePath: "property",
          SH.datatype: "datatype"}
_OTHER_DATATYPES = {str(RDF.langString), str(RDF.HTML), str(RDF.XMLLiteral), str(RDF.PlainLiteral),
                    "http://www.w3.org/2000/01/rdf-schema#Literal"}


def check_shape_terms(sources: Sources, shapes: ShapeSets) -> list[Finding]:
    """A Violation for each class, property or datatype a shape names that does not exist."""
    declared = {q.subject.value for q in sources.quads(("ontology",))
                if q.predicate.value == str(RDF.type) and q.object.value in _DECLARING_TYPES}
    standard = standard_terms()
    own = {_split(t)[0] for t in declared}
    prefixes = sources.prefixes() | _STANDARD
    texts = {path: path.read_text(encoding="utf-8", errors="replace") for path in shapes.files}
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for graph in (shapes.data, shapes.ontology):
        names = prefixes | {p: str(ns) for p, ns in graph.namespaces() if p}
        for predicate, role in _ROLES.items():
            for node, term in graph.subject_objects(predicate):
                if not isinstance(term, rdflib.URIRef):
                    continue
                iri = str(term)
                if role == "datatype":
                    known = iri in _OTHER_DATATYPES or not iri.startswith(xsd.XSD) or iri[len(xsd.XSD):] in xsd.KNOWN
                    candidates = [xsd.XSD + k for k in sorted(xsd.KNOWN)]
                else:
                    ns, local = _split(iri)
                    known = iri in declared or (ns in standard and local in standard[ns]) or (
                        ns not in standard and ns not in own)
                    candidates = sorted(declared | {ns + t for t in standard.get(ns, ())})
                shape = _owner(graph, node)
                if known or (shape, iri) in seen:
                    continue
                seen.add((shape, iri))
                short = _short(iri, names)
                close = difflib.get_close_matches(iri, candidates, n=1, cutoff=0.8)
                where = _line(texts, short, iri)
                findings.append(Finding(
                    severity=VIOLATION, focus=shape, engine="vocabulary", path=_short(str(predicate), names),
                    value=short,
                    message=f"the shape names the {role} {short}, which "
                            + ("XML Schema does not define" if role == "datatype" else
                               "is not declared in ontology/ nor a term of a known standard vocabulary")
                            + ": the constraint does not check what it was written for",
                    file=_rel(sources, where[0]) if where else None, line=where[1] if where else None,
                    hint=f"did you mean {_short(close[0], names)}?" if close else
                    f"correct the {role}, or declare it in ontology/"))
    return findings


def _owner(graph: rdflib.Graph, node: rdflib.term.Node) -> str:
    """The named shape a (blank) node belongs to: a property shape, a path, an item of sh:or."""
    seen = set()
    while isinstance(node, rdflib.BNode) and node not in seen:
        seen.add(node)
        parent = next(iter(graph.subjects(None, node)), None)
        if parent is None:
            break
        node = parent
    return str(node) if isinstance(node, rdflib.URIRef) else "(a shape without an IRI)"


def _line(texts: dict[Path, str], short: str, iri: str) -> tuple[Path, int] | None:
    """The first line of a shapes file that writes the term (prefixed or in full)."""
    pattern = re.compile(rf"(?<![\w:-]){re.escape(short)}(?![\w-])|<{re.escape(iri)}>")
    for path, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            if not line.lstrip().startswith("#") and pattern.search(line):
                return path, number
    return None
