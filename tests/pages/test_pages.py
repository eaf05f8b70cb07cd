"""Every resource renders a well-formed page; the home, vocabulary, downloads, search and error
pages show what they must; links stay safe and point where the pages are served; the reader's
language is chosen from ?lang and Accept-Language."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from ilograph.pages import (
    NotFound,
    choose_language,
    clickable,
    negotiate_document,
    render_downloads,
    render_error,
    render_home,
    render_resource,
    render_search,
    render_vocabulary,
    split_document,
)

from .conftest import parse_page

BASE = "https://w3id.org/ilograph/"
COOP = BASE + "id/unit/coop"
LOCAL = "http://127.0.0.1:8080/"
SAFE_HREF = re.compile(r"^(https?:|mailto:|/|\.\.?/|\?|#|[A-Za-z0-9_.~-])")


def assert_safe_links(page) -> None:
    for tag, href in page.links:
        assert SAFE_HREF.match(href), f"unsafe link {href!r}"
        assert not re.match(r"^\s*(javascript|data|vbscript|file):", href, re.IGNORECASE), href


def test_every_resource_renders_a_page(pub):
    for iri in pub.resources():
        page = parse_page(render_resource(pub, iri, base_url=LOCAL))
        assert page.lang == "en" and page.title.strip(), iri
        assert page.hrefs, iri
        assert_safe_links(page)
        # links into the dataset go to the serving host, never to the canonical base
        assert not any(h.startswith(BASE + "id/") for h in page.hrefs), iri
        types = [t for t, _ in page.scripts]
        assert types == ["application/ld+json"], iri
        json.loads(page.scripts[0][1])


def test_resource_page_of_coop(pub):
    html = render_resource(pub, COOP, base_url=LOCAL)
    page = parse_page(html)
    assert "Cooperatives Unit" in page.title
    assert "COOP" in html and "EMP/COOP" in html  # acronyms
    # types link to the vocabulary docs; relations and incoming links as links to the resources
    assert "/def#Unit" in page.hrefs
    assert "/id/instrument/r193" in page.hrefs
    assert "/id/source/ilo-cooperatives-unit-2016" in page.hrefs  # incoming: publisher of
    assert "/graph/seed-001-cooperatives-unit" in page.hrefs  # the named graphs its triples come from
    # alternates, visible and in <head>
    alternates = [h for tag, h in page.links if tag == "link"]
    for ext in ("ttl", "jsonld", "nt", "rdf"):
        assert f"/id/unit/coop.{ext}" in alternates and f"/id/unit/coop.{ext}" in page.hrefs
    assert '<link rel="alternate" type="text/turtle" href="/id/unit/coop.ttl"' in html
    # provenance: the sentence the facts come from, the source documents with date
    assert "has been a formal entity within the ILO since 1920" in html
    assert '<time datetime="2016-01-08">' in html
    # the neighbourhood diagram, drawn inline
    assert "<svg" in html and 'class="diagram"' in html and "guided by" in html
    # schema.org
    ld = json.loads(page.scripts[0][1])
    assert ld["@id"] == COOP and "Organization" in ld["@type"]


def test_ordered_items_are_listed_in_order(pub):
    html = render_resource(pub, COOP, base_url=LOCAL)
    ordered = re.findall(r"<ol>(.*?)</ol>", html, re.DOTALL)
    assert ordered
    strategy = next(o for o in ordered if "strategy-line" in o)
    order = re.findall(r"strategy-line/([a-z-]+)", strategy)
    assert order == ["advancing-cooperatives-and-ssees", "decent-work-in-the-cooperative-movement",
                     "recognition-of-cooperative-specificities"]


def test_french_page_falls_back_to_english_with_lang(pub):
    html = render_resource(pub, COOP, lang="fr", base_url=LOCAL)
    page = parse_page(html)
    assert page.lang == "fr"
    assert "Relations" in html and "Provenance" in html
    assert '<bdi lang="en">Cooperatives Unit</bdi>' in html  # no French label: English, marked
    ilo = render_resource(pub, BASE + "id/organization/ilo", lang="fr", base_url=LOCAL)
    assert "<h1><bdi>Organisation internationale du Travail</bdi>" in ilo
    es = render_resource(pub, BASE + "id/organization/ilo", lang="es", base_url=LOCAL)
    assert "Organización Internacional del Trabajo" in parse_page(es).title


def test_language_switch_links(pub):
    page = parse_page(render_resource(pub, COOP, lang="en", base_url=LOCAL))
    assert "?lang=fr" in page.hrefs and "?lang=es" in page.hrefs
    kept = parse_page(render_resource(pub, COOP, lang="fr", base_url=LOCAL, keep_lang=True))
    assert "/id/instrument/r193?lang=fr" in kept.hrefs
    static = parse_page(render_resource(pub, COOP, lang="fr", static=True))
    assert "coop.html" in static.hrefs and "coop.es.html" in static.hrefs
    assert "../instrument/r193.fr.html" in static.hrefs


def test_canonical_links_without_base_url(pub):
    page = parse_page(render_resource(pub, COOP))
    assert BASE + "id/instrument/r193" in page.hrefs


def test_unknown_resource(pub):
    with pytest.raises(NotFound):
        render_resource(pub, BASE + "id/unit/nothing")


def test_home_page(pub):
    html = render_home(pub, base_url=LOCAL)
    page = parse_page(html)
    assert page.title == pub.title
    assert pub.description[:40] in html
    assert f"{pub.triples:,}" in html
    for href in ("/download/", "/sparql", "/def", "/.well-known/void", "/download/dcat.ttl", "/id/unit/coop"):
        assert href in page.hrefs, href
    assert 'action="/search"' in html
    assert "<svg" in html and "overview" in html
    ld = json.loads(page.scripts[0][1])
    assert ld["@type"] == "Dataset" and ld["name"] == pub.title


def test_vocabulary_page_lists_every_term(pub, sources):
    html = render_vocabulary(pub, base_url=LOCAL)
    page = parse_page(html)
    ns = BASE + "def#"
    terms = {q.subject.value for q in sources.quads(("ontology",))
             if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ns)}
    assert len(terms) > 90
    for term in terms:
        assert term[len(ns):] in page.ids, term
    assert "rdfs:subClassOf" not in "".join(page.text)  # alignments are named in words
    for expected in ("Disjoint with", "Domain", "Range", "Inverse", "Alignments", "FunctionalProperty"):
        assert expected in html, expected
    # the anonymous domain of ilo:currentName is a union, shown as its members
    current = html[html.index('id="currentName"'):]
    current = current[:current.index("</section>")]
    assert "or" in current and "/def#Organization" in current and "/def#Programme" in current


def test_downloads_page_lists_every_file_with_checksum(pub, release):
    html = render_downloads(pub, base_url=LOCAL)
    page = parse_page(html)
    sums = dict(reversed(line.split("  ", 1)) for line in
                (release.path / "SHA256SUMS").read_text(encoding="ascii").splitlines())
    names = {p.name for p in release.path.iterdir() if p.is_file()}
    assert names <= set(sums) | {"SHA256SUMS"}
    assert pub.file_path("../release.json") is None and pub.file_path("ilograph.nq") is not None
    for name in names:
        assert f"/download/{name}" in page.hrefs, name
        if name in sums:
            assert sums[name] in html, name


def test_search(pub):
    html = render_search(pub, "coop", base_url=LOCAL)
    page = parse_page(html)
    assert "/id/unit/coop" in page.hrefs and "/id/partner/copac" in page.hrefs
    assert page.hrefs.index("/id/unit/coop") < page.hrefs.index("/id/partner/copac")  # exact acronym first
    nothing = render_search(pub, "zzz-nothing", base_url=LOCAL)
    assert "Nothing matches" in nothing
    # what the reader typed is text, bound as a value: no injection, no regular expression
    evil = render_search(pub, '") } ; DROP ALL ; <script>alert(1)</script> .*(a+)+$', base_url=LOCAL)
    assert "<script>alert" not in evil and "Nothing matches" in evil
    assert "Organisation internationale du Travail" in render_search(pub, "TRAVAIL", lang="fr")
    assert "Search results" not in render_search(pub, "", base_url=LOCAL)


def test_error_page_is_escaped():
    html = render_error(404, "no such resource: /id/<script>alert(1)</script>", base_url=LOCAL)
    page = parse_page(html)
    assert page.title.startswith("404")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert not page.scripts
    assert "Traceback" not in render_error(500, "internal error", lang="es")
    assert "Introuvable" in render_error(404, "x", lang="fr")


@pytest.mark.parametrize("header, query, expected", [
    (None, None, "en"),
    ("fr-CH, fr;q=0.9, en;q=0.8", None, "fr"),
    ("de-DE, es;q=0.5, fr;q=0.4", None, "es"),
    ("en;q=0.1, fr;q=0.2", None, "fr"),
    ("fr;q=0, es", None, "es"),
    ("de, ja", None, "en"),
    ("*", None, "en"),
    ("es;q=abc, fr;q=0.5", None, "fr"),
    ("fr", "es", "es"),
    ("fr", "EN", "en"),
    ("fr", "de", "fr"),
    ("es", "", "es"),
])
def test_choose_language(header, query, expected):
    assert choose_language(header, query) == expected


def test_links_never_click_other_schemes():
    for iri in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd",
                "urn:isbn:1", "http://exa mple.org/", "http:"):
        assert not clickable(iri), iri
    for iri in ("http://example.org/", "https://example.org/a?b#c", "mailto:a@example.org"):
        assert clickable(iri), iri


@pytest.mark.parametrize("accept, expected", [
    (None, "html"), ("", "html"), ("*/*", "html"), ("text/html", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    ("text/turtle", "ttl"), ("application/ld+json", "jsonld"), ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdf"), ("text/turtle;q=0.5, application/rdf+xml", "rdf"),
    ("application/json", "jsonld"), ("text/*", "html"), ("image/png", None), ("text/html;q=0", None),
])
def test_negotiate_document(accept, expected):
    assert negotiate_document(accept) == expected


def test_split_document():
    assert split_document("id/unit/coop.jsonld") == ("id/unit/coop", "jsonld")
    assert split_document("id/unit/coop.html") == ("id/unit/coop", "html")
    assert split_document("id/unit/coop.png") == ("id/unit/coop.png", None)
    assert split_document("def") == ("def", None)
