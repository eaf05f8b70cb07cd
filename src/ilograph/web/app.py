"""The web service: ``create_app(settings, store)`` returns an ASGI application.

Routes (each a small handler; add more with :meth:`App.add_route`):

========================  ==================  ====================================================
path                      methods             answer
========================  ==================  ====================================================
``/``                     GET, HEAD           JSON index: the release, its size, the other routes
                                              (the home page for a client preferring HTML, when
                                              the app has a publication)
``/sparql``               GET, HEAD, POST     SPARQL 1.1 Protocol; no query: Service Description,
                                              or the query page for a browser; ``format=html``:
                                              the query page with the result (:mod:`.querypage`)
``/queries``              GET, HEAD           JSON list of the named queries and their questions
``/queries/{name}``       GET, HEAD           runs a named query, negotiated like ``/sparql``
``/static/{file}``        GET, HEAD           the pages' stylesheet, the query page's script and CSS
========================  ==================  ====================================================

Given a :class:`~ilograph.pages.Publication` of the release, the app also serves the linked data
(:mod:`.linked`): ``/id/...`` and every other IRI under the dataset's base (303 to a document),
``/def``, ``/download/``, ``/search``, ``/.well-known/void``, ``/void.ttl``, ``/dcat.ttl``,
``/dataset.jsonld``, ``/sitemap.xml`` and ``/robots.txt``. Their errors are HTML pages for a client
preferring HTML, plain text otherwise. Every answer carries ``X-Content-Type-Options: nosniff``.

Every route answers ``OPTIONS`` (CORS preflight) and carries ``Access-Control-Allow-Origin: *``.
Status codes are stable: 200; 204 (preflight); 400 (malformed request, syntax error with line and
column, SERVICE/LOAD/FROM of a graph the store does not hold, nesting too deep); 403 (an update:
the service is read-only); 404; 405; 406; 413; 414; 415; 500 (the engine failed; never a
traceback); 503 (no worker free before the deadline, with ``Retry-After``); 504 (the query ran past
the timeout and was stopped).

The app is one object that owns its caches; nothing is kept at module level.

Adding a page (for example the HTML query page at ``/query``, or at ``/`` and at ``/sparql`` for
``Accept: text/html``): write a handler ``async def page(self, request: Request) -> Response`` and
register it in :meth:`App.__init__` with ``self.add_route("/query", self.page)`` (``prefix=True``
serves a whole subtree, as ``/queries/`` does). Keep templates in ``web/templates/`` and static
files in ``web/static/``, read once when the app is created (``importlib.resources``), never per
request, and list both folders in ``[tool.setuptools.package-data]``. Static files can be served by
a prefix route ``/static/`` or, faster, by Granian itself (``static_path_route`` and
``static_path_mount`` where :mod:`ilograph.serve` builds the server). A handler raises
:class:`HttpError` for anything but success; :meth:`App.dispatch` adds CORS, ``OPTIONS``, 405 and
the mapping of unexpected errors to 500.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import traceback
from dataclasses import dataclass, replace
from importlib.resources import files
from typing import TYPE_CHECKING, Sequence

from ..query import NamedQuery
from ..store import EngineFailure, Job, Overloaded, QueryTimeout, Store
from . import description, guard, negotiate, protocol
from .cache import LRUCache
from .http import CORS, ClientGone, Handler, Headers, HttpError, Receive, Request, Response, Send, error_response
from .querypage import QueryPage, wants_page
from .settings import Settings

if TYPE_CHECKING:
    from ..pages import Publication
    from .linked import LinkedData

_REFUSAL_STATUS = {"lexical": 400, "fetch": 400, "complex": 400, "update": 403}
_EXPECTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|\[(?:'[^']*'|[^\]])*\]|[^,\s]+")
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
#: what the query page runs a query in (the first that fits the query's form): results it can draw
_PAGE_FORMATS = ("ntriples", "json")
_HTML = negotiate.Format("html", "text/html", "text/html; charset=utf-8", ("application/xhtml+xml",))
_JSON_INDEX = negotiate.Format("json", "application/json", "application/json")


@dataclass(frozen=True)
class Route:
    handler: Handler
    methods: tuple[str, ...]
    #: a route of the publication: its errors are pages for clients preferring HTML
    pages: bool = False


class App:
    """The ASGI application (see the module docstring). Build it with :func:`create_app`."""

    def __init__(self, settings: Settings, store: Store, queries: Sequence[NamedQuery] = (),
                 publication: Publication | None = None) -> None:
        self.settings = settings
        self.store = store
        self.queries = {q.name: q for q in queries}
        self.query_page = QueryPage(settings, store.release.base, queries,
                                    prefixes=publication.prefixes if publication is not None else None,
                                    pages=publication is not None)
        self.static = _static_files()
        self.routes: dict[str, Route] = {}
        self.prefix_routes: list[tuple[str, Route]] = []
        #: answers by (release, normalized query, dataset, format)
        self.results: LRUCache[Response] = LRUCache(settings.cache_entries, settings.cache_bytes,
                                                   settings.cache_item_bytes)
        #: the same answers by the raw request (path, query string, Accept): the warm path
        self.requests: LRUCache[Response] = LRUCache(settings.cache_entries, settings.cache_bytes,
                                                    settings.cache_item_bytes)
        self._descriptions: dict[tuple[str, str], Response] = {}
        self.add_route("/", self.index)
        self.add_route("/sparql", self.sparql, ("GET", "HEAD", "POST"))
        self.add_route("/queries", self.list_queries)
        self.add_route("/queries/", self.named_query, prefix=True)
        self.add_route("/static/", self.static_file, prefix=True)
        self.linked: LinkedData | None = None
        if publication is not None:
            from .linked import LinkedData

            self.linked = LinkedData(publication, settings)
            self.linked.register(self)

    def add_route(self, path: str, handler: Handler, methods: tuple[str, ...] = ("GET", "HEAD"), *,
                  prefix: bool = False, pages: bool = False) -> None:
        """Serve ``path`` (or every path under it, with ``prefix``) with ``handler``; ``pages``
        makes its errors HTML pages for clients that prefer HTML."""
        route = Route(handler, methods, pages)
        if prefix:
            self.prefix_routes.append((path, route))
            self.prefix_routes.sort(key=lambda item: -len(item[0]))
        else:
            self.routes[path] = route

    # --- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            return
        if scope["method"] == "GET":
            accept = b""
            encodings = b""
            for key, value in scope["headers"]:
                if key == b"accept":
                    accept = value
                elif key == b"accept-encoding":
                    encodings = value
            hit = self.requests.get((scope["path"], scope["query_string"], accept, takes_gzip(encodings)))
            if hit is not None:
                await _send(send, hit, True)
                return
        request = Request(scope, receive)
        try:
            response = await self.dispatch(request)
        except ClientGone:
            return  # nobody to answer
        await _send(send, response, request.method != "HEAD")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.store.start()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which stops
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Release what the app holds besides the store (the pages' threads)."""
        if self.linked is not None:
            self.linked.close()

    async def dispatch(self, request: Request) -> Response:
        """Route ``request`` and turn every failure into a plain-text answer (an HTML page on the
        publication's routes for a client preferring HTML)."""
        target = len(request.path) + len(request.query_string) + 1
        if target > self.settings.max_url:
            return error_response(414, f"the request URL ({target} bytes) is longer than the limit of "
                                  f"{self.settings.max_url} bytes: send long queries with POST")
        route = self.routes.get(request.path)
        if route is None:
            route = next((r for p, r in self.prefix_routes if request.path.startswith(p)), None)
        if route is None:
            return error_response(404, f"no such resource: {request.path} (try /sparql or /queries)")
        try:
            return await self._handle(request, route)
        except HttpError as exc:  # an error page's own failure (a query string that is not UTF-8)
            return error_response(exc.status, exc.message, exc.headers)

    async def _handle(self, request: Request, route: Route) -> Response:
        allow = ", ".join(route.methods + ("OPTIONS",))
        if request.method == "OPTIONS":
            asked = request.header("access-control-request-headers") or "Accept, Content-Type"
            return Response(204, b"", "text/plain", [
                (b"allow", allow.encode()), (b"access-control-allow-methods", allow.encode()),
                (b"access-control-allow-headers", asked.encode("latin-1")),
                (b"access-control-max-age", b"86400")])
        fail = self.linked.error if route.pages and self.linked is not None else _plain_error
        if request.method not in route.methods:
            return fail(request, 405, f"{request.method} is not allowed on {request.path}; use {allow}",
                        [(b"allow", allow.encode())])
        try:
            return await route.handler(request)
        except HttpError as exc:
            return fail(request, exc.status, exc.message, exc.headers)
        except ClientGone:
            raise
        except Exception:  # noqa: BLE001 - never a traceback in an answer; the log keeps it
            traceback.print_exc(file=sys.stderr)
            return fail(request, 500, "internal error: the service failed on this request (it is logged)", None)

    # --- routes -------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        if request.path != "/":
            raise HttpError(404, f"no such resource: {request.path}")
        headers: Headers = []
        if self.linked is not None:
            if _prefers_html(request.header("accept")):
                return await self.linked.home(request)
            headers.append((b"vary", b"Accept"))
        release = self.store.release
        body = {"title": release.title, "release": release.id, "triples": release.triples,
                "graphs": len(release.graphs), "sparql": "/sparql", "queries": "/queries"}
        if self.linked is not None:
            body.update({"home": "/", "vocabulary": "/def", "downloads": "/download/", "void": "/.well-known/void",
                         "dcat": "/dcat.ttl"})
        return Response(200, json.dumps(body, indent=2).encode() + b"\n", "application/json", headers)

    async def sparql(self, request: Request) -> Response:
        asked = await protocol.read(request, max_body=self.settings.max_body)
        html = bool(asked.formats) and asked.formats[0].strip().lower() == "html"
        if asked.query is None:
            if request.method == "POST":
                raise HttpError(400, "the request has no query: send query=... (form) or the query itself "
                                f"({protocol.QUERY})")
            if html or wants_page(request.header("accept")):
                return self.query_page.render(request)
            return self.service_description(request, asked.formats)
        if html:
            return await self.result_page(request, asked)
        return await self.answer(request, asked.query, asked)

    async def result_page(self, request: Request, asked: protocol.SparqlRequest) -> Response:
        """``format=html``: the query page with the result drawn by the server (for readers without
        JavaScript). The query runs like any other, in a format the page can read."""
        assert asked.query is not None
        try:
            result = await self.answer(request, asked.query, replace(asked, formats=_PAGE_FORMATS), plain=True)
        except HttpError as exc:
            return self.query_page.render(request, query=asked.query, error=exc)
        return self.query_page.render(request, query=asked.query, result=result)

    async def static_file(self, request: Request) -> Response:
        found = self.static.get(request.path[len("/static/"):])
        if found is None:
            raise HttpError(404, f"no static file {request.path}")
        body, media, etag = found
        headers: Headers = [(b"etag", etag), (b"cache-control", b"public, max-age=3600")]
        asked = request.header("if-none-match") or ""
        if asked.strip() == "*" or etag.decode() in re.findall(r'"[^"]*"', asked):
            return Response(304, b"", media, headers)
        return Response(200, body, media, headers)

    async def list_queries(self, request: Request) -> Response:
        items = [{"name": q.name, "question": q.question, "description": q.comment,
                  "url": f"/queries/{q.name}", "sparql": q.text} for q in self.queries.values()]
        return Response(200, json.dumps({"queries": items}, indent=2, ensure_ascii=False).encode() + b"\n",
                        "application/json")

    async def named_query(self, request: Request) -> Response:
        name = request.path[len("/queries/"):]
        named = self.queries.get(name)
        if named is None:
            raise HttpError(404, f"no named query {name!r}; GET /queries lists them")
        params = protocol.parse_params(request.query_string, "query string")
        asked = protocol.SparqlRequest(
            query=named.text,
            default_graphs=tuple(v for k, v in params if k == "default-graph-uri"),
            named_graphs=tuple(v for k, v in params if k == "named-graph-uri"),
            formats=protocol.format_values(params))
        return await self.answer(request, named.text, asked)

    # --- answering ----------------------------------------------------------------------------

    async def answer(self, request: Request, query: str, asked: protocol.SparqlRequest, *,
                     plain: bool = False) -> Response:
        """Check, negotiate, look up the cache, run and cache one query. ``plain``: for this
        service's own use (the query page), so never compressed, and not kept as the answer to
        the request itself."""
        release = self.store.release
        try:
            seen = guard.inspect(query, base=release.base, max_depth=self.settings.max_depth)
        except guard.RefusedQuery as exc:
            raise HttpError(_REFUSAL_STATUS[exc.kind], str(exc)) from None
        if seen.form is None and seen.opening[0].upper() not in ("PREFIX", "BASE"):  # (a bad prologue: the
            word, line, column = seen.opening                                         # engine says where)
            found = f"{word[:40]!r}" if word else "nothing"
            raise HttpError(400, f"syntax error at line {line}, column {column}: a query starts with SELECT, "
                            f"CONSTRUCT, DESCRIBE or ASK (after any PREFIX and BASE declarations), found {found}")
        try:
            fmt = negotiate.choose(seen.form, request.header("accept"), asked.formats)
        except negotiate.UnknownFormat as exc:
            raise HttpError(400, str(exc)) from None
        except negotiate.NotAcceptable as exc:
            raise HttpError(406, str(exc)) from None
        known = set(release.graphs)
        if asked.has_dataset:  # the protocol's dataset wins over FROM
            for name, graphs in (("default-graph-uri", asked.default_graphs), ("named-graph-uri", asked.named_graphs)):
                unknown = [g for g in graphs if g not in known]
                if unknown:
                    raise HttpError(400, f"{name}=<{unknown[0]}> is refused: this endpoint never fetches graphs, "
                                    "and it holds no graph of that name (the service description at GET /sparql "
                                    "lists its graphs)")
            dataset: tuple = (tuple(asked.default_graphs), tuple(asked.named_graphs), False)
        else:
            unknown = [g for g in seen.from_graphs + seen.from_named if g not in known]
            if unknown:
                raise HttpError(400, f"FROM <{unknown[0]}> is refused: this endpoint never fetches graphs, and "
                                "it holds no graph of that name (the service description at GET /sparql "
                                "lists its graphs)")
            dataset = (None, None, not seen.has_dataset)
        compress = not plain and takes_gzip((request.header("accept-encoding") or "").encode("latin-1"))
        key = (release.id, seen.normalized, dataset, fmt.name, compress)
        cached = self.results.get(key)
        if cached is None:
            cached = await self._run(request, query, seen, dataset, fmt, compress)
            self.results.put(key, cached, len(cached.body))
        if request.method == "GET" and not plain:
            accept = (request.header("accept") or "").encode("latin-1")
            self.requests.put((request.path, request.query_string, accept, compress), cached, len(cached.body))
        return cached

    async def _run(self, request: Request, query: str, seen: guard.Inspection, dataset: tuple,
                   fmt: negotiate.Format, compress: bool) -> Response:
        """Run one query in the store, racing it against the client's disconnect: a query whose
        client has gone away is cancelled (the store frees or replaces its worker) rather than
        holding a worker until the deadline for an answer nobody will read."""
        release = self.store.release
        job = Job(query=query, format=fmt.name, max_rows=self.settings.max_rows, base_iri=release.base,
                  default_graphs=dataset[0], named_graphs=dataset[1], union=dataset[2],
                  prefixes=tuple(seen.prefixes.items()),
                  within_cap=seen.form == "SELECT" and seen.limit is not None and seen.limit <= self.settings.max_rows,
                  uses_graph=seen.uses_graph, compress=compress)
        running = asyncio.ensure_future(self.store.run(job))
        gone = asyncio.ensure_future(request.disconnected())
        try:
            await asyncio.wait((running, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
            if not gone.done():
                gone.cancel()
                await asyncio.gather(gone, return_exceptions=True)
        if running.cancelled():
            raise ClientGone("the client closed the connection before the answer was ready")
        try:
            result = running.result()
        except QueryTimeout as exc:
            raise HttpError(504, f"{exc}. Narrow the query (a more selective pattern, a LIMIT) and try again") from None
        except Overloaded as exc:
            raise HttpError(503, f"the service is busy: {exc}; try again shortly", [(b"retry-after", b"1")]) from None
        except EngineFailure as exc:
            raise HttpError(500, str(exc)) from None
        if result.error == "syntax":
            raise HttpError(400, syntax_message(query, result.message, result.line, result.column))
        if result.error:
            raise HttpError(500, f"the query engine failed on this query: {result.message}")
        headers: Headers = [(b"vary", b"Accept, Accept-Encoding"), (b"x-ilograph-release", release.id.encode())]
        if result.encoding:
            headers.append((b"content-encoding", result.encoding.encode()))
        if result.truncated:
            headers += [(b"x-ilograph-truncated", b"true"),
                        (b"x-ilograph-max-rows", str(self.settings.max_rows).encode())]
        return Response(200, result.body, fmt.content_type, headers)

    def service_description(self, request: Request, formats: tuple[str, ...]) -> Response:
        try:
            fmt = negotiate.choose("DESCRIBE", request.header("accept"), formats)
        except negotiate.UnknownFormat as exc:
            raise HttpError(400, str(exc)) from None
        except negotiate.NotAcceptable as exc:
            raise HttpError(406, str(exc).replace("a DESCRIBE result", "the service description")) from None
        endpoint = request.base_url + "/sparql"
        key = (endpoint, fmt.name)
        if key not in self._descriptions:
            triples = description.describe(endpoint, self.store.release, self.settings)
            self._descriptions[key] = Response(200, description.serialize(triples, fmt), fmt.content_type,
                                               [(b"vary", b"Accept")])
            if len(self._descriptions) > 64:
                self._descriptions.pop(next(iter(self._descriptions)))
        return self._descriptions[key]


def _plain_error(request: Request, status: int, message: str, headers: Headers | None) -> Response:
    return error_response(status, message, headers)


def _prefers_html(accept: str | None) -> bool:
    """For ``/``: the home page when ``Accept`` names HTML itself (as browsers do) and does not
    prefer ``application/json``; otherwise (``*/*``, no header, JSON) the JSON index, as before."""
    if not accept:
        return False
    entries = negotiate.parse_accept(accept)
    if not any(media in ("text/html", "application/xhtml+xml") and q > 0 for media, q, _ in entries):
        return False
    return negotiate.quality(entries, _HTML) >= negotiate.quality(entries, _JSON_INDEX)


def _static_files() -> dict[str, tuple[bytes, str, bytes]]:
    """The static files, read once: the pages' (``ilograph.css``) and the web service's own
    (the query page's script and stylesheet), with their media types and ETags."""
    import hashlib

    from ..pages import static_files

    found = {path[len("static/"):]: data for path, data in static_files().items()}
    for entry in (files(__package__) / "static").iterdir():
        if entry.is_file():
            found[entry.name] = entry.read_bytes()
    out = {}
    for name, data in found.items():
        media = _STATIC_TYPES.get(name[name.rfind("."):], "application/octet-stream")
        out[name] = (data, media, f'"{hashlib.sha256(data).hexdigest()[:20]}"'.encode())
    return out


def takes_gzip(accept_encoding: bytes) -> bool:
    """Whether an ``Accept-Encoding`` value accepts gzip: named (or else ``*``) without ``q=0``."""
    if not accept_encoding:
        return False
    found: dict[bytes, bool] = {}
    for part in accept_encoding.lower().split(b","):
        name, _, params = part.partition(b";")
        name = name.strip()
        if name in (b"gzip", b"x-gzip", b"*"):
            q = params.replace(b" ", b"")
            found[b"*" if name == b"*" else b"gzip"] = not (q.startswith(b"q=0") and q.strip(b"q=0.") == b"")
    return found.get(b"gzip", found.get(b"*", False))


def syntax_message(query: str, message: str, line: int | None, column: int | None) -> str:
    """A syntax error as a person reads it: where, what was expected (shortened), and the line
    with a caret under the column."""
    if message.startswith("expected one of "):
        found = _EXPECTED.findall(message[len("expected one of "):])
        items = [i for i in found if not i.startswith("[")]
        if len(items) < len(found):
            items.append("a name or a number")
        if len(items) > 14:
            items = items[:14] + ["..."]
        message = "expected one of " + ", ".join(items)
    if line is None:
        return f"syntax error: {message}"
    lines = query.splitlines() or [""]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = " " * max((column or 1) - 1, 0) + "^"
    return f"syntax error at line {line}, column {column}: {message}\n\n{line:>4} | {text}\n     | {caret}"


async def _send(send: Send, response: Response, with_body: bool) -> None:
    await send({"type": "http.response.start", "status": response.status, "headers": response.raw_headers()})
    stream = getattr(response, "stream", None)  # a large download (linked.FileResponse): chunk by chunk
    if with_body and stream is not None:
        async for chunk in stream():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.body", "body": response.body if with_body else b""})


def create_app(settings: Settings, store: Store, *, queries: Sequence[NamedQuery] = (),
               publication: Publication | None = None) -> App:
    """The ASGI application serving ``store`` with ``settings`` (and the named ``queries``); with
    a ``publication`` of the same release, also its pages, documents, downloads and catalogue."""
    return App(settings, store, queries, publication)


__all__ = ["App", "CORS", "create_app", "syntax_message", "takes_gzip"]
