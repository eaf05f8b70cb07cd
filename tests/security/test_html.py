"""HTML safety on the live server and in the static site, for a project whose data is hostile (issue
5, item 5): literals, language tags, datatypes and IRIs containing ``</script>``, ``onerror=``, bidi
controls, ``javascript:``/``data:`` IRIs are escaped on every page and never clickable; the
embedded JSON-LD escapes ``<``; error pages are escaped, with no stack trace; answers carry
``X-Content-Type-Options: nosniff``, pages a Content-Security-Policy without script, negotiated
answers ``Vary: Accept``; resource paths containing ``>``, ``}``, ``"`` or ``%3E`` are 404 or 400
and never reach SPARQL as text. (``tests/pages/test_escaping.py`` covers the pages library over a
leniently parsed store; this goes through a real build, the real server and the written site.)"""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import httpx
import pytest

from tests.pages.conftest import parse_page
from tests.web.conftest import Server

from .conftest import HOSTILE, assert_alive
from .test_parser_bombs import raw_request

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
HOSTILE_QUERY = ('# </textarea></script><script>alert("q")</script>\n'
                 f'SELECT * WHERE {{ <{HOSTILE}x> ?p ?o FILTER(?o != "</script><img src=x onerror=alert(1)>") }}')


def pages_of(c: httpx.Client) -> dict[str, httpx.Response]:
    html = {"accept": "text/html"}
    found = {
        "home": c.get("/", headers=html),
        "home fr": c.get("/?lang=fr", headers=html),
        "vocabulary": c.get("/def.html"),
        "downloads": c.get("/download/", headers=html),
        "search": c.get("/search", params={"q": "<script>alert(1)</script>"}, headers=html),
        "search hostile": c.get("/search", params={"q": "script"}, headers=html),
        "x": c.get("/id/hostile/x.html"),
        "x fr": c.get("/id/hostile/x.html", params={"lang": "fr"}),
        "x es": c.get("/id/hostile/x.html", params={"lang": "es"}),
        "x lang hostile": c.get("/id/hostile/x.html", params={"lang": '"><script>alert(1)</script>'}),
        "y": c.get("/id/hostile/y.html"),
        "long": c.get("/id/hostile/long.html"),
        "query page": c.get("/sparql", headers=html),
        "result page": c.get("/sparql", params={"query": HOSTILE_QUERY, "format": "html"}, headers=html),
        "error page 404": c.get("/id/hostile/%3Cscript%3Ealert(1)%3C/script%3E.html", headers=html),
        "error page 404 quotes": c.get('/id/hostile/x"onmouseover="alert(1).html', headers=html),
        "error page 400": c.get("/sparql", params={"query": "SELECT * { </script><script>alert(1)</script>",
                                                   "format": "html"}, headers=html),
    }
    return found


@pytest.fixture(scope="module")
def live_pages(http: httpx.Client) -> dict[str, httpx.Response]:
    if http.get("/id/hostile/x.html").status_code == 404:
        pytest.skip("this server has no pages yet (no /id/ route): the static site is checked below")
    return pages_of(http)


def check_page(name: str, text: str) -> None:
    """Nothing in ``text`` runs or links anywhere dangerous, and every script is JSON-LD data."""
    page = parse_page(text)  # well-formed: no value closed an element early
    lowered = text.lower()
    for tag in re.findall(r"<script\b[^>]*>", lowered):  # JSON-LD data, or the site's own script file
        assert 'type="application/ld+json"' in tag or re.fullmatch(r'<script src="/static/[a-z0-9.-]+\.js"( defer)?>',
                                                                    tag), (name, tag)
    assert "<script>alert" not in lowered and "<img" not in lowered and "<svg/onload" not in lowered, name
    assert "<svg onload" not in lowered and "<iframe" not in lowered and "<object" not in lowered, name
    for tag in re.findall(r"<[a-z][a-z0-9]*\s[^>]*>", text, re.IGNORECASE):
        assert not re.search(r"[\s\"'/]on[a-z]+\s*=", tag, re.IGNORECASE), (name, tag)
        assert "autofocus" not in tag.lower(), (name, tag)
    for _, href in page.links:
        target = re.sub(r"[\s\x00-\x1f]", "", htmllib.unescape(href)).lower()
        assert not target.startswith(("javascript:", "data:", "vbscript:", "file:")), (name, href)
    for attribute in re.findall(r"\s(?:src|action|formaction|srcset|poster|background)\s*=\s*[\"']?([^\"'\s>]*)", text,
                                re.IGNORECASE):
        target = htmllib.unescape(attribute).strip().lower()
        assert not target.startswith(("javascript:", "data:text", "vbscript:")), (name, attribute)
    assert not any(c in text for c in BIDI), (name, [hex(ord(c)) for c in BIDI if c in text])
    for kind, data in page.scripts:
        if kind != "application/ld+json":
            assert not data.strip(), (name, "an inline script", data[:200])
            continue
        assert "</script" not in data.lower() and "<!--" not in data and "<" not in data, (name, data[:200])
        json.loads(data)
    assert "Traceback" not in text and 'File "/' not in text and "site-packages" not in text, name


# --- the live server ------------------------------------------------------------------------

