"""Linked data on ``ilograph serve``: every IRI under the dataset's base dereferences, with pages,
per-resource RDF, downloads and catalogue files drawn from one :class:`~ilograph.pages.Publication`
of the served release.

The canonical base IRI (``https://w3id.org/ilograph/``) is mapped onto the server's root, so
``http://127.0.0.1:8080/id/unit/coop`` is ``https://w3id.org/ilograph/id/unit/coop``:

* the bare IRI answers ``303 See Other`` to the document ``Accept`` asks for (``.html``, ``.ttl``,
  ``.jsonld``, ``.nt``, ``.rdf``; the query string kept; ``Vary: Accept``), or 406;
* a document is rendered by the pages library (HTML in the reader's language: ``?lang=`` or
  ``Accept-Language``) or written from the store (RDF);
* an unknown IRI, or a path that cannot be one (``>``, ``}``, ``"``, ``%3E`` ...), is a 404 before
  anything is asked of the store; values are bound into the pages' queries, never formatted in.

Every answer of a page or document carries a weak ``ETag`` (the release, the format and the
language), ``Last-Modified`` (the release manifest's time) and answers 304 to a matching
``If-None-Match`` (or, without one, to ``If-Modified-Since``). Pages carry a strict
Content-Security-Policy (no script at all). Rendering runs in a small thread pool owned by this
object, and answers are kept in an LRU cache keyed by the release, the path, the language and,
for the files rewritten for the host (``sitemap.xml``, ``robots.txt``), the host: HTML links are
root-relative, so pages do not depend on the host.

Downloads up to the cache's item size are read once and kept; larger files (a dump of millions of
triples is gigabytes) are answered by a :class:`FileResponse` that reads them from disk in chunks
as they are sent, with ``Range`` requests (one range: ``206``; unsatisfiable: ``416``) and
``If-Range``.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import re
import sys
import time
import traceback
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from ..pages import (
    DOCUMENTS,
    NotFound,
    Publication,
    choose_language,
    content_type,
    negotiate_document,
    render_downloads,
    render_error,
    render_home,
    render_resource,
    render_search,
    render_vocabulary,
    split_document,
)
from ..pages.lang import LANGUAGES
from ..pages.publication import named
from ..site import SITEMAP_PART, rebase
from .cache import LRUCache
from .http import Headers, HttpError, Request, Response, error_response
from .protocol import parse_params
from .settings import Settings

if TYPE_CHECKING:
    from .app import App

T = TypeVar("T")

#: The policy of every page: nothing but the site's own stylesheet and inline SVG.
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
HTML = "text/html; charset=utf-8"
#: Catalogue files of the release served at the root, as the static site places them.
CATALOGUE = {"/.well-known/void": "void.ttl", "/void.ttl": "void.ttl", "/dcat.ttl": "dcat.ttl",
             "/dataset.jsonld": "dataset.jsonld", "/sitemap.xml": "sitemap.xml", "/robots.txt": "robots.txt"}
#: Catalogue files that name URLs, rewritten for the host the request was sent to.
REBASED = ("sitemap.xml", "robots.txt")
_ETAG = re.compile(r'(?:W/)?"[^"]*"')
_NAMES_HTML = re.compile(r"(?:^|,)\s*(?:text/html|application/xhtml\+xml)\s*(?:[;,]|$)", re.IGNORECASE)
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"<>\\^`{|}')
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
#: bytes read from disk at a time when a file is streamed
CHUNK = 256 * 1024


class FileResponse(Response):
    """A release file (or one byte range of it) answered from disk. :meth:`stream` gives it in
    chunks of :data:`CHUNK` bytes, read in a thread, so a server sending it holds one chunk at a
    time; ``body`` reads it whole, for a sender that only sends whole bodies."""

    def __init__(self, status: int, path: Path, start: int, end: int, content_type: str, headers: Headers) -> None:
        self.status = status
        self.path = path
        self.start = start
        self.end = end  # exclusive
        self.content_type = content_type
        self.headers = headers
        self.length = end - start

    @property  # type: ignore[override]
    def body(self) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            return handle.read(self.length)

    async def stream(self) -> AsyncIterator[bytes]:
        """The bytes ``start`` to ``end``, chunk by chunk."""
        loop = asyncio.get_running_loop()
        fd = os.open(self.path, os.O_RDONLY)
        try:
            offset = self.start
            while offset < self.end:
                chunk = await loop.run_in_executor(None, os.pread, fd, min(CHUNK, self.end - offset), offset)
                if not chunk:  # the file shrank: nothing more to send (the length is already announced)
                    return
                offset += len(chunk)
                yield chunk
        finally:
            os.close(fd)


def page_headers(*, csp: str = PAGE_CSP, vary: str = "Accept") -> Headers:
    """The headers of an HTML page (``nosniff`` is on every answer of the app)."""
    return [(b"content-security-policy", csp.encode()), (b"vary", vary.encode()),
            (b"referrer-policy", b"same-origin")]


def wants_html(accept: str | None) -> bool:
    """Whether an error should be an HTML page: ``Accept`` names HTML itself (as browsers do; a
    bare ``*/*`` gets plain text) and prefers it to the other documents."""
    if not accept or not _NAMES_HTML.search(accept):
        return False
    return negotiate_document(accept) == "html"


class LinkedData:
    """The routes of the publication (see the module docstring); :meth:`register` adds them to an
    :class:`~ilograph.web.app.App`."""

    def __init__(self, pub: Publication, settings: Settings, *, threads: int = 4) -> None:
        self.pub = pub
        self.release = pub.release_id
        self.cache: LRUCache[Response] = LRUCache(settings.cache_entries, settings.cache_bytes,
                                                  settings.cache_item_bytes)
        self.files = {f.name: f for f in pub.files}
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ilograph-pages")
        self._executor.submit(_warm_up)  # the pages' slow imports, while the service already answers
        manifest = pub.folder / "release.json" if pub.folder is not None else None
        self.modified = int(manifest.stat().st_mtime) if manifest is not None and manifest.is_file() else int(time.time())
        self.last_modified = email.utils.formatdate(self.modified, usegmt=True)

    def register(self, app: App) -> None:
        app.add_route("/", app.index, pages=True)
        app.add_route("/", self.resource, prefix=True, pages=True)
        app.add_route("/download", self.downloads_moved, pages=True)
        app.add_route("/download/", self.download, prefix=True, pages=True)
        app.add_route("/search", self.search, pages=True)
        for path, name in CATALOGUE.items():
            app.add_route(path, self._catalogue(name), pages=True)
        for name in sorted(self.files):  # the parts of a sitemap index (releases past 50,000 URLs)
            if SITEMAP_PART.fullmatch(name):
                app.add_route(f"/{name}", self._catalogue(name), pages=True)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- routes -------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        """The home page (``/`` for a client that prefers HTML)."""
        return await self._html(request, ("home",), lambda lang, keep, base: render_home(
            self.pub, lang=lang, base_url=base, keep_lang=keep))

    async def resource(self, request: Request) -> Response:
        """Any other path: a resource (or the vocabulary, ``/def``) and its documents."""
        page, ext = split_document(request.path[1:])
        if page == "def":
            return await self._vocabulary(request, ext)
        iri = self.pub.base + page
        if self.pub.page_of(iri) is None or not self.exists(iri):
            raise HttpError(404, f"nothing is published at {request.path}")
        if ext is None:
            return self._see_other(request, page)
        if ext == "html":
            return await self._html(request, ("resource", page), lambda lang, keep, base: render_resource(
                self.pub, iri, lang=lang, base_url=base, keep_lang=keep))
        return await self._document(request, ("document", page, ext), ext, lambda: self.pub.document(iri, ext))

    async def downloads_moved(self, request: Request) -> Response:
        return Response(301, b"moved to /download/\n", "text/plain; charset=utf-8", [(b"location", b"/download/")])

    async def download(self, request: Request) -> Response:
        """``/download/``: the downloads page; ``/download/<name>``: a file of the release, as it
        is (a ``.gz`` as ``application/gzip``, never a content encoding), with its SHA-256 as a
        strong ``ETag``."""
        name = request.path[len("/download/"):]
        if not name:
            return await self._html(request, ("downloads",), lambda lang, keep, base: render_downloads(
                self.pub, lang=lang, base_url=base, keep_lang=keep))
        path = self.pub.file_path(name)
        if path is None:
            raise HttpError(404, f"the release has no file {name!r}; /download/ lists them")
        info = self.files[name]
        media = info.media_type + ("; charset=utf-8" if info.media_type.startswith("text/") else "")
        etag = f'"{info.sha256}"'
        headers: Headers = [(b"etag", etag.encode()), (b"last-modified", self.last_modified.encode()),
                            (b"accept-ranges", b"bytes")]
        if self._not_modified(request, etag):
            return Response(304, b"", media, headers)
        asked = request.header("range")
        if asked is not None and request.method == "GET" and self._range_applies(request, etag):
            span = _byte_range(asked, info.size)
            if span is None:
                raise HttpError(416, f"the range {asked!r} is not within the {info.size} bytes of {name}",
                                [(b"content-range", f"bytes */{info.size}".encode()), (b"accept-ranges", b"bytes")])
            if span != (0, info.size):
                headers.append((b"content-range", f"bytes {span[0]}-{span[1] - 1}/{info.size}".encode()))
                return FileResponse(206, path, span[0], span[1], media, headers)
        if request.method == "HEAD":  # the length without reading the file
            return Response(200, b"", media, headers, length=info.size)
        if info.size > self.cache.item_bytes:
            return FileResponse(200, path, 0, info.size, media, headers)
        key = ("file", name)
        cached = self.cache.get(key)
        if cached is None:
            body = await self._run(path.read_bytes)
            cached = Response(200, body, media, headers)
            self.cache.put(key, cached, len(body))
        return cached

    def _range_applies(self, request: Request, etag: str) -> bool:
        """RFC 9110, 13.1.5: with ``If-Range``, a range is served only if it names the current
        (strong) ETag or a date no earlier than the file's; otherwise the whole file is sent."""
        condition = request.header("if-range")
        if condition is None:
            return True
        condition = condition.strip()
        if condition.startswith(('"', "W/")):
            return condition == etag
        try:
            when = email.utils.parsedate_to_datetime(condition)
        except (TypeError, ValueError, IndexError):
            return False
        return when.tzinfo is not None and self.modified <= when.timestamp()

    async def search(self, request: Request) -> Response:
        q = next((v for k, v in parse_params(request.query_string, "query string") if k == "q"), "")[:200]
        return await self._html(request, ("search", q), lambda lang, keep, base: render_search(
            self.pub, q, lang=lang, base_url=base, keep_lang=keep), etag=False)

    def _catalogue(self, name: str) -> Callable:
        async def serve(request: Request) -> Response:
            info = self.files.get(name)
            path = self.pub.file_path(name)
            if info is None or path is None:
                raise HttpError(404, f"this release has no {name}")
            base = request.base_url + "/"
            rebased = name in REBASED or SITEMAP_PART.fullmatch(name) is not None
            etag = f'W/"{self.release}-{name}"'
            headers: Headers = [(b"etag", etag.encode()), (b"last-modified", self.last_modified.encode())]
            if self._not_modified(request, etag):
                return Response(304, b"", "", headers)
            key = ("catalogue", name, base if rebased else "")
            cached = self.cache.get(key)
            if cached is None:
                body = await self._run(path.read_bytes)
                if rebased:
                    body = rebase(body.decode("utf-8"), self.pub.base, base).encode("utf-8")
                media = "text/turtle" if name.endswith(".ttl") else info.media_type
                cached = Response(200, body, media + ("; charset=utf-8" if media.startswith("text/") else ""),
                                  headers)
                self.cache.put(key, cached, len(body))
            return cached
        return serve

    # --- answers ------------------------------------------------------------------------------

    def exists(self, iri: str) -> bool:
        """Whether the store has a statement with ``iri`` as subject or object (as
        :meth:`Publication.resources` lists them)."""
        node = named(iri)
        if node is None:
            return False
        for _ in self.pub.store.quads_for_pattern(node, None, None, None):
            return True
        for _ in self.pub.store.quads_for_pattern(None, None, node, None):
            return True
        return False

    def language(self, request: Request) -> tuple[str, bool]:
        """(language of the page, whether the reader chose it with ``?lang=``)."""
        asked = next((v for k, v in parse_params(request.query_string, "query string") if k == "lang"), None)
        lang = choose_language(request.header("accept-language"), asked)
        return lang, asked is not None and asked.strip().split("-", 1)[0].lower() == lang

    def _see_other(self, request: Request, page: str) -> Response:
        ext = negotiate_document(request.header("accept"))
        if ext is None:
            offered = ", ".join(f"{types[0]} (.{e})" for e, (_, types) in DOCUMENTS.items())
            raise HttpError(406, f"cannot answer Accept: {request.header('accept')}: this resource is available as "
                            f"{offered}", [(b"vary", b"Accept")])
        location = "/" + quote(f"{page}.{ext}", safe=_PATH_SAFE)
        if request.query_string:
            location += "?" + quote(request.query_string.decode("latin-1"), safe=_QUERY_SAFE)
        return Response(303, f"see {location}\n".encode(), "text/plain; charset=utf-8",
                        [(b"location", location.encode("ascii")), (b"vary", b"Accept")])

    async def _vocabulary(self, request: Request, ext: str | None) -> Response:
        if ext is None:
            return self._see_other(request, "def")
        if ext == "html":
            return await self._html(request, ("vocabulary",), lambda lang, keep, base: render_vocabulary(
                self.pub, lang=lang, base_url=base, keep_lang=keep))
        return await self._document(request, ("vocabulary", ext), ext, lambda: self.pub.vocabulary_document(ext))

    async def _html(self, request: Request, key: tuple[Hashable, ...],
                    render: Callable[[str, bool, str], str], *, etag: bool = True) -> Response:
        lang, keep = self.language(request)
        headers = page_headers(vary="Accept" if keep else "Accept, Accept-Language")
        headers.append((b"content-language", lang.encode()))
        if etag:
            tag = f'W/"{self.release}-html-{lang}"'
            headers += [(b"etag", tag.encode()), (b"last-modified", self.last_modified.encode())]
            if self._not_modified(request, tag):
                return Response(304, b"", HTML, headers)
        full = (self.release, *key, lang, keep)
        cached = self.cache.get(full)
        if cached is None:
            base = request.base_url + "/"
            try:
                text = await self._run(render, lang, keep, base)
            except NotFound as exc:
                raise HttpError(404, str(exc)) from None
            cached = Response(200, text.encode("utf-8"), HTML, headers)
            self.cache.put(full, cached, len(cached.body))
        return cached

    async def _document(self, request: Request, key: tuple[Hashable, ...], ext: str,
                        write: Callable[[], bytes]) -> Response:
        tag = f'W/"{self.release}-{ext}"'
        headers: Headers = [(b"etag", tag.encode()), (b"last-modified", self.last_modified.encode()),
                            (b"vary", b"Accept")]
        if self._not_modified(request, tag):
            return Response(304, b"", content_type(ext), headers)
        full = (self.release, *key)
        cached = self.cache.get(full)
        if cached is None:
            try:
                body = await self._run(write)
            except NotFound as exc:
                raise HttpError(404, str(exc)) from None
            cached = Response(200, body, content_type(ext), headers)
            self.cache.put(full, cached, len(body))
        return cached

    def _not_modified(self, request: Request, etag: str) -> bool:
        """RFC 9110, 13.1: ``If-None-Match`` (weak comparison, or ``*``) decides when present;
        otherwise ``If-Modified-Since``."""
        if request.method not in ("GET", "HEAD"):
            return False
        asked = request.header("if-none-match")
        if asked is not None:
            if asked.strip() == "*":
                return True
            mine = etag.removeprefix("W/")
            return any(tag.removeprefix("W/") == mine for tag in _ETAG.findall(asked))
        since = request.header("if-modified-since")
        if since:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError, IndexError):
                return False
            if when.tzinfo is None:
                return False
            return self.modified <= when.timestamp()
        return False

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # --- errors -------------------------------------------------------------------------------

    def error(self, request: Request, status: int, message: str, headers: Headers | None = None) -> Response:
        """An error as an HTML page when the client prefers HTML, else as plain text; both escape
        what they echo and never show a traceback."""
        extra = list(headers or [])
        if not any(k == b"vary" for k, _ in extra):
            extra.append((b"vary", b"Accept"))
        if not wants_html(request.header("accept")):
            return error_response(status, message, extra)
        try:
            lang, _ = self.language(request)
        except HttpError:
            lang = LANGUAGES[0]
        try:
            body = render_error(status, message, lang=lang, base_url=request.base_url + "/")
        except Exception:  # noqa: BLE001 - the error must still be answered, without a traceback
            traceback.print_exc(file=sys.stderr)
            return error_response(status, message, extra)
        return Response(status, body.encode("utf-8"), HTML,
                        [h for h in page_headers() if h[0] != b"vary"] + extra)


def _warm_up() -> None:
    import ilograph.catalog  # noqa: F401 - what the first page would otherwise wait for


def _byte_range(value: str, size: int) -> tuple[int, int] | None:
    """The one byte range of a ``Range`` header as (start, end exclusive), clipped to ``size``;
    ``(0, size)`` for a header this server does not take (several ranges, another unit: the whole
    file is sent, as RFC 9110 allows); None when it cannot be satisfied (416)."""
    match = _RANGE.match(value)
    if match is None:
        return (0, size)
    first, last = match.groups()
    if not first and not last:
        return (0, size)
    if not first:  # the last N bytes
        count = int(last)
        return (max(size - count, 0), size) if count > 0 and size > 0 else None
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        return None
    return (start, end)


__all__ = ["CATALOGUE", "PAGE_CSP", "FileResponse", "LinkedData", "page_headers", "wants_html"]
