"""The guard's limits, without a server (issue 5, items 3 and 4): a budget of terms and operators
(flat chains the engine turns into deep trees), LIMIT and OFFSET that the engine can hold, and
numbers too long for Python's int conversion, which used to escape as a 500."""

from __future__ import annotations

import pytest

from ilograph.web.guard import MAX_SLICE, MAX_TERMS, RefusedQuery, inspect

BASE = "https://example.org/g/"


def refused(text: str) -> RefusedQuery:
    with pytest.raises(RefusedQuery) as caught:
        inspect(text, base=BASE)
    return caught.value


@pytest.mark.parametrize("text", [
    "SELECT * { {} " + "UNION {} " * 2_000 + "}",
    "ASK { FILTER(" + "!" * 5_000 + "true) }",
    "DESCRIBE " + "<http://e/x> " * (MAX_TERMS + 1),
    "SELECT * { ?s <http://e/p> " + ",".join(["1"] * 3_000) + " }",
])
def test_more_terms_than_the_budget_are_refused(text: str) -> None:
    error = refused(text)
    assert error.kind == "complex" and "terms and operators" in str(error) and error.line == 1


def test_values_data_is_not_counted() -> None:
    rows = " ".join(f"<http://e/{i}>" for i in range(20_000))
    assert inspect(f"SELECT * {{ VALUES ?x {{ {rows} }} ?x ?p ?o }}", base=BASE).form == "SELECT"
    pairs = " ".join(f"({i} {i})" for i in range(20_000))
    assert inspect(f"SELECT * {{ ?s ?p ?o }} VALUES (?a ?b) {{ {pairs} }}", base=BASE).form == "SELECT"
    # what follows a VALUES block is counted again
    error = refused(f"SELECT * {{ VALUES ?x {{ {rows} }} " + "FILTER(true) " * MAX_TERMS + "}")
    assert error.kind == "complex"


@pytest.mark.parametrize("text, limit", [
    ("SELECT * {} LIMIT 0", 0),
    ("SELECT * {} LIMIT 10 OFFSET 5", 10),
    (f"SELECT * {{}} OFFSET {MAX_SLICE} LIMIT {MAX_SLICE}", MAX_SLICE),
    ("SELECT * {} LIMIT " + "0" * 5_000 + "7", 7),
    ("SELECT * { { SELECT * {} LIMIT 3 } } LIMIT 2", 2),
])
def test_limits_and_offsets_that_fit(text: str, limit: int) -> None:
    assert inspect(text, base=BASE).limit == limit


@pytest.mark.parametrize("text, says", [
    ("SELECT * {} LIMIT 9223372036854775808", "'9223372036854775808'"),
    ("SELECT * {} OFFSET 99999999999999999999999999", "'99999999999999999999999999'"),
    ("SELECT * {} LIMIT " + "1" * 5_000, "'111111111111"),
    ("SELECT * {} OFFSET " + "9" * 100_000, "'99999999999"),
    ("SELECT * {} LIMIT -1", "a negative number"),
    ("SELECT * {} OFFSET -0", "a negative number"),
    ("SELECT * {} LIMIT abc", "'abc'"),
    ("SELECT * {} LIMIT 1.5", "'1.5'"),
    ("SELECT * {} LIMIT 1e3", "'1e3'"),
    ("SELECT * {} LIMIT ?x", "'?x'"),
    ("SELECT * {} LIMIT", "nothing"),
    ("SELECT * { { SELECT * {} OFFSET -3 } }", "a negative number"),
])
def test_limits_and_offsets_that_do_not_fit_are_refused_with_a_message(text: str, says: str) -> None:
    error = refused(text)
    assert error.kind == "lexical"
    assert "takes a whole number from 0 to 9223372036854775807" in str(error) and says in str(error), str(error)


def test_the_character_message_reads_well() -> None:
    assert "unexpected character '\\x00'" in str(refused("ASK {\x00}"))
