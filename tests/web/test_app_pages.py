"""The app in-process without a publication (as a service of any project starts before its pages
exist): the query page is there for browsers, ``/`` stays the JSON index, no page route answers,
and every answer carries ``nosniff``."""

from __future__ import annotations

import pytest

from ilograph.project import open_project
from ilograph.query import named_queries
from ilograph.store import InProcessStore
from ilograph.web import Settings, create_app

from .test_app import call

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def app(web_release, web_project):
    return create_app(Settings(max_rows=25, cache_entries=64), InProcessStore(web_release),
                      queries=named_queries(open_project(web_project)))


def test_query_page_without_publication(app) -> None:
    page = call(app, "GET", "/sparql", headers={"accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.text.count("data-example=") == 3
    result = call(app, "GET", "/sparql", params={"query": "SELECT ?p WHERE { ?p a <https://example.org/g/def#Person> } "
                                                 "ORDER BY ?p",
                                                 "format": "html"})
    assert result.status_code == 200 and 'class="truncated"' in result.text
    # no pages here: the dataset's IRIs link to themselves
    assert 'href="https://example.org/g/id/person/p00"' in result.text and 'href="/id/' not in result.text


def test_no_pages_without_publication(app) -> None:
    assert call(app, "GET", "/", headers={"accept": BROWSER}).headers["content-type"] == "application/json"
    for path in ("/id/person/p00", "/download/", "/.well-known/void"):
        r = call(app, "GET", path, headers={"accept": BROWSER})
        assert r.status_code == 404 and r.headers["content-type"] == "text/plain; charset=utf-8", path
        assert r.headers["x-content-type-options"] == "nosniff"
    assert call(app, "GET", "/static/query.js").headers["content-type"] == "text/javascript; charset=utf-8"
