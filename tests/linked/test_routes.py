"""The publication's other routes on a real ``ilograph serve``: home, downloads, catalogue (VoID,
DCAT), sitemap and robots.txt on the current host, search, and the safety of every page: headers,
escaping of what is echoed, error pages without a traceback."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import socket
from urllib.parse import urlsplit

import httpx
import pytest
import rdflib
from rdflib.namespace import VOID

from ilograph.pages import Publication

from ..pages.conftest import parse_page
from ..web.conftest import Server
from .conftest import BROWSER
from .test_dereference import check_page_headers, media

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


def test_home(http: httpx.Client, publication: Publication) -> None:
    r = http.get("/", headers={"accept": BROWSER})
    assert r.status_code == 200 and media(r) == "text/html"
    check_page_headers(r)
    page = parse_page(r.text)
    assert page.title == publication.title
    for target in ("/id/unit/coop", "/sparql", "/download/", "/def", "/.well-known/void"):
        assert target in page.hrefs, target
    # programs keep the JSON index: with */*, with no preference, and when they ask for JSON
    for accept in ("*/*", "application/json", "application/json, text/html;q=0.5"):
        index = http.get("/", headers={"accept": accept})
        assert media(index) == "application/json", accept
        assert index.json()["triples"] == publication.triples and index.json()["sparql"] == "/sparql"


def test_downloads_page_lists_every_file(http: httpx.Client, publication: Publication) -> None:
    moved = http.get("/download")
    assert moved.status_code == 301 and moved.headers["location"] == "/download/"
    r = http.get("/download/", headers={"accept": BROWSER})
    assert r.status_code == 200
    check_page_headers(r)
    page = parse_page(r.text)
    names = {f.name for f in publication.files}
    assert {"ilograph.ttl", "ilograph.nq.gz", "void.ttl", "dcat.ttl", "release.json", "SHA256SUMS"} <= names
    assert {f"/download/{n}" for n in names} <= set(page.hrefs)
    for f in publication.files:
        assert f.sha256 in r.text


def test_every_file_downloads(http: httpx.Client, publication: Publication) -> None:
    for f in publication.files:
        r = http.get(f"/download/{f.name}", headers={"accept-encoding": "gzip"})
        assert r.status_code == 200, f.name
        assert media(r) == f.media_type, f.name
        assert "content-encoding" not in r.headers, f.name
        assert hashlib.sha256(r.content).hexdigest() == f.sha256, f.name
        assert r.headers["etag"] == f'"{f.sha256}"'
        assert int(r.headers["content-length"]) == f.size
        if f.name.endswith(".gz"):
            assert media(r) == "application/gzip" and gzip.decompress(r.content)
    assert http.get("/download/ilograph.ttl", headers={"if-none-match": r.headers["etag"]}).status_code == 200
    last = publication.files[-1]
    assert http.get(f"/download/{last.name}", headers={"if-none-match": f'"{last.sha256}"'}).status_code == 304
    for missing in ("/download/nope.ttl", "/download/../release.json", "/download/.well-known"):
        assert http.get(missing).status_code == 404


def test_void(http: httpx.Client, publication: Publication) -> None:
    r = http.get("/.well-known/void")
    assert r.status_code == 200 and media(r) == "text/turtle"
    graph = rdflib.Graph().parse(data=r.content, format="turtle")
    datasets = list(graph.subjects(rdflib.RDF.type, VOID.Dataset))
    counts = {int(graph.value(d, VOID.triples)) for d in datasets if graph.value(d, VOID.triples) is not None}
    assert publication.triples in counts
    assert http.get("/void.ttl").content == r.content


def test_dcat(http: httpx.Client) -> None:
    r = http.get("/dcat.ttl")
    assert r.status_code == 200 and media(r) == "text/turtle"
    graph = rdflib.Graph().parse(data=r.content, format="turtle")
    assert list(graph.subjects(rdflib.RDF.type, DCAT.Catalog))
    assert len(list(graph.subjects(rdflib.RDF.type, DCAT.Distribution))) >= 10
    assert http.get("/dataset.jsonld").json()["@type"] in ("Dataset", "schema:Dataset", ["Dataset"])


def test_sitemap_and_robots_on_the_current_host(live: Server, http: httpx.Client, publication: Publication) -> None:
    sitemap = http.get("/sitemap.xml")
    assert sitemap.status_code == 200 and media(sitemap) == "application/xml"
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
    assert locs and all(loc.startswith(live.url + "/") for loc in locs)
    assert f"{live.url}/id/unit/coop" in locs and f"{live.url}/" in locs
    for loc in locs[:5] + [f"{live.url}/id/unit/coop"]:  # every URL of the sitemap answers here
        assert http.get(urlsplit(loc).path, headers={"accept": BROWSER}).status_code in (200, 303), loc
    robots = http.get("/robots.txt").text
    assert f"Sitemap: {live.url}/sitemap.xml" in robots and "Disallow: /sparql?" in robots
    # another name for this host: the sitemap follows it; a malformed Host is never echoed
    other = http.get("/sitemap.xml", headers={"host": "data.example.test:8443"})
    assert "<loc>http://data.example.test:8443/id/unit/coop</loc>" in other.text
    port = urlsplit(live.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b'GET /robots.txt HTTP/1.1\r\nHost: evil"><script>x\r\nConnection: close\r\n\r\n')
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert b"<script>" not in data and (b" 400 " in data.split(b"\r\n")[0] or b"Sitemap: http://127.0.0.1:" in data)


def test_search(http: httpx.Client) -> None:
    r = http.get("/search", params={"q": "cooperatives"}, headers={"accept": BROWSER})
    assert r.status_code == 200
    check_page_headers(r)
    assert "/id/unit/coop" in parse_page(r.text).hrefs


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_echoed_text_is_escaped(http: httpx.Client) -> None:
    search = http.get("/search", params={"q": HOSTILE}, headers={"accept": BROWSER})
    assert search.status_code == 200 and "<script>alert" not in search.text and "<img src=x" not in search.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in search.text
    missing = http.get("/id/" + HOSTILE.replace('"', ""), headers={"accept": BROWSER})
    assert missing.status_code == 404 and "<script>alert" not in missing.text and "<img src=x" not in missing.text
    page = http.get("/sparql", params={"query": "SELECT * WHERE { " + HOSTILE, "format": "html"},
                    headers={"accept": BROWSER})
    assert page.status_code == 400 and "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "</textarea><script>" not in page.text


@pytest.mark.parametrize("method, path", [("POST", "/id/unit/coop.html"), ("DELETE", "/download/ilograph.ttl"),
                                          ("PUT", "/")])
def test_other_methods_are_405(http: httpx.Client, method: str, path: str) -> None:
    r = http.request(method, path, headers={"accept": BROWSER})
    assert r.status_code == 405 and "GET" in r.headers["allow"]
    assert media(r) == "text/html" and "Traceback" not in r.text


def test_security_headers_everywhere(http: httpx.Client) -> None:
    pages = ["/", "/id/unit/coop.html", "/def.html", "/download/", "/search?q=coop", "/id/unit/nope", "/sparql"]
    for path in pages:
        r = http.get(path, headers={"accept": BROWSER})
        assert media(r) == "text/html", path
        check_page_headers(r)
        if path != "/sparql":
            assert "script-src" not in r.headers["content-security-policy"], path
    others = ["/id/unit/coop", "/id/unit/coop.ttl", "/download/ilograph.nt.gz", "/.well-known/void", "/sitemap.xml",
              "/static/ilograph.css", "/static/query.js", "/sparql?query=ASK%7B%7D", "/queries", "/nope.ttl"]
    for path in others:
        assert http.get(path).headers["x-content-type-options"] == "nosniff", path
    css = http.get("/static/ilograph.css")
    assert media(css) == "text/css" and http.get("/static/ilograph.css",
                                                 headers={"if-none-match": css.headers["etag"]}).status_code == 304
    assert http.get("/static/nope.js").status_code == 404


def test_json_index_names_the_publication(http: httpx.Client) -> None:
    index = json.loads(http.get("/", headers={"accept": "application/json"}).text)
    assert index["void"] == "/.well-known/void" and index["downloads"] == "/download/"
