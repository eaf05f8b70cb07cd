"""Fixtures of the security tests (issue 5): a small project with hostile data, generated in a
temporary folder (the repository's ontology, the web tests' people for volume, a file of literals
and IRIs that try to break out of HTML, a named query), its release, and one real
``ilograph serve`` on 127.0.0.1 for the whole session (2 s timeout, 2 workers); a TCP listener on
127.0.0.1 that records every connection; and a check that the server is still alive and quick.

Set ``ILOGRAPH_FULL=1`` to run the slow, full variants (marked with :data:`full`)."""

from __future__ import annotations

import os
import shutil
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import ONTOLOGY as PEOPLE_ONTOLOGY
from tests.web.conftest import Server, people_turtle, start_server

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://w3id.org/ilograph/"
HOSTILE = BASE + "id/hostile/"
FULL = os.environ.get("ILOGRAPH_FULL") == "1"
#: Marks a slow variant that only runs with ILOGRAPH_FULL=1.
full = pytest.mark.skipif(not FULL, reason="a slow variant: set ILOGRAPH_FULL=1 to run it")
#: A query that never ends on a few hundred triples (10^12 rows and more).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"

#: Literals, language tags, datatypes and IRIs that try to run script, add an event handler,
#: reorder text or link to a javascript:/data: IRI; all valid Turtle, so the build takes them.
HOSTILE_TTL = r"""@prefix ilo: <https://w3id.org/ilograph/def#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix h: <id/hostile/> .

h:x a ilo:Unit ;
    skos:prefLabel "<script>alert(1)</script> <img src=x onerror=alert(2)> \u202Egnp.exe"@en ,
        "</script><script>alert(3)</script>"@fr ;
    skos:altLabel "\" onmouseover=\"alert(4)"@en-x-evil , "' onfocus='alert(14)' autofocus x='"@es ;
    dcterms:description "isolates \u2066x\u2069, overrides \u202Bx\u202C, </textarea></title><!-- ]]> {{7*7}} ${7*7}"@en ;
    rdfs:comment "1"^^<http://example.org/dt/%3C%2Fscript%3E'onerror=alert(5)> ,
        "<svg/onload=alert(15)>"^^<javascript:alert(16)> ;
    rdfs:seeAlso <javascript:alert(6)> , <data:text/html,%3Cscript%3Ealert(7)%3C/script%3E> ,
        <vbscript:msgbox(8)> , <http://example.org/'onclick=alert(9)> , <JaVaScRiPt:alert(10)> ,
        <https://example.org/ok> ;
    rdfs:seeAlso h:y .

h:y a ilo:Unit ;
    rdfs:label "y</script><svg onload=alert(11)>"@en ;
    rdfs:seeAlso h:x .
"""

NAMED_QUERY = ("# Which units are there?\nPREFIX ilo: <https://w3id.org/ilograph/def#>\n"
               "SELECT ?unit WHERE { ?unit a ilo:Unit } ORDER BY ?unit\n")


def write_security_project(root: Path) -> Path:
    """The hostile project under ``root`` (returned)."""
    (root / "ontology").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "queries").mkdir()
    shutil.copyfile(ROOT / "ontology" / "ilograph.ttl", root / "ontology" / "ilograph.ttl")
    (root / "ontology" / "people.ttl").write_text(PEOPLE_ONTOLOGY, encoding="utf-8")
    (root / "ilograph.toml").write_text(f'[dataset]\nbase = "{BASE}"\ntitle = "Hostile </title><script>x</script>"\n',
                                        encoding="utf-8")
    (root / "data" / "people.ttl").write_text(people_turtle(), encoding="utf-8")
    (root / "data" / "hostile.ttl").write_text(HOSTILE_TTL, encoding="utf-8")
    (root / "data" / "long.ttl").write_text(  # for regular expressions: 20,000 a's and a "!"
        "@prefix ilo: <https://w3id.org/ilograph/def#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f'<id/hostile/long> a ilo:Unit ; rdfs:label "a long literal"@en ; rdfs:comment "{"a" * 20_000}!" .\n',
        encoding="utf-8")
    (root / "queries" / "cq-01-units.rq").write_text(NAMED_QUERY, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def sec_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_security_project(tmp_path_factory.mktemp("security") / "project")


@pytest.fixture(scope="session")
def sec_release(sec_project: Path):
    """The release of the hostile project, built once (the server reuses it)."""
    from ilograph.project import open_project
    from ilograph.release import build

    return build(open_project(sec_project))


@pytest.fixture(scope="session")
def target(sec_project: Path, sec_release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``ilograph serve`` of the hostile project: 2 s timeout, 2 workers. At the end of the
    session it must stop cleanly on Ctrl-C, and its log must hold no traceback (the app logs one
    for every 500 it answers)."""
    running = start_server(sec_project, tmp_path_factory.mktemp("logs") / "serve.log",
                           "--timeout", "2", "--workers", "2")
    yield running
    code = running.stop()
    assert code == 0, f"ilograph serve exited with {code} after Ctrl-C:\n{running.output()}"
    assert "Traceback" not in running.output(), running.output()


@pytest.fixture(scope="session")
def http(target: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=target.url, timeout=30, follow_redirects=False) as c:
        yield c


def assert_alive(server: Server, *, within: float = 1.0, attempts: int = 20) -> None:
    """The process runs and a cheap query is answered in under ``within`` seconds (a worker may be
    being replaced: a few attempts are allowed)."""
    assert server.process.poll() is None, f"the server died:\n{server.output()}"
    last = None
    for _ in range(attempts):
        started = time.monotonic()
        try:
            r = httpx.get(server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
        except httpx.HTTPError as exc:
            last = exc
        else:
            took = time.monotonic() - started
            if r.status_code == 200 and r.json()["boolean"] is True and took < within:
                return
            last = (r.status_code, took, r.text[:200])
        time.sleep(0.25)
    raise AssertionError(f"the server did not answer a cheap query in {within} s: {last}")


def assert_refused(r: httpx.Response, *statuses: int) -> None:
    """A readable refusal: one of ``statuses`` (any 4xx if none given), a plain-text or HTML body
    that is not empty, no traceback."""
    if statuses:
        assert r.status_code in statuses, (r.status_code, r.text[:500])
    else:
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:500])
    assert r.text.strip(), "an empty error body"
    assert "Traceback" not in r.text and 'File "' not in r.text, r.text[:2000]


class _Recorder(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            data = self.request.recv(4096)
        except OSError:
            data = b""
        self.server.seen.append(data)  # type: ignore[attr-defined]
        try:
            self.request.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/turtle\r\ncontent-length: 0\r\n\r\n")
        except OSError:
            pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on 127.0.0.1 that records every connection made to it: ``(url, seen)``."""
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    tcp.daemon_threads = True
    tcp.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=tcp.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{tcp.server_address[1]}", tcp.seen  # type: ignore[attr-defined]
    finally:
        tcp.shutdown()
        tcp.server_close()
