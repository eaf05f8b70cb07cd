"""The SPARQL 1.1 Protocol's three ways of sending a query, read into one value.

- ``GET /sparql?query=...`` (with ``default-graph-uri``/``named-graph-uri`` and ``format``);
- ``POST`` with ``application/x-www-form-urlencoded`` (parameters in the body; dataset and
  ``format`` parameters may also be in the URL);
- ``POST`` with ``application/sparql-query`` (the body is the query, UTF-8; the other parameters
  in the URL).

Updates (an ``update`` parameter, ``application/sparql-update``) are recognised so that they can be
refused clearly. Everything wrong with the request itself raises :class:`HttpError` with 400
(malformed: repeated ``query``, both ``query`` and ``update``, not UTF-8), 415 (a POST whose media
type is not one of the two, or a charset other than UTF-8) or 403 (an update). A
``default-graph-uri`` or ``named-graph-uri`` with the ``file:`` scheme is refused with 400, as a
``FROM <file:...>`` is by :mod:`.guard`: graphs are looked up in the store, never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from .http import HttpError, Request

READ_ONLY = ("this SPARQL service is read-only: it answers queries (SELECT, ASK, CONSTRUCT, DESCRIBE) "
             "and accepts no SPARQL Update")
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


@dataclass(frozen=True)
class SparqlRequest:
    """A protocol request: the query text (None when the request carries none, e.g. a plain
    ``GET /sparql``), the dataset named by the protocol, and the values of the ``format`` (or
    ``output``) parameters, in order (clients such as SPARQLWrapper send several)."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def unquote_plus(raw: bytes) -> str:
    """Decode one ``application/x-www-form-urlencoded`` value (``+`` is a space, ``%HH`` a byte) as
    UTF-8, as :func:`urllib.parse.unquote_plus` does with ``errors="strict"``, several times faster
    (the percent escapes are decoded by a C codec). Raises :class:`UnicodeDecodeError`."""
    raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw.decode("utf-8")
    try:
        latin = raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x").decode("unicode_escape")
    except UnicodeDecodeError:  # a '%' that starts no escape: the careful way
        return unquote_to_bytes(raw).decode("utf-8")
    return latin.encode("latin-1").decode("utf-8")


def parse_params(raw: bytes | str, where: str) -> list[tuple[str, str]]:
    """``key=value&...`` pairs, percent-decoded as UTF-8. Raises :class:`HttpError` 400 when they
    are not UTF-8."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    pairs = []
    try:
        for part in data.split(b"&"):
            if part:
                key, _, value = part.partition(b"=")
                pairs.append((unquote_plus(key), unquote_plus(value)))
    except UnicodeDecodeError:
        raise HttpError(400, f"the {where} is not UTF-8 (percent-encode UTF-8 bytes)") from None
    return pairs


def _media_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    parts = value.split(";")
    charset = None
    for p in parts[1:]:
        key, _, v = p.partition("=")
        if key.strip().lower() == "charset":
            charset = v.strip().strip('"').lower()
    return parts[0].strip().lower(), charset


def format_values(params: list[tuple[str, str]]) -> tuple[str, ...]:
    """The non-empty values of the ``format`` and ``output`` parameters, in order."""
    return tuple(v for k, v in params if k in ("format", "output") and v.strip())


def _single(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise HttpError(400, f"the request has {len(values)} '{name}' parameters; send exactly one")
    return values[0] if values else None


def _build(params: list[tuple[str, str]], query: str | None) -> SparqlRequest:
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in params):
        if any(k == "query" for k, _ in params) or query is not None:
            raise HttpError(400, "the request has both a query and an update; send one operation")
        raise HttpError(403, READ_ONLY)
    if query is None:
        query = _single(params, "query")
    if query is not None and not query.strip():
        raise HttpError(400, "the query is empty")
    for key, value in params:
        if key in ("default-graph-uri", "named-graph-uri") and value.strip().lower().startswith("file:"):
            raise HttpError(400, f"{key}=<{value[:200]}> is refused: this endpoint never reads local files "
                            "(the service description at GET /sparql lists its graphs)")
    return SparqlRequest(
        query=query,
        default_graphs=tuple(v for k, v in params if k == "default-graph-uri"),
        named_graphs=tuple(v for k, v in params if k == "named-graph-uri"),
        formats=format_values(params),
    )


async def read(request: Request, *, max_body: int) -> SparqlRequest:
    """Read a protocol request from ``request`` (see the module docstring for what is raised)."""
    url_params = parse_params(request.query_string, "query string")
    if request.method in ("GET", "HEAD"):
        return _build(url_params, None)
    media, charset = _media_type(request.header("content-type"))
    if media == UPDATE:
        raise HttpError(403, READ_ONLY)
    if media not in (FORM, QUERY):
        shown = request.header("content-type") or "none"
        raise HttpError(415, f"unsupported content type {shown!r}: POST a query as {QUERY} (the body is the "
                        f"query) or as {FORM} (query=...)",
                        [(b"accept-post", f"{QUERY}, {FORM}".encode())])
    if charset not in (None, "utf-8", "utf8") and not (media == FORM and charset in ("us-ascii", "ascii")):
        raise HttpError(415, f"unsupported charset {charset!r}: send the request in UTF-8")
    body = await request.body(max_body)
    if media == FORM:
        params = url_params + parse_params(body, "request body")
        return _build(params, None)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"the query is not UTF-8 (byte {exc.start} of the body)") from None
    if _single(url_params, "query") is not None:
        raise HttpError(400, f"a {QUERY} request carries its query in the body; remove 'query' from the URL")
    return _build(url_params, text)
