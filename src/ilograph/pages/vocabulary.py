"""The content of the vocabulary page: the ontology's header, then every class and property of
its namespace with label, definition, domain, range, super- and sub-terms, inverse, alignments to
other vocabularies, characteristics and disjointness. Each term is a section whose ``id`` is the
term's local name, so ``<base>def#Unit`` lands on it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .lang import messages
from .links import Links
from .publication import (
    COMMENT,
    DCTERMS,
    DEFINITION,
    OWL,
    RDF,
    RDFS,
    Publication,
    named,
)
from .views import Ref, Value, label_of, pick, property_label, ref, value

_KINDS = (("classes", (OWL + "Class", RDFS + "Class")),
          ("object_properties", (OWL + "ObjectProperty",)),
          ("datatype_properties", (OWL + "DatatypeProperty",)),
          ("annotation_properties", (OWL + "AnnotationProperty",)),
          ("other_terms", (RDF + "Property",)))
_CHARACTERISTICS = ("FunctionalProperty", "InverseFunctionalProperty", "TransitiveProperty", "SymmetricProperty",
                    "AsymmetricProperty", "ReflexiveProperty", "IrreflexiveProperty")
_ALIGNMENTS = (OWL + "equivalentClass", OWL + "equivalentProperty", "http://www.w3.org/2004/02/skos/core#exactMatch",
               "http://www.w3.org/2004/02/skos/core#closeMatch", "http://www.w3.org/2004/02/skos/core#broadMatch",
               "http://www.w3.org/2004/02/skos/core#narrowMatch", "http://www.w3.org/2004/02/skos/core#relatedMatch")


@dataclass
class Expression:
    """A class named by a term, or an anonymous union or intersection of terms."""

    refs: list[Ref]
    operator: str = ""  # "", "or", "and", "one of"


@dataclass
class Term:
    anchor: str
    ref: Ref
    curie: str
    kind: str
    definition: Value | None
    comment: Value | None
    domain: list[Expression] = field(default_factory=list)
    range: list[Expression] = field(default_factory=list)
    supers: list[Ref] = field(default_factory=list)
    subs: list[Ref] = field(default_factory=list)
    inverse: list[Ref] = field(default_factory=list)
    alignments: list[tuple[str, Ref]] = field(default_factory=list)  # (kind of match, external term)
    disjoint: list[Ref] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    deprecated: bool = False


@dataclass
class VocabularyView:
    iri: str
    namespace: str
    prefix: str
    title: str
    title_lang: str | None
    description: Value | None
    facts: list[tuple[str, list[Value]]]
    sections: list[tuple[str, list[Term]]]


def vocabulary_view(pub: Publication, links: Links, lang: str) -> VocabularyView:
    """The vocabulary published under the base (the first ontology, by IRI, when there are several)."""
    ontologies = pub.ontologies()
    iri = ontologies[0] if ontologies else pub.base + "def"
    info = {p: list(objs) for p, objs in _statements(pub, iri).items()}
    namespace = next((o.value for o in info.get("http://purl.org/vocab/vann/preferredNamespaceUri", [])), iri + "#")
    prefix = next((o.value for o in info.get("http://purl.org/vocab/vann/preferredNamespacePrefix", [])), "")
    title, title_lang = label_of(pub, iri, lang)
    lits = [o for o in info.get(DCTERMS + "description", []) if isinstance(o, ox.Literal)]
    chosen = pick(sorted(lits, key=lambda v: (v.language or "", v.value)), lang)
    facts: list[tuple[str, list[Value]]] = []
    for p in (OWL + "versionInfo", OWL + "versionIRI", DCTERMS + "license", DCTERMS + "creator", DCTERMS + "publisher",
              DCTERMS + "created", DCTERMS + "modified"):
        if info.get(p):
            facts.append((property_label(pub, p, lang)[0], [value(pub, links, o, lang) for o in sorted(info[p], key=str)]))
    facts.insert(min(2, len(facts)), (messages(lang)["namespace"],
                                      [Value(text=f"{prefix}: <{namespace}>" if prefix else namespace)]))

    kinds: dict[str, set[str]] = {}
    for row in pub.run("vocabulary-terms", ns=ox.Literal(namespace)):
        kinds.setdefault(row["term"].value, set()).add(row["kind"].value)
    sections: list[tuple[str, list[Term]]] = [(name, []) for name, _ in _KINDS]
    for term_iri in sorted(kinds, key=lambda i: i[len(namespace):].lower()):
        kind = next((name for name, types in _KINDS if kinds[term_iri] & set(types)), "other_terms")
        term = _term(pub, links, term_iri, namespace, kind, kinds[term_iri], lang)
        next(terms for name, terms in sections if name == kind).append(term)
    return VocabularyView(iri=iri, namespace=namespace, prefix=prefix, title=title, title_lang=title_lang,
                          description=value(pub, links, chosen, lang) if chosen else None, facts=facts,
                          sections=[(name, terms) for name, terms in sections if terms])


def _statements(pub: Publication, iri: str) -> dict[str, set]:
    out: dict[str, set] = {}
    for p, o, _g in pub.statements(iri):
        out.setdefault(p, set()).add(o)
    return out


def _term(pub: Publication, links: Links, iri: str, namespace: str, kind: str, types: set[str],
          lang: str) -> Term:
    facts = _statements(pub, iri)
    node = named(iri)

    def refs(p: str) -> list[Ref]:
        return sorted((ref(pub, links, o, lang) for o in facts.get(p, ()) if isinstance(o, ox.NamedNode)),
                      key=lambda r: r.label.lower())

    def text(p: str) -> Value | None:
        chosen = pick(sorted((o for o in facts.get(p, ()) if isinstance(o, ox.Literal)),
                             key=lambda v: (v.language or "", v.value)), lang)
        return value(pub, links, chosen, lang) if chosen else None

    is_class = kind == "classes"
    up = RDFS + ("subClassOf" if is_class else "subPropertyOf")
    rows = pub.run("incoming", this=node) if node is not None else []
    subs = sorted((ref(pub, links, row["s"], lang) for row in rows
                   if row["p"].value == up and isinstance(row["s"], ox.NamedNode)), key=lambda r: r.label.lower())
    subs = list({r.iri: r for r in subs}.values())
    inverse = refs(OWL + "inverseOf") + [ref(pub, links, i, lang) for i in pub.term(iri).iris(OWL + "inverseOf")
                                         if i != iri and i not in {o.value for o in facts.get(OWL + "inverseOf", ())}]
    supers = refs(up)
    alignments = [(label_of(pub, p, lang)[0], r) for p in _ALIGNMENTS for r in refs(p)]
    words = messages(lang)
    alignments += [(words["subclass_of" if is_class else "subproperty_of"].lower(), r) for r in supers
                   if not r.iri.startswith(namespace)]
    disjoint = []
    if is_class and node is not None:
        disjoint = sorted({row["other"].value: ref(pub, links, row["other"], lang)
                           for row in pub.run("disjoint", this=node)}.values(), key=lambda r: r.label.lower())
    own = ref(pub, links, iri, lang)
    return Term(anchor=iri[len(namespace):], ref=own, curie=pub.curie(iri), kind=kind,
                definition=text(DEFINITION) or text(DCTERMS + "description"), comment=text(COMMENT),
                domain=[_expression(pub, links, o, lang) for o in sorted(facts.get(RDFS + "domain", ()), key=str)],
                range=[_expression(pub, links, o, lang) for o in sorted(facts.get(RDFS + "range", ()), key=str)],
                supers=supers, subs=subs, inverse=inverse, alignments=alignments, disjoint=disjoint,
                characteristics=sorted(t[len(OWL):] for t in types if t[len(OWL):] in _CHARACTERISTICS),
                deprecated=any(isinstance(o, ox.Literal) and o.value == "true"
                               for o in facts.get(OWL + "deprecated", ())))


def _expression(pub: Publication, links: Links, term: ox.NamedNode | ox.BlankNode | ox.Literal,
                lang: str) -> Expression:
    if isinstance(term, ox.NamedNode):
        return Expression([ref(pub, links, term, lang)])
    if isinstance(term, ox.BlankNode):
        for operator, word in ((OWL + "unionOf", "or"), (OWL + "intersectionOf", "and"), (OWL + "oneOf", "one of")):
            members = _list_members(pub.store, term, ox.NamedNode(operator))
            if members:
                return Expression([ref(pub, links, m, lang) for m in members if isinstance(m, ox.NamedNode)], word)
    return Expression([Ref(str(term), str(term), None, None)])


def _list_members(store: ox.Store, node: ox.BlankNode, operator: ox.NamedNode) -> list:
    """The members of the RDF list ``node operator ( ... )``, in order (read by pattern, no query text)."""
    first, rest, nil = (ox.NamedNode(RDF + n) for n in ("first", "rest", "nil"))
    heads = [q.object for q in store.quads_for_pattern(node, operator, None, None)]
    if not heads:
        return []
    members: list = []
    cell: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple = heads[0]
    seen: set = set()
    while cell != nil and cell not in seen and len(members) < 1000:
        seen.add(cell)
        if isinstance(cell, ox.Literal):
            break
        members += [q.object for q in store.quads_for_pattern(cell, first, None, None)][:1]
        nxt = [q.object for q in store.quads_for_pattern(cell, rest, None, None)]
        if not nxt:
            break
        cell = nxt[0]
    return members
