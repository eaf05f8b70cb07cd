"""HTML safety: literals, language tags, datatypes and IRIs that try to close a script, add an
event handler, reorder text with bidi controls, or link to javascript: and data: IRIs are shown as
text on every page, never run or linked (issue 5, item 5)."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from ilograph.pages import (
    Publication,
    render_home,
    render_resource,
    render_search,
    render_vocabulary,
)

from .conftest import parse_page

BASE = "https://example.org/evil/"
X = BASE + "id/x"
#: N-Quads read leniently: the \u escapes put <, >, " into IRIs, which the strict parser refuses
NQUADS = r"""
<https://example.org/evil/id/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://example.org/evil/def#Thing> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://www.w3.org/2004/02/skos/core#prefLabel> "<script>alert(1)</script> <img src=x onerror=alert(2)> \u202Egnp.exe"@en <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://www.w3.org/2004/02/skos/core#prefLabel> "</script><script>alert(3)</script>"@fr <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://www.w3.org/2004/02/skos/core#altLabel> "\" onmouseover=\"alert(4)"@en-x-evil <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://purl.org/dc/terms/description> "A description with \u2066isolates\u2069 and \u202Boverrides\u202C and </textarea></title>"@en <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <https://example.org/evil/def#value> "1"^^<http://example.org/dt\u003C/script\u003E\u0022onerror=alert(5)> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:alert(6)> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <data:text/html,\u003Cscript\u003Ealert(7)\u003C/script\u003E> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <vbscript:msgbox(8)> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <http://example.org/\u003C/script\u003E\u0022onclick=alert(9)> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/x> <https://example.org/evil/def#link> <https://example.org/evil/id/\u003C/script\u003E\u0022x> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/y> <https://example.org/evil/def#link> <https://example.org/evil/id/x> <https://example.org/evil/graph/g> .
<https://example.org/evil/id/y> <http://www.w3.org/2000/01/rdf-schema#label> "y</script><svg onload=alert(10)>"@en <https://example.org/evil/graph/g> .
<https://example.org/evil/def#link> <http://www.w3.org/2000/01/rdf-schema#label> "link</title><script>alert(11)</script>"@en <https://example.org/evil/graph/g> .
<https://example.org/evil/def> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Ontology> <https://example.org/evil/graph/ontology/o> .
<https://example.org/evil/def#Thing> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Class> <https://example.org/evil/graph/ontology/o> .
<https://example.org/evil/def#Thing> <http://www.w3.org/2000/01/rdf-schema#label> "Thing<script>alert(12)</script>"@en <https://example.org/evil/graph/ontology/o> .
<https://example.org/evil/def#Thing> <http://www.w3.org/2004/02/skos/core#definition> "\u202E</script>"@en <https://example.org/evil/graph/ontology/o> .
"""
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.fixture(scope="module")
def evil() -> Publication:
    store = ox.Store()
    store.bulk_load(NQUADS.encode("utf-8"), format=ox.RdfFormat.N_QUADS, lenient=True)
    schema = {"@context": {"@vocab": "https://schema.org/"}, "@type": "Dataset",
              "name": "</script><script>alert(13)</script>", "description": "<!-- \u2028 -->"}
    return Publication.from_store(store, BASE, title="Evil</title><script>alert(14)</script>",
                                  description="<b>bold</b>", schema=schema)


def pages(evil: Publication) -> dict[str, str]:
    out = {}
    for lang in ("en", "fr"):
        for base_url in (None, "http://127.0.0.1:8080/"):
            out[f"x-{lang}-{base_url}"] = render_resource(evil, X, lang=lang, base_url=base_url)
            out[f"y-{lang}-{base_url}"] = render_resource(evil, BASE + "id/y", lang=lang, base_url=base_url)
        out[f"x-static-{lang}"] = render_resource(evil, X, lang=lang, static=True)
        out[f"home-{lang}"] = render_home(evil, lang=lang)
        out[f"def-{lang}"] = render_vocabulary(evil, lang=lang)
        out[f"search-{lang}"] = render_search(evil, "script", lang=lang)
    return out


def test_the_store_holds_the_nasty_values(evil):
    values = {str(t) for q in evil.store for t in (q.object, q.subject)}
    assert any("</script>" in v for v in values)
    assert any(v.startswith("<javascript:") for v in values)


def test_nothing_runs_nothing_dangerous_is_linked(evil):
    for name, html in pages(evil).items():
        page = parse_page(html)  # well-formed: no label closed an element early
        assert not re.search(r"<script(?![^>]*application/ld\+json)", html, re.IGNORECASE), name
        assert "<script>alert" not in html.lower(), name
        assert "<img" not in html and "<svg onload" not in html, name
        assert not re.search(r"\son\w+\s*=", html.replace("onerror=alert", "").replace("onmouseover=", "")
                             .replace("onclick=alert", "").replace("onload=alert", "")), name
        for attr in re.findall(r"<[a-z]+\s[^>]*>", html):
            assert not re.search(r"\s(on[a-z]+)\s*=", attr), (name, attr)
        lowered = html.lower()
        for scheme in ("javascript:", "data:", "vbscript:"):
            assert f'href="{scheme}' not in lowered and f"href='{scheme}" not in lowered, (name, scheme)
            assert not any(h.lower().lstrip().startswith(scheme) for _, h in page.links), (name, scheme)
        assert all(not h.startswith(("/id/</script>", 'http://example.org/</script>')) for _, h in page.links)


def test_the_nasty_values_are_shown_as_text(evil):
    html = render_resource(evil, X)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:alert(6)" in html  # shown, as text
    assert "data:text/html,&lt;script&gt;" in html
    assert "vbscript:msgbox(8)" in html


def test_embedded_json_ld_cannot_close_its_script(evil):
    for name, html in pages(evil).items():
        for typ, text in parse_page(html).scripts:
            assert typ == "application/ld+json"
            assert "</script" not in text.lower() and "<!--" not in text, name
            assert "\u2028" not in text
            json.loads(text)
    ld = json.loads(parse_page(render_resource(evil, X)).scripts[0][1])
    assert any("<script>alert(1)</script>" in n["@value"] for n in ld["name"])  # the same data, escaped as JSON


def test_bidi_controls_are_revealed_and_text_isolated(evil):
    for name, html in pages(evil).items():
        assert not any(c in html for c in BIDI), (name, [hex(ord(c)) for c in BIDI if c in html])
    html = render_resource(evil, X)
    assert "&lt;U+202E&gt;gnp.exe" in html
    assert "<bdi" in html


def test_language_tags_and_datatypes_are_attributes_or_text_only(evil):
    html = render_resource(evil, X, lang="fr")
    assert 'lang="en-x-evil"' in html
    assert "dt&lt;/script&gt;&#34;onerror=alert(5)" in html or "dt&lt;/script&gt;&quot;onerror=alert(5)" in html
