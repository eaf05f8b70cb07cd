"""``ilograph push`` into a real Oxigraph server and ``ilograph serve --store-url`` on it, beside an
embedded ``ilograph serve`` of the same release: every named query gives the same bytes in every
format (and the expected results in tests/expected/), graphs are the same graphs, datasets,
refusals, syntax errors, the row cap and the deadline behave as on the embedded store; a store that
does not hold the release, is down, refuses or rejects a push gives a readable error and an exit
code; and a reader during a second push sees the old release or the new one, never an error or a
mix."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from ilograph.cli import main
from ilograph.push import PushError, endpoints
from ilograph.push import push as push_release
from ilograph.remote import Layout, RemoteStore
from ilograph.store import Job, read_release
from tests.conftest import ROOT
from tests.web.conftest import RUNAWAY, Server, free_port, start_server

from .remote_servers import BASE, Store, start_oxigraph

EXPECTED = ROOT / "tests" / "expected"
NAMES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
MAX_ROWS = 25
SERVE = ("--timeout", "2", "--max-rows", str(MAX_ROWS), "--workers", "2")
GEIP = f"{BASE}id/programme/geip"
ENT_MULTI = f"{BASE}id/unit/ent-multi"  # (17 statements: under the row cap)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def push(store_url: str, release_dir: Path, *options: str, project: Path = ROOT) -> tuple[int, str, str]:
    return run_cli("push", store_url, "--project", str(project), "--out", str(release_dir), *options)


@pytest.fixture(scope="module")
def release_dir(release) -> Path:
    return release.path


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    # The store's own limit stops a query ilograph has given up on (its deadline is shorter).
    store = start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "store", timeout_s=4)
    yield store
    store.stop()


@pytest.fixture(scope="module")
def pushed(oxigraph: Store, release_dir: Path) -> str:
    code, out, err = push(oxigraph.query, release_dir)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def remote(pushed: str, oxigraph: Store, release_dir: Path, tmp_path_factory) -> Iterator[Server]:
    server = start_server(ROOT, tmp_path_factory.mktemp("logs") / "remote.log", "--out", str(release_dir),
                          "--store-url", oxigraph.query, *SERVE)
    yield server
    assert server.stop() == 0, server.output()


@pytest.fixture(scope="module")
def embedded(release_dir: Path, tmp_path_factory) -> Iterator[Server]:
    server = start_server(ROOT, tmp_path_factory.mktemp("logs") / "embedded.log", "--out", str(release_dir), *SERVE)
    yield server
    assert server.stop() == 0, server.output()


_CLIENTS: dict[str, httpx.Client] = {}


def client(server: Server) -> httpx.Client:
    """A kept-alive client per server (the module's servers live as long as the module)."""
    if server.url not in _CLIENTS:
        _CLIENTS[server.url] = httpx.Client(base_url=server.url, timeout=30)
    return _CLIENTS[server.url]


def both(remote: Server, embedded: Server, path: str, **kwargs) -> tuple[httpx.Response, httpx.Response]:
    return client(remote).get(path, **kwargs), client(embedded).get(path, **kwargs)


def sparql(server: Server, query: str, **params: str) -> httpx.Response:
    return client(server).post("/sparql", data={"query": query, **params})


def quads_in(store: Store) -> int:
    return int(store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])


# --- push ---------------------------------------------------------------------------------------

def test_push_says_what_it_did_and_does_nothing_twice(pushed: str, oxigraph: Store, release_dir: Path) -> None:
    release = read_release(release_dir)
    assert f"pushed release {release.id} ({release.triples} triples, {len(release.graphs)} graphs)" in pushed
    code, out, _ = push(oxigraph.query, release_dir)
    assert code == 0 and f"already holds release {release.id}" in out
    graphs = {row["g"] for row in oxigraph.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    layout = Layout(BASE)
    assert graphs == set(release.graphs) | {layout.merge, layout.marker}  # no staging graph left behind
    merged = oxigraph.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{layout.merge}> {{ ?s ?p ?o }} }}")
    assert int(merged[0]["n"]) == release.triples


