"""Query classification and refusal, from tokens (no server, no store)."""

from __future__ import annotations

import pytest

from ilograph.web.guard import RefusedQuery, inspect

BASE = "https://example.org/g/"


@pytest.mark.parametrize("text, form", [
    ("SELECT * {}", "SELECT"),
    ("select * where { ?s ?p ?o }", "SELECT"),
    ("PREFIX ex: <http://e/>\nBASE <http://b/>\n# comment ASK\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("DESCRIBE <http://e/x>", "DESCRIBE"),
    ("ask{}", "ASK"),
    ("SELEKT * {}", None),  # not a query: the engine's parser reports where
    ("PREFIX : <http://e/> :a :b :c", None),
])
def test_form(text: str, form: str | None) -> None:
    assert inspect(text, base=BASE).form == form


@pytest.mark.parametrize("text", [
    'SELECT * { ?s ?p "SERVICE <http://127.0.0.1:1/> { }" }',
    "SELECT * { ?s ?p '''LOAD <http://x/>''' }",
    "SELECT * { ?s <http://e/SERVICE> ?o }",
    "PREFIX SERVICE: <http://e/>\nSELECT * { ?s SERVICE:LOAD ?o }",
    "SELECT ?service ?load { ?service ?load ?insert }  # SERVICE in a comment, DELETE too",
    'SELECT * { ?s ?p ?o FILTER(CONTAINS(?o, "insert data")) }',
    "SELECT * { ?s ?p ?o } LIMIT 1",
    "SELECT * { ?s ?p ?o FILTER(?o<3||?o>5) }",
])
def test_keywords_inside_strings_iris_names_and_comments_are_not_keywords(text: str) -> None:
    inspect(text, base=BASE)


@pytest.mark.parametrize("text, kind", [
    ("SELECT * { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", "fetch"),
    ("SELECT * { service silent ?endpoint { ?s ?p ?o } }", "fetch"),
    ("SELECT * WHERE { ?s ?p ?o . SERVICE<http://x/>{} }", "fetch"),
    ("LOAD <http://127.0.0.1:1/data.ttl>", "fetch"),
    ("LOAD <file:///etc/passwd> INTO GRAPH <http://g/>", "fetch"),
    ("SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", "fetch"),
    ("PREFIX f: <file:///etc/>\nSELECT * FROM NAMED f:passwd { GRAPH ?g { ?s ?p ?o } }", "fetch"),
    ("INSERT DATA { <http://a> <http://b> <http://c> }", "update"),
    ("PREFIX ex: <http://e/> DELETE WHERE { ?s ?p ?o }", "update"),
    ("CLEAR ALL", "update"),
    ("DROP GRAPH <http://g/>", "update"),
    ("WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "update"),
    ("SELECT * {} ; INSERT DATA { <http://a> <http://b> <http://c> }", "update"),
    ("SELECT * { \\u0053ERVICE <http://x/> {} }", "lexical"),
    ('SELECT * { ?s ?p "unclosed }', "lexical"),
    ("SELECT * {" + "{" * 100 + "}" * 100 + "}", "complex"),
    ("SELECT * { FILTER(" + "(" * 100 + "1" + ")" * 100 + ") }", "complex"),
])
def test_refused(text: str, kind: str) -> None:
    with pytest.raises(RefusedQuery) as caught:
        inspect(text, base=BASE, max_depth=64)
    assert caught.value.kind == kind
    assert caught.value.line is not None and caught.value.column is not None


def test_refusal_says_where() -> None:
    with pytest.raises(RefusedQuery) as caught:
        inspect("SELECT *\nWHERE {\n  SERVICE <http://x/> { ?s ?p ?o }\n}", base=BASE)
    assert (caught.value.line, caught.value.column) == (3, 3)
    assert "line 3, column 3" in str(caught.value)


def test_from_clauses_are_resolved() -> None:
    seen = inspect("BASE <http://b/dir/>\nPREFIX g: <https://example.org/g/graph/>\n"
                   "SELECT * FROM <x> FROM g:people FROM NAMED <\\u0041> FROM NAMED g:w3c\\/data1 { ?s ?p ?o }",
                   base=BASE)
    assert seen.from_graphs == ("http://b/dir/x", "https://example.org/g/graph/people")
    assert seen.from_named == ("http://b/dir/A", "https://example.org/g/graph/w3c/data1")
    assert seen.has_dataset
    assert seen.prefixes == {"g": "https://example.org/g/graph/"}
    assert not inspect("SELECT * { ?s ?p ?o }", base=BASE).has_dataset


def test_prefixes_keep_their_hash() -> None:
    seen = inspect("PREFIX ex: <https://example.org/g/def#>\nPREFIX r: <#>\nSELECT * FROM ex:g {}", base=BASE)
    assert seen.prefixes == {"ex": "https://example.org/g/def#", "r": BASE + "#"}
    assert seen.from_graphs == ("https://example.org/g/def#g",)


def test_relative_from_uses_the_service_base() -> None:
    assert inspect("SELECT * FROM <graph/people> {}", base=BASE).from_graphs == ("https://example.org/g/graph/people",)


def test_normalized_ignores_layout_and_comments() -> None:
    a = inspect("SELECT ?s\n  WHERE { ?s ?p ?o }  # all of them", base=BASE).normalized
    b = inspect("SELECT ?s WHERE {?s ?p ?o}", base=BASE).normalized
    c = inspect('SELECT ?s WHERE { ?s ?p "?o" }', base=BASE).normalized
    assert a == b != c


@pytest.mark.parametrize("text, limit", [
    ("SELECT * { ?s ?p ?o } LIMIT 10", 10),
    ("SELECT * { ?s ?p ?o } OFFSET 5 LIMIT 7", 7),
    ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 3 } }", None),
    ("SELECT * { ?s ?p ?o }", None),
])
def test_outermost_limit(text: str, limit: int | None) -> None:
    assert inspect(text, base=BASE).limit == limit


def test_uses_graph() -> None:
    assert inspect("SELECT * { GRAPH ?g { ?s ?p ?o } }", base=BASE).uses_graph
    assert not inspect('SELECT * { ?s ?p "GRAPH" } # GRAPH', base=BASE).uses_graph
