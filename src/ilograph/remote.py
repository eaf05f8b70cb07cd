"""A store that is another SPARQL 1.1 service: :class:`RemoteStore` runs the web layer's jobs on a
remote endpoint over the SPARQL 1.1 Protocol, with the same deadline, concurrency bound, queue,
row cap and output formats as the embedded worker pool.

How a remote store holds a release (written by :mod:`ilograph.push`, checked by
:meth:`RemoteStore.start`): every source file's named graph under its own name, the merge of all of
them (each triple once) in the named graph ``<base>graph/ilograph-merge`` and, on stores that have
a real default graph (Oxigraph), in the default graph too; and a small marker graph
``<base>graph/ilograph-release`` saying which release it is (``dcterms:identifier``), which graphs
belong to it (``dcterms:hasPart``) and their sizes (``void:triples``).

Every job names its dataset in the request (``default-graph-uri``/``named-graph-uri``): a query with
no dataset of its own sees the merge as its default graph and only the release's graphs as named
graphs, so it gives the embedded store's answers whatever the remote store does with its own
default graph, and never sees the marker or the staging graphs of a push in progress.

The remote is asked for SPARQL JSON results or N-Triples, read only as far as the row cap needs
(the rest of the response is abandoned), parsed with pyoxigraph and written by the same functions
the workers use (:mod:`ilograph.web.results`), so the bytes are the embedded store's for the same
solutions in the same order.
"""

from __future__ import annotations

import asyncio
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from io import BytesIO
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from .errors import InputError
from .store import Answer, EngineFailure, Job, Overloaded, QueryTimeout, ReleaseInfo, StoreError

DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
_GRAPH_FORMATS = frozenset({"turtle", "ntriples", "jsonld", "rdfxml"})
_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
#: Oxigraph's syntax errors ("error at LINE:COLUMN: ..."), Virtuoso's ("..., line N: ...").
_OXIGRAPH_AT = re.compile(r"^error at (\d+):(\d+): ")
_VIRTUOSO_LINE = re.compile(r"line (\d+):\s*")
#: Largest response read from the remote before the row cap is reached (beyond: the query fails).
MAX_RESPONSE_BYTES = 512 * 1024 * 1024


class StoreUnreachable(Overloaded):
    """The remote store cannot be reached (connection refused, DNS, reset): a 503 for a query."""


class StoreMismatch(InputError):
    """The remote store does not hold the release this service serves (exit code 2)."""


class StoreUnavailable(StoreError):
    """The remote store cannot be reached, or does not answer the release check, when a service
    starts (exit code 2: the URL is wrong or the store is down)."""

    exit_code = 2


# --- names --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """The graph names a release uses in a remote store, from the dataset's base IRI."""

    base: str

    @property
    def merge(self) -> str:
        return self.base + "graph/ilograph-merge"

    @property
    def marker(self) -> str:
        return self.base + "graph/ilograph-release"

    @property
    def empty(self) -> str:
        """A graph name nothing is ever stored in (an empty default graph or set of named graphs)."""
        return self.base + "graph/ilograph-none"

    @property
    def staging(self) -> str:
        return self.base + "graph/ilograph-staging/"

    def reserved(self) -> tuple[str, ...]:
        return (self.merge, self.marker, self.empty)


@dataclass(frozen=True)
class Marker:
    """What the marker graph of a remote store says: the release id and its graphs' sizes."""

    release: str
    graph_triples: dict[str, int]


def marker_query(layout: Layout) -> str:
    """The query that reads the marker graph (one row per graph, or one row with no graph)."""
    return (f"PREFIX dcterms: <{DCTERMS}> PREFIX void: <{VOID}>\n"
            f"SELECT ?release ?graph ?triples WHERE {{ GRAPH <{layout.marker}> {{\n"
            f"  <{layout.marker}> dcterms:identifier ?release .\n"
            f"  OPTIONAL {{ <{layout.marker}> dcterms:hasPart ?graph . ?graph void:triples ?triples }} }} }}")


def parse_marker(body: bytes) -> Marker | None:
    """The marker from the JSON results of :func:`marker_query`; None when the store has none.
    Raises :class:`StoreError` when the store holds several releases' markers (a broken push)."""
    try:
        solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        rows = [{v.value: row[v.value] for v in solutions.variables} for row in solutions]  # type: ignore[union-attr]
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"the store's answer to the release marker query is not SPARQL JSON results: {exc}") from None
    ids = {row["release"].value for row in rows if row.get("release") is not None}
    if not ids:
        return None
    if len(ids) > 1:
        raise StoreError(f"the store's marker names several releases ({', '.join(sorted(ids))}); push again")
    sizes = {row["graph"].value: int(row["triples"].value) for row in rows
             if row.get("graph") is not None and row.get("triples") is not None}
    return Marker(release=ids.pop(), graph_triples=sizes)


def with_base(query: str, base: str) -> str:
    """``query`` with its base IRI declared on a line of its own before it (the protocol has no
    base parameter); a ``BASE`` of the query's own still wins, as it comes later."""
    return f"BASE <{base}>\n{query}"


