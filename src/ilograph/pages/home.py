"""The content of the home page (counts, the overview diagram, resources by class), the search
results and the downloads list."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .lang import messages
from .links import Links
from .publication import ACRONYM, ILO, RDF_TYPE, FileInfo, Publication, named
from .svg import Diagram, Edge, Node, overview
from .views import Ref, label_of, property_label, ref

#: the classes of the overview, one ring sector each (the first class present names the sector);
#: a dataset without them gets its four most populated classes
OVERVIEW = ((ILO + "Unit", ILO + "Department", ILO + "InternationalOrganization"),
            (ILO + "Programme", ILO + "Fund"),
            (ILO + "Instrument",),
            (ILO + "Partner",))
SEARCH_LIMIT = 100
QUERY_LIMIT = 200  # characters of a search


@dataclass
class ClassList:
    cls: Ref
    count: int
    members: list[Ref]


@dataclass
class HomeView:
    resources: int
    classes: list[ClassList]
    diagram: Diagram
    legend_kinds: list[tuple[int, str]] = field(default_factory=list)
    legend_rels: list[tuple[int, str]] = field(default_factory=list)


def home_view(pub: Publication, links: Links, lang: str) -> HomeView:
    space = pub.base + "id/"
    by_class: dict[str, set[str]] = {}
    for row in pub.run("instances", space=ox.Literal(space)):
        by_class.setdefault(row["class"].value, set()).add(row["s"].value)
    members = set().union(*by_class.values()) if by_class else set()
    classes = []
    for cls, items in by_class.items():
        refs = sorted((ref(pub, links, i, lang, with_acronym=True) for i in items), key=lambda r: r.label.lower())
        classes.append(ClassList(ref(pub, links, cls, lang), len(items), refs))
    classes.sort(key=lambda c: c.cls.label.lower())
    diagram, kinds, rels = _overview(pub, links, by_class, lang)
    return HomeView(resources=len(members), classes=classes, diagram=diagram, legend_kinds=kinds, legend_rels=rels)


def _overview(pub: Publication, links: Links, by_class: dict[str, set[str]],
              lang: str) -> tuple[Diagram, list[tuple[int, str]], list[tuple[int, str]]]:
    supers: dict[str, set[str]] = {}
    for cls in by_class:
        node = named(cls)
        supers[cls] = {row["class"].value for row in pub.run("superclasses", this=node)} if node else {cls}
    sectors = [s for s in OVERVIEW if any(c in supers.get(k, ()) for k in by_class for c in s)]
    if not sectors:
        sectors = [(c,) for c, _ in sorted(by_class.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:4]]
    placed: dict[str, int] = {}
    for index, sector in enumerate(sectors):
        for cls, items in sorted(by_class.items()):
            if supers.get(cls, {cls}) & set(sector):
                for item in items:
                    placed.setdefault(item, index)
    groups: list[list[Node]] = [[] for _ in sectors]
    for item, index in placed.items():
        label, label_lang = label_of(pub, item, lang)
        acronyms = [a.value for a in pub.term(item).literals(ACRONYM)]
        short = min(acronyms, key=len) if acronyms and len(label) > 24 else label
        groups[index].append(Node(item, short, links.href(item), kind=index, tip=label, lang=label_lang))
    for group in groups:
        group.sort(key=lambda n: n.label.lower())
    edges: list[Edge] = []
    rels: dict[str, int] = {}
    found = sorted((row["p"].value, row["s"].value, row["o"].value)  # (in a stable order, whatever the store's)
                   for row in pub.run("links-between", space=ox.Literal(pub.base + "id/")))
    for p, s, o in found:
        if s in placed and o in placed:
            rels.setdefault(p, len(rels))
            edges.append(Edge(s, o, property_label(pub, p, lang)[0], rels[p]))
    edges.sort(key=lambda e: (e.rel, e.source, e.target))
    def present(sector: tuple[str, ...]) -> str:
        return next((c for c in sector if any(c in supers.get(k, ()) for k in by_class)), sector[0])

    kinds = [(i, label_of(pub, present(sector), lang)[0]) for i, sector in enumerate(sectors)]
    legend = [(index, property_label(pub, p, lang)[0]) for p, index in sorted(rels.items(), key=lambda kv: kv[1])]
    diagram = overview(groups, edges, title=messages(lang)["overview_note"], uid="ov")
    return diagram, kinds, legend


@dataclass
class Hit:
    ref: Ref
    matched: list[str]
    types: list[Ref]


def search(pub: Publication, links: Links, q: str, lang: str) -> tuple[list[Hit], bool]:
    """Resources whose label, title or acronym contains ``q`` (case-insensitive): exact matches
    first, then those starting with it, then by label; at most :data:`SEARCH_LIMIT` (the flag
    says more were found). The text is bound to ``?q``, never written into the query."""
    q = " ".join(q.split())[:QUERY_LIMIT]
    if not q:
        return [], False
    found: dict[str, list[str]] = {}
    for row in pub.run("search", q=ox.Literal(q), space=ox.Literal(pub.base)):
        iri = row["s"].value
        if pub.page_of(iri) is None:
            continue
        found.setdefault(iri, []).append(row["label"].value)
    needle = q.lower()

    def rank(iri: str) -> tuple:
        labels = [m.lower() for m in found[iri]]
        return (0 if needle in labels else 1 if any(m.startswith(needle) for m in labels) else 2,
                label_of(pub, iri, lang)[0].lower(), iri)

    ordered = sorted(found, key=rank)
    hits = []
    for iri in ordered[:SEARCH_LIMIT]:
        info = pub.term(iri)
        hits.append(Hit(ref(pub, links, iri, lang, with_acronym=True), sorted(set(found[iri]))[:3],
                        [ref(pub, links, t, lang) for t in info.iris(RDF_TYPE)]))
    return hits, len(ordered) > SEARCH_LIMIT


def human_size(size: int) -> str:
    """A byte count for people: ``1.4 MB`` (decimal units)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def downloads(pub: Publication) -> list[FileInfo]:
    return sorted(pub.files, key=lambda f: f.name)