# --- the same answers as the embedded store -----------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_named_query_gives_the_embedded_bytes(remote: Server, embedded: Server, name: str) -> None:
    expected = json.loads((EXPECTED / f"{name}.srj").read_text(encoding="utf-8"))
    formats = ("json", "xml") if "boolean" in expected else ("json", "xml", "csv", "tsv")
    for fmt in formats:
        mine, theirs = both(remote, embedded, f"/queries/{name}", params={"format": fmt})
        assert mine.status_code == theirs.status_code == 200, mine.text
        assert mine.headers["content-type"] == theirs.headers["content-type"]
        assert mine.content == theirs.content, f"{name} as {fmt}"
    data = json.loads(both(remote, embedded, f"/queries/{name}", params={"format": "json"})[0].content)
    if "boolean" in expected:
        assert data["boolean"] == expected["boolean"]
    else:
        rows = Counter(json.dumps(r, sort_keys=True) for r in data["results"]["bindings"])
        assert rows == Counter(json.dumps(r, sort_keys=True) for r in expected["results"]["bindings"])


@pytest.mark.parametrize("fmt, parser", [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"),
                                         ("rdfxml", "xml")])
def test_graph_results_are_the_same_graphs(remote: Server, embedded: Server, fmt: str, parser: str) -> None:
    for query in (f"DESCRIBE <{ENT_MULTI}>",
                  f"PREFIX ilo: <{BASE}def#> CONSTRUCT {{ ?o ilo:holds ?p }} WHERE {{ ?p ilo:heldBy ?o }}",
                  f"CONSTRUCT {{ <{ENT_MULTI}> ?p ?o }} WHERE {{ GRAPH ?g {{ <{ENT_MULTI}> ?p ?o }} }}"):
        mine, theirs = sparql(remote, query, format=fmt), sparql(embedded, query, format=fmt)
        assert mine.status_code == theirs.status_code == 200, mine.text
        a = rdflib.Graph().parse(data=mine.content, format=parser)
        b = rdflib.Graph().parse(data=theirs.content, format=parser)
        assert len(a) == len(b) and isomorphic(a, b) and len(a) > 0, query


def test_the_row_cap_cuts_and_says_so(remote: Server, embedded: Server) -> None:
    for query, fmt in (("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples"),
                       ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "json")):
        for server in (remote, embedded):
            r = sparql(server, query, format=fmt)
            assert r.status_code == 200 and r.headers["x-ilograph-truncated"] == "true"
            assert r.headers["x-ilograph-max-rows"] == str(MAX_ROWS)
            if fmt == "json":
                assert len(r.json()["results"]["bindings"]) == MAX_ROWS and r.json()["head"]["link"]
            else:
                assert len([line for line in r.text.splitlines() if not line.startswith("#")]) == MAX_ROWS
                assert r.text.startswith("# truncated")


def test_gzip_and_ordered_results_are_byte_identical(remote: Server, embedded: Server) -> None:
    query = ("SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } ORDER BY ?s ?p ?o "
             "LIMIT 20")
    raw = []
    for server in (remote, embedded):
        with httpx.stream("POST", server.sparql, data={"query": query, "format": "json"}, timeout=30,
                          headers={"accept-encoding": "gzip"}) as r:
            assert r.headers.get("content-encoding") == "gzip"
            raw.append(b"".join(r.iter_raw()))
    assert raw[0] == raw[1]
    assert len(json.loads(gzip.decompress(raw[0]))["results"]["bindings"]) == 20


