"""Read-only (issue 5, item 2), against a real server: every form of SPARQL Update, in mixed case,
with comments between its keywords, with escaped keywords, after a query, sent as ``query=``,
``update=``, ``application/sparql-update``, ``application/sparql-query``, in the query string of a
POST, and through the query page, is refused (400 or 403, never 200); the store's content (every
quad, sorted and hashed) and the release on disk are the same before and after."""

from __future__ import annotations

import hashlib
import io
import itertools
from pathlib import Path

import httpx
import pytest
from rdflib.query import Result

from tests.web.conftest import Server

from .conftest import HOSTILE, assert_alive, assert_refused

G = "https://w3id.org/ilograph/graph/people"
T = "<http://e/a> <http://e/b> <http://e/c>"
X = f"<{HOSTILE}x>"

UPDATES = [
    f"INSERT DATA {{ {T} }}",
    f"INSERT DATA {{ GRAPH <{G}> {{ {T} }} }}",
    f"DELETE DATA {{ {X} a <https://w3id.org/ilograph/def#Unit> }}",
    "DELETE WHERE { ?s ?p ?o }",
    f"DELETE {{ ?s ?p ?o }} INSERT {{ {T} }} WHERE {{ ?s ?p ?o }}",
    f"WITH <{G}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    f"DELETE {{ ?s ?p ?o }} USING <{G}> WHERE {{ ?s ?p ?o }}",
    f"INSERT {{ GRAPH <{G}> {{ ?s ?p 'x' }} }} WHERE {{ ?s ?p ?o }}",
    "LOAD <http://127.0.0.1:9/x.ttl>",
    f"LOAD SILENT <http://127.0.0.1:9/x.ttl> INTO GRAPH <{G}>",
    "CLEAR ALL", "CLEAR DEFAULT", "CLEAR NAMED", f"CLEAR SILENT GRAPH <{G}>",
    "DROP ALL", "DROP DEFAULT", f"DROP GRAPH <{G}>", "DROP SILENT NAMED",
    "CREATE GRAPH <http://e/new>", "CREATE SILENT GRAPH <http://e/new>",
    f"ADD <{G}> TO DEFAULT", f"MOVE DEFAULT TO <{G}>", f"COPY <{G}> TO <http://e/copy>",
    f"ADD SILENT GRAPH <{G}> TO GRAPH <http://e/x>", "MOVE SILENT DEFAULT TO DEFAULT",
    # spelled to slip past a naive check
    f"insert data {{ {T} }}",
    f"iNsErT dAtA {{ {T} }}",
    f"INSERT # a comment\n DATA {{ {T} }}",
    f"INSERT\n\t  DATA {{ {T} }}",
    "DELETE/**/WHERE { ?s ?p ?o }",
    f"INSERT\\u0020DATA {{ {T} }}",
    f"\\u0049NSERT DATA {{ {T} }}",
    "PREFIX ex: <http://e/>\nINSERT DATA { ex:a ex:b ex:c }",
    "BASE <http://e/>\nPREFIX : <http://e/>\nDELETE WHERE { ?s ?p ?o }",
    f"ASK {{}} ; INSERT DATA {{ {T} }}",
    "SELECT * {} ;\nDROP ALL",
    f"INSERT DATA {{ {T} }} ; INSERT DATA {{ {T} }}",
    f"\ufeffINSERT DATA {{ {T} }}",
    "CLEAR\u00a0ALL",
]


def dump(server: Server) -> str:
    """Every quad of the store (the default graph and each named graph), sorted, as text."""
    rows = []
    for query in ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"):
        r = httpx.get(server.sparql, params={"query": query, "format": "xml"}, timeout=30)
        assert r.status_code == 200 and "x-ilograph-truncated" not in r.headers, r.text[:300]
        rows += ["\t".join(t.n3() if t is not None else "" for t in row) for row in Result.parse(io.BytesIO(r.content),
                                                                                            format="xml")]
    return "\n".join(sorted(rows))


def digest(server: Server) -> tuple[int, str]:
    text = dump(server)
    return text.count("\n") + 1, hashlib.sha256(text.encode()).hexdigest()


def release_files(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "dist").iterdir())}


@pytest.fixture(scope="module")
def before(target: Server, sec_project: Path) -> tuple[tuple[int, str], dict[str, bytes]]:
    return digest(target), release_files(sec_project)


def channels(c: httpx.Client, text: str) -> list[tuple[str, httpx.Response]]:
    q = text.encode("utf-8")
    return [
        ("get query", c.get("/sparql", params={"query": text})),
        ("get update", c.get("/sparql", params={"update": text})),
        ("form query", c.post("/sparql", data={"query": text})),
        ("form update", c.post("/sparql", data={"update": text})),
        ("sparql-query", c.post("/sparql", content=q, headers={"content-type": "application/sparql-query"})),
        ("sparql-update", c.post("/sparql", content=q, headers={"content-type": "application/sparql-update"})),
        ("sparql-update; charset", c.post("/sparql", content=q,
                                          headers={"content-type": "Application/SPARQL-Update; charset=UTF-8"})),
        ("update in the url of a form", c.post("/sparql", params={"update": text}, data={"x": "1"})),
        ("update in the url of a query", c.post("/sparql", params={"update": text}, content=b"ASK {}",
                                                headers={"content-type": "application/sparql-query"})),
        ("using-graph-uri", c.get("/sparql", params={"update": text, "using-graph-uri": G})),
        ("query page", c.get("/sparql", params={"query": text, "format": "html"}, headers={"accept": "text/html"})),
    ]


@pytest.mark.parametrize("text", UPDATES, ids=[f"u{i:02d}" for i in range(len(UPDATES))])
def test_every_update_is_refused_every_way(http: httpx.Client, before, text: str) -> None:
    for channel, r in channels(http, text):
        assert r.status_code in (400, 403), (channel, text, r.status_code, r.text[:300])
        assert_refused(r)
        if r.status_code == 403:
            assert "read-only" in r.text, (channel, r.text[:300])


def test_updates_through_the_named_query_route_are_not_possible(target: Server) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = httpx.request(method, target.url + "/queries/cq-01-units", content=f"INSERT DATA {{ {T} }}",
                          headers={"content-type": "application/sparql-update"}, timeout=30)
        assert r.status_code == 405, (method, r.status_code)
    for method in ("PUT", "DELETE", "PATCH"):
        r = httpx.request(method, target.sparql, content=f"INSERT DATA {{ {T} }}",
                          headers={"content-type": "application/sparql-update"}, timeout=30)
        assert r.status_code == 405, (method, r.status_code)


def test_graph_store_protocol_writes_are_not_possible(target: Server) -> None:
    for path, method in itertools.product(("/id/hostile/x", "/rdf-graphs/service", "/sparql", "/download/"),
                                          ("PUT", "POST", "DELETE", "PATCH")):
        r = httpx.request(method, target.url + path, params={"graph": G}, content=f"{T} .",
                          headers={"content-type": "text/turtle"}, timeout=30)
        assert r.status_code in (400, 403, 404, 405, 415), (path, method, r.status_code)


def test_the_store_and_the_release_are_unchanged(target: Server, sec_project: Path, before) -> None:
    (count, hashed), files = before
    assert count > 1000
    assert digest(target) == (count, hashed)
    assert release_files(sec_project) == files
    assert_alive(target)
