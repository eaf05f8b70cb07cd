"""Fixtures of the page tests: the shipped release opened for publication, its static site
written once, that site served by Python's plain file server on 127.0.0.1, and a checker that
parses a page with ``html.parser`` (well-formed nesting, title, links, ids, scripts)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ilograph.pages import Publication
from ilograph.site import write_site

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: elements HTML closes implicitly, which the checker therefore accepts unclosed
OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "option"}


@dataclass
class Page:
    """What a page contains, as html.parser reads it."""

    html: str
    lang: str = ""
    title: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, href) of a, link
    ids: set[str] = field(default_factory=set)
    scripts: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    text: list[str] = field(default_factory=list)

    @property
    def hrefs(self) -> list[str]:
        return [h for tag, h in self.links if tag == "a"]


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page("")
        self.stack: list[str] = []
        self.in_title = False
        self.script: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.page.lang = a.get("lang") or ""
        if tag in ("a", "link") and "href" in a:
            self.page.links.append((tag, a["href"] or ""))
        if a.get("id"):
            assert a["id"] not in self.page.ids, f"duplicate id {a['id']!r}"
            self.page.ids.add(a["id"])
        if tag == "title" and "svg" not in self.stack:
            self.in_title = True
        if tag == "script":
            self.script = (a.get("type") or "", [])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        saved = list(self.stack)
        self.handle_starttag(tag, attrs)
        self.stack = saved

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack and self.stack[-1] != tag and self.stack[-1] in OPTIONAL_END:
            self.stack.pop()
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        if tag == "title":
            self.in_title = False
        if tag == "script" and self.script is not None:
            self.page.scripts.append((self.script[0], "".join(self.script[1])))
            self.script = None

    def handle_data(self, data):
        if self.in_title:
            self.page.title += data
        if self.script is not None:
            self.script[1].append(data)
        self.page.text.append(data)


def parse_page(html: str) -> Page:
    """Parse ``html``; fails the test when elements are badly nested or left open."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    remaining = [t for t in checker.stack if t not in OPTIONAL_END]
    assert not remaining, f"elements left open: {remaining}"
    checker.page.html = html
    return checker.page


@pytest.fixture(scope="session")
def pub(release) -> Publication:
    return Publication.open(release.path)


@pytest.fixture(scope="session")
def site(release, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    write_site(release.path, out)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def served_site(site) -> Iterator[str]:
    """The static site served by Python's http.server (no content negotiation) on 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