def test_datasets_are_the_release_graphs(remote: Server, embedded: Server, release_dir: Path) -> None:
    graphs = read_release(release_dir).graphs
    enumerate_graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    r = sparql(remote, enumerate_graphs, format="json")
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == sorted(graphs)  # no merge, no marker
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    cases = [(enumerate_graphs, {}), (count, {}),
             (count, {"default-graph-uri": f"{BASE}graph/sources"}),
             (count, {"named-graph-uri": f"{BASE}graph/sources"}),
             (enumerate_graphs, {"named-graph-uri": f"{BASE}graph/sources"}),
             (f"SELECT (COUNT(*) AS ?n) FROM <{BASE}graph/sources> WHERE {{ ?s ?p ?o }}", {}),
             ((f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{BASE}graph/sources> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} "
               "GROUP BY ?g"), {}),
             (count, {"default-graph-uri": f"{BASE}graph/not-in-the-release"})]
    for query, params in cases:
        mine, theirs = sparql(remote, query, format="csv", **params), sparql(embedded, query, format="csv", **params)
        assert mine.status_code == theirs.status_code and mine.content == theirs.content, (query, params)
        assert mine.status_code == (400 if "not-in-the-release" in str(params) else 200), mine.text


def test_relative_iris_resolve_against_the_dataset_base(remote: Server, embedded: Server) -> None:
    query = "SELECT ?x WHERE { BIND(<id/programme/geip> AS ?x) }"
    assert sparql(remote, query, format="csv").text == sparql(embedded, query, format="csv").text
    assert GEIP in sparql(remote, query, format="csv").text


# --- refusals, errors and the deadline -----------------------------------------------------------

