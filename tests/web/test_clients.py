"""Independent SPARQL clients against a real server: SPARQLWrapper (Python) and Comunica
(JavaScript, run with node from ``tests/web/comunica``, installed by ``.ci/run`` with ``npm ci``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, QueryBadFormed

from .conftest import BASE, Server

SELECT = ("PREFIX ex: <https://example.org/g/def#>\n"
          "SELECT ?person ?age WHERE { ?person a ex:Person ; ex:age ?age } ORDER BY ?age LIMIT 3")
EXPECTED = [(f"{BASE}id/person/p{i:02d}", str(20 + i)) for i in range(3)]
CONSTRUCT = ("PREFIX ex: <https://example.org/g/def#>\n"
             "CONSTRUCT { ?a ex:knows ?b } WHERE { <https://example.org/g/id/person/p01> ex:knows ?b BIND(<https://example.org/g/id/person/p01> AS ?a) }")
COMUNICA = Path(__file__).parent / "comunica"


def wrapper(server: Server, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_select_json(server: Server, method: str | None) -> None:
    result = wrapper(server, SELECT, JSON, method).queryAndConvert()
    assert [(b["person"]["value"], b["age"]["value"]) for b in result["results"]["bindings"]] == EXPECTED


def test_sparqlwrapper_select_xml_csv_tsv(server: Server) -> None:
    xml = wrapper(server, SELECT, XML).queryAndConvert()
    assert len(xml.getElementsByTagName("result")) == 3
    for fmt, sep in ((CSV, ","), (TSV, "\t")):
        text = wrapper(server, SELECT, fmt).queryAndConvert().decode()
        assert len(text.strip().splitlines()) == 4 and sep in text.splitlines()[0]


def test_sparqlwrapper_ask_and_construct(server: Server) -> None:
    assert wrapper(server, "ASK { ?s ?p ?o }", JSON).queryAndConvert()["boolean"] is True
    graph = wrapper(server, CONSTRUCT, TURTLE).queryAndConvert()
    parsed = rdflib.Graph().parse(data=graph, format="turtle")
    assert len(parsed) == 2
    rdfxml = wrapper(server, CONSTRUCT, XML).queryAndConvert()  # SPARQLWrapper parses RDF/XML itself
    assert len(rdfxml) == 2


def test_sparqlwrapper_errors(server: Server) -> None:
    with pytest.raises(QueryBadFormed) as caught:
        wrapper(server, "SELECT * WHERE { ?s ?p }", JSON).queryAndConvert()
    assert "syntax error" in str(caught.value)
    with pytest.raises(Exception) as refused:  # 403: SPARQLWrapper has no class of its own for it
        wrapper(server, "INSERT DATA { <http://a> <http://b> <http://c> }", JSON, POST).query()
    assert "403" in str(refused.value) or "read-only" in str(refused.value)
    assert not isinstance(refused.value, EndPointInternalError)


def comunica(server: Server, query: str) -> object:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (COMUNICA / "node_modules" / "@comunica" / "query-sparql").is_dir():
        pytest.skip(f"Comunica is not installed: run `npm ci --prefix {COMUNICA}` (.ci/run does)")
    done = subprocess.run(["node", "query.mjs", server.sparql, query], cwd=COMUNICA, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_comunica_select(server: Server) -> None:
    rows = comunica(server, SELECT)
    assert [(r["person"], r["age"]) for r in rows] == EXPECTED


def test_comunica_ask_and_construct(server: Server) -> None:
    assert comunica(server, "ASK { <https://example.org/g/id/person/p01> ?p ?o }") is True
    triples = comunica(server, CONSTRUCT)
    assert sorted(t[2] for t in triples) == [f"{BASE}id/person/p02", f"{BASE}id/person/p08"]
