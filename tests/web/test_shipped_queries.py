"""The shipped project's named queries answered through the service (in-process app over the
release the top-level fixtures build) give exactly the results in ``tests/expected/``, so the
endpoint and ``ilograph query`` cannot drift apart."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ilograph.query import named_queries
from ilograph.store import InProcessStore, read_release
from ilograph.web import Settings, create_app

from .conftest import ROOT
from .test_app import call

EXPECTED = ROOT / "tests" / "expected"


def multiset(document: dict) -> object:
    if "boolean" in document:
        return document["boolean"]
    return Counter(json.dumps(b, sort_keys=True) for b in document["results"]["bindings"])


@pytest.fixture(scope="module")
def shipped_app(project, release):
    store = InProcessStore(read_release(Path(release.path)))
    return create_app(Settings(), store, queries=named_queries(project))


def test_named_queries_match_the_expected_results(shipped_app, project) -> None:
    checked = 0
    for named in named_queries(project):
        expected = EXPECTED / f"{named.name}.srj"
        if not expected.is_file():
            continue
        r = call(shipped_app, "GET", f"/queries/{named.name}", headers={"accept": "application/sparql-results+json"})
        assert r.status_code == 200, (named.name, r.text)
        assert multiset(r.json()) == multiset(json.loads(expected.read_text(encoding="utf-8"))), named.name
        checked += 1
    assert checked > 0
