"""Parser bombs and deep input against a real server (issue 5, item 3): deep nesting, long flat
chains, megabytes of escapes, bad UTF-8, NUL bytes, lone surrogates, oversized bodies and headers.
Each is a fast 4xx with a readable body (never a 500, never a traceback), and the server is alive
and quick afterwards. The build side (entity expansion, huge literals, deep collections) is in
``test_build_bombs.py``."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.web.conftest import Server

from .conftest import assert_alive, assert_refused

QUERY = "application/sparql-query"
FORM = "application/x-www-form-urlencoded"


def post(server: Server, body: bytes | str, content_type: str = QUERY, **headers: str) -> httpx.Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return httpx.post(server.sparql, content=data, headers={"content-type": content_type, **headers}, timeout=60)


def chain(n: int) -> dict[str, str]:
    """Flat queries (no nesting) whose algebra is a tree ``n`` deep: before the guard counted
    terms, 3,000 to 10,000 links crashed a worker (SIGSEGV: the engine's stack) or held it for
    seconds."""
    return {
        "union": "SELECT * { {} " + "UNION {} " * n + "}",
        "optional": "SELECT * { " + "OPTIONAL {} " * n + "}",
        "minus": "SELECT * { " + "MINUS {} " * n + "}",
        "bind": "SELECT * { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(n)) + " }",
        "filter": "SELECT * { " + "FILTER(true) " * n + "}",
        "triples": "SELECT * { " + " ".join(f"?s{i} <http://e/p> ?o ." for i in range(n)) + " }",
        "objects": "SELECT * { ?s <http://e/p> " + ",".join(["1"] * n) + " }",
        "collection": "SELECT * { ?s <http://e/p> (" + " 1" * n + ") }",
        "path": "SELECT * { ?s " + "/".join(["<http://e/p>"] * n) + " ?o }",
        "not": "ASK { FILTER(" + "!" * n + "true) }",
        "and": "ASK { FILTER(true" + " && true" * n + ") }",
        "plus": "ASK { FILTER(1" + " + 1" * n + ") }",
        "project": "SELECT " + " ".join(f"(1 AS ?v{i})" for i in range(n)) + " {}",
        "describe": "DESCRIBE " + "<http://e/x> " * n,
    }


# --- nesting and chains ---------------------------------------------------------------------

@pytest.mark.parametrize("levels", [5_000, 100_000])
@pytest.mark.parametrize("shape", ["braces", "brackets", "parentheses", "mixed"])
def test_deep_nesting_is_refused_fast(target: Server, levels: int, shape: str) -> None:
    text = {
        "braces": "SELECT * WHERE " + "{" * levels + "}" * levels,
        "brackets": "SELECT * WHERE { ?s ?p " + "[ <http://e/p> " * levels + "1" + " ]" * levels + " }",
        "parentheses": "ASK { FILTER(" + "(" * levels + "1" + ")" * levels + ") }",
        "mixed": "SELECT * WHERE " + "{ OPTIONAL { FILTER((" * (levels // 4) + "1",
    }[shape]
    started = time.monotonic()
    r = post(target, text) if len(text) < 200_000 else post(target, text[:200_000])
    assert time.monotonic() - started < 2.0
    assert_refused(r, 400)
    assert "levels deep" in r.text or "terms and operators" in r.text, r.text


@pytest.mark.parametrize("shape", sorted(chain(1)))
def test_long_flat_chains_are_refused_fast(target: Server, shape: str) -> None:
    text = chain(10_000)[shape]
    started = time.monotonic()
    r = post(target, text)
    assert time.monotonic() - started < 2.0
    assert_refused(r, 400)
    assert "terms and operators" in r.text and "VALUES" in r.text, r.text
    assert_alive(target)


@pytest.mark.parametrize("shape", ["describe", "bind", "minus", "union", "not", "triples"])
def test_chains_just_under_the_limit_do_not_crash_a_worker(target: Server, shape: str) -> None:
    """Below the term limit the query runs: answered, or stopped at the deadline; a worker never
    dies (the engine runs in a thread with a large stack: on the main thread's 8 MiB, a DESCRIBE
    of 2,800 IRIs, well under the limit, killed the worker with SIGSEGV and was answered 500)."""
    size = {"describe": 2_800, "bind": 600, "minus": 1_300, "union": 1_300, "not": 3_900, "triples": 950}[shape]
    text = chain(size)[shape]
    r = post(target, text)
    assert r.status_code in (200, 504), (r.status_code, r.text[:300])
    assert "engine stopped" not in r.text
    assert_alive(target)


def test_a_get_of_10_kb_cannot_crash_a_worker(target: Server) -> None:
    r = httpx.get(target.sparql, params={"query": "ASK { FILTER(" + "!" * 10_000 + "true) }"}, timeout=30)
    assert_refused(r, 400)
    assert_alive(target)


def test_long_values_blocks_are_not_counted(target: Server) -> None:
    rows = " ".join(f"<{target.url}/v/{i}>" for i in range(8_000))
    r = post(target, f"SELECT (COUNT(*) AS ?n) {{ VALUES ?x {{ {rows} }} }}")
    assert r.status_code == 200, r.text[:300]
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "8000"


# --- escapes and encodings ------------------------------------------------------------------

def test_megabytes_of_unicode_escapes(target: Server) -> None:
    inside = "\\u0041" * 40_000  # 240 KB, under the body limit
    r = post(target, f'ASK {{ FILTER("{inside}" = "") }}')
    assert r.status_code == 200 and r.json()["boolean"] is False
    r = post(target, f'ASK {{ FILTER("{inside * 5}" = "") }}')  # 1.2 MB
    assert_refused(r, 413)
    escaped_iri = "<" + "\\u0041" * 40_000 + ">"
    r = post(target, f"ASK {{ {escaped_iri} ?p ?o }}")
    assert r.status_code in (200, 400), r.text[:300]
    assert_alive(target)


def test_megabytes_of_character_references_in_a_form(target: Server) -> None:
    body = "query=" + "%26%23x41%3B" * 100_000  # "&#x41;" a hundred thousand times, 1.2 MB
    r = post(target, body, FORM)
    assert_refused(r, 413)
    r = post(target, "query=" + httpx.QueryParams({"q": "ASK { FILTER(\"" + "&#x41;" * 20_000 + "\" = \"\") }"}).get("q"), FORM)
    assert r.status_code in (200, 400), r.text[:300]
    assert_alive(target)


@pytest.mark.parametrize("raw", [b"%FF", b"%C0%AF", b"%ED%A0%80", b"%F4%90%80%80", b"%E2%82"])
def test_bad_utf8_and_lone_surrogates_in_get(target: Server, raw: bytes) -> None:
    r = httpx.get(target.sparql + "?query=ASK%20%7B%20%3Fs%20%3Fp%20%27" + raw.decode() + "%27%20%7D", timeout=10)
    assert_refused(r, 400)


@pytest.mark.parametrize("raw", [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"])
def test_bad_utf8_and_lone_surrogates_in_post(target: Server, raw: bytes) -> None:
    assert_refused(post(target, b"ASK { ?s ?p '" + raw + b"' }"), 400)
    assert_refused(post(target, b"query=ASK%20%7B%7D&x=" + raw, FORM), 400)


def test_escaped_lone_surrogates_and_nul(target: Server) -> None:
    for text in ("ASK { ?s ?p '\\uD800' }", "ASK { ?s ?p '\\u0000' }", "ASK { <http://e/\\u0000> ?p ?o }",
                 "ASK { ?s ?p '\\U0010FFFF' }", "ASK { ?s ?p '\\U00110000' }"):
        r = post(target, text)
        assert r.status_code in (200, 400), (text, r.status_code, r.text[:300])
        if r.status_code == 400:
            assert_refused(r, 400)
    assert_alive(target)


@pytest.mark.parametrize("where", ["get", "form", "body"])
def test_nul_bytes(target: Server, where: str) -> None:
    if where == "get":
        r = httpx.get(target.sparql + "?query=ASK%20%7B%00%7D", timeout=10)
    elif where == "form":
        r = post(target, b"query=ASK%20%7B%00%7D", FORM)
    else:
        r = post(target, b"ASK {\x00}")
    assert_refused(r, 400)
    assert "character" in r.text


def test_nul_bytes_in_headers_and_path(target: Server) -> None:
    for raw in (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: a\x00b\r\n\r\n",
                b"GET /id/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /sp\x00arql HTTP/1.1\r\nHost: x\r\n\r\n"):
        status, body = raw_request(target, raw)
        assert status is None or 400 <= status < 500, (raw, status, body[:300])
    assert_alive(target)


# --- sizes ----------------------------------------------------------------------------------

def test_oversized_bodies_are_413(target: Server) -> None:
    for content_type, body in ((QUERY, b"ASK {}" + b" " * (10 << 20)), (FORM, b"query=" + b"A" * (3 << 20))):
        started = time.monotonic()
        r = post(target, body, content_type)
        assert_refused(r, 413)
        assert time.monotonic() - started < 5
    assert_alive(target)


def test_a_lying_content_length_is_refused(target: Server) -> None:
    status, body = raw_request(target, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                                       b"Content-Length: 99999999999\r\n\r\nASK {}")
    assert status is None or 400 <= status < 500, (status, body[:300])
    status, body = raw_request(target, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                                       b"Content-Length: -5\r\n\r\nASK {}")
    assert status is None or 400 <= status < 500, (status, body[:300])
    assert_alive(target)


def test_a_chunked_body_past_the_limit_is_413(target: Server) -> None:
    def chunks():
        for _ in range(64):
            yield b"#" * (64 * 1024)

    r = httpx.post(target.sparql, content=chunks(), headers={"content-type": QUERY}, timeout=30)
    assert_refused(r, 413)


def test_oversized_and_too_many_headers(target: Server) -> None:
    """Granian answers these itself (431, no body): a 4xx, and the server goes on."""
    for headers in ({"x-big": "a" * 1_000_000}, {f"x-h{i}": "v" for i in range(5_000)}):
        try:
            r = httpx.get(target.sparql, params={"query": "ASK {}"}, headers=headers, timeout=30)
        except httpx.HTTPError:
            continue  # the server may also close the connection
        assert 400 <= r.status_code < 500, r.status_code
        assert "Traceback" not in r.text
    assert_alive(target)


def test_a_long_url_is_414(target: Server) -> None:
    r = httpx.get(target.sparql, params={"query": "ASK {} #" + "x" * 60_000}, timeout=30)
    assert_refused(r, 414)
    status, _ = raw_request(target, b"GET /sparql?query=" + b"x" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status is None or 400 <= status < 500, status
    assert_alive(target)


def raw_request(server: Server, data: bytes) -> tuple[int | None, bytes]:
    """Send raw bytes; the status line's code (None if the server closed without an answer)."""
    host, port = server.url.removeprefix("http://").split(":")
    if b"\r\nconnection:" not in data.lower():
        line, _, rest = data.partition(b"\r\n")
        data = line + b"\r\nConnection: close\r\n" + rest
    with socket.create_connection((host, int(port)), timeout=10) as s:
        received = b""
        try:
            s.sendall(data)  # (no half-close: Granian drops a request whose client half-closed)
            while chunk := s.recv(65536):
                received += chunk
        except OSError:  # the server may close a connection it will not serve
            pass
    if not received.startswith(b"HTTP/"):
        return None, received
    return int(received.split(b" ", 2)[1]), received
