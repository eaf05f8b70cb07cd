"""Every IRI of the graph dereferences on a real ``ilograph serve``: 303 to the document ``Accept``
asks for, the document in its media type, RDF that an independent parser (rdflib) reads and that
is about that IRI; HEAD, 404, 406, conditional requests, hostile paths and the language."""

from __future__ import annotations

import email.utils
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
import rdflib

from ilograph.pages import Publication

from ..pages.conftest import parse_page
from ..web.conftest import Server
from .conftest import BROWSER

#: Accept header, document extension, media type, rdflib parser (None: HTML)
FORMATS = (
    (BROWSER, "html", "text/html", None),
    ("text/turtle", "ttl", "text/turtle", "turtle"),
    ("application/ld+json", "jsonld", "application/ld+json", "json-ld"),
    ("application/n-triples", "nt", "application/n-triples", "nt"),
    ("application/rdf+xml", "rdf", "application/rdf+xml", "xml"),
)
COOP = "/id/unit/coop"


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def check_page_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert "Accept" in response.headers["vary"]


def dereference(client: httpx.Client, base: str, iri: str) -> list[str]:
    """Every format of ``iri``: the 303, then the document. Returns the problems found."""
    problems = []
    path = "/" + iri[len(base):]
    for accept, ext, media_type, parser in FORMATS:
        r = client.get(path, headers={"accept": accept})
        if r.status_code != 303 or r.headers.get("location") != f"{path}.{ext}" or "Accept" not in r.headers["vary"]:
            problems.append(f"{path} with {accept}: {r.status_code} {r.headers.get('location')}")
            continue
        doc = client.get(r.headers["location"], headers={"accept": accept})
        if doc.status_code != 200 or media(doc) != media_type:
            problems.append(f"{path}.{ext}: {doc.status_code} {doc.headers.get('content-type')}")
            continue
        if parser is None:
            check_page_headers(doc)
            page = parse_page(doc.text)
            if f'href="{iri}"' not in doc.text or not page.title:
                problems.append(f"{path}.html has no canonical link to {iri}")
            continue
        graph = rdflib.Graph().parse(data=doc.content, format=parser)
        node = rdflib.URIRef(iri)
        if (node, None, None) not in graph and (None, None, node) not in graph:
            problems.append(f"{path}.{ext}: {len(graph)} triples, none about {iri}")
    return problems