def dataset_params(job: Job, layout: Layout, graphs: tuple[str, ...]) -> list[tuple[str, str]]:
    """The protocol's dataset parameters for ``job`` (see the module docstring)."""
    if job.default_graphs is not None or job.named_graphs is not None:
        default, named = job.default_graphs or (layout.empty,), job.named_graphs or (layout.empty,)
    elif job.union:
        default, named = (layout.merge,), (graphs or (layout.empty,)) if job.uses_graph else (layout.empty,)
    else:  # the query's own FROM / FROM NAMED (only graphs of the release: the guard saw to that)
        return []
    return [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in named]


# --- reading and writing answers ----------------------------------------------------------------

class _Parsed:
    """Hands an already parsed result to :func:`ilograph.web.results.answer` as if a store had
    just computed it, so that SELECT and ASK answers are written by the workers' own code path."""

    def __init__(self, result: object) -> None:
        self._result = result

    def query(self, query: str, **kwargs: object) -> object:
        return self._result


def _has_rows(data: bytes, count: int) -> bool:
    """Whether the (possibly cut) SPARQL JSON results in ``data`` hold at least ``count`` rows."""
    try:
        solutions = ox.parse_query_results(BytesIO(data), format=ox.QueryResultsFormat.JSON)
        if isinstance(solutions, ox.QueryBoolean):
            return False
        seen = 0
        for _ in solutions:
            seen += 1
            if seen >= count:
                return True
    except (SyntaxError, ValueError):
        pass
    return False


