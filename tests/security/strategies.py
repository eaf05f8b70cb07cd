"""Hypothesis strategies for the round-trip property tests (issue 5, item 7): small datasets of
resources a maintainer could legally write into ``data/`` and that the shipped ontology and shapes
accept, whose literals are as nasty as RDF allows.

A :class:`Generated` dataset is a list of pyoxigraph triples (the truth the tests compare with) and
the resources it describes. Its resources follow ``ontology/ilograph.ttl`` and
``shapes/ilograph-shapes.ttl``: committees (organizations, with dates, acronyms, current names and
external links), places (with ``owl:sameAs`` and a ``schema:url`` typed ``xsd:anyURI``), events
(a death toll, a capacity as ``xsd:integer``, start and end dates), statistics (decimal proportions, wordings in several
languages), source documents (titles, dates, a publisher), and chairmanships, as IRIs or as blank
n-ary nodes. Every one has the labels the shapes ask for (one English ``skos:prefLabel``, the same
``rdfs:label``, more labels in other languages), an English description, comments and quotes.

Text mixes fragments that break naive writers (quotes, backslashes, ``\\n``, ``\\r``, tabs,
``\"\"\"``, ``</script>``, ``]]>``, ``@context``, escapes written out, astral characters,
combining marks, right-to-left text, bidi controls, zero-width characters) with arbitrary Unicode,
and now and then a string of 100,000 characters. Lexical forms are not canonical where XSD allows
it (``"01"^^xsd:nonNegativeInteger``, ``".50"^^xsd:decimal``, ``"1"^^xsd:boolean``, dates with a
time zone), so a writer that rewrites a value is caught.

Left out on purpose, because they are not valid data: NUL and lone surrogates, and the characters
XML 1.0 cannot carry at all (C0 controls other than tab, newline and carriage return, U+FFFE and
U+FFFF), which the loader refuses: see ``XML_FORBIDDEN`` and the test of ``test_roundtrip.py``
that tries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from hypothesis import strategies as st

BASE = "https://w3id.org/ilograph/"
ILO = BASE + "def#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "https://schema.org/"
PREFIXES = {"ilo": ILO, "rdf": RDF, "rdfs": RDFS, "skos": SKOS, "dcterms": DCT, "owl": OWL, "xsd": XSD,
            "schema": SCHEMA}

#: Characters XML 1.0 cannot hold, even as character references: a literal holding one cannot be
#: written as RDF/XML or SPARQL XML results. Kept out of the main strategies (see the module doc).
XML_FORBIDDEN = frozenset(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") | {"\ufffe", "\uffff"}

#: Fragments that break writers that build documents by string formatting, and parsers that
#: normalize text.
NASTY = (
    '"', "'", "\\", "\n", "\r", "\r\n", "\t", '"""', "'''", '\\"', "\\n", "\\u0041", "\\U0001F600",
    "</script>", "<script>alert(1)</script>", "]]>", "<![CDATA[", "<!--", "-->", "&amp;", "&#13;", "&", "<", ">",
    "{", "}", "@context", "@id", '{"@value": "x"}', "@en", "^^xsd:string", "_:b0", "<http://example.org/>",
    "#", "%3E", "%", "${x}", "{{x}}", ", ", " ; ", " . ", "\u00a0", "\u2028", "\u2029", "\x85", "\ufeff",
    "\u200b", "\u200c", "\u200d", "\u2060", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
    "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "e\u0301", "\u0301", "\u0308\u0308\u0308", "\u1100\u1161",
    "\U0001F600", "\U0001F469\u200d\U0001F469\u200d\U0001F467", "\U0001D11E", "\U00020000", "\U0010FFFD",
    "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\u4e2d\u6587", "\u00df", "\u0130", "\ufb01",
    "\x7f", "\x80", "\x9f", " ", "  ", "\t\t",
)

TEXT_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="".join(XML_FORBIDDEN) + "\x00")


def nasty_text(*, min_size: int = 0, max_parts: int = 10) -> st.SearchStrategy[str]:
    """Text made of nasty fragments and arbitrary characters (no NUL, surrogate or XML-forbidden
    character)."""
    part = st.one_of(st.sampled_from(NASTY), st.text(TEXT_CHARS, min_size=1, max_size=8))
    return st.lists(part, min_size=min_size, max_size=max_parts).map("".join)


