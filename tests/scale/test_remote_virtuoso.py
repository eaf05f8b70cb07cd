"""``ilograph push`` into a real Virtuoso (Debian's ``virtuoso-opensource``, started here on
loopback ports with a small temporary database) and ``ilograph serve --store-url`` on it: the
named queries give the embedded store's answers, compared as multisets. Where Virtuoso answers
differently, the test says how (an xfail with the reason), and only that difference is excused.

Virtuoso takes the data through its Graph Store endpoint (``/sparql-graph-crud``, the SPARQL user
given ``SPARQL_UPDATE``); its SPARQL endpoint commits each operation of an update request on its
own, which one test shows, so the switch is not atomic there (see README, Scale-out)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from ilograph.store import read_release
from tests.conftest import ROOT
from tests.web.conftest import Server, start_server

from .remote_servers import BASE, Store, start_virtuoso
from .test_remote_oxigraph import NAMES, SERVE, push

EXPECTED = ROOT / "tests" / "expected"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Datatypes derived from xsd:integer that Oxigraph answers as xsd:integer and Virtuoso keeps.
INTEGER_TYPES = {XSD + t for t in ("positiveInteger", "nonNegativeInteger", "negativeInteger",
                                   "nonPositiveInteger", "long", "int", "short", "byte", "unsignedLong",
                                   "unsignedInt", "unsignedShort", "unsignedByte")}


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = start_virtuoso(tmp_path_factory.mktemp("virtuoso") / "db")
    yield store
    store.stop()


@pytest.fixture(scope="module")
def pushed(virtuoso: Store, release) -> str:
    crud = virtuoso.query[:-len("/sparql")] + "/sparql-graph-crud"
    code, out, err = push(virtuoso.query, release.path, "--graph-store", crud)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def remote(pushed: str, virtuoso: Store, release, tmp_path_factory) -> Iterator[Server]:
    server = start_server(ROOT, tmp_path_factory.mktemp("logs") / "virtuoso-serve.log", "--out", str(release.path),
                          "--store-url", virtuoso.query, *SERVE)
    yield server
    assert server.stop() == 0, server.output()


def rows(body: bytes) -> Counter | bool:
    data = json.loads(body)
    if "boolean" in data:
        return data["boolean"]
    return Counter(json.dumps(r, sort_keys=True) for r in data["results"]["bindings"])


def as_integer(results: Counter) -> Counter:
    """The rows with every literal typed by a type derived from xsd:integer typed xsd:integer."""
    out: Counter = Counter()
    for row, n in results.items():
        bindings = json.loads(row)
        for term in bindings.values():
            if term.get("datatype") in INTEGER_TYPES:
                term["datatype"] = XSD + "integer"
        out[json.dumps(bindings, sort_keys=True)] += n
    return out


def test_push_loads_every_graph(pushed: str, virtuoso: Store, release) -> None:
    info = read_release(release.path)
    assert f"pushed release {info.id}" in pushed
    held = {r["g"]: int(r["n"]) for r in virtuoso.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "
        f'"{BASE}graph/")) }} GROUP BY ?g')}
    assert set(info.graphs) <= set(held) and held[f"{BASE}graph/ilograph-merge"] == info.triples
    assert not [g for g in held if "ilograph-staging" in g]


#: Answers where Virtuoso differs from the expected results beyond the datatypes above: the reason,
#: and whether every run shows it (then the xfail is strict: it fails once Virtuoso answers right).
KNOWN = {
    "cq-09-copac-chairmanships": (("Virtuoso writes the xsd:boolean true as \"1\" and the xsd:duration P2Y as "
                                   "\"24\" (a number of months, not a lexical form of xsd:duration)"), True),
    "cq-23-sources-per-resource": (("Virtuoso gives the 'About us' page a ?date from OPTIONAL { ?doc dcterms:date "
                                    "?date } though the data give it none, in some runs and not others (a wrong "
                                    "answer to OPTIONAL under GROUP BY)"), False),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n][0], strict=KNOWN[n][1]))
                                  if n in KNOWN else n for n in NAMES])
def test_named_query_gives_the_expected_answers(remote: Server, name: str) -> None:
    expected = json.loads((EXPECTED / f"{name}.srj").read_text(encoding="utf-8"))
    r = httpx.get(f"{remote.url}/queries/{name}", params={"format": "json"}, timeout=60)
    assert r.status_code == 200, r.text
    if "boolean" in expected:
        assert r.json()["boolean"] == expected["boolean"]
        return
    mine = rows(r.content)
    theirs = Counter(json.dumps(row, sort_keys=True) for row in expected["results"]["bindings"])
    if mine != theirs and as_integer(mine) == theirs:
        pytest.xfail("Virtuoso keeps the datatypes derived from xsd:integer (xsd:positiveInteger, ...) that "
                     "Oxigraph answers as xsd:integer; the values are the same")
    assert mine == theirs, (f"only from Virtuoso: {sorted((mine - theirs).elements())}\n"
                            f"only expected: {sorted((theirs - mine).elements())}")


def test_an_update_request_is_not_all_or_nothing_on_virtuoso(virtuoso: Store) -> None:
    """What makes the switch non-atomic on Virtuoso: when an operation of an update request fails,
    the operations before it stay done (Oxigraph undoes the whole request)."""
    request = (f"INSERT DATA {{ GRAPH <{BASE}graph/test-a> {{ <{BASE}id/x> <{BASE}def#p> 1 }} }} ;\n"
               f"CREATE GRAPH <{BASE}graph/test-a>")
    r = httpx.post(virtuoso.query, content=request.encode(), headers={"content-type": "application/sparql-update"},
                   timeout=30)
    assert r.status_code >= 400  # the CREATE fails: the graph exists
    left = virtuoso.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/test-a> {{ ?s ?p ?o }} }}")
    assert int(left[0]["n"]) == 1  # ... and the INSERT before it was kept


def test_a_syntax_error_says_where(remote: Server) -> None:
    r = httpx.post(remote.url + "/sparql", data={"query": "SELECT *\nWHERE { ?s ?p ?o . FILTER(?x = ) }"}, timeout=30)
    assert r.status_code == 400 and "line 2" in r.text and "syntax error at ')'" in r.text
    assert "BASE" not in r.text and "Traceback" not in r.text


def test_refusals_never_reach_virtuoso(remote: Server, virtuoso: Store) -> None:
    before = virtuoso.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    for data, status in (({"update": "CLEAR ALL"}, 403), ({"query": "DROP ALL"}, 403),
                         ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"}, 400)):
        assert httpx.post(remote.url + "/sparql", data=data, timeout=30).status_code == status
    assert virtuoso.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == before
