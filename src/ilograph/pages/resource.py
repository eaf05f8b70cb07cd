"""The content of a resource page, drawn from the store: names, description, types, values and
relations by property (incoming ones too), provenance, the neighbourhood diagram and the resource's
schema.org description."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .lang import messages
from .links import Links
from .publication import (
    ACRONYM,
    ALT_LABEL,
    COMMENT,
    DCTERMS,
    DEFINITION,
    DESCRIPTION,
    LABEL,
    OWL,
    PREF_LABEL,
    QUOTE,
    RDF_TYPE,
    SCHEMA,
    SOURCE,
    Publication,
    named,
)
from .svg import Diagram, Edge, Node, neighbourhood
from .views import Group, Ref, Value, label_of, pick, property_label, ref, value

#: predicates the page shows in their own places, not among the values and relations
_SPECIAL = {RDF_TYPE, PREF_LABEL, LABEL, ALT_LABEL, ACRONYM, DESCRIPTION, DEFINITION, COMMENT, QUOTE, SOURCE}
_NAMES = (PREF_LABEL, LABEL)


@dataclass
class Source:
    ref: Ref
    title: str = ""
    title_lang: str | None = None
    publisher: Ref | None = None
    dates: list[Value] = field(default_factory=list)
    identifier: str = ""
    via_graph: bool = False


@dataclass
class ResourceView:
    iri: str
    page: str | None
    label: str
    label_lang: str | None
    names: list[Value]  # the label in other languages
    alt_labels: list[Value]
    acronyms: list[str]
    description: Value | None
    types: list[Ref]
    facts: list[Group]
    relations: list[Group]
    incoming: list[Group]
    sources: list[Source]
    graphs: list[Ref]
    quotes: list[Value]
    diagram: Diagram
    schema: dict


def resource_view(pub: Publication, iri: str, links: Links, lang: str) -> ResourceView | None:
    """Everything the resource page shows of ``iri``; None when the store says nothing of it."""
    node = named(iri)
    if node is None:
        return None
    outgoing: dict[str, dict[ox.NamedNode | ox.BlankNode | ox.Literal, list[str]]] = {}
    for p, o, g in pub.statements(iri):
        outgoing.setdefault(p, {}).setdefault(o, [])
        if g is not None and g not in outgoing[p][o]:
            outgoing[p][o].append(g)
    incoming: dict[str, dict[ox.NamedNode | ox.BlankNode, list[str]]] = {}
    for row in pub.run("incoming", this=node):
        s, g = row["s"], row["g"]
        incoming.setdefault(row["p"].value, {}).setdefault(s, [])
        if g is not None and g.value not in incoming[row["p"].value][s]:
            incoming[row["p"].value][s].append(g.value)
    if not outgoing and not incoming:
        return None

    def literals(p: str) -> list[ox.Literal]:
        return sorted((o for o in outgoing.get(p, {}) if isinstance(o, ox.Literal)),
                      key=lambda v: (v.language or "", v.value))

    label, label_lang = label_of(pub, iri, lang)
    names = [value(pub, links, lit, lang) for p in _NAMES for lit in literals(p)
             if lit.value != label and (lit.language or "") != (label_lang or "")]
    names = list({(n.text, n.lang): n for n in names}.values())
    alt = literals(ALT_LABEL)
    alt_labels = sorted((value(pub, links, lit, lang) for lit in alt),
                        key=lambda v: (not (v.lang or "").startswith(lang), v.lang or "", v.text))
    acronyms = sorted({lit.value for lit in literals(ACRONYM)})
    described = None
    for p in (DESCRIPTION, DEFINITION, COMMENT):
        chosen = pick(literals(p), lang)
        if chosen is not None:
            described = value(pub, links, chosen, lang)
            break
    types = sorted((ref(pub, links, t, lang) for t in outgoing.get(RDF_TYPE, {}) if isinstance(t, ox.NamedNode)),
                   key=lambda r: r.label.lower())

    facts: list[Group] = []
    relations: list[Group] = []
    for p in sorted(outgoing, key=lambda p: property_label(pub, p, lang)[0].lower()):
        if p in _SPECIAL:
            continue
        values = []
        for o, graphs in outgoing[p].items():
            v = value(pub, links, o, lang)
            v.graphs = sorted(graphs)
            values.append(v)
        group = _group(pub, links, p, values, lang)
        (facts if all(v.ref is None for v in values) else relations).append(group)
    back = []
    for p in sorted(incoming, key=lambda p: property_label(pub, p, lang)[0].lower()):
        values = [Value(ref=ref(pub, links, s, lang, with_acronym=True), graphs=sorted(g))
                  for s, g in incoming[p].items()]
        group = _group(pub, links, p, values, lang)
        inverse = [i for i in pub.term(p).iris(OWL + "inverseOf") if i != p]
        if inverse:  # shown with the inverse property's name: "has unit" for an incoming "unit of"
            inv = ref(pub, links, inverse[0], lang)
            inv.label, inv.lang = property_label(pub, inverse[0], lang)
            group.prop = inv
        else:
            group.inverse = True
        back.append(group)

    sources = _sources(pub, links, outgoing, lang)
    graphs = sorted({g for by_object in outgoing.values() for gs in by_object.values() for g in gs})
    graph_refs = [ref(pub, links, g, lang) for g in graphs]
    quotes = sorted((value(pub, links, q, lang) for q in literals(QUOTE)), key=lambda v: v.text)
    diagram = _diagram(pub, links, iri, label, label_lang, types, outgoing, incoming, lang)
    return ResourceView(iri=iri, page=pub.page_of(iri), label=label, label_lang=label_lang, names=names,
                        alt_labels=alt_labels, acronyms=acronyms, description=described, types=types, facts=facts,
                        relations=relations, incoming=back, sources=sources, graphs=graph_refs, quotes=quotes,
                        diagram=diagram, schema=_schema(pub, iri, outgoing))


def _group(pub: Publication, links: Links, p: str, values: list[Value], lang: str) -> Group:
    prop = ref(pub, links, p, lang)
    prop.label, prop.lang = property_label(pub, p, lang)
    positions = [v.ref.position if v.ref else None for v in values]
    ordered = len(values) > 1 and all(pos is not None for pos in positions)
    if ordered:
        values.sort(key=lambda v: (v.ref.position if v.ref else 0, v.ref.label.lower() if v.ref else ""))
    else:
        values.sort(key=lambda v: (v.ref.label.lower() if v.ref else "", v.when or "", v.text.lower()))
    return Group(prop, values, ordered=ordered)


def _sources(pub: Publication, links: Links, outgoing: dict, lang: str) -> list[Source]:
    """The resource's source documents (``ilo:source``), then those of the graphs it is stated in."""
    direct = {o.value for o in outgoing.get(SOURCE, {}) if isinstance(o, ox.NamedNode)}
    graphs = {g for by_object in outgoing.values() for gs in by_object.values() for g in gs}
    via = {doc for g in graphs for doc in pub.term(g).iris(SOURCE)} - direct
    out = []
    for doc in sorted(direct) + sorted(via):
        info = pub.term(doc)
        title = pick(info.literals(DCTERMS + "title"), lang)
        publisher = info.iris(DCTERMS + "publisher")
        dates = [value(pub, links, d, lang) for d in info.literals(DCTERMS + "date")]
        identifier = ", ".join(i.value for i in info.literals(DCTERMS + "identifier"))
        out.append(Source(ref=ref(pub, links, doc, lang), title=title.value if title else "",
                          title_lang=title.language if title else None,
                          publisher=ref(pub, links, publisher[0], lang, with_acronym=True) if publisher else None,
                          dates=dates, identifier=identifier, via_graph=doc in via))
    return out


