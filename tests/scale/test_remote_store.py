""":class:`ilograph.remote.RemoteStore` against small misbehaving SPARQL services on 127.0.0.1:
one that streams results without end (the row cap stops the reading, and the request is dropped),
one that is slow (the deadline holds, and the next job is answered), one that fails (500: an engine
failure; 503: unavailable) or refuses (400: a syntax error with its place), and more jobs than
connections (the queue bound answers Overloaded)."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ilograph.remote import RemoteStore, StoreUnreachable
from ilograph.store import EngineFailure, Job, Overloaded, QueryTimeout, ReleaseInfo

BASE = "https://example.org/r/"
RELEASE = ReleaseInfo(id="0123456789abcdef", folder=Path("."), quads_file=Path("x.nq"), triples_file=Path("x.nt"),
                      triples=1, graphs=(BASE + "graph/a",), base=BASE, title="test")
ROW = b'{"s":{"type":"uri","value":"https://example.org/r/id/%d"}}'


class Service(http.server.BaseHTTPRequestHandler):
    """Answers by the query's text: ``endless`` results or triples, ``slow`` (3 s), ``pause``
    (0.5 s), ``fail``, ``down``,
    ``bad`` (a syntax error at 2:5 of what it got); the marker query says release 0123456789abcdef."""

    protocol_version = "HTTP/1.1"
    sent: dict[str, int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        if "identifier" in body:
            data = json.dumps({"head": {"vars": ["release", "graph", "triples"]}, "results": {"bindings": [
                {"release": {"type": "literal", "value": RELEASE.id}}]}}).encode()
            return self._whole(200, data, "application/sparql-results+json")
        if "endless" in body:
            ntriples = "n-triples" in self.headers["accept"]
            self.send_response(200)
            self.send_header("content-type", "application/n-triples" if ntriples else "application/sparql-results+json")
            self.send_header("connection", "close")
            self.end_headers()
            try:
                if not ntriples:
                    self.wfile.write(b'{"head":{"vars":["s"]},"results":{"bindings":[')
                for i in range(10_000_000):
                    if ntriples:
                        self.wfile.write(b"<%s%d> <%sp> \"%d\" .\n" % (BASE.encode(), i, BASE.encode(), i))
                    else:
                        self.wfile.write((b"," if i else b"") + ROW % i)
                    self.sent["rows"] = i + 1
            except (BrokenPipeError, ConnectionResetError):
                self.sent["dropped"] = 1
            return None
        if "slow" in body or "pause" in body:
            time.sleep(3 if "slow" in body else 0.5)
            return self._whole(200, b'{"head":{},"boolean":true}', "application/sparql-results+json")
        if "fail" in body:
            return self._whole(500, b"the engine fell over", "text/plain")
        if "down" in body:
            return self._whole(503, b"maintenance", "text/plain")
        if "bad" in body:
            return self._whole(400, b"error at 2:5: expected a variable", "text/plain")
        return self._whole(200, b'{"head":{},"boolean":true}', "application/sparql-results+json")

    def _whole(self, status: int, body: bytes, media: str) -> None:
        self.send_response(status)
        self.send_header("content-type", media)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a deadline): as it should
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[tuple[str, dict[str, int]]]:
    sent: dict[str, int] = {}
    handler = type("Handler", (Service,), {"sent": sent})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/sparql", sent
    httpd.shutdown()
    httpd.server_close()


def job(query: str, fmt: str = "json", max_rows: int = 100) -> Job:
    return Job(query=query, format=fmt, max_rows=max_rows, base_iri=BASE)


def run(url: str, *jobs: Job, timeout: float = 2.0, concurrency: int = 2, queue: int = 8) -> list:
    async def go() -> list:
        store = RemoteStore(RELEASE, url, timeout=timeout, concurrency=concurrency, queue_limit=queue)
        await store.start()
        try:
            return await asyncio.gather(*(store.run(j) for j in jobs), return_exceptions=True)
        finally:
            await store.close()
    return asyncio.run(go())


@pytest.mark.parametrize("fmt", ["json", "csv", "ntriples", "turtle"])
def test_the_row_cap_stops_reading_an_endless_answer(service, fmt: str) -> None:
    url, sent = service
    query = "CONSTRUCT WHERE { ?s ?p ?o } # endless" if fmt in ("ntriples", "turtle") else "SELECT ?s { ?s ?p ?o } # endless"
    started = time.monotonic()
    [answer] = run(url, job(query, fmt, max_rows=100))
    assert time.monotonic() - started < 2
    assert answer.error is None and answer.truncated and answer.rows == 100
    if fmt == "json":
        assert len(json.loads(answer.body)["results"]["bindings"]) == 100
    deadline = time.monotonic() + 5
    while "dropped" not in sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sent.get("dropped") and sent["rows"] < 5_000_000, "the request should have been abandoned"


def test_the_deadline_holds_and_the_next_job_is_answered(service) -> None:
    url, _ = service
    started = time.monotonic()
    slow, quick = run(url, job("ASK { ?s ?p ?o } # slow"), job("ASK {}"), timeout=1.0)
    assert isinstance(slow, QueryTimeout) and "limit of 1 s" in str(slow)
    assert quick.body == b'{"head":{},"boolean":true}'
    assert time.monotonic() - started < 2.5


def test_failures_are_named(service) -> None:
    url, _ = service
    failed, down, bad = run(url, job("ASK {} # fail"), job("ASK {} # down"), job("ASK {}\n # bad"))
    assert isinstance(failed, EngineFailure) and "HTTP 500: the engine fell over" in str(failed)
    assert isinstance(down, StoreUnreachable) and "HTTP 503: maintenance" in str(down)
    assert bad.error == "syntax" and bad.line == 1 and bad.column == 5  # (line 2 of what was sent: BASE first)


def test_more_jobs_than_connections_and_queue_are_refused(service) -> None:
    url, _ = service
    answers = run(url, *(job(f"ASK {{}} # pause {i}") for i in range(5)), timeout=5.0, concurrency=1, queue=2)
    refused = [a for a in answers if isinstance(a, Overloaded)]
    assert len(refused) == 2 and all("2 requests are already waiting" in str(a) for a in refused)
    assert [a.body for a in answers if not isinstance(a, Exception)] == [b'{"head":{},"boolean":true}'] * 3


def test_a_store_that_is_not_there(tmp_path: Path) -> None:
    from ilograph.remote import StoreUnavailable
    from tests.web.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(StoreUnavailable) as failure:
        run(url, job("ASK {}"))
    assert failure.value.exit_code == 2 and f"the SPARQL store at {url} cannot be reached" in str(failure.value)