@pytest.mark.parametrize("method, data, status", [
    ("query", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", 400),
    ("query", "SELECT * FROM <http://127.0.0.1:1/data.ttl> WHERE { ?s ?p ?o }", 400),
    ("update", "CLEAR ALL", 403),
    ("update", f"INSERT DATA {{ <{GEIP}> <{BASE}def#x> 1 }}", 403),
    ("update", "LOAD <http://127.0.0.1:1/data.ttl>", 403),
    ("query", "DROP ALL", 403),
])
def test_refusals_never_reach_the_store(remote: Server, oxigraph: Store, method: str, data: str, status: int) -> None:
    before = quads_in(oxigraph)
    r = httpx.post(remote.sparql, data={method: data}, timeout=30)
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text
    assert quads_in(oxigraph) == before


def test_syntax_errors_read_as_on_the_embedded_store(remote: Server, embedded: Server) -> None:
    for query in ("SELECT * WHERE { ?s ?p ?o", "SELECT *\nWHERE { ?s ?p ?o . FILTER(?s = ) }"):
        mine, theirs = sparql(remote, query), sparql(embedded, query)
        assert mine.status_code == theirs.status_code == 400
        assert mine.text == theirs.text and "line" in mine.text


def test_a_runaway_query_is_stopped_and_the_next_is_answered(remote: Server) -> None:
    started = time.monotonic()
    r = sparql(remote, RUNAWAY.replace("?n1", "?n2"))  # (not cached: its own text)
    assert r.status_code == 504, r.text
    assert time.monotonic() - started < 4.5 and "limit of 2 s" in r.text
    started = time.monotonic()
    r = sparql(remote, f"ASK {{ <{GEIP}> ?p ?o }}", format="json")
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert time.monotonic() - started < 1.5


def test_serve_refuses_a_store_without_the_release(tmp_path: Path, release_dir: Path) -> None:
    empty = start_oxigraph(tmp_path / "empty")
    try:
        code, _, err = run_cli("serve", "--project", str(ROOT), "--out", str(release_dir), "--port",
                               str(free_port()), "--store-url", empty.query)
    finally:
        empty.stop()
    assert code == 2
    assert "holds no ilograph release" in err and f"ilograph push {empty.query}" in err
    code, _, err = run_cli("serve", "--project", str(ROOT), "--out", str(release_dir), "--port", str(free_port()),
                           "--store-url", f"http://127.0.0.1:{free_port()}/query")
    assert code == 2 and "cannot be reached" in err and "Traceback" not in err
    code, _, err = run_cli("serve", "--project", str(ROOT), "--store", str(tmp_path / "s"), "--store-url", empty.query)
    assert code == 2 and "not both" in err


def test_a_store_that_goes_down_is_a_readable_503(tmp_path: Path, release_dir: Path) -> None:
    store = start_oxigraph(tmp_path / "store")
    server = None
    try:
        assert push(store.query, release_dir, "-q")[0] == 0
        server = start_server(ROOT, tmp_path / "serve.log", "--out", str(release_dir), "--store-url", store.query,
                              *SERVE)
        assert sparql(server, "ASK { ?s ?p ?o }", format="json").json()["boolean"] is True
        store.stop()
        r = sparql(server, "ASK { ?s ?p ?o . FILTER(?s != <urn:x>) }", format="json")
        assert r.status_code == 503 and r.headers["retry-after"]
        assert f"the SPARQL store at {store.query} cannot be reached" in r.text and "Traceback" not in r.text
        assert httpx.get(server.url + "/download/", timeout=30).status_code == 200  # pages do not need the store
    finally:
        if server is not None:
            assert server.stop() == 0, server.output()
        store.stop()


# --- a push that fails --------------------------------------------------------------------------

class _Fake(http.server.BaseHTTPRequestHandler):
    """A store that answers the marker query (no release) and takes DROPs, then refuses (401) or
    rejects (400) the data."""

    status = 401
    seen: ClassVar[list[bytes]] = []

    def _answer(self) -> None:
        size = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(size) if size else b""
        type(self).seen.append(body)
        if b"query=" in body and b"identifier" in body and self.status != 401:
            data = json.dumps({"head": {"vars": ["release", "graph", "triples"]}, "results": {"bindings": []}})
            self._send(200, data.encode(), "application/sparql-results+json")
        elif body.startswith(b"DROP SILENT") and self.status != 401:
            self._send(200, b"", "text/plain")
        else:
            self._send(self.status, b"Bad request: not what this store takes", "text/plain")

    def _send(self, status: int, body: bytes, media: str) -> None:
        self.send_response(status)
        self.send_header("content-type", media)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_GET = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_store() -> Iterator[type[_Fake]]:
    handler = type("Handler", (_Fake,), {"seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.url = f"http://127.0.0.1:{httpd.server_address[1]}/query"  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler
    httpd.shutdown()
    httpd.server_close()


def test_push_to_nothing_is_exit_2(release_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    code, _, err = push(url, release_dir)
    assert code == 2 and f"cannot reach the store at {url}" in err and "Traceback" not in err


def test_push_refused_is_exit_2(fake_store, release_dir: Path) -> None:
    fake_store.status = 401
    code, _, err = push(fake_store.url, release_dir)
    assert code == 2 and "refused" in err and "HTTP 401" in err and "credentials" in err


def test_push_rejected_is_exit_2_and_never_switches(fake_store, release_dir: Path) -> None:
    fake_store.status = 400
    code, _, err = push(fake_store.url, release_dir)
    assert code == 2 and "rejected the request to upload the source graphs (HTTP 400" in err
    assert not any(b"MOVE" in body or b"ilograph-release" in body and b"INSERT" in body for body in fake_store.seen)


def test_a_failed_push_leaves_the_store_as_it_was(oxigraph: Store, pushed: str, release_dir: Path) -> None:
    """A newer release (another id) whose data go to a Graph Store that is not there (404): the
    push fails after staging began; the store keeps the release it held, and nothing staged."""
    before = quads_in(oxigraph)
    marker = oxigraph.select(f"SELECT ?o WHERE {{ GRAPH <{Layout(BASE).marker}> {{ ?s ?p ?o }} }}")
    newer = replace(read_release(release_dir), id="0123456789abcdef")
    with pytest.raises(PushError) as failure:
        push_release(newer, endpoints(oxigraph.query, graph_store=oxigraph.query[:-len("query")] + "no-such-store"))
    assert failure.value.exit_code == 2 and "HTTP 404" in str(failure.value) and "--graph-store" in str(failure.value)
    assert quads_in(oxigraph) == before
    assert oxigraph.select(f"SELECT ?o WHERE {{ GRAPH <{Layout(BASE).marker}> {{ ?s ?p ?o }} }}") == marker


def test_a_failed_first_push_leaves_an_empty_store(tmp_path: Path, release_dir: Path) -> None:
    """Into a store holding no release the data go in place (no copy at the switch): a failure
    there leaves no marker, so no service starts on it, and drops what was loaded."""
    store = start_oxigraph(tmp_path / "store")
    try:
        with pytest.raises(PushError) as failure:
            push_release(read_release(release_dir),
                         endpoints(store.query, graph_store=store.query[:-len("query")] + "no-such-store"))
        assert "HTTP 404" in str(failure.value)
        assert quads_in(store) == 0
        code, out, err = push(store.query, release_dir)
        assert code == 0 and "pushed release" in out and "replacing" not in out, err
        assert quads_in(store) > 0
    finally:
        store.stop()


# --- a reader during a push -----------------------------------------------------------------------

READER_QUERY = """SELECT ?g ?n ?total WHERE {
  { SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g }
  { SELECT (COUNT(*) AS ?total) WHERE { ?s ?p ?o } }
} ORDER BY ?g"""


def test_a_reader_sees_one_release_or_the_other_during_a_push(tmp_path: Path, release_dir: Path, copy_project) -> None:
    """Release B adds a statement to one source file; a reader asking for every graph's size and
    the merge's size during the push of B over A gets A's exact answer, then B's, nothing else."""
    store = start_oxigraph(tmp_path / "store")
    try:
        assert push(store.query, release_dir, "-q")[0] == 0
        project_b = copy_project()
        with (project_b / "data" / "ref-wikidata.ttl").open("a", encoding="utf-8") as handle:
            handle.write(f'\n<{BASE}id/organization/ilo> <http://www.w3.org/2000/01/rdf-schema#comment> '
                         '"Pushed again for the scale-out test."@en .\n')
        code, _, err = run_cli("build", "--project", str(project_b), "-q")
        assert code == 0, err
        release_a = read_release(release_dir)
        answers: list[bytes] = []
        errors: list[BaseException] = []
        done = threading.Event()

        def read() -> None:
            async def loop() -> None:
                reader = RemoteStore(release_a, store.query, timeout=10, concurrency=1)
                await reader.start()
                job = Job(query=READER_QUERY, format="json", max_rows=1000, base_iri=BASE, uses_graph=True)
                try:
                    while not done.is_set():
                        answer = await reader.run(job)
                        if answer.error:
                            errors.append(AssertionError(answer.message))
                        answers.append(answer.body)
                    answers.append((await reader.run(job)).body)
                finally:
                    await reader.close()
            try:
                asyncio.run(loop())
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        thread = threading.Thread(target=read)
        thread.start()
        while not answers and thread.is_alive():
            time.sleep(0.01)
        try:
            code, _, err = push(store.query, project_b / "dist", "-q", project=project_b)
        finally:
            done.set()
            thread.join(30)
        assert code == 0, err
        assert not errors, errors
        first, last = answers[0], answers[-1]
        assert first != last
        assert set(answers) == {first, last}
        switch = answers.index(last)
        assert all(a == last for a in answers[switch:]), "the reader went back to the old release"
        assert len(answers) > 3, "the reader should have read during the push"
        rows_b = {b["g"]["value"]: int(b["n"]["value"]) for b in json.loads(last)["results"]["bindings"]}
        rows_a = {b["g"]["value"]: int(b["n"]["value"]) for b in json.loads(first)["results"]["bindings"]}
        assert rows_b[f"{BASE}graph/ref-wikidata"] == rows_a[f"{BASE}graph/ref-wikidata"] + 1
    finally:
        store.stop()
