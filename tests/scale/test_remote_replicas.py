"""Stateless replicas: three ``ilograph serve`` processes on the same release, as a load balancer
would have them: A and B share one Oxigraph store (``--store-url``), B and C read their own copy of
the release folder, C with its own embedded store. Any replica gives the same bodies and the same
ETags and Last-Modified for pages, documents, downloads and queries (asked for the same public
host name, as behind a load balancer), and answers 304 to a conditional request made with what
another replica said."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from tests.conftest import ROOT
from tests.web.conftest import Server, start_server

from .remote_servers import Store, start_oxigraph
from .test_remote_oxigraph import push

PAGES = ["/", "/def.html", "/id/programme/geip.html", "/id/unit/ent-multi.html", "/download/", "/search?q=cooperative"]
DOCUMENTS = ["/id/programme/geip.ttl", "/id/programme/geip.jsonld", "/id/programme/geip.nt", "/def.ttl",
             "/void.ttl", "/dcat.ttl", "/sitemap.xml", "/download/ilograph.nt", "/download/ilograph.ttl.gz",
             "/download/release.json"]
QUERIES = ["/queries/cq-02-programmes-owners?format=json", "/queries/cq-23-sources-per-resource?format=csv",
           "/queries/cq-29-geip-pillar-ask?format=xml", "/queries"]
#: Results without ORDER BY: the same bytes from replicas sharing a store (the order is the store's).
UNORDERED = ["SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 40", "DESCRIBE <https://w3id.org/ilograph/id/unit/ent-multi>"]


@pytest.fixture(scope="module")
def replicas(release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    folder = tmp_path_factory.mktemp("replicas")
    store: Store = start_oxigraph(folder / "store")
    servers: dict[str, Server] = {}
    try:
        assert push(store.query, release.path, "-q")[0] == 0
        copy = folder / "copy" / "dist"
        shutil.copytree(release.path, copy)  # (copy2: the files keep their times, so Last-Modified agrees)
        options = ("--timeout", "5", "--workers", "2")
        servers["A"] = start_server(ROOT, folder / "a.log", "--out", str(release.path), "--store-url", store.query,
                                    *options)
        servers["B"] = start_server(ROOT, folder / "b.log", "--out", str(copy), "--store-url", store.query, *options)
        servers["C"] = start_server(ROOT, folder / "c.log", "--out", str(copy), *options)
        yield servers
    finally:
        for server in servers.values():
            assert server.stop() == 0, server.output()
        store.stop()


#: What a load balancer passes on: the public host name, the same for every replica.
HOST = "data.example.org"


def fetch(server: Server, path: str, **headers: str) -> httpx.Response:
    accept = "text/html" if path in PAGES else "*/*"
    return httpx.get(server.url + path, timeout=30,
                     headers={"accept-encoding": "identity", "accept": accept, "host": HOST, **headers})


@pytest.mark.parametrize("path", PAGES + DOCUMENTS + QUERIES)
def test_every_replica_gives_the_same_answer(replicas: dict[str, Server], path: str) -> None:
    answers = {name: fetch(server, path) for name, server in replicas.items()}
    a = answers["A"]
    assert a.status_code == 200, a.text
    for name, r in answers.items():
        assert r.status_code == 200 and r.content == a.content, f"{path}: replica {name} differs from A"
        for header in ("etag", "last-modified", "content-type"):
            assert r.headers.get(header) == a.headers.get(header), f"{path}: {header} of replica {name}"


@pytest.mark.parametrize("path", PAGES[:-1] + DOCUMENTS)
def test_an_etag_from_one_replica_is_fresh_at_another(replicas: dict[str, Server], path: str) -> None:
    etag = fetch(replicas["A"], path).headers["etag"]
    for name in ("B", "C"):
        r = fetch(replicas[name], path, **{"if-none-match": etag})
        assert r.status_code == 304 and r.content == b"", f"{path}: replica {name} answered {r.status_code}"
        assert r.headers["etag"] == etag


@pytest.mark.parametrize("query", UNORDERED)
def test_replicas_sharing_a_store_give_the_same_bytes(replicas: dict[str, Server], query: str) -> None:
    a, b = (httpx.post(replicas[n].url + "/sparql", data={"query": query, "format": "ntriples"
                       if query.startswith("DESCRIBE") else "json"}, timeout=30) for n in ("A", "B"))
    assert a.status_code == b.status_code == 200 and a.content == b.content and a.content


def test_the_service_descriptions_are_the_same_graph(replicas: dict[str, Server]) -> None:
    """The service description (every graph and its size: from the marker graph for a remote
    store) is the same graph at every replica; not the same bytes, as its blank nodes are named
    afresh by each process."""
    graphs = {name: rdflib.Graph().parse(data=fetch(server, "/sparql?format=turtle").content, format="turtle")
              for name, server in replicas.items()}
    assert len(graphs["A"]) > 20
    assert all(isomorphic(graphs["A"], g) for g in graphs.values())
