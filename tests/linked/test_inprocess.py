"""The publication's routes in-process (httpx's ASGI transport): what a real server cannot be made
to do on purpose, such as a page that fails while it is drawn."""

from __future__ import annotations

import pytest

from ilograph.store import InProcessStore, read_release
from ilograph.web import Settings, create_app

from ..web.test_app import call
from .conftest import BROWSER


@pytest.fixture(scope="module")
def app(release, publication):
    return create_app(Settings(cache_entries=0), InProcessStore(read_release(release.path)), publication=publication)


def test_a_failing_page_is_a_500_without_a_traceback(app, monkeypatch, capsys) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail <b>from the inside</b>")

    monkeypatch.setattr("ilograph.web.linked.render_resource", broken)
    for accept, media in ((BROWSER, "text/html; charset=utf-8"), ("*/*", "text/plain; charset=utf-8")):
        r = call(app, "GET", "/id/unit/coop.html", headers={"accept": accept})
        assert r.status_code == 500 and r.headers["content-type"] == media
        assert "secret" not in r.text and "Traceback" not in r.text and "<b>" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "RuntimeError: secret detail" in capsys.readouterr().err  # the log keeps it


def test_a_query_string_that_is_not_utf8(app) -> None:
    r = call(app, "GET", "/id/unit/coop.html?lang=%FF", headers={"accept": BROWSER})
    assert r.status_code == 400 and "UTF-8" in r.text
