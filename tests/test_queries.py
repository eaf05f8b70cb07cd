"""Every competency query against its expected result, kept as a file (compared as multisets).

Regenerate deliberately with ``pytest tests/test_queries.py --update-expected`` and review the diff.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from ilograph.query import execute, named_queries, read_query
from tests.conftest import ROOT

EXPECTED = ROOT / "tests" / "expected"
QUERIES = sorted((ROOT / "queries").glob("*.rq"))


def _canonical(result) -> object:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    data = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
    return data


def _multiset(results: dict) -> Counter:
    rows = results["results"]["bindings"]
    return Counter(json.dumps(r, sort_keys=True) for r in rows)


def test_there_are_enough_competency_questions(project):
    queries = named_queries(project)
    assert len(queries) >= 15
    for q in queries:
        assert q.question and q.question != q.name, f"{q.path}: give the question in the first comment line"
        assert q.question.endswith("?"), f"{q.path}: the first comment line should be a question"


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_competency_query(sources, path: Path, request):
    query = read_query(path)
    result = execute(sources.store, query.text, base_iri=sources.project.base)
    expected_path = EXPECTED / f"{path.stem}.srj"
    if isinstance(result, ox.QueryTriples):
        pytest.fail("competency queries are SELECT or ASK")
    actual = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
    if request.config.getoption("--update-expected"):
        expected_path.write_text(json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    assert expected_path.exists(), f"no expected result: create {expected_path} (--update-expected)"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    if "boolean" in expected:
        assert actual.get("boolean") == expected["boolean"]
        return
    assert sorted(actual["head"]["vars"]) == sorted(expected["head"]["vars"])
    assert actual["results"]["bindings"], f"{path.stem} returns no row: a question should have an answer"
    assert _multiset(actual) == _multiset(expected)


def test_xml_formats_keep_carriage_returns() -> None:
    """A literal's carriage returns survive `ilograph query --format xml|rdfxml`: written as
    character references, since an XML parser reads a raw one as a line end."""
    import io

    import pyoxigraph as ox
    import rdflib
    from rdflib.query import Result

    from ilograph.query import serialize

    value = "a\rb\r\nc"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("https://e.org/x"), ox.NamedNode("https://e.org/p"), ox.Literal(value)))
    rows = Result.parse(io.BytesIO(serialize(store.query("SELECT ?o { ?s ?p ?o }"), "xml")), format="xml")
    assert [str(row[0]) for row in rows] == [value]
    graph = rdflib.Graph().parse(data=serialize(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "rdfxml"), format="xml")
    assert [str(o) for o in graph.objects()] == [value]