def _kind(types: list[str], palette: dict[str, int]) -> int:
    for t in sorted(types):
        if t not in palette:
            palette[t] = len(palette)
        return palette[t]
    return 7


def _diagram(pub: Publication, links: Links, iri: str, label: str, label_lang: str | None, types: list[Ref],
             outgoing: dict, incoming: dict, lang: str) -> Diagram:
    palette: dict[str, int] = {}
    words = messages(lang)
    center = Node(iri, label, None, kind=_kind([t.iri for t in types], palette),
                  tip=label + (" — " + ", ".join(t.label for t in types) if types else ""), lang=label_lang)
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    rels: dict[str, int] = {}
    order: list[tuple[str, str, str]] = []
    for direction, table in (("out", outgoing), ("in", incoming)):  # (in a stable order, whatever the store's)
        for p, by_term in sorted(table.items()):
            if p == RDF_TYPE or (direction == "out" and p == SOURCE):
                continue
            for term in sorted(by_term, key=str):
                if not isinstance(term, ox.NamedNode) or term.value == iri:
                    continue
                other = term.value
                p_label = property_label(pub, p, lang)[0]
                rels.setdefault(p, len(rels))
                if other not in nodes:
                    o_label, o_lang = label_of(pub, other, lang)
                    info = pub.term(other)
                    acronym = next((a.value for a in info.literals(ACRONYM)), "")
                    o_types = info.iris(RDF_TYPE)
                    type_labels = ", ".join(label_of(pub, t, lang)[0] for t in o_types)
                    nodes[other] = Node(other, acronym if acronym and len(o_label) > 30 else o_label,
                                        links.href(other), kind=_kind(o_types, palette),
                                        tip=o_label + (f" — {type_labels}" if type_labels else ""), lang=o_lang)
                    order.append((p_label.lower(), direction, other))
                source, target = (iri, other) if direction == "out" else (other, iri)
                edges.append(Edge(source, target, p_label, rels[p]))
    order.sort()
    listed = [nodes[key] for _, _, key in order]
    return neighbourhood(center, listed, edges, title=f"{words['diagram']}: {label}", uid="nb")