def test_live_pages_escape_everything(live_pages: dict[str, httpx.Response]) -> None:
    for name, r in live_pages.items():
        if name.startswith("error page"):
            assert r.status_code in (400, 404), (name, r.status_code)
        else:
            assert r.status_code == 200, (name, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("text/html"), (name, r.headers["content-type"])
        check_page(name, r.text)


def test_live_hostile_values_are_shown_as_text(live_pages: dict[str, httpx.Response]) -> None:
    x = live_pages["x"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in x
    assert "javascript:alert(6)" in x and "data:text/html" in x  # shown, as text, not linked
    assert 'lang="en-x-evil"' in x
    assert "%3C%2Fscript%3E" in x or "&lt;/script&gt;" in x  # the datatype IRI, as text
    fr = live_pages["x fr"].text
    assert "&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in fr
    result = live_pages["result page"].text
    assert "&lt;/textarea&gt;&lt;/script&gt;&lt;script&gt;alert(" in result, result[:3000]
    error = live_pages["error page 404"].text
    assert "&lt;script&gt;" in error or "%3Cscript%3E" in error
    ld = json.loads(parse_page(x).scripts[0][1])
    assert "<script>alert(1)</script>" in json.dumps(ld, ensure_ascii=False)  # the same data, escaped as JSON


def test_live_security_headers(http: httpx.Client, live_pages: dict[str, httpx.Response]) -> None:
    for name, r in live_pages.items():
        assert r.headers.get("x-content-type-options") == "nosniff", name
        policy = r.headers.get("content-security-policy", "")
        assert policy, (name, "no Content-Security-Policy")
        directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
        script = directives.get("script-src", directives.get("default-src", ""))
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "*" not in script, (name, policy)
        assert "'none'" in directives.get("default-src", "") or "script-src" in directives, (name, policy)
        assert "frame-ancestors" in directives, (name, policy)
    others = {
        "results": http.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}),
        "turtle": http.get("/id/hostile/x.ttl"),
        "plain 404": http.get("/nowhere/at/all"),
        "plain 400": http.get("/sparql", params={"query": "SELECT"}),
        "stylesheet": http.get("/static/ilograph.css"),
        "303": http.get("/id/hostile/x", headers={"accept": "text/html"}),
    }
    for name, r in others.items():
        assert r.headers.get("x-content-type-options") == "nosniff", name
    assert "accept" in others["303"].headers.get("vary", "").lower()
    assert "accept" in others["results"].headers.get("vary", "").lower()
    assert others["stylesheet"].headers["content-type"].startswith("text/css")


def test_live_error_pages_have_no_stack_trace(http: httpx.Client) -> None:
    for path in ("/id/hostile/%00", "/id/hostile/x.html?lang=%FF", "/search?q=%ED%A0%80", "/download/..%2F..%2Fetc%2Fpasswd",
                 "/id/hostile/x.unknown", "/def.exe"):
        for accept in ("text/html", "*/*", "application/json"):
            r = http.get(path, headers={"accept": accept})
            assert 400 <= r.status_code < 500, (path, accept, r.status_code)
            assert "Traceback" not in r.text and 'File "/' not in r.text and "root:x:0:0" not in r.text, (path, r.text)


EVIL_PATHS = [
    b"/id/hostile/x>", b"/id/hostile/x%3E", b"/id/hostile/x%3e", b"/id/hostile/x}", b"/id/hostile/x%7D",
    b'/id/hostile/x"', b"/id/hostile/x%22", b"/id/hostile/x<", b"/id/hostile/x%3C", b"/id/hostile/x%20",
    b"/id/hostile/x%0A", b"/id/hostile/x%00", b"/id/hostile/x\\", b"/id/hostile/x%5C", b"/id/hostile/x{",
    b"/id/hostile/x|", b"/id/hostile/x^", b"/id/hostile/x`",
    b"/id/hostile/x%3E%20%3Fp%20%3Fo%20%7D%20UNION%20%7B%20%3Fs%20%3Fp%20%3Fo",
    b"/id/hostile/x%3E%20.%20BIND(%3Chttps://w3id.org/ilograph/id/hostile/x",
    b"/id/hostile/x%3E.html", b"/id/hostile/x%22.ttl", b"/id/hostile/x%7D.jsonld", b"/id/%2e%2e/%2e%2e/etc/passwd",
    b"/id/hostile/x%3E%3Chttps://w3id.org/ilograph/id/hostile/y",
]


@pytest.mark.parametrize("path", EVIL_PATHS, ids=[p.decode() for p in EVIL_PATHS])
def test_resource_paths_that_cannot_be_iris_are_404_or_400(target: Server, http: httpx.Client, path: bytes) -> None:
    if http.get("/id/hostile/x.html").status_code == 404:
        pytest.skip("this server has no pages yet (no /id/ route)")
    for accept in (b"text/html", b"text/turtle", b"*/*"):
        status, body = raw_request(target, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + accept
                                   + b"\r\nConnection: close\r\n\r\n")
        assert status in (400, 404), (path, accept, status, body[:300])
        text = body.decode("utf-8", "replace")
        assert "Traceback" not in text and "root:x:0:0" not in text
        assert "<script" not in text.split("\r\n\r\n", 1)[-1].replace('<script type="application/ld+json">', "")


def test_alive_after_the_pages(target: Server) -> None:
    assert_alive(target)


# --- the static site ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_site(sec_release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ilograph.site import write_site

    out = tmp_path_factory.mktemp("hostile-site") / "site"
    write_site(sec_release.path, out)
    return out


def test_the_static_site_escapes_everything(hostile_site: Path) -> None:
    pages = sorted(hostile_site.rglob("*.html"))
    assert any("hostile" in str(p) for p in pages)
    for path in pages:
        check_page(str(path.relative_to(hostile_site)), path.read_text(encoding="utf-8"))


def test_the_static_site_server_rules_send_the_security_headers(hostile_site: Path) -> None:
    htaccess = (hostile_site / ".htaccess").read_text(encoding="utf-8")
    nginx = (hostile_site / "nginx.conf").read_text(encoding="utf-8")
    assert "X-Content-Type-Options nosniff" in htaccess and "X-Content-Type-Options nosniff" in nginx
    assert "Vary" in htaccess and "Vary" in nginx or "vary" in nginx.lower()
