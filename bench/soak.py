#!/usr/bin/env python3
"""Load and fuzz ``ilograph serve`` on 127.0.0.1 from one command (issue 5, item 9).

    python3 bench/soak.py                     # the shipped project: 180 s + 40 s of wrk, 2000 fuzz examples
    python3 bench/soak.py --quick             # the CI variant: 15 s + 6 s of wrk, 200 fuzz examples
    python3 bench/soak.py --project DIR --seconds 60 --fuzz 500 --json soak.json

It builds the project's release into a temporary folder (never touching ``PROJECT/dist``), starts
``ilograph serve`` on a free port of 127.0.0.1 with its own ``--timeout`` and ``--workers``, and:

1. **load**: for ``--seconds`` in all, split between the concurrency levels of ``--levels``
   (default 1, 4 and 16 connections), closed loops, each on its own keep-alive connection (a
   small asyncio HTTP/1.1 client: a fraction of a general client's CPU a request, which matters
   when client and server share two cores), pick weighted requests of every kind a visitor or a
   program sends: HTML pages in three languages, an IRI asked for an RDF format (303, then the
   document: 200), dumps (plain, with ``Accept-Encoding: gzip``, with ``Range``), the catalogue (VoID, DCAT, schema.org, sitemap,
   robots, the list of named queries, the service description), the query page, the named queries
   of ``queries/`` run by ``GET`` and ``POST`` (form and ``application/sparql-query``) in every
   format their form offers, the same made new on every request (an unused ``PREFIX`` with a
   nonce, so that no cache answers and a worker runs it), ``/queries/{name}`` and conditional
   requests (``If-None-Match`` with the ETag the server gave, or ``If-Modified-Since``: 304). Every answer must have the
   expected status, media type and a body (none for 304); a download must be the release's file
   byte for byte (or the asked range); a request sent again must get the same body as the first
   time. Latency is measured per request, from sending to the last byte read, by the client (a
   closed loop: under saturation the client waits too, so the percentiles are those of the
   offered load, not of an open-loop arrival rate);
2. **wrk** (when installed): the same mix, drawn into a file that bench/wrk/soak.lua picks from
   at random (giving each new query its own nonce), from wrk at 16 and 64 connections
   (``--wrk-levels``; ``--wrk-seconds`` in all, default 40): the load a C client can offer on a
   small machine, with wrk's percentiles of the whole mix. wrk cannot tell which request an
   answer belongs to, so only statuses are checked there: an answer of 400 or more, or a socket
   error or timeout, is an error;
3. **fuzz**: Hypothesis builds raw HTTP/1.1 requests (sent on a socket, so malformed ones reach
   the server as written): any method, the real routes and mutations of them (percent-encoding,
   ``..``, very long, unicode, NUL, ``%00``, ``%3E``, trailing slashes), query strings with the
   protocol's parameters holding random or mutated SPARQL, ``Accept`` with random q-values and
   every header the service reads, huge headers, bodies of random bytes, forms, queries, updates
   and invalid UTF-8, some sent chunked. Every answer must be below 500, or a 503/504 with a
   readable body (counted); no body may hold a Python traceback; the server must still run after
   each request. A failure is shrunk by Hypothesis to a minimal request, which is printed;
4. afterwards the server must answer ``ASK { ?s ?p ?o }`` in under a second, stop cleanly on
   Ctrl-C (exit code 0) and its log must hold no traceback.

It prints a table (per kind: requests, errors, p50/p90/p99/max latency in ms, requests per
second; per concurrency level, and per wrk level, with the server's CPU time a request, workers
included, and the client's CPU share; the fuzz run's status histogram and 5xx count) and writes the same
as JSON with ``--json FILE``. Exit status: 0 when nothing failed, 1 on any error, 5xx or crash,
2 when the server could not be started. Nothing but 127.0.0.1 is contacted. ``--seed`` makes a
run repeat the same requests (the summary gives the seed of every run).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parents[1]

#: The kinds of the load, with their weights (how often a loop picks each).
WEIGHTS = {"page": 18, "redirect": 10, "dump": 8, "catalogue": 8, "query_page": 5, "sparql_get": 12,
           "sparql_post": 8, "sparql_cold": 6, "named": 6, "conditional": 12}
#: Every kind the table reports (``document`` follows each ``redirect``).
KINDS = ("page", "redirect", "document", "dump", "catalogue", "query_page", "sparql_get", "sparql_post",
         "sparql_cold", "named", "conditional")
#: What each result format's media type starts with, by query form.
FORMATS = {
    "select": {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
               "csv": "text/csv", "tsv": "text/tab-separated-values"},
    "ask": {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml"},
    "graph": {"turtle": "text/turtle", "ntriples": "application/n-triples", "jsonld": "application/ld+json",
              "rdfxml": "application/rdf+xml"},
}
#: Documents of a resource: the ``Accept`` asked, the extension of the 303's target, its media type.
DOCUMENTS = (("text/turtle", ".ttl", "text/turtle"), ("application/ld+json", ".jsonld", "application/ld+json"),
             ("application/n-triples", ".nt", "application/n-triples"),
             ("application/rdf+xml", ".rdf", "application/rdf+xml"), ("text/html", ".html", "text/html"))
#: Catalogue routes and the media type each answers with.
CATALOGUE = {"/.well-known/void": "text/turtle", "/void.ttl": "text/turtle", "/dcat.ttl": "text/turtle",
             "/dataset.jsonld": "application/ld+json", "/sitemap.xml": "application/xml",
             "/robots.txt": "text/plain", "/queries": "application/json", "/def.ttl": "text/turtle"}
HTML = "text/html"
TRACEBACK = b"Traceback (most recent call last)"
#: Words searched for on /search.
SEARCH = ("coop", "fund", "green", "enterprise", "declaration", "finance", "ilo", "sme", "x")


# --- the server ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``ilograph serve`` started by this script."""

    url: str
    port: int
    process: subprocess.Popen
    log: Path
    out: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """Ctrl-C, then wait (kill after 30 s); the exit code (-9 when it had to be killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return -9
        return self.process.returncode


class StartFailed(Exception):
    """The server did not start (its log is in the message)."""


def start(project: Path, work: Path, *, timeout: float, workers: int, ready_within: float = 180.0) -> Server:
    """Build the release of ``project`` into ``work/dist`` and serve it on a free port."""
    import httpx

    port = free_port()
    log = work / "serve.log"
    out = work / "dist"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "ilograph", "serve", "--project", str(project), "--out", str(out),
             "--host", "127.0.0.1", "--port", str(port), "--timeout", str(timeout), "--workers", str(workers)],
            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", port, process, log, out)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"ilograph serve exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(server.url + "/sparql", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise StartFailed(f"ilograph serve did not answer within {ready_within:.0f} s:\n{server.output()}")


# --- what there is to ask -----------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    name: str
    text: str
    form: str  # select, ask or graph


@dataclass
class Target:
    """What the served release holds, read from the server and the release folder."""

    url: str
    resources: list[str]             # paths of resources (``/id/...``), without extension
    files: dict[str, bytes]          # the downloads, by name
    queries: list[Query]
    static: list[str]                # paths of static files
    graphs: list[str] = field(default_factory=list)  # the named graphs' IRIs
    #: path -> (headers it was asked with, its ETag, its Last-Modified)
    etags: dict[str, tuple[tuple[tuple[str, str], ...], str, str | None]] = field(default_factory=dict)


def query_form(text: str) -> str:
    """``select``, ``ask`` or ``graph`` (CONSTRUCT and DESCRIBE), by parsing the query."""
    import pyoxigraph as ox

    result = ox.Store().query(text)
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    if isinstance(result, ox.QuerySolutions):
        return "select"
    return "graph"


def discover(server: Server) -> Target:
    """What to ask: the resources of the sitemap, the named queries, the static files of the query
    page, the release's files. Raises :class:`StartFailed` when one of them cannot be read."""
    import httpx

    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            sitemap = client.get("/sitemap.xml")
            sitemap.raise_for_status()
            locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
            resources = sorted({urllib.parse.urlsplit(loc).path for loc in locs
                                if urllib.parse.urlsplit(loc).path.startswith("/id/")})
            listed = client.get("/queries")
            listed.raise_for_status()
            queries = [Query(q["name"], q["sparql"], query_form(q["sparql"])) for q in listed.json()["queries"]]
            page = client.get("/sparql", headers={"Accept": HTML})
            page.raise_for_status()
            static = sorted(set(re.findall(r'(?:href|src)="(/static/[^"?#]+)"', page.text)))
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise StartFailed(f"cannot read what the server publishes: {exc}") from None
    manifest = json.loads((server.out / "release.json").read_text(encoding="utf-8"))
    files = {f["name"]: (server.out / f["name"]).read_bytes() for f in manifest["files"]}
    if not resources or not queries:
        raise StartFailed(f"nothing to ask: {len(resources)} resources in the sitemap, {len(queries)} named queries")
    return Target(server.url, resources, files, queries, static, list(manifest.get("graphs", [])))