def test_every_iri_dereferences_in_every_format(live: Server, publication: Publication) -> None:
    resources = publication.resources()
    assert len(resources) > 100 and publication.base + "id/unit/coop" in resources
    assert {r[len(publication.base):].split("/")[0] for r in resources} >= {"id", "graph"}

    def run(chunk: list[str]) -> list[str]:
        with httpx.Client(base_url=live.url, timeout=30) as client:
            return [p for iri in chunk for p in dereference(client, publication.base, iri)]

    chunks = [resources[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        problems = [p for found in pool.map(run, chunks) for p in found]
    assert not problems, "\n".join(problems[:20])


def test_documents_are_the_publications(http: httpx.Client, publication: Publication) -> None:
    """The server answers exactly what the pages library writes (and the static site holds)."""
    for ext in ("ttl", "nt", "jsonld", "rdf"):
        assert http.get(f"{COOP}.{ext}").content == publication.document(publication.base + COOP[1:], ext)


def test_the_query_string_survives_the_303(http: httpx.Client) -> None:
    r = http.get(COOP, params={"lang": "fr"}, headers={"accept": BROWSER})
    assert r.status_code == 303 and r.headers["location"] == f"{COOP}.html?lang=fr"


def test_no_accept_header_gives_the_page(live: Server) -> None:
    with socket.create_connection(("127.0.0.1", urlsplit(live.url).port), timeout=10) as s:
        s.sendall(f"GET {COOP} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        head = _read_all(s).split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 303") and f"location: {COOP}.html" in head


def test_vocabulary(http: httpx.Client) -> None:
    assert http.get("/def", headers={"accept": BROWSER}).headers["location"] == "/def.html"
    assert http.get("/def", headers={"accept": "text/turtle"}).headers["location"] == "/def.ttl"
    page = http.get("/def.html")
    assert page.status_code == 200 and media(page) == "text/html"
    check_page_headers(page)
    for ext, parser in (("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld"), ("nt", "nt")):
        r = http.get(f"/def.{ext}")
        assert r.status_code == 200
        graph = rdflib.Graph().parse(data=r.content, format=parser)
        assert (None, rdflib.RDF.type, rdflib.OWL.Ontology) in graph, ext


def test_head(http: httpx.Client) -> None:
    r = http.head(COOP, headers={"accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["location"] == f"{COOP}.ttl" and r.content == b""
    for path in (f"{COOP}.html", f"{COOP}.jsonld", "/download/ilograph.nt.gz", "/", "/.well-known/void"):
        got, head = http.get(path, headers={"accept": BROWSER}), http.head(path, headers={"accept": BROWSER})
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-length"] == str(len(got.content)), path
        assert head.headers["content-type"] == got.headers["content-type"], path
    assert http.head("/id/unit/nope").status_code == 404


@pytest.mark.parametrize("path", ["/id/unit/nope", "/id/unit/nope.html", "/id/nope/deeper/still", "/graph/nope"])
def test_unknown_iris_are_404_in_html(http: httpx.Client, path: str) -> None:
    r = http.get(path, headers={"accept": BROWSER})
    assert r.status_code == 404 and media(r) == "text/html"
    check_page_headers(r)
    page = parse_page(r.text)
    assert page.title.startswith("404") and "Traceback" not in r.text


@pytest.mark.parametrize("path, accept", [("/id/unit/nope", "text/turtle"), ("/id/unit/nope.ttl", "text/turtle"),
                                          ("/id/unit/nope.jsonld", "application/ld+json"),
                                          ("/id/unit/nope", "application/n-triples"), ("/id/unit/nope.rdf", "*/*")])
def test_unknown_iris_are_404_in_rdf(http: httpx.Client, path: str, accept: str) -> None:
    r = http.get(path, headers={"accept": accept})
    assert r.status_code == 404 and media(r) == "text/plain"
    assert r.headers["x-content-type-options"] == "nosniff" and "nothing is published" in r.text


def test_406_when_nothing_fits(http: httpx.Client) -> None:
    for accept in ("image/png", "application/pdf, text/csv;q=0.5", "text/turtle;q=0, text/html;q=0, */*;q=0"):
        r = http.get(COOP, headers={"accept": accept})
        assert r.status_code == 406, accept
        assert "text/turtle" in r.text and r.headers["vary"] == "Accept"


@pytest.mark.parametrize("path", [f"{COOP}.html", f"{COOP}.ttl", "/download/", "/def.html", "/.well-known/void"])
def test_conditional_requests(http: httpx.Client, path: str) -> None:
    first = http.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.status_code == 200 and etag.startswith('W/"') and email.utils.parsedate_to_datetime(modified)
    for asked in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        again = http.get(path, headers={"if-none-match": asked})
        assert again.status_code == 304 and again.content == b"", asked
        assert again.headers["etag"] == etag and again.headers.get("vary") == first.headers.get("vary")
    assert http.get(path, headers={"if-none-match": '"other"'}).status_code == 200
    assert http.get(path, headers={"if-modified-since": modified}).status_code == 304
    assert http.get(path, headers={"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    # If-None-Match decides when both are sent
    assert http.get(path, headers={"if-none-match": '"other"', "if-modified-since": modified}).status_code == 200


def test_etags_differ_by_language_and_format(http: httpx.Client) -> None:
    tags = {http.get(f"{COOP}.html", headers={"accept-language": lang}).headers["etag"] for lang in ("en", "fr", "es")}
    tags |= {http.get(f"{COOP}.{ext}").headers["etag"] for ext in ("ttl", "nt", "jsonld", "rdf")}
    assert len(tags) == 7


def _read_all(s: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def raw_get(live: Server, target: bytes) -> tuple[int, bytes]:
    """Send ``GET target`` exactly as given (no client normalizes it); (status, body)."""
    with socket.create_connection(("127.0.0.1", urlsplit(live.url).port), timeout=10) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
        data = _read_all(s)
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("target", [b"/id/unit/coop>", b"/id/unit/coop%3E", b"/id/unit/coop}", b'/id/unit/co"op',
                                    b"/id/unit/coop%22%3E%3Cscript%3Ealert(1)%3C/script%3E", b"/id/unit/coop%7D",
                                    b"/id/unit/%3Cscript%3E.html", b"/id/unit/coop%0A.ttl", b"/id/./unit/coop",
                                    b"/id/unit/coop%20", b"/download/..%2Frelease.json", b"/id/unit/coop%00",
                                    b"/id/unit/%E2%80%AEcoop", b"/id/unit/coop?x=%3E"])
def test_hostile_paths(live: Server, target: bytes) -> None:
    status, body = raw_get(live, target)
    if target == b"/id/unit/coop?x=%3E":  # a query string is no part of the IRI
        assert status == 303
        return
    assert status in (400, 404), (target, status)
    assert b"<script>" not in body.lower() and b"traceback" not in body.lower()


def test_language(http: httpx.Client, publication: Publication) -> None:
    fr = http.get("/id/partner/ica.html", headers={"accept-language": "fr-CH, fr;q=0.9, en;q=0.5"})
    page = parse_page(fr.text)
    assert fr.headers["content-language"] == "fr" and page.lang == "fr"
    assert "Alliance coopérative internationale" in page.title
    assert fr.headers["vary"] == "Accept, Accept-Language"
    en = parse_page(http.get("/id/partner/ica.html", headers={"accept-language": "en"}).text)
    assert en.lang == "en" and "International Co-operative Alliance" in en.title
    # ?lang= wins over Accept-Language, and the links keep it
    es = http.get("/id/unit/coop.html", params={"lang": "es"}, headers={"accept-language": "fr"})
    assert es.headers["content-language"] == "es" and es.headers["vary"] == "Accept"
    assert any(h.startswith("/id/") and h.endswith("?lang=es") for h in parse_page(es.text).hrefs)
    # the switch on a French page leads to the English one
    switch = [h for h in page.hrefs if "lang=en" in h]
    assert switch and http.get(f"/id/partner/ica.html{switch[0]}").headers["content-language"] == "en"
