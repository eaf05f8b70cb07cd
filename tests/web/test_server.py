"""A real ``ilograph serve`` on 127.0.0.1: every result format read back by an independent parser,
status codes over the wire, the row cap, CORS, the service description, the timeout that stops a
runaway query while other clients are answered, and the refusal of anything that would fetch."""

from __future__ import annotations

import csv
import io
import json
import socketserver
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.query import Result

from .conftest import BASE, PEOPLE, PROTOCOL, RUNAWAY, Server, start_server

PEOPLE_QUERY = ("PREFIX ex: <https://example.org/g/def#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                "SELECT ?person ?name ?age WHERE { ?person a ex:Person ; rdfs:label ?name ; ex:age ?age "
                "FILTER(lang(?name) = 'en') } ORDER BY ?person LIMIT 5")
COMMENT_QUERY = "SELECT ?c WHERE { <https://example.org/g/id/person/p00> <http://www.w3.org/2000/01/rdf-schema#comment> ?c }"
GRAPH_QUERY = ("PREFIX ex: <https://example.org/g/def#>\n"
               "CONSTRUCT { ?a ex:knows ?b } WHERE { ?a ex:knows ?b FILTER(?a = <https://example.org/g/id/person/p01>) }")
ASK_QUERY = "ASK { <https://example.org/g/id/person/p01> ?p ?o }"


def get(client: httpx.Client, query: str, **params: str) -> httpx.Response:
    return client.get("/sparql", params={"query": query, **params})


# --- formats, parsed by independent parsers ---------------------------------------------------

@pytest.mark.parametrize("accept, parser", [
    ("application/sparql-results+json", "json"), ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"), ("text/tab-separated-values", "tsv"),
])
def test_select_formats(client: httpx.Client, accept: str, parser: str) -> None:
    r = client.get("/sparql", params={"query": PEOPLE_QUERY}, headers={"accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == accept
    result = Result.parse(io.BytesIO(r.content), format=parser)
    rows = [(str(row[0]), str(row[1]), int(row[2])) for row in result]
    assert rows == [(f"{BASE}id/person/p{i:02d}", f"Person {i:02d}", 20 + i) for i in range(5)]


def test_csv_and_tsv_by_the_standard_library(client: httpx.Client) -> None:
    """RFC 4180 quoting (CRLF, quotes doubled) and TSV's escapes survive Python's csv module."""
    r = get(client, COMMENT_QUERY, format="csv")
    assert r.content.endswith(b"\r\n")
    assert list(csv.reader(io.StringIO(r.text, newline=""))) == [
        ["c"], ['a, "quoted" value\twith a tab\nand a new line']]
    r = get(client, COMMENT_QUERY, format="tsv")
    rows = list(csv.reader(io.StringIO(r.text), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows == [["?c"], ['"a, \\"quoted\\" value\\twith a tab\\nand a new line"']]


def test_json_and_xml_carry_languages_and_datatypes(client: httpx.Client) -> None:
    r = get(client, "SELECT ?name ?age WHERE { <https://example.org/g/id/person/p03> "
                    "<http://www.w3.org/2000/01/rdf-schema#label> ?name ; <https://example.org/g/def#age> ?age } ORDER BY ?name")
    bindings = r.json()["results"]["bindings"]
    assert [b["name"]["xml:lang"] for b in bindings] == ["en", "es"]
    assert bindings[0]["age"] == {"type": "literal", "value": "23", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    xml = Result.parse(io.BytesIO(get(client, COMMENT_QUERY, format="xml").content), format="xml")
    assert str(next(iter(xml))[0]) == 'a, "quoted" value\twith a tab\nand a new line'


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask_formats(client: httpx.Client, fmt: str) -> None:
    for query, expected in ((ASK_QUERY, True), ("ASK { <http://nowhere.example/x> ?p ?o }", False)):
        r = get(client, query, format=fmt)
        assert Result.parse(io.BytesIO(r.content), format=fmt).askAnswer is expected


@pytest.mark.parametrize("accept, parser", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
])
def test_graph_formats(client: httpx.Client, accept: str, parser: str) -> None:
    r = client.get("/sparql", params={"query": GRAPH_QUERY}, headers={"accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == accept
    graph = rdflib.Graph().parse(data=r.content, format=parser)
    knows = rdflib.URIRef("https://example.org/g/def#knows")
    assert {str(o) for o in graph.objects(None, knows)} == {f"{BASE}id/person/p02", f"{BASE}id/person/p08"}
    if parser == "turtle":
        assert "ex:knows" in r.text  # the query's prefixes make the Turtle readable


def test_describe(client: httpx.Client) -> None:
    r = get(client, "DESCRIBE <https://example.org/g/id/person/p05>", format="ntriples")
    graph = rdflib.Graph().parse(data=r.content, format="nt")
    assert (rdflib.URIRef(f"{BASE}id/person/p05"), rdflib.RDFS.label, rdflib.Literal("Person 05", lang="en")) in graph


# --- status codes over the wire ---------------------------------------------------------------

@pytest.mark.parametrize("method, path, kwargs, status", [
    ("GET", "/sparql?query=ASK%7B%7D", {}, 200),
    ("GET", "/sparql?query=SELECT+*+WHERE+%7B+%3Fs", {}, 400),
    ("GET", "/sparql?query=CLEAR+ALL", {}, 403),
    ("GET", "/sparql?update=CLEAR+ALL", {}, 403),
    ("GET", "/missing", {}, 404),
    ("GET", "/queries/no-such-query", {}, 404),
    ("PUT", "/sparql", {"content": "ASK {}"}, 405),
    ("GET", "/sparql?query=ASK%7B%7D", {"headers": {"accept": "image/png"}}, 406),
    ("POST", "/sparql", {"content": "ASK {}" + " " * 300_000,
                         "headers": {"content-type": "application/sparql-query"}}, 413),
    ("GET", "/sparql?query=ASK%7B%7D" + "%20" * 12_000, {}, 414),
    ("POST", "/sparql", {"content": "ASK {}", "headers": {"content-type": "application/json"}}, 415),
])
def test_status_codes(client: httpx.Client, method: str, path: str, kwargs: dict, status: int) -> None:
    r = client.request(method, path, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["access-control-allow-origin"] == "*"
    if status >= 400:
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.text.strip() and "Traceback" not in r.text


def test_cors_preflight(client: httpx.Client) -> None:
    r = client.options("/sparql", headers={"origin": "https://app.example", "access-control-request-method": "POST",
                                           "access-control-request-headers": "content-type, accept"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert "content-type" in r.headers["access-control-allow-headers"]
    assert "X-Ilograph-Truncated" in get(client, "ASK {}").headers["access-control-expose-headers"]


def test_row_cap(client: httpx.Client) -> None:
    query = "SELECT ?p WHERE { ?p a <https://example.org/g/def#Person> }"
    r = get(client, query)
    assert r.headers["x-ilograph-truncated"] == "true" and r.headers["x-ilograph-max-rows"] == "25"
    assert len(r.json()["results"]["bindings"]) == 25 and r.json()["head"]["link"] == ["/sparql#truncated"]
    csv_rows = list(csv.reader(io.StringIO(get(client, query, format="csv").text)))
    assert len(csv_rows) == 26
    whole = get(client, query + " LIMIT 20")
    assert "x-ilograph-truncated" not in whole.headers and len(whole.json()["results"]["bindings"]) == 20
    assert PEOPLE > 25


def test_service_description(client: httpx.Client, web_release) -> None:
    r = client.get("/sparql", headers={"accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=r.text, format="turtle")
    rows = graph.query("""
        PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
        PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?endpoint ?total ?name ?count WHERE {
          ?service sd:endpoint ?endpoint ; sd:supportedLanguage sd:SPARQL11Query ;
                   sd:defaultDataset ?d .
          ?d sd:defaultGraph/void:triples ?total ; sd:namedGraph ?ng .
          ?ng sd:name ?name ; sd:graph/void:triples ?count .
        }""")
    found = {str(row.name): int(row[3]) for row in rows}
    assert {str(row.endpoint) for row in rows} == {client.base_url.join("/sparql").__str__()}
    assert {int(row.total) for row in rows} == {web_release.triples}
    assert set(found) == set(web_release.graphs) and found[f"{BASE}graph/people"] > PEOPLE * 4
    formats = set(graph.objects(None, rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#resultFormat")))
    assert len(formats) == 8
    assert rdflib.Graph().parse(data=client.get("/sparql?format=jsonld").content, format="json-ld").isomorphic(graph)


def test_named_queries(client: httpx.Client) -> None:
    listing = client.get("/queries").json()["queries"]
    assert {q["name"]: q["question"] for q in listing}["cq-03-anyone"] == "Is there anybody at all?"
    r = client.get("/queries/cq-01-people", headers={"accept": "text/csv"})
    assert r.status_code == 200 and next(csv.reader(io.StringIO(r.text))) == ["person", "name"]
    assert client.get("/queries/cq-03-anyone").json() == {"head": {}, "boolean": True}


# --- limits that hold -------------------------------------------------------------------------

def test_runaway_query_is_stopped_while_others_are_answered(client: httpx.Client, server: Server) -> None:
    def timed(query: str, delay: float = 0.0) -> tuple[httpx.Response, float]:
        time.sleep(delay)
        with httpx.Client(base_url=server.url, timeout=30) as own:
            started = time.monotonic()
            response = own.get("/sparql", params={"query": query})
            return response, time.monotonic() - started

    with ThreadPoolExecutor(4) as pool:
        runaway = pool.submit(timed, RUNAWAY)
        asks = [pool.submit(timed, f"ASK {{ ?s ?p {i} }}", 0.3 + 0.2 * i) for i in range(3)]
        for ask in asks:
            response, seconds = ask.result()
            assert response.status_code == 200 and seconds < 1.0, (response.status_code, seconds)
        response, seconds = runaway.result()
    assert response.status_code == 504, response.text
    assert "2 s" in response.text and "stopped" in response.text
    assert 1.9 < seconds < 6, seconds
    # The killed worker is replaced: two runaways and a quick query at once still work out.
    with ThreadPoolExecutor(2) as pool:
        again = pool.submit(timed, RUNAWAY.replace("?o }", "?o . }"))
        response, seconds = timed("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", 0.5)
        assert response.status_code == 200 and seconds < 1.0
        assert again.result()[0].status_code == 504
    assert get(client, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_overload_is_503(web_project: Path, web_release, tmp_path: Path) -> None:
    """One worker and no waiting room: while it runs away, the next request is turned away."""
    busy = start_server(web_project, tmp_path / "busy.log", "--workers", "1", "--queue", "0", "--timeout", "3")
    try:
        with ThreadPoolExecutor(1) as pool:
            runaway = pool.submit(httpx.get, busy.sparql, params={"query": RUNAWAY}, timeout=30)
            time.sleep(0.5)
            r = httpx.get(busy.sparql, params={"query": "ASK { ?s ?p 'x' }"}, timeout=30)
            assert r.status_code == 503 and r.headers["retry-after"] == "1" and "busy" in r.text
            assert runaway.result().status_code == 504
        deadline = time.monotonic() + 15
        while httpx.get(busy.sparql, params={"query": "ASK { ?s ?p 'y' }"}, timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the replacement worker never came"
            time.sleep(0.2)
    finally:
        assert busy.stop() == 0


# --- nothing is fetched -----------------------------------------------------------------------

class _Recorder(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.seen.append(self.request.recv(4096))  # type: ignore[attr-defined]
        self.request.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/turtle\r\ncontent-length: 0\r\n\r\n")


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    tcp.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=tcp.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{tcp.server_address[1]}", tcp.seen  # type: ignore[attr-defined]
    finally:
        tcp.shutdown()
        tcp.server_close()


def test_nothing_is_fetched(client: httpx.Client, listener: tuple[str, list[bytes]]) -> None:
    url, seen = listener
    refused = [
        ("query", f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}", 400, "SERVICE"),
        ("query", f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}", 400, "SERVICE"),
        ("query", f"SELECT * WHERE {{ BIND(<{url}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}", 400, "SERVICE"),
        ("query", f"PREFIX r: <{url}/>\nSELECT * FROM r:data {{ ?s ?p ?o }}", 400, "never fetches"),
        ("query", f"SELECT * FROM NAMED <{url}/data> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", 400, "never fetches"),
        ("query", "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", 400, "local files"),
        ("query", f"LOAD <{url}/data.ttl>", 400, "LOAD"),
        ("query", "LOAD <file:///etc/passwd>", 400, "LOAD"),
        ("update", f"LOAD <{url}/data.ttl>", 403, "read-only"),
    ]
    for param, text, status, says in refused:
        r = client.get("/sparql", params={param: text})
        assert r.status_code == status and says in r.text, (text, r.status_code, r.text)
    r = client.post("/sparql", content=f"LOAD <{url}/data.ttl>", headers={"content-type": "application/sparql-update"})
    assert r.status_code == 403
    r = client.post("/sparql", content=f"SELECT * {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }}",
                    headers={"content-type": "application/sparql-query"})
    assert r.status_code == 400
    time.sleep(0.5)
    assert seen == [], f"the service connected to the listener: {seen!r}"


def test_protocol_dataset_graphs_are_looked_up_not_fetched(client: httpx.Client, listener) -> None:
    url, seen = listener
    r = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "default-graph-uri": f"{url}/g"})
    assert r.status_code == 400 and f"{url}/g" in r.text, r.text
    assert seen == []


def test_index(client: httpx.Client, web_release) -> None:
    body = json.loads(client.get("/").text)
    assert body["release"] == web_release.id and body["sparql"] == "/sparql"


# --- the W3C service description tests --------------------------------------------------------

SD_MANIFEST = PROTOCOL.parent / "service-description" / "manifest.ttl"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


def sd_test_names() -> list[str]:
    if not SD_MANIFEST.is_file():
        return []
    graph = rdflib.Graph().parse(SD_MANIFEST, format="turtle")
    mf = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    manifest = next(graph.subjects(rdflib.RDF.type, mf.Manifest))
    return [str(e).rsplit("#", 1)[-1] for e in Collection(graph, graph.value(manifest, mf.entries))]


@pytest.mark.skipif(not SD_MANIFEST.is_file(), reason=f"the W3C service description suite is not at {SD_MANIFEST}")
@pytest.mark.parametrize("name", sd_test_names() or ["absent"])
def test_w3c_service_description(client: httpx.Client, name: str) -> None:
    """The three tests of the suite, as its manifest names them: GET on the endpoint returns RDF;
    it has an sd:endpoint triple naming the endpoint; it conforms to the SD schema's ranges."""
    endpoint = rdflib.URIRef(str(client.base_url.join("/sparql")))
    for accept, parser in (("text/turtle", "turtle"), ("application/rdf+xml", "xml")):
        r = client.get("/sparql", headers={"accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == accept
        graph = rdflib.Graph().parse(data=r.content, format=parser)
        if name == "returns-rdf":
            assert len(graph) > 0
        elif name == "has-endpoint-triple":
            assert (None, SD.endpoint, endpoint) in graph
        elif name == "conforms-to-schema":
            services = set(graph.subjects(rdflib.RDF.type, SD.Service))
            assert services == {endpoint}
            languages = set(graph.objects(endpoint, SD.supportedLanguage))
            assert languages == {SD.SPARQL11Query}  # no SD.SPARQL11Update: read-only
            for prop in (SD.feature, SD.resultFormat, SD.defaultEntailmentRegime):
                assert all(isinstance(v, rdflib.URIRef) for v in graph.objects(endpoint, prop))
            dataset = graph.value(endpoint, SD.defaultDataset)
            assert (dataset, rdflib.RDF.type, SD.Dataset) in graph
            assert (graph.value(dataset, SD.defaultGraph), rdflib.RDF.type, SD.Graph) in graph
            for named in graph.objects(dataset, SD.namedGraph):
                assert (named, rdflib.RDF.type, SD.NamedGraph) in graph
                assert isinstance(graph.value(named, SD.name), rdflib.URIRef)
                assert (graph.value(named, SD.graph), rdflib.RDF.type, SD.Graph) in graph
        else:
            pytest.fail(f"a service description test this runner does not know: {name}")


def test_gzip_when_the_client_takes_it(server: Server) -> None:
    import gzip

    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    raw = httpx.get(server.sparql, params={"query": query, "format": "ntriples"},
                    headers={"accept-encoding": "gzip"}, timeout=30)  # httpx would decode it: read it raw
    assert raw.headers["content-encoding"] == "gzip" and "Accept-Encoding" in raw.headers["vary"]
    with httpx.stream("GET", server.sparql, params={"query": query, "format": "ntriples"},
                      headers={"accept-encoding": "gzip"}, timeout=30) as streamed:
        packed = b"".join(streamed.iter_raw())
    assert int(streamed.headers["content-length"]) == len(packed)
    graph = rdflib.Graph().parse(data=gzip.decompress(packed), format="nt")
    assert len(graph) == 25  # the row cap
    plain = httpx.get(server.sparql, params={"query": query, "format": "ntriples"},
                      headers={"accept-encoding": "identity"}, timeout=30)
    assert "content-encoding" not in plain.headers
    assert rdflib.Graph().parse(data=plain.content, format="nt").isomorphic(graph)