def _schema(pub: Publication, iri: str, outgoing: dict) -> dict:
    """The resource as a schema.org thing (types through ``rdfs:subClassOf``, names, description,
    sameAs), with an inline context, for ``<script type="application/ld+json">``."""
    types = set()
    for t in outgoing.get(RDF_TYPE, {}):
        if isinstance(t, ox.NamedNode):
            for row in pub.run("superclasses", this=t):
                c = row["class"].value
                if c.startswith((SCHEMA, "http://schema.org/")):
                    types.add(c.rsplit("/", 1)[-1])
    doc: dict[str, object] = {"@context": {"@vocab": SCHEMA, "url": {"@type": "@id"}, "sameAs": {"@type": "@id"}},
                              "@id": iri, "@type": sorted(types) or ["Thing"], "url": iri}

    def texts(p: str) -> list[dict]:
        return [{"@value": o.value, "@language": o.language} if o.language else {"@value": o.value}
                for o in sorted((o for o in outgoing.get(p, {}) if isinstance(o, ox.Literal)), key=str)]

    names = texts(PREF_LABEL) or texts(LABEL)
    if names:
        doc["name"] = names
    alternate = texts(ALT_LABEL) + texts(ACRONYM)
    if alternate:
        doc["alternateName"] = alternate
    description = texts(DESCRIPTION) or texts(DEFINITION)
    if description:
        doc["description"] = description
    same = sorted(o.value for p in (OWL + "sameAs", "http://www.w3.org/2004/02/skos/core#exactMatch")
                  for o in outgoing.get(p, {}) if isinstance(o, ox.NamedNode) and o.value.startswith(("http:", "https:")))
    if same:
        doc["sameAs"] = same
    return doc