# --- load -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """One request of the load and what its answer must be."""

    kind: str
    method: str
    path: str                                  # with the query string, encoded
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    status: int = 200
    media: str | None = None                   # what Content-Type must start with
    location: str | None = None                # what a 303's Location must end with
    exact: bytes | None = None                 # the body, byte for byte
    repeatable: bool = True                    # the same request gives the same body


@dataclass
class Stats:
    """What the load measured: latencies (ms) and statuses by kind and by level, errors, samples of
    them, and the digest of each request's first answer."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_level: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    level_errors: Counter = field(default_factory=Counter)
    level_seconds: dict[int, float] = field(default_factory=dict)
    #: per level: CPU seconds of the server (with its workers) and of this client
    level_cpu: dict[int, tuple[float, float]] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    digests: dict[Spec, str] = field(default_factory=dict)

    def record(self, kind: str, level: int, ms: float, status: int, error: str | None) -> None:
        self.latencies[kind].append(ms)
        self.by_level[level].append(ms)
        self.statuses[kind][status] += 1
        if error is not None:
            self.errors[kind] += 1
            self.level_errors[level] += 1
            if len(self.samples) < 20:
                self.samples.append(f"{kind}: {error}")


def check(spec: Spec, status: int, headers: Any, body: bytes, stats: Stats) -> str | None:
    """Why the answer is wrong, or None."""
    where = f"{spec.method} {spec.path[:120]}"
    if status != spec.status:
        if status == 206 and spec.exact is not None and any(k == "Range" for k, _ in spec.headers):
            return _check_range(spec, headers, body)
        return f"{where}: status {status}, expected {spec.status}: {body[:200]!r}"
    if status == 304:
        return None if not body else f"{where}: a 304 with a body"
    if spec.method != "HEAD" and not body:
        return f"{where}: an empty body"
    kind = headers.get("content-type", "")
    if spec.media is not None and not kind.startswith(spec.media):
        return f"{where}: Content-Type {kind!r}, expected {spec.media}"
    if spec.location is not None and not headers.get("location", "").endswith(spec.location):
        return f"{where}: Location {headers.get('location')!r}, expected ...{spec.location}"
    if spec.exact is not None and body != spec.exact:
        return f"{where}: {len(body)} bytes differ from the release's file ({len(spec.exact)} bytes)"
    if kind.startswith(("application/json", "application/sparql-results+json", "application/ld+json")):
        try:
            json.loads(body)
        except ValueError as exc:
            return f"{where}: not JSON ({exc})"
    if spec.repeatable:
        digest = hashlib.sha256(body).hexdigest()
        first = stats.digests.setdefault(spec, digest)
        if first != digest:
            return f"{where}: a different body than the first time"
    return None


def _check_range(spec: Spec, headers: Any, body: bytes) -> str | None:
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", headers.get("content-range", ""))
    assert spec.exact is not None
    if match is None:
        return f"{spec.path}: 206 without a valid Content-Range"
    first, last = int(match[1]), int(match[2])
    return None if body == spec.exact[first:last + 1] else f"{spec.path}: the range's bytes differ"


class Mix:
    """The weighted requests of the load, each picked with a random generator."""

    def __init__(self, target: Target, *, marker: str | None = None) -> None:
        self.t = target
        self.kinds = list(WEIGHTS)
        self.weights = [WEIGHTS[k] for k in self.kinds]
        self.nonce = 0
        #: written instead of the nonce of a new query (wrk's script puts its own there)
        self.marker = marker

    def pick(self, rng: random.Random) -> list[Spec]:
        """The requests of one step: one, or a 303 and the document it points to."""
        kind = rng.choices(self.kinds, self.weights)[0]
        return getattr(self, kind)(rng)

    def page(self, rng: random.Random) -> list[Spec]:
        lang = rng.choice((None, "fr", "es", "en"))
        path = rng.choice(["/", "/def.html", "/download/", f"/search?q={rng.choice(SEARCH)}"]
                          + [r + ".html" for r in rng.sample(self.t.resources, min(4, len(self.t.resources)))])
        headers = [("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"), ("Accept-Encoding", "gzip")]
        if lang is not None and rng.random() < 0.5:
            path += ("&" if "?" in path else "?") + f"lang={lang}"
        elif lang is not None:
            headers.append(("Accept-Language", f"{lang};q=0.9, en;q=0.5"))
        return [Spec("page", "GET", path, tuple(headers), media=HTML)]

    def redirect(self, rng: random.Random) -> list[Spec]:
        resource = rng.choice(self.t.resources)
        accept, ext, media = rng.choice(DOCUMENTS)
        headers = (("Accept", accept),)
        return [Spec("redirect", "GET", resource, headers, status=303, location=resource + ext),
                Spec("document", "GET", resource + ext, headers, media=media)]

    def dump(self, rng: random.Random) -> list[Spec]:
        name = rng.choice(sorted(self.t.files))
        data = self.t.files[name]
        roll = rng.random()
        if roll < 0.25 and len(data) > 2:
            first = rng.randrange(len(data) // 2)
            return [Spec("dump", "GET", f"/download/{name}", (("Range", f"bytes={first}-{first + 1023}"),),
                         exact=data, repeatable=False)]
        encoding = "gzip" if roll < 0.6 else "identity"
        return [Spec("dump", "GET", f"/download/{name}", (("Accept-Encoding", encoding),), exact=data)]

    def catalogue(self, rng: random.Random) -> list[Spec]:
        if rng.random() < 0.15:
            return [Spec("catalogue", "GET", "/sparql", (("Accept", "text/turtle"),), media="text/turtle")]
        path = rng.choice(sorted(CATALOGUE))
        return [Spec("catalogue", "GET", path, media=CATALOGUE[path])]

    def query_page(self, rng: random.Random) -> list[Spec]:
        headers = (("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),)
        roll = rng.random()
        if roll < 0.3:
            return [Spec("query_page", "GET", "/sparql", headers, media=HTML)]
        if roll < 0.4 and self.t.static:
            return [Spec("query_page", "GET", rng.choice(self.t.static), media="text/")]
        query = rng.choice(self.t.queries)
        return [Spec("query_page", "GET", "/sparql?" + urllib.parse.urlencode({"query": query.text, "format": "html"}),
                     headers, media=HTML)]

    def _format(self, rng: random.Random, query: Query) -> tuple[str, str]:
        name = rng.choice(sorted(FORMATS[query.form]))
        return name, FORMATS[query.form][name]

    def sparql_get(self, rng: random.Random) -> list[Spec]:
        query = rng.choice(self.t.queries)
        name, media = self._format(rng, query)
        gzipped = (("Accept-Encoding", "gzip"),) if rng.random() < 0.5 else ()
        if rng.random() < 0.5:
            return [Spec("sparql_get", "GET", "/sparql?" + urllib.parse.urlencode({"query": query.text}),
                         (("Accept", media),) + gzipped, media=media)]
        return [Spec("sparql_get", "GET", "/sparql?" + urllib.parse.urlencode({"query": query.text, "format": name}),
                     gzipped, media=media)]

    def sparql_post(self, rng: random.Random) -> list[Spec]:
        query = rng.choice(self.t.queries)
        _, media = self._format(rng, query)
        if rng.random() < 0.5:
            return [Spec("sparql_post", "POST", "/sparql",
                         (("Accept", media), ("Content-Type", "application/x-www-form-urlencoded")),
                         urllib.parse.urlencode({"query": query.text}).encode(), media=media)]
        return [Spec("sparql_post", "POST", "/sparql",
                     (("Accept", media), ("Content-Type", "application/sparql-query; charset=utf-8")),
                     query.text.encode(), media=media)]

    def sparql_cold(self, rng: random.Random) -> list[Spec]:
        query = rng.choice(self.t.queries)
        _, media = self._format(rng, query)
        self.nonce += 1
        text = f"PREFIX soak{self.marker or f'{os.getpid()}x{self.nonce}'}: <urn:x-soak:>\n{query.text}"
        return [Spec("sparql_cold", "GET", "/sparql?" + urllib.parse.urlencode({"query": text}),
                     (("Accept", media),), media=media, repeatable=False)]

    def named(self, rng: random.Random) -> list[Spec]:
        query = rng.choice(self.t.queries)
        _, media = self._format(rng, query)
        return [Spec("named", "GET", f"/queries/{query.name}", (("Accept", media),), media=media)]

    def conditional(self, rng: random.Random) -> list[Spec]:
        path = rng.choice(sorted(self.t.etags))
        headers, etag, modified = self.t.etags[path]
        if modified is not None and rng.random() < 0.3:
            return [Spec("conditional", "GET", path, headers + (("If-Modified-Since", modified),), status=304,
                         repeatable=False)]
        return [Spec("conditional", "GET", path, headers + (("If-None-Match", etag),), status=304, repeatable=False)]


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, written for the load: much less CPU a
    request than a general client, so that on a small shared machine the latencies measured are
    the server's more than the client's. Reconnects after an error or a ``Connection: close``."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: tuple[tuple[str, str], ...] = (),
                      body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body decoded from gzip if it was encoded)."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, headers, body), self.timeout)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, method: str, path: str, headers: tuple[tuple[str, str], ...],
                        body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        head += [f"{name}: {value}" for name, value in headers]
        if body is not None:
            head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b""))
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        got: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                got[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304) or status < 200:
            data = b""
        elif "content-length" in got:
            data = await self.reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            got["connection"] = "close"
        if got.get("connection", "").lower() == "close":
            self.close()
        if got.get("content-encoding", "").lower() == "gzip":
            data = gzip.decompress(data)
        return status, got, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def collect_etags(target: Target, port: int, timeout: float) -> None:
    """The ETags of a sample of pages, documents, downloads and catalogue files, for the
    conditional requests."""
    html = (("Accept", "text/html"),)
    asked: list[tuple[str, tuple[tuple[str, str], ...]]] = [("/", html), ("/def.html", html), ("/download/", html)]
    for resource in target.resources[:: max(1, len(target.resources) // 12)]:
        asked += [(resource + ".html", html), (resource + ".ttl", ()), (resource + ".jsonld", ())]
    asked += [(f"/download/{name}", ()) for name in sorted(target.files)]
    asked += [(path, ()) for path in CATALOGUE]
    connection = Connection(port, timeout)
    for path, headers in asked:
        status, got, _ = await connection.request("GET", path, headers)
        if status == 200 and got.get("etag"):
            target.etags[path] = (headers, got["etag"], got.get("last-modified"))
    connection.close()
    if not target.etags:
        raise StartFailed("no answer carries an ETag: nothing to ask conditionally")


async def _loop(connection: Connection, mix: Mix, rng: random.Random, deadline: float, level: int,
                stats: Stats) -> None:
    try:
        while time.monotonic() < deadline:
            for spec in mix.pick(rng):
                started = time.perf_counter()
                try:
                    status, headers, body = await connection.request(spec.method, spec.path, spec.headers, spec.body)
                except Exception as exc:  # noqa: BLE001 - a failed request is an error of its kind
                    stats.record(spec.kind, level, (time.perf_counter() - started) * 1000, 0,
                                 f"{spec.method} {spec.path[:120]}: {type(exc).__name__}: {exc}")
                    break
                ms = (time.perf_counter() - started) * 1000
                stats.record(spec.kind, level, ms, status, check(spec, status, headers, body, stats))
    finally:
        connection.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of process ``pid`` and its descendants, from /proc (0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except (OSError, ValueError, IndexError):
            continue
        for task in tasks:  # a thread that ends meanwhile has no children to give
            try:
                stack += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
    return total


async def load(target: Target, seconds: float, levels: list[int], *, seed: int, timeout: float,
               server_pid: int) -> Stats:
    """Closed loops at each concurrency level, ``seconds`` in all, each on its own connection."""
    stats = Stats()
    mix = Mix(target)
    port = int(urllib.parse.urlsplit(target.url).port or 80)
    await collect_etags(target, port, timeout)
    for index, level in enumerate(levels):
        started = time.monotonic()
        server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
        deadline = started + seconds / len(levels)
        await asyncio.gather(*(_loop(Connection(port, timeout), mix, random.Random(seed * 1000 + index * 100 + i),
                                     deadline, level, stats) for i in range(level)))
        stats.level_seconds[level] = time.monotonic() - started
        stats.level_cpu[level] = (cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu)
    return stats


# --- load with wrk ---------------------------------------------------------------------------------

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "soak.lua"


def write_wrk_requests(target: Target, path: Path, *, seed: int, steps: int = 4000) -> int:
    """``steps`` picks of the mix in the format bench/wrk/soak.lua reads; the number of requests."""
    mix = Mix(target, marker="SOAKNONCE")
    rng = random.Random(seed)
    lines = []
    for _ in range(steps):
        for spec in mix.pick(rng):
            headers = "\x1f".join(f"{name}: {value}" for name, value in spec.headers)
            lines.append("\t".join((spec.method, spec.path, headers, (spec.body or b"").hex())))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def run_wrk(wrk: str, target: Target, work: Path, levels: list[int], seconds: float, *, seed: int,
            timeout: float, server_pid: int) -> dict[str, Any]:
    """The mix from wrk (one thread) at each level, ``seconds`` in all: per level, wrk's counts,
    errors and latency percentiles, and the server's CPU a request."""
    import resource

    requests = work / "wrk-requests.tsv"
    write_wrk_requests(target, requests, seed=seed)
    out: dict[str, Any] = {}
    for level in levels:
        duration = max(1, round(seconds / len(levels)))
        server_cpu = cpu_seconds(server_pid)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([wrk, "-t1", f"-c{level}", f"-d{duration}s", f"--timeout={int(timeout)}s",
                               "-s", str(WRK_SCRIPT), target.url + "/"], capture_output=True, text=True,
                              env={**os.environ, "SOAK_REQUESTS": str(requests), "SOAK_SEED": str(seed)},
                              timeout=duration + timeout + 60, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = cpu_seconds(server_pid) - server_cpu
        line = next((x for x in done.stdout.splitlines() if x.startswith("SOAK_WRK ")), None)
        if done.returncode != 0 or line is None:
            out[str(level)] = {"failed": f"wrk exited with {done.returncode}: {(done.stderr or done.stdout)[-500:]}"}
            continue
        result = json.loads(line.removeprefix("SOAK_WRK "))
        lat, seconds_run = result["latency_us"], result["duration_us"] / 1e6
        errors = sum(result["errors"].values())
        out[str(level)] = {
            "requests": result["requests"], "errors": errors, "error_kinds": result["errors"],
            "p50_ms": lat["p50"] / 1000, "p90_ms": lat["p90"] / 1000, "p99_ms": lat["p99"] / 1000,
            "max_ms": lat["max"] / 1000, "rps": round(result["requests"] / seconds_run, 1),
            "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, result["requests"]), 3),
            "client_cpu_percent": round(100 * ((after.ru_utime + after.ru_stime)
                                               - (before.ru_utime + before.ru_stime)) / seconds_run, 1)}
    return out


# --- fuzz -----------------------------------------------------------------------------------------

@dataclass
class FuzzStats:
    examples: int = 0
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    overloaded: int = 0             # 503 and 504 with a readable body
    server_errors: int = 0          # any other 5xx
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def encode_request(method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes | None,
                   chunked: bool, port: int) -> bytes:
    lines = [method.encode("latin-1") + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1:%d" % port,
             b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if body is not None:
        if chunked:
            lines.append(b"Transfer-Encoding: chunked")
            size = max(1, len(body) // 3)
            parts = [body[i:i + size] for i in range(0, len(body), size)]
            payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        else:
            lines.append(b"Content-Length: %d" % len(body))
            payload = body
    else:
        payload = b""
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def exchange(port: int, raw: bytes, timeout: float) -> tuple[int, bytes]:
    """Send ``raw``, read the answer to the end; (status or 0 when none came, the whole answer).
    Raises :class:`TimeoutError` when the server neither answers nor closes within ``timeout``."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it may have answered early (413) and closed: read what it sent
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        except TimeoutError:
            raise TimeoutError(f"no complete answer within {timeout:.0f} s") from None
    data = b"".join(chunks)
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return (int(match[1]) if match else 0), data


def _body_of(answer: bytes) -> bytes:
    head, _, body = answer.partition(b"\r\n\r\n")
    if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
        out, rest = [], body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            try:
                size = int(size_line.split(b";")[0], 16)
            except ValueError:
                break
            if size == 0:
                break
            out.append(rest[:size])
            rest = rest[size + 2:]
        return b"".join(out)
    return body


def _shorten(raw: bytes) -> bytes:
    """``raw`` for a report: runs of one byte abbreviated, at most 1,500 bytes."""
    short = re.sub(rb"(.)\1{31,}", lambda m: m[1] * 8 + b"...(%d times)" % len(m[0]), raw, flags=re.DOTALL)
    return short[:1500] + (b"... (%d bytes in all)" % len(raw) if len(short) > 1500 else b"")


def strategies(target: Target) -> Any:
    """The Hypothesis strategy of one raw request: (method, target, headers, body, chunked)."""
    from hypothesis import strategies as st

    queries = [q.text for q in target.queries] + [
        "ASK { ?s ?p ?o }", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
        "LOAD <file:///etc/passwd>", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DESCRIBE <urn:x>",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"]
    keywords = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "SERVICE", "LOAD", "INSERT",
                "DELETE", "CLEAR", "DROP", "GRAPH", "FROM", "FROM NAMED", "OPTIONAL", "FILTER", "REGEX", "LIMIT",
                "OFFSET", "VALUES", "BIND", "GROUP_CONCAT", "*", "+", "|", "^", "?x", "<", ">", '"', "'''", "\\u0022",
                "#", "\n", "9" * 30, "-1", "1e999", "<file:///etc/passwd>", "<http://127.0.0.1:1/>", "a", ";", ",",
                "\x00", "\ud800", "\u202e", "</script>"]

    @st.composite
    def sparql(draw: Any) -> str:
        text = draw(st.sampled_from(queries))
        for _ in range(draw(st.integers(0, 4))):
            op = draw(st.sampled_from(["cut", "insert", "keyword", "repeat", "nest", "tail"]))
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, len(text)))
            if op == "cut":
                text = text[:i] + text[j:]
            elif op == "insert":
                text = text[:i] + draw(st.text(max_size=20)) + text[i:]
            elif op == "keyword":
                text = text[:i] + " " + draw(st.sampled_from(keywords)) + " " + text[j:]
            elif op == "repeat":
                text = text[:j] + text[i:j] * draw(st.integers(1, 50)) + text[j:]
            elif op == "nest":
                depth = draw(st.sampled_from([2, 30, 63, 65, 200, 3000]))
                text = text[:i] + "{" * depth + text[i:j] + "}" * depth + text[j:]
            else:
                text += draw(st.sampled_from([" LIMIT ", " OFFSET ", " ORDER BY ", " # "])) + draw(
                    st.sampled_from(["10", "-1", "99999999999999999999999", "1.5", "x", "?o", ""]))
        return text

    resource = st.sampled_from(target.resources)
    paths = st.one_of(
        st.just("/sparql"), st.just("/sparql"), st.sampled_from([f"/queries/{q.name}" for q in target.queries]),
        st.sampled_from(["/", "/sparql", "/queries", "/def", "/def.html", "/def.ttl", "/download/", "/download",
                         "/search", "/search?q=coop", "/.well-known/void", "/void.ttl", "/dcat.ttl",
                         "/dataset.jsonld", "/sitemap.xml", "/robots.txt", "/static/", "/graph/", "/id/", "*"]
                        + target.static + [f"/download/{n}" for n in target.files]
                        + [f"/queries/{q.name}" for q in target.queries]),
        resource,
        st.tuples(resource, st.sampled_from([".html", ".ttl", ".jsonld", ".nt", ".rdf", ".xml", ".gz", ".json",
                                             ".HTML", ".ttl.gz", "."])).map("".join))

    @st.composite
    def path(draw: Any) -> bytes:
        text = draw(paths)
        for _ in range(draw(st.integers(0, 3))):
            op = draw(st.sampled_from(["slash", "dots", "encode", "unicode", "nul", "special", "long", "double",
                                       "case", "absolute"]))
            i = draw(st.integers(0, len(text)))
            if op == "slash":
                text += "/"
            elif op == "dots":
                text = text[:i] + draw(st.sampled_from(["/..", "/../..", "/%2e%2e", "/%2E%2E%2F", "/./", "..%2f",
                                                        "/.%00."])) + text[i:]
            elif op == "encode":
                text = "".join(f"%{ord(c):02X}" if c.isascii() and draw(st.booleans()) else c for c in text[:60]) + text[60:]
            elif op == "unicode":
                text = text[:i] + draw(st.sampled_from(["é", "\u202e", "日本", "\U0001f600", "\ufeff", "%C3%A9",
                                                        "%ED%A0%80", "%C0%AF", "%FF"])) + text[i:]
            elif op == "nul":
                text = text[:i] + draw(st.sampled_from(["%00", "\x00", "%2500"])) + text[i:]
            elif op == "special":
                text = text[:i] + draw(st.sampled_from(["%3E", ">", "}", '"', "%22", "<", "{", "%", "%zz", "|", "\\",
                                                        "`", "^", "#frag", ";x=1", "%0d%0a", "?", "&", "%2F"])) + text[i:]
            elif op == "long":
                text += "/" + "a" * draw(st.sampled_from([300, 5000, 33000]))
            elif op == "double":
                text = text[:i] + "//" + text[i:]
            elif op == "case":
                text = text.upper()
            else:
                text = f"http://127.0.0.1:{urllib.parse.urlsplit(target.url).port}" + text
        raw = text.encode("utf-8", "surrogatepass")
        return raw.replace(b" ", b"%20").replace(b"\r", b"%0D").replace(b"\n", b"%0A")

    value = st.one_of(sparql(), st.text(max_size=40),
                      st.sampled_from(["json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml", "html",
                                       "text/html", "application/sparql-results+json", "x", "", "fr", "es", "en",
                                       "zz", "1", "0", "-5", "1e9", "http://example.org/g", "file:///etc/passwd",
                                       "urn:x", "<urn:x>", target.url + "/graph/data"]))
    params = st.lists(st.tuples(
        st.sampled_from(["query", "format", "default-graph-uri", "named-graph-uri", "timeout", "lang", "q",
                         "update", "output", "results", "callback", ""]) | st.text(max_size=8), value), max_size=4)

    @st.composite
    def query_string(draw: Any) -> bytes:
        pairs = draw(params)
        if not pairs:
            return b""
        if draw(st.booleans()):
            encoded = urllib.parse.urlencode(pairs, encoding="utf-8", errors="surrogatepass")
            return b"?" + encoded.encode()
        # half-encoded: only what would break the request line is escaped
        text = "&".join(f"{k}={v}" for k, v in pairs)
        raw = text.encode("utf-8", "surrogatepass")
        return b"?" + re.sub(rb"[\x00-\x20\x7f#]", lambda m: b"%%%02X" % m[0][0], raw)

    media = st.sampled_from(["text/html", "application/xhtml+xml", "text/turtle", "application/ld+json",
                             "application/n-triples", "application/rdf+xml", "application/sparql-results+json",
                             "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
                             "application/json", "application/xml", "text/plain", "*/*", "text/*", "application/*",
                             "image/png", "x/y", "*", "", ";", "text/html;level=1", "*/html"])
    q = st.sampled_from(["", ";q=0", ";q=1", ";q=0.5", ";q=0.001", ";q=1.0", ";q=2", ";q=-1", ";q=abc", ";q=",
                         ";q=0.5;charset=utf-8", ";charset=\"x\"", ";q=0.9999"])
    latin = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=40)
    accept = st.lists(st.tuples(media, q).map("".join), min_size=1, max_size=5).map(", ".join) | latin
    header_value = st.one_of(latin, st.sampled_from(["", "*", "0", "-1", "99999999999999999999"]))
    named_values = {
        "Accept": accept,
        "Content-Type": st.sampled_from(["application/x-www-form-urlencoded", "application/sparql-query",
                                         "application/sparql-update", "application/sparql-query; charset=utf-8",
                                         "application/sparql-query; charset=latin-1",
                                         "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data",
                                         "text/plain", "application/json", "", "application/SPARQL-query",
                                         "application/sparql-query;charset=\"utf-8\""]) | latin,
        "If-None-Match": st.sampled_from(["*", 'W/"x"', '"x"', ""] + [e for _, e, _ in target.etags.values()][:20]
                                         + [e.removesuffix('"') + '-fr"' for _, e, _ in list(target.etags.values())[:3]])
        | latin,
        "If-Modified-Since": st.sampled_from(["Sun, 22 Nov 2099 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT",
                                              "yesterday", "", "Sun, 32 Foo 2026 99:99:99 GMT"]) | latin,
        "Range": st.sampled_from(["bytes=0-10", "bytes=-5", "bytes=5-", "bytes=99999999-", "bytes=10-5",
                                  "bytes=0-0,2-3", "bytes=", "items=0-1", "bytes=-0"]) | latin,
        "Accept-Language": st.sampled_from(["fr", "es-ES,es;q=0.9", "en;q=0", "*", "zz", "fr;q=abc", "",
                                            "de, fr;q=0.1"]) | latin,
        "Accept-Encoding": st.sampled_from(["gzip", "br", "identity", "*", "gzip;q=0", "*;q=0", "gzip;q=0.",
                                            "x-gzip", ""]) | latin,
        "Access-Control-Request-Headers": latin, "Origin": latin, "Content-Length-Extra": latin,
        "X-Forwarded-Host": latin, "Host-Extra": latin,
    }
    header = st.one_of(
        st.sampled_from(sorted(named_values)).flatmap(lambda n: st.tuples(st.just(n), named_values[n])),
        st.tuples(st.from_regex(r"\AX-[A-Za-z0-9-]{1,20}\Z"), header_value))

    @st.composite
    def headers(draw: Any) -> list[tuple[bytes, bytes]]:
        out = [(n.encode(), v.encode("latin-1")) for n, v in draw(st.lists(header, max_size=6))]
        roll = draw(st.integers(0, 19))  # (shrinks towards 0: none of these)
        if roll == 17:
            out.append((b"X-Huge", b"a" * draw(st.sampled_from([8_000, 60_000, 200_000]))))
        elif roll == 18:
            out += [(b"X-Many-%d" % i, b"v") for i in range(draw(st.sampled_from([50, 150, 400])))]
        elif roll == 19:
            out.append((b"X-Bytes", draw(st.sampled_from([b"\x00", b"\xff\xfe", "é".encode(), b"\x1b[31m"]))))
        return out

    @st.composite
    def body(draw: Any) -> bytes | None:
        choice = draw(st.sampled_from(["none", "none", "bytes", "form", "query", "update", "invalid", "big"]))
        if choice == "none":
            return None
        if choice == "bytes":
            return draw(st.binary(max_size=300))
        if choice == "form":
            return urllib.parse.urlencode(draw(params), encoding="utf-8", errors="surrogatepass").encode()
        if choice == "query":
            return draw(sparql()).encode("utf-8", "surrogatepass")
        if choice == "update":
            return draw(st.sampled_from(["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "CLEAR ALL", "DROP SILENT ALL",
                                         "LOAD <http://127.0.0.1:1/x>", "DELETE WHERE { ?s ?p ?o }",
                                         "update=CLEAR%20ALL"])).encode()
        if choice == "invalid":
            return b"query=" + draw(st.sampled_from([b"\xff\xfe", b"ASK {\xc3\x28}", b"%ff%fe", b"\xed\xa0\x80"]))
        return b"query=" + b"#" * draw(st.sampled_from([200_000, 300_000]))

    methods = st.one_of(st.sampled_from(["GET", "POST"]), st.sampled_from(["GET", "POST"]),
                        st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "get", "TRACE",
                                         "CONNECT", "PROPFIND"]), st.from_regex(r"\A[A-Z]{1,10}\Z"))

    graph_iri = st.one_of(
        st.sampled_from(target.graphs or ["urn:x"]),
        st.sampled_from(["", "urn:x", "relative", "http://x y", "<urn:x>", "http://[::1", "file:///etc/passwd",
                         "FILE:///etc/passwd", "http://127.0.0.1:1/", "http://example.org/\ud800", "\x00",
                         "https://w3id.org/ilograph/graph/%00", "_:b0", "?x", "a" * 5000]),
        st.text(max_size=30))
    protocol_value = {
        "format": value, "default-graph-uri": graph_iri, "named-graph-uri": graph_iri,
        "timeout": st.sampled_from(["1", "0", "-1", "1e9", "x", "", "0.001", "99999999999999999999"]) | st.text(max_size=8),
        "lang": st.sampled_from(["fr", "es", "en", "", "zz", "fr-CA", "*", "../x", "<b>"]) | st.text(max_size=8),
    }
    protocol_param = st.sampled_from(sorted(protocol_value)).flatmap(
        lambda k: st.tuples(st.just(k), protocol_value[k]))

    def encode_pairs(pairs: list[tuple[str, str]]) -> bytes:
        return urllib.parse.urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()

    @st.composite
    def protocol(draw: Any) -> tuple[str, bytes, list[tuple[bytes, bytes]], bytes | None, bool]:
        """A SPARQL protocol request with a real or mutated query and nasty parameters and headers."""
        method = draw(st.sampled_from(["GET", "POST", "HEAD"]))
        named = draw(st.integers(0, 3)) == 3
        where = f"/queries/{draw(st.sampled_from(target.queries)).name}" if named else "/sparql"
        extra = draw(st.lists(protocol_param, max_size=4))
        query = [] if named else [("query", draw(sparql()))]
        sent = draw(headers())
        if method != "POST" or named:
            return method, where.encode() + b"?" + encode_pairs(query + extra), sent, None, False
        how = draw(st.sampled_from(["form", "direct", "mixed"]))
        if how == "form":
            sent.append((b"Content-Type", b"application/x-www-form-urlencoded"))
            return method, where.encode(), sent, encode_pairs(query + extra), draw(st.booleans())
        sent.append((b"Content-Type", draw(st.sampled_from([b"application/sparql-query",
                                                            b"application/sparql-query; charset=utf-8"]))))
        text = query[0][1].encode("utf-8", "surrogatepass")
        at = b"?" + encode_pairs(extra) if extra else b""
        return method, where.encode() + at, sent, text, draw(st.booleans())

    @st.composite
    def linked(draw: Any) -> tuple[str, bytes, list[tuple[bytes, bytes]], bytes | None, bool]:
        """A request for a page or a document with nasty negotiation and conditional headers."""
        where = draw(st.one_of(resource, st.tuples(resource, st.sampled_from([".html", ".ttl", ".jsonld", ".nt", ".rdf"]))
                               .map("".join), st.sampled_from(["/", "/def", "/def.html", "/download/", "/search",
                                                               "/sitemap.xml", "/.well-known/void", "/sparql"])))
        pairs = draw(st.lists(st.tuples(st.sampled_from(["lang", "q", "format", "x"]), value), max_size=2))
        at = b"?" + encode_pairs(pairs) if pairs else b""
        chosen = draw(st.lists(st.sampled_from(["Accept", "Accept-Language", "If-None-Match", "If-Modified-Since",
                                                "Accept-Encoding", "Range"]), min_size=1, max_size=4, unique=True))
        sent = [(n.encode(), draw(named_values[n]).encode("latin-1")) for n in chosen]
        return draw(st.sampled_from(["GET", "HEAD"])), where.encode("utf-8") + at, sent, None, False

    @st.composite
    def anything(draw: Any) -> tuple[str, bytes, list[tuple[bytes, bytes]], bytes | None, bool]:
        target_bytes = draw(path())
        if b"?" not in target_bytes:
            target_bytes += draw(query_string())
        return (draw(methods), target_bytes, draw(headers()), draw(body()), draw(st.integers(0, 9)) == 9)

    return st.one_of(protocol(), linked(), anything())


def fuzz(server: Server, target: Target, examples: int, *, seed: int, timeout: float,
         say: Callable[[str], None]) -> FuzzStats:
    """Hypothesis-built requests against ``server``; a failing one is shrunk and recorded."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    stats = FuzzStats()
    started = time.monotonic()
    killer: list[bytes] = []

    def died() -> NoReturn:  # one place, so that Hypothesis sees a single failure
        raise AssertionError(f"the server died (exit {server.process.returncode}) after:\n{killer[0]!r}")

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False, print_blob=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=(Phase.generate, Phase.shrink))
    @given(strategies(target))
    def one(request: tuple[str, bytes, list[tuple[bytes, bytes]], bytes | None, bool]) -> None:
        if killer:  # every request fails now: name the one the server died after, not the shrunk one
            died()
        method, target_bytes, headers, body, chunked = request
        raw = encode_request(method, target_bytes, headers, body, chunked, server.port)
        shown = _shorten(raw)
        stats.requests += 1
        status, answer = exchange(server.port, raw, timeout)
        stats.statuses[status] += 1
        if status == 0:
            time.sleep(0.2)  # no answer at all: give a dying server the time to be seen dead
        if not server.alive():
            killer.append(shown)
            died()
        answered = _body_of(answer) if method != "HEAD" else b""
        if TRACEBACK in answer:
            raise AssertionError(f"a traceback in the answer ({status}) to:\n{shown!r}")
        if status in (503, 504):
            try:
                readable = answered.decode("utf-8").strip()
            except UnicodeDecodeError:
                readable = ""
            if method != "HEAD" and not readable:
                raise AssertionError(f"{status} without a readable body, for:\n{shown!r}")
            stats.overloaded += 1
        elif status >= 500:
            stats.server_errors += 1
            raise AssertionError(f"{status} for:\n{shown!r}\nanswer: {_shorten(answer)[:800]!r}")

    try:
        one()
    except Exception as exc:  # noqa: BLE001 - the shrunk failure is the result
        inner = exc.exceptions if isinstance(exc, BaseExceptionGroup) else ()
        text = "\n".join([f"{type(exc).__name__}: {exc}"] + [f"  {type(e).__name__}: {e}" for e in inner])
        stats.failures.append(text)
        say(f"fuzz: FAILED, minimal request:\n{text}")
    stats.examples = min(examples, stats.requests)
    stats.seconds = time.monotonic() - started
    return stats


# --- afterwards -----------------------------------------------------------------------------------

def cheap_query(server: Server, *, within: float = 1.0, attempts: int = 20) -> tuple[bool, float | None]:
    """Whether ``ASK { ?s ?p ?o }``, made new each time so that a worker runs it and no cache
    answers, is answered ``true`` in under ``within`` s (a few attempts: a worker may be being
    replaced); the fastest time in ms."""
    best = None
    for attempt in range(attempts):
        if not server.alive():
            return False, best
        query = urllib.parse.quote(f"PREFIX alive{os.getpid()}x{attempt}x{time.time_ns()}: <urn:x-soak:> ASK {{ ?s ?p ?o }}")
        raw = (f"GET /sparql?query={query} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               "Accept: application/sparql-results+json\r\nConnection: close\r\n\r\n").encode()
        started = time.perf_counter()
        try:
            status, answer = exchange(server.port, raw, 10)
            took = time.perf_counter() - started
            ok = status == 200 and json.loads(_body_of(answer)).get("boolean") is True
        except (OSError, ValueError):
            ok, took = False, time.perf_counter() - started
        best = took * 1000 if best is None else min(best, took * 1000)
        if ok and took < within:
            return True, best
        time.sleep(0.25)
    return False, best


# --- summary --------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _row(values: list[float], errors: int, seconds: float) -> dict[str, Any]:
    return {"requests": len(values), "errors": errors, "p50_ms": round(percentile(values, 50), 2),
            "p90_ms": round(percentile(values, 90), 2), "p99_ms": round(percentile(values, 99), 2),
            "max_ms": round(max(values, default=0.0), 2), "rps": round(len(values) / seconds, 1) if seconds else 0.0}


def summarise(args: argparse.Namespace, project: Path, stats: Stats | None, fz: FuzzStats | None,
              after: dict[str, Any], seconds: float, wrk: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"project": str(project), "server": {"timeout": args.timeout, "workers": args.workers},
                           "seed": args.seed}
    if stats is not None:
        kinds = {k: {**_row(stats.latencies.get(k, []), stats.errors[k], seconds),
                     "statuses": {str(s): n for s, n in sorted(stats.statuses[k].items())}} for k in KINDS}
        levels = {}
        for c in sorted(stats.level_seconds):
            row = _row(stats.by_level[c], stats.level_errors[c], stats.level_seconds[c])
            server_cpu, client_cpu = stats.level_cpu.get(c, (0.0, 0.0))
            row["server_cpu_ms_per_request"] = round(server_cpu * 1000 / max(1, row["requests"]), 2)
            row["client_cpu_percent"] = round(100 * client_cpu / max(1e-9, stats.level_seconds[c]), 1)
            levels[str(c)] = row
        every = [v for k in KINDS for v in stats.latencies.get(k, [])]
        out["load"] = {"seconds": round(seconds, 1), "levels": sorted(stats.level_seconds), "kinds": kinds,
                       "by_level": levels, "total": _row(every, sum(stats.errors.values()), seconds),
                       "error_samples": stats.samples}
    if wrk is not None:
        out["wrk"] = wrk
    if fz is not None:
        out["fuzz"] = {"examples": fz.examples, "requests": fz.requests, "seconds": round(fz.seconds, 1),
                       "statuses": {str(s): n for s, n in sorted(fz.statuses.items())},
                       "5xx": sum(n for s, n in fz.statuses.items() if s >= 500),
                       "overloaded_503_504": fz.overloaded, "server_errors": fz.server_errors,
                       "failures": fz.failures}
    out["after"] = after
    out["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    problems = []
    if stats is not None:
        problems += [f"load: {n} errors of kind {k}" for k, n in stats.errors.items() if n]
        problems += [f"load: no request of kind {k}" for k in KINDS if not stats.latencies.get(k)]
    for level, row in (wrk or {}).get("levels", {}).items():
        if "failed" in row:
            problems.append(f"wrk @ c={level}: {row['failed']}")
        elif row["errors"]:
            problems.append(f"wrk @ c={level}: {row['errors']} errors {row['error_kinds']}")
    if fz is not None:
        problems += [f"fuzz: {f.splitlines()[0]}" for f in fz.failures]
        if fz.server_errors:
            problems.append(f"fuzz: {fz.server_errors} answers 5xx other than 503/504")
    if not after.get("alive"):
        problems.append("afterwards: the server did not answer a cheap query in under 1 s")
    if after.get("exit_code") != 0:
        problems.append(f"the server exited with {after.get('exit_code')} on Ctrl-C")
    if after.get("log_tracebacks"):
        problems.append(f"the server's log holds {after['log_tracebacks']} traceback(s)")
    out["problems"] = problems
    out["ok"] = not problems
    return out


def render(summary: dict[str, Any]) -> str:
    lines = []
    load = summary.get("load")
    if load:
        lines.append(f"load: {load['seconds']} s at {', '.join(map(str, load['levels']))} connections "
                     f"(server --timeout {summary['server']['timeout']} --workers {summary['server']['workers']})")
        head = f"{'kind':<14}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>8}"
        lines.append(head)
        rows = [(k, v) for k, v in load["kinds"].items()] + [("all", load["total"])] + [
            (f"all @ c={c}", v) for c, v in load["by_level"].items()]
        for name, r in rows:
            extra = (f"   server CPU {r['server_cpu_ms_per_request']:.2f} ms/req, client CPU {r['client_cpu_percent']:.0f}%"
                     if "client_cpu_percent" in r else "")
            lines.append(f"{name:<14}{r['requests']:>9}{r['errors']:>8}{r['p50_ms']:>9.1f}{r['p90_ms']:>9.1f}"
                         f"{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}{r['rps']:>8.1f}{extra}")
        for level, r in summary.get("wrk", {}).get("levels", {}).items():
            if "failed" in r:
                lines.append(f"{'wrk @ c=' + level:<14} FAILED: {r['failed']}")
                continue
            lines.append(f"{'wrk @ c=' + level:<14}{r['requests']:>9}{r['errors']:>8}{r['p50_ms']:>9.1f}"
                         f"{r['p90_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}{r['rps']:>8.1f}"
                         f"   server CPU {r['server_cpu_ms_per_request']:.2f} ms/req, wrk CPU {r['client_cpu_percent']:.0f}%")
        if "skipped" in summary.get("wrk", {}):
            lines.append(f"wrk: skipped ({summary['wrk']['skipped']})")
        for sample in load["error_samples"][:10]:
            lines.append(f"  error: {sample}")
    fz = summary.get("fuzz")
    if fz:
        statuses = " ".join(f"{s}:{n}" for s, n in fz["statuses"].items())
        lines.append(f"fuzz: {fz['examples']} examples, {fz['requests']} requests in {fz['seconds']} s "
                     f"(seed {summary['seed']}); statuses {statuses}")
        lines.append(f"fuzz: 5xx {fz['5xx']} (503/504 with a readable body: {fz['overloaded_503_504']}, "
                     f"other 5xx: {fz['server_errors']}), failures {len(fz['failures'])}")
    after = summary["after"]
    lines.append(f"afterwards: alive {after.get('alive')}, ASK in {after.get('ask_ms')} ms, exit code on Ctrl-C "
                 f"{after.get('exit_code')}, tracebacks in the log {after.get('log_tracebacks')}; "
                 f"load average {' '.join(map(str, summary['loadavg']))}")
    lines.append("OK" if summary["ok"] else "FAILED: " + "; ".join(summary["problems"]))
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------

def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Load and fuzz ilograph serve on 127.0.0.1 (see the docstring).")
    p.add_argument("--project", type=Path, default=ROOT, help="the project to serve (default: this repository)")
    p.add_argument("--seconds", type=float, help="seconds of load in all (default 180, --quick 15)")
    p.add_argument("--fuzz", type=int, help="fuzz examples (default 2000, --quick 200; 0: no fuzzing)")
    p.add_argument("--levels", default=None, help="concurrency levels, comma-separated (default 1,4,16)")
    p.add_argument("--wrk-seconds", type=float, help="seconds of the mix from wrk, when installed "
                   "(default 40, --quick 6; 0: none)")
    p.add_argument("--wrk-levels", default="16,64", help="wrk's connection counts (default 16,64)")
    p.add_argument("--quick", action="store_true", help="the CI variant: 15 s of load, 6 s of wrk, 200 fuzz examples")
    p.add_argument("--timeout", type=float, default=10.0, help="the server's --timeout (default 10)")
    p.add_argument("--workers", type=int, default=2, help="the server's --workers (default 2)")
    p.add_argument("--seed", type=int, default=None, help="random seed of the load and the fuzzer")
    p.add_argument("--json", type=Path, help="write the summary as JSON to this file")
    args = p.parse_args(argv)
    args.seconds = args.seconds if args.seconds is not None else (15.0 if args.quick else 180.0)
    args.fuzz = args.fuzz if args.fuzz is not None else (200 if args.quick else 2000)
    args.levels = [int(x) for x in (args.levels or "1,4,16").split(",") if x.strip()]
    args.wrk_seconds = args.wrk_seconds if args.wrk_seconds is not None else (6.0 if args.quick else 40.0)
    args.wrk_levels = [int(x) for x in args.wrk_levels.split(",") if x.strip()]
    args.seed = args.seed if args.seed is not None else random.randrange(2**31)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    project = args.project.resolve()

    def say(text: str) -> None:
        print(f"soak: {text}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="ilograph-soak-"))
    server = None
    try:
        say(f"building and serving {project} (timeout {args.timeout} s, {args.workers} workers)")
        try:
            server = start(project, work, timeout=args.timeout, workers=args.workers)
            target = discover(server)
        except StartFailed as exc:
            say(str(exc))
            return 2
        say(f"serving at {server.url}: {len(target.resources)} resources, {len(target.files)} downloads, "
            f"{len(target.queries)} named queries")
        request_timeout = args.timeout + 20
        stats = None
        if args.seconds > 0:
            say(f"load: {args.seconds:.0f} s at {args.levels} connections")
            started = time.monotonic()
            stats = asyncio.run(load(target, args.seconds, args.levels, seed=args.seed, timeout=request_timeout,
                                     server_pid=server.process.pid))
            load_seconds = time.monotonic() - started
        else:
            load_seconds = 0.0
        wrk: dict[str, Any] | None = None
        if args.wrk_seconds > 0 and stats is not None:
            found = shutil.which("wrk")
            if found is None:
                wrk = {"skipped": "wrk is not installed (Debian: apt-get install wrk)"}
            else:
                say(f"wrk: {args.wrk_seconds:.0f} s at {args.wrk_levels} connections")
                wrk = {"seconds": args.wrk_seconds,
                       "levels": run_wrk(found, target, work, args.wrk_levels, args.wrk_seconds, seed=args.seed,
                                         timeout=request_timeout, server_pid=server.process.pid)}
        fz = None
        if args.fuzz > 0:
            say(f"fuzz: {args.fuzz} examples (seed {args.seed})")
            fz = fuzz(server, target, args.fuzz, seed=args.seed, timeout=request_timeout, say=say)
        alive, ask_ms = cheap_query(server)
        code = server.stop()
        after = {"alive": alive, "ask_ms": round(ask_ms, 1) if ask_ms is not None else None, "exit_code": code,
                 "log_tracebacks": server.output().count("Traceback")}
        summary = summarise(args, project, stats, fz, after, load_seconds, wrk)
        print(render(summary), flush=True)
        if args.json is not None:
            args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        if not summary["ok"] and after["log_tracebacks"]:
            say("the server's log:\n" + server.output()[-5000:])
        return 0 if summary["ok"] else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