def write_answer(data: bytes, job: Job) -> Answer:
    """Turn the remote's response (SPARQL JSON results, or N-Triples for a graph) into the answer
    the embedded store gives. Never raises for bad data: it comes back as ``error="engine"``."""
    from .web.results import COMPRESS_FROM, answer, write_graph

    if job.format not in _GRAPH_FORMATS:
        try:
            parsed = ox.parse_query_results(BytesIO(data), format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            return Answer(error="engine", message=f"the store's answer is not SPARQL JSON results: {exc}")
        result = answer(_Parsed(parsed), job)  # type: ignore[arg-type]
        if result.error == "syntax":  # (what results.run calls a syntax error here is the store's data)
            return Answer(error="engine", message=f"the store's answer is not SPARQL JSON results: {result.message}")
        return result
    try:
        triples: Iterator[ox.Triple] = (quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        result = write_graph(triples, job)  # type: ignore[arg-type]
    except (SyntaxError, ValueError) as exc:
        return Answer(error="engine", message=f"the store's answer is not N-Triples: {exc}")
    if job.compress and len(result.body) >= COMPRESS_FROM:
        result = replace(result, body=gzip.compress(result.body, compresslevel=5, mtime=0), encoding="gzip")
    return result


def syntax_answer(message: str) -> Answer:
    """A remote 400 as a syntax error with its place, line numbers counted in the query as sent
    to us (the ``BASE`` line added before it is taken off)."""
    text = message.split("\nSPARQL query:", 1)[0].strip()  # (Virtuoso then repeats the query, BASE line and all)
    m = _OXIGRAPH_AT.match(text)
    if m:
        return Answer(error="syntax", message=text[m.end():], line=max(int(m.group(1)) - 1, 1),
                      column=int(m.group(2)))
    m = _VIRTUOSO_LINE.search(text)
    if m:
        return Answer(error="syntax", message=text[m.end():].strip() or text, line=max(int(m.group(1)) - 1, 1))
    return Answer(error="syntax", message=text or "the store refused the query as malformed")


# --- the store ----------------------------------------------------------------------------------

class RemoteStore:
    """Implements :class:`ilograph.store.Store` over the SPARQL 1.1 Protocol (see the module
    docstring). ``timeout`` (seconds) counts from the moment a job arrives, waiting included;
    at most ``concurrency`` requests run at once and ``queue_limit`` may wait for one."""

    def __init__(self, release: ReleaseInfo, url: str, *, timeout: float, concurrency: int,
                 queue_limit: int = 64, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.release = release
        self.url = url
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.queue_limit = queue_limit
        self.layout = Layout(release.base)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0

    async def start(self) -> None:
        """Open the connection pool and check that the store holds this release. Raises
        :class:`StoreMismatch` when it holds another release or none, :class:`StoreError` when
        it cannot be reached or does not answer the check."""
        if self._client is not None:
            return
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        self._client = httpx.AsyncClient(limits=limits, transport=self._transport, follow_redirects=False,
                                         timeout=httpx.Timeout(max(self.timeout, 10.0), connect=min(self.timeout, 10.0)))
        self._slots = asyncio.Semaphore(self.concurrency)
        try:
            response = await self._client.post(self.url, data={"query": marker_query(self.layout)},
                                               headers={"accept": _RESULTS_JSON})
        except httpx.HTTPError as exc:
            await self.close()
            raise StoreUnavailable(f"the SPARQL store at {self.url} cannot be reached: {_reason(exc)}") from None
        if response.status_code != 200:
            await self.close()
            raise StoreUnavailable(f"the SPARQL store at {self.url} did not answer the release check "
                             f"(HTTP {response.status_code}: {_excerpt(response.content)})")
        try:
            marker = parse_marker(response.content)
        except StoreError:
            await self.close()
            raise
        if marker is None or marker.release != self.release.id:
            await self.close()
            held = "no ilograph release" if marker is None else f"release {marker.release}"
            raise StoreMismatch(f"the SPARQL store at {self.url} holds {held}, not release {self.release.id} "
                                f"that this service publishes; run `ilograph push {self.url}` first")
        self.release = replace(self.release, graph_triples=dict(marker.graph_triples))

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def run(self, job: Job) -> Answer:
        """Answer ``job`` on the remote store. Raises :class:`Overloaded` when no request slot frees
        up before the deadline or too many wait (:class:`StoreUnreachable` when the store cannot be
        reached), :class:`QueryTimeout` when the answer does not come before it (the request is
        abandoned), :class:`EngineFailure` when the store fails."""
        if self._client is None:
            await self.start()
        assert self._slots is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        if self._slots.locked():
            if self._waiting >= self.queue_limit:
                raise Overloaded(f"{self._waiting} requests are already waiting for the SPARQL store")
            self._waiting += 1
            try:
                await asyncio.wait_for(self._slots.acquire(), max(deadline - loop.time(), 0.001))
            except TimeoutError:
                raise Overloaded(f"every connection to the SPARQL store stayed busy for {self.timeout:g} s") from None
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        try:
            try:
                data = await asyncio.wait_for(self._fetch(job), max(deadline - loop.time(), 0.001))
            except TimeoutError:
                raise QueryTimeout(f"the query ran longer than the limit of {self.timeout:g} s and was "
                                   "abandoned") from None
        finally:
            self._slots.release()
        if isinstance(data, Answer):
            return data
        return await asyncio.to_thread(write_answer, data, job)

    async def _fetch(self, job: Job) -> bytes | Answer:
        """POST the job; the response body read as far as the row cap needs, or an error answer."""
        assert self._client is not None
        graph = job.format in _GRAPH_FORMATS
        form = [("query", with_base(job.query, job.base_iri)),
                *dataset_params(job, self.layout, self.release.graphs)]
        headers = {"accept": _NTRIPLES if graph else _RESULTS_JSON,
                   "content-type": "application/x-www-form-urlencoded"}
        body = urlencode(form).encode()
        try:
            async with self._client.stream("POST", self.url, content=body, headers=headers) as response:
                if response.status_code != 200:
                    body = await _read_some(response, 64 * 1024)
                    return _failure(self.url, response.status_code, body)
                return await _read_capped(response, job.max_rows, graph=graph)
        except httpx.ConnectError as exc:
            raise StoreUnreachable(f"the SPARQL store at {self.url} cannot be reached ({_reason(exc)})") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise EngineFailure(f"the SPARQL store at {self.url} broke off the answer ({_reason(exc)})") from None
        except httpx.TimeoutException:
            raise QueryTimeout(f"the SPARQL store at {self.url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise EngineFailure(f"the request to the SPARQL store at {self.url} failed ({_reason(exc)})") from None


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit])


async def _read_capped(response: httpx.Response, max_rows: int, *, graph: bool) -> bytes:
    """The body, or its beginning once it holds more than ``max_rows`` rows (one more than the cap,
    so that the writer sees the cut): N-Triples by lines, JSON results by parsing what came so far
    each time it doubles. Raises :class:`EngineFailure` beyond :data:`MAX_RESPONSE_BYTES`."""
    data = bytearray()
    lines = 0
    check_at = 256 * 1024
    async for chunk in response.aiter_bytes():
        data += chunk
        if graph:
            lines += chunk.count(b"\n")
            if lines > max_rows:
                end = -1
                for _ in range(max_rows + 1):
                    end = data.index(b"\n", end + 1)
                return bytes(data[:end + 1])
        elif len(data) >= check_at:
            check_at *= 2
            if _has_rows(bytes(data), max_rows + 1):
                return bytes(data)
        if len(data) > MAX_RESPONSE_BYTES:
            raise EngineFailure(f"the store's answer passed {MAX_RESPONSE_BYTES >> 20} MiB before the row cap")
    return bytes(data)


def _failure(url: str, status: int, body: bytes) -> Answer:
    if status == 400:
        return syntax_answer(body.decode("utf-8", "replace"))
    if status in (502, 503, 504):
        raise StoreUnreachable(f"the SPARQL store at {url} is unavailable (HTTP {status}: {_excerpt(body)})")
    raise EngineFailure(f"the SPARQL store at {url} failed on this query (HTTP {status}: {_excerpt(body)})")


def _excerpt(body: bytes, size: int = 300) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:size] + ("…" if len(text) > size else "") if text else "no message"


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
