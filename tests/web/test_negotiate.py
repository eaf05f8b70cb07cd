"""Content negotiation: Accept with q-values, wildcards and specificity; the format parameter."""

from __future__ import annotations

import pytest

from ilograph.web.negotiate import NotAcceptable, UnknownFormat, choose, parse_accept

SPARQLWRAPPER_JSON = "application/sparql-results+json,application/json,text/javascript,application/javascript"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("form, accept, expected", [
    ("SELECT", None, "json"),
    ("SELECT", "", "json"),
    ("SELECT", "*/*", "json"),
    ("SELECT", "application/sparql-results+xml", "xml"),
    ("SELECT", "text/csv", "csv"),
    ("SELECT", "text/tab-separated-values", "tsv"),
    ("SELECT", "text/*", "csv"),
    ("SELECT", "text/csv;q=0.5, application/sparql-results+xml", "xml"),
    ("SELECT", "text/csv, application/sparql-results+xml", "csv"),  # equal q: the client's order
    ("SELECT", "application/sparql-results+json;q=0.1, */*;q=0.9", "xml"),  # exact type's q rules it
    ("SELECT", "text/csv; charset=utf-8", "csv"),
    ("SELECT", SPARQLWRAPPER_JSON, "json"),
    ("SELECT", BROWSER, "xml"),
    ("ASK", "application/sparql-results+xml, */*;q=0.1", "xml"),
    ("ASK", "text/csv, */*;q=0.1", "json"),
    ("CONSTRUCT", None, "turtle"),
    ("CONSTRUCT", "application/n-triples", "ntriples"),
    ("DESCRIBE", "application/ld+json", "jsonld"),
    ("DESCRIBE", "application/rdf+xml, text/turtle;q=0.9", "rdfxml"),
    ("CONSTRUCT", "application/rdf+xml;q=0.5, text/turtle;q=0.9", "turtle"),
    ("CONSTRUCT", "application/*", "ntriples"),
    (None, "text/turtle", "json"),  # an unknown form (a syntax error to come): any format will do
])
def test_accept(form: str | None, accept: str | None, expected: str) -> None:
    assert choose(form, accept, None).name == expected


@pytest.mark.parametrize("form, accept", [
    ("SELECT", "text/turtle"),
    ("SELECT", "image/png, text/html"),
    ("SELECT", "application/sparql-results+json;q=0"),
    ("ASK", "text/csv"),
    ("CONSTRUCT", "application/sparql-results+json"),
])
def test_not_acceptable(form: str, accept: str) -> None:
    with pytest.raises(NotAcceptable) as caught:
        choose(form, accept, None)
    assert "available as" in str(caught.value)


@pytest.mark.parametrize("form, param, expected", [
    ("SELECT", "csv", "csv"),
    ("SELECT", "TSV", "tsv"),
    ("SELECT", "application/sparql-results+xml", "xml"),
    ("CONSTRUCT", "jsonld", "jsonld"),
    ("DESCRIBE", "rdfxml", "rdfxml"),
    ("CONSTRUCT", "ntriples", "ntriples"),
])
def test_format_parameter_wins(form: str, param: str, expected: str) -> None:
    assert choose(form, "application/sparql-results+json, text/turtle", param).name == expected


def test_format_parameters_as_clients_send_them() -> None:
    """SPARQLWrapper sends format=xml for RDF/XML, and format=tsv&format=text/tab-separated-values."""
    assert choose("CONSTRUCT", "application/rdf+xml", ("xml",)).name == "rdfxml"
    assert choose("DESCRIBE", None, ("json",)).name == "jsonld"
    assert choose("SELECT", None, ("xml",)).name == "xml"
    assert choose("SELECT", None, ("tsv", "text/tab-separated-values")).name == "tsv"
    assert choose("CONSTRUCT", None, ("csv", "", "turtle")).name == "turtle"


def test_format_parameter_errors() -> None:
    with pytest.raises(UnknownFormat):
        choose("SELECT", None, "yaml")
    with pytest.raises(NotAcceptable):
        choose("SELECT", None, "turtle")
    with pytest.raises(NotAcceptable):
        choose("ASK", None, "csv")


def test_parse_accept_tolerates_junk() -> None:
    assert parse_accept("garbage, text/csv;q=abc, */*;q=2") == [("text/csv", 1.0, 2), ("*/*", 1.0, 0)]
