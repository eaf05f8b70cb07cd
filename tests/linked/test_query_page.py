"""The query page over HTTP (without a browser): served at ``/sparql`` to browsers only, the named
queries as examples, results drawn by the server for readers without JavaScript (``format=html``),
links only where safe, the row cap said, errors shown, downloads in every format; and the script
that draws them with JavaScript never writes HTML."""

from __future__ import annotations

import io
import re
from importlib.resources import files
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import rdflib
from rdflib.query import Result

from ilograph.project import open_project
from ilograph.query import named_queries

from ..pages.conftest import parse_page
from .conftest import BROWSER, MAX_ROWS, ROOT
from .test_dereference import media

RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
MIXED = ('SELECT ?x WHERE { VALUES ?x { <https://w3id.org/ilograph/id/unit/coop> <http://example.org/a> '
         '<urn:isbn:0451450523> <javascript:alert(1)> <mailto:someone@example.org> '
         '"</td><script>alert(1)</script>" "Coopérative"@fr } }')


def page(http: httpx.Client, query: str, **params: str) -> httpx.Response:
    return http.get("/sparql", params={"query": query, "format": "html", **params}, headers={"accept": BROWSER})


def result_rows(html: str) -> list[str]:
    body = html.split('id="results"', 1)[1]
    return re.findall(r"<tr><td class=\"num\">\d+</td>(.*?)</tr>", body)


def test_the_page_is_served_to_browsers_only(http: httpx.Client) -> None:
    r = http.get("/sparql", headers={"accept": BROWSER})
    assert r.status_code == 200 and media(r) == "text/html"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "default-src 'none'" in csp
    assert "'unsafe-inline'" not in csp and r.headers["x-content-type-options"] == "nosniff"
    parsed = parse_page(r.text)
    assert [s for s in parsed.scripts if s[1].strip()] == []  # no inline script: the script is a file
    assert '<script src="/static/query.js" defer></script>' in r.text
    assert 'action="/sparql"' in r.text and 'name="query"' in r.text and 'name="format" value="html"' in r.text
    examples = [h for h in parsed.hrefs if h.startswith("/sparql?") and "format=html" in h]
    names = [q.name for q in named_queries(open_project(ROOT))]
    assert len(examples) == len(names) >= 20
    first = parse_qs(urlsplit(examples[0]).query)["query"][0]
    assert first == named_queries(open_project(ROOT))[0].text
    assert {f"/queries/{n}" for n in names} <= set(parsed.hrefs)
    # SPARQL clients keep the Service Description
    for accept in (None, "*/*", "text/turtle", "application/rdf+xml", "text/html;q=0.5, text/turtle"):
        sd = http.get("/sparql", headers={"accept": accept} if accept else {})
        assert sd.status_code == 200 and media(sd) != "text/html", accept
        assert "sparql-service-description" in sd.text or "sd:" in sd.text or "Service" in sd.text


def test_a_select_drawn_by_the_server(http: httpx.Client) -> None:
    r = page(http, MIXED)
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    parsed = parse_page(r.text)
    rows = result_rows(r.text)
    assert len(rows) == 7
    joined = "\n".join(rows)
    assert 'href="/id/unit/coop"' in joined and 'href="http://example.org/a"' in joined
    for unsafe in ("javascript:", "urn:isbn", "mailto:"):  # shown, never linked
        assert unsafe in joined and f'href="{unsafe}' not in joined
    assert "<script>alert" not in r.text and "&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    assert '<bdi lang="fr">Coopérative</bdi>' in joined
    # the editor keeps the query, and the language switch keeps both
    assert "VALUES ?x" in r.text.split("<textarea", 1)[1].split("</textarea>", 1)[0]
    switch = next(h for h in parsed.hrefs if h.startswith("?") and "lang=fr" in h)
    assert parse_qs(switch[1:])["query"] == [MIXED]


def test_downloads_of_the_current_result(http: httpx.Client) -> None:
    query = f"SELECT ?s ?label WHERE {{ ?s {RDFS_LABEL} ?label }} ORDER BY ?s ?label LIMIT 5"
    r = page(http, query)
    links = re.findall(r'<a href="(/sparql\?[^"]+)" download="result\.(\w+)">', r.text)
    assert [suffix for _, suffix in links] == ["srj", "srx", "csv", "tsv"]
    for href, suffix in links:
        got = http.get(href.replace("&amp;", "&"))
        assert got.status_code == 200, href
        parser = {"srj": "json", "srx": "xml", "csv": "csv", "tsv": "tsv"}[suffix]
        assert len(list(Result.parse(io.BytesIO(got.content), format=parser))) == 5
    construct = page(http, f"CONSTRUCT {{ ?s {RDFS_LABEL} ?l }} WHERE {{ ?s {RDFS_LABEL} ?l }} LIMIT 4")
    assert construct.status_code == 200 and len(result_rows(construct.text)) == 4
    links = re.findall(r'<a href="(/sparql\?[^"]+)" download="result\.(\w+)">', construct.text)
    assert [suffix for _, suffix in links] == ["ttl", "nt", "jsonld", "rdf"]
    for href, suffix in links:
        parser = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}[suffix]
        assert len(rdflib.Graph().parse(data=http.get(href.replace("&amp;", "&")).content, format=parser)) == 4


def test_ask_and_the_row_cap(http: httpx.Client) -> None:
    ask = page(http, "ASK { ?s ?p ?o }")
    assert ask.status_code == 200 and 'class="boolean true"' in ask.text
    cut = page(http, "SELECT * WHERE { ?s ?p ?o }")
    assert cut.status_code == 200 and 'class="truncated"' in cut.text and str(MAX_ROWS) in cut.text
    assert len(result_rows(cut.text)) == MAX_ROWS


@pytest.mark.parametrize("query, status, words", [
    ("SELECT * WHERE { ?s ?p }", 400, ["line 1, column", "^"]),
    ("CLEAR ALL", 403, ["read-only"]),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }", 400, ["SERVICE"]),
])
def test_errors_are_shown(http: httpx.Client, query: str, status: int, words: list[str]) -> None:
    r = page(http, query)
    assert r.status_code == status and media(r) == "text/html"
    shown = r.text.split('class="query-error">', 1)[1].split("</pre>", 1)[0]
    for word in words:
        assert word in shown
    assert "Traceback" not in r.text


def test_the_script_never_writes_html() -> None:
    script = (files("ilograph.web") / "static" / "query.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    assert "textContent" in script