#: A string of exactly 100,000 characters: a nasty piece repeated.
long_text = nasty_text(min_size=1, max_parts=4).map(lambda piece: (piece * (100_000 // len(piece) + 1))[:100_000])

#: Language tags, as a maintainer writes them (the loader may lower-case them: tags are
#: case-insensitive, and the tests compare them so).
LANGUAGES = ("fr", "es", "en-GB", "fr-CA", "es-419", "zh-Hant-TW", "ar", "he", "de-CH-1996", "x-private")


# --- typed values, in lexical forms that are valid but not always canonical --------------------

def _zero_pad(n: int, lead: int) -> str:
    return "0" * lead + str(n)


timezones = st.sampled_from(["", "", "", "Z", "+00:00", "-05:00", "+05:30", "+14:00", "-14:00"])
years = st.integers(1000, 2999)
dates = st.builds(lambda y, m, d, tz: f"{y:04d}-{m:02d}-{d:02d}{tz}", years, st.integers(1, 12), st.integers(1, 28),
                  timezones)
gyears = st.builds(lambda y, tz: f"{y:04d}{tz}", years, timezones)
non_negative = st.builds(lambda n, lead, plus: ("+" if plus else "") + _zero_pad(n, lead),
                         st.integers(0, 10**20), st.integers(0, 3), st.booleans())


#: xsd:integer lexical forms: signs, leading zeros, values past 64 bits.
integers = st.builds(lambda n, lead, sign: sign + _zero_pad(n, lead), st.integers(0, 10**30), st.integers(0, 2),
                     st.sampled_from(["", "", "+", "-"]))
#: decimals between 0 and 1 inclusive: "0.5", ".5", "0.50", "+0.5", "1", "1.000", "00.25" ...
proportions = st.one_of(
    st.builds(lambda digits, lead, trail, plus: ("+" if plus else "") + lead + "." + digits + "0" * trail,
              st.text("0123456789", min_size=1, max_size=12), st.sampled_from(["", "0", "00"]), st.integers(0, 3),
              st.booleans()),
    st.sampled_from(["0", "1", "1.0", "1.000", "0.0", "-0.0", "+1", "01", "00"]),
)
booleans = st.sampled_from(["true", "false", "1", "0"])
durations = st.sampled_from(["P2Y", "P1Y6M", "P18M", "PT36H", "P1DT2H3M4.5S", "P0D", "-P1Y", "P1Y0M0DT0H0M0S"])


def typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


# --- IRIs -------------------------------------------------------------------------------------

_SLUG_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~!$&'()*+,;=:@"
#: IRI path characters beyond ASCII: lower-case and caseless letters (so that two slugs never
#: differ only by case, which the checks refuse), in and beyond the Basic Multilingual Plane.
_SLUG_UNICODE = st.characters(categories=("Ll", "Lo"), min_codepoint=0xA0)
#: The last segment of a resource's IRI: URI path characters (such a resource has pages and
#: documents), or with letters beyond ASCII too (reached through /sparql only).
slugs = st.one_of(
    st.text(_SLUG_ASCII, min_size=1, max_size=24),
    st.text(st.one_of(st.sampled_from(_SLUG_ASCII), _SLUG_UNICODE), min_size=1, max_size=16),
)

_IRI_PATH = st.lists(st.one_of(st.sampled_from("abcXYZ019-._~!$&'()*+,;=:@/"), _SLUG_UNICODE,
                               st.sampled_from(["%20", "%3C", "%22", "%25", "%E2%80%AE"])), max_size=20).map("".join)
external_iris = st.one_of(
    st.builds(lambda host, path, query, frag: f"https://{host}/{path}{query}{frag}",
              st.sampled_from(["example.org", "xn--caf-dma.example", "caf\u00e9.example", "[::1]", "127.0.0.1:8080",
                               "user@example.org"]),
              _IRI_PATH, st.sampled_from(["", "?q=1&r=%C3%A9", "?a='b'", "?x=\u00e9"]),
              st.sampled_from(["", "#", "#frag", "#\u00e9t\u00e9"])),
    st.sampled_from(["urn:isbn:978-92-2-130000-0", "mailto:someone@example.org", "tag:example.org,2026:x",
                     "http://example.org/a'b(c)", "https://example.org/%F0%9F%98%80", "ftp://example.org/x;type=a",
                     "http://www.wikidata.org/entity/Q54129"]),
)
#: anyURI literals: XSD 1.1 takes any string, so anything IRI-like and a few that are not.
any_uris = st.one_of(external_iris, st.sampled_from(["", "a b", "relative/path?x=<y>", "#", '"quoted"', "\\"]))


# --- the dataset ------------------------------------------------------------------------------

@dataclass
class Generated:
    """A generated dataset: its triples (the truth) and the IRIs of its resources, by kind."""

    triples: list[ox.Triple] = field(default_factory=list)
    resources: dict[str, str] = field(default_factory=dict)  # IRI -> kind

    def add(self, s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        self.triples.append(ox.Triple(s, ox.NamedNode(p), o))


@st.composite
def texts(draw: st.DrawFn, *, allow_long: bool = True, min_size: int = 0) -> str:
    """Mostly short nasty text; now and then 100,000 characters."""
    if allow_long and draw(st.integers(0, 39)) == 0:
        return draw(long_text)
    text = draw(nasty_text(min_size=1 if min_size else 0))
    while len(text) < min_size:
        text += draw(nasty_text(min_size=1))
    return text


@st.composite
def _labels(draw: st.DrawFn, g: Generated, node: ox.NamedNode | ox.BlankNode) -> None:
    english = draw(texts(allow_long=False).filter(bool))
    g.add(node, SKOS + "prefLabel", ox.Literal(english, language="en"))
    g.add(node, RDFS + "label", ox.Literal(english, language="en"))
    for lang in draw(st.lists(st.sampled_from(LANGUAGES), unique_by=str.lower, max_size=3)):
        g.add(node, SKOS + "prefLabel", ox.Literal(draw(texts(allow_long=False)), language=lang))
    for lang in draw(st.lists(st.sampled_from(("en",) + LANGUAGES), max_size=3)):
        g.add(node, SKOS + "altLabel", ox.Literal(draw(texts(allow_long=False)), language=lang))
    if draw(st.booleans()):
        g.add(node, DCT + "description", ox.Literal(draw(texts()), language=draw(st.sampled_from(["en", "en-GB"]))))
    for _ in range(draw(st.integers(0, 2))):
        lang = draw(st.sampled_from((None, None, "en") + LANGUAGES))
        g.add(node, RDFS + "comment", ox.Literal(draw(texts()), language=lang) if lang else ox.Literal(draw(texts())))
    if draw(st.booleans()):
        g.add(node, ILO + "quote", ox.Literal(draw(texts(min_size=10)), language="en"))


@st.composite
def datasets(draw: st.DrawFn, *, max_each: int = 2) -> Generated:
    """A dataset the shipped shapes accept: at least two committees (one chairing the other
    through a chairmanship), and up to ``max_each`` places, events, statistics and sources."""
    g = Generated()
    counts = {kind: draw(st.integers(lo, max_each + lo)) for kind, lo in
              (("committee", 2), ("place", 0), ("event", 0), ("statistic", 0), ("source", 0))}
    iris: dict[str, list[ox.NamedNode]] = {}
    for kind, n in counts.items():
        names = draw(st.lists(slugs, min_size=n, max_size=n, unique_by=str.lower))
        iris[kind] = [ox.NamedNode(f"{BASE}id/{kind}/{name}") for name in names]
        for node in iris[kind]:
            g.resources[node.value] = kind
    organizations = iris["committee"]
    sources = iris["source"]
    described = [n for nodes in iris.values() for n in nodes]
    kind_class = {"committee": "Committee", "place": "Place", "event": "Event", "statistic": "Statistic",
                  "source": "SourceDocument"}
    for kind, nodes in iris.items():
        for node in nodes:
            g.add(node, RDF + "type", ox.NamedNode(ILO + kind_class[kind]))
            draw(_labels(g, node))
            if sources and kind != "source" and draw(st.booleans()):
                g.add(node, ILO + "source", draw(st.sampled_from(sources)))
            draw(_details(g, kind, node, organizations, iris["place"], described))
    draw(_chairmanships(g, organizations, sources))
    return g


@st.composite
def _details(draw: st.DrawFn, g: Generated, kind: str, node: ox.NamedNode, organizations: list[ox.NamedNode],
             places: list[ox.NamedNode], described: list[ox.NamedNode]) -> None:
    maybe = st.booleans()
    if kind == "committee":
        if draw(maybe):
            g.add(node, ILO + "foundingDate", draw(st.one_of(dates.map(lambda v: typed(v, "date")),
                                                              gyears.map(lambda v: typed(v, "gYear")))))
        if draw(maybe):
            g.add(node, ILO + "formalEntitySince", typed(draw(gyears), "gYear"))
        if draw(maybe):
            g.add(node, ILO + "headquartersSince", typed(draw(gyears), "gYear"))
        for acronym in draw(st.lists(st.text(st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
                                             min_size=1, max_size=12), max_size=2, unique=True)):
            g.add(node, ILO + "acronym", ox.Literal(acronym))
        for lang in draw(st.lists(st.sampled_from(("en",) + LANGUAGES), unique_by=str.lower, max_size=2)):
            g.add(node, ILO + "currentName", ox.Literal(draw(texts(allow_long=False)), language=lang))
        if draw(maybe):
            g.add(node, ILO + "mandate", ox.Literal(draw(texts()), language="en"))
        for iri in draw(st.lists(external_iris, max_size=2, unique=True)):
            g.add(node, RDFS + "seeAlso", ox.NamedNode(iri))
    elif kind == "place":
        for iri in draw(st.lists(external_iris, max_size=2, unique=True)):
            g.add(node, OWL + "sameAs", ox.NamedNode(iri))
        if draw(maybe):
            g.add(node, SCHEMA + "url", typed(draw(any_uris), "anyURI"))
    elif kind == "event":
        if draw(maybe):
            g.add(node, ILO + "deathToll", typed(draw(non_negative), "nonNegativeInteger"))
        if draw(maybe):
            g.add(node, SCHEMA + "maximumAttendeeCapacity", typed(draw(integers), "integer"))
        start = draw(st.integers(1000, 2500))
        if draw(maybe):
            g.add(node, ILO + "startDate", draw(_when(start)))
        if draw(maybe):
            g.add(node, ILO + "endDate", draw(_when(start + draw(st.integers(1, 400)))))
        if places and draw(maybe):
            g.add(node, ILO + "location", draw(st.sampled_from(places)))
    elif kind == "statistic":
        which = draw(st.sampled_from(["proportion", "proportionGreaterThan", "both"]))
        for prop in (["proportion", "proportionGreaterThan"] if which == "both" else [which]):
            g.add(node, ILO + prop, typed(draw(proportions), "decimal"))
        for prop in ("proportionText", "scope"):
            for lang in draw(st.lists(st.sampled_from(("en",) + LANGUAGES), unique_by=str.lower, max_size=2)):
                g.add(node, ILO + prop, ox.Literal(draw(texts(allow_long=False)), language=lang))
        if draw(maybe):
            g.add(node, ILO + "statisticAbout", draw(st.sampled_from(described)))
    elif kind == "source":
        g.add(node, DCT + "title", ox.Literal(draw(texts(allow_long=False)), language=draw(st.sampled_from(LANGUAGES))))
        if draw(maybe):
            g.add(node, DCT + "date", draw(_when(draw(st.integers(1000, 2999)))))
        if draw(maybe):
            g.add(node, DCT + "publisher", draw(st.sampled_from(organizations)))


@st.composite
def _when(draw: st.DrawFn, year: int) -> ox.Literal:
    """A date, year-month or year in ``year`` (so that an end never comes before a start)."""
    kind = draw(st.sampled_from(["date", "gYearMonth", "gYear"]))
    tz = draw(timezones)
    if kind == "date":
        return typed(f"{year:04d}-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}{tz}", "date")
    if kind == "gYearMonth":
        return typed(f"{year:04d}-{draw(st.integers(1, 12)):02d}{tz}", "gYearMonth")
    return typed(f"{year:04d}{tz}", "gYear")


@st.composite
def _chairmanships(draw: st.DrawFn, g: Generated, organizations: list[ox.NamedNode],
                   sources: list[ox.NamedNode]) -> None:
    """One or two chairmanships between distinct committees, each an n-ary node (a blank node or
    an IRI) backing an ``ilo:chairs`` shortcut, as the shapes require."""
    pairs = draw(st.lists(st.permutations(organizations).map(lambda o: (o[0], o[1])), min_size=1, max_size=2,
                          unique=True))
    for i, (holder, body) in enumerate(pairs):
        if draw(st.booleans()):
            node: ox.NamedNode | ox.BlankNode = ox.BlankNode()
        else:
            node = ox.NamedNode(f"{BASE}id/role/{draw(slugs)}-{i}")
            g.resources[node.value] = "role"
        g.add(node, RDF + "type", ox.NamedNode(ILO + "Chairmanship"))
        draw(_labels(g, node))
        g.add(node, ILO + "holder", holder)
        g.add(node, ILO + "body", body)
        g.add(holder, ILO + "chairs", body)
        if draw(st.booleans()):
            g.add(node, ILO + "rotating", typed(draw(booleans), "boolean"))
        if draw(st.booleans()):
            g.add(node, ILO + "termDuration", typed(draw(durations), "duration"))
        if draw(st.booleans()):
            g.add(node, ILO + "appointmentDate", typed(draw(dates), "date"))
        if draw(st.booleans()):
            g.add(node, ILO + "startDate", draw(_when(draw(st.integers(1000, 2999)))))
        if sources and draw(st.booleans()):
            g.add(node, ILO + "source", draw(st.sampled_from(sources)))
    # two chairmanships of the same pair would be two shortcuts of one triple: keep the triples a set
    g.triples = list(dict.fromkeys(g.triples))
