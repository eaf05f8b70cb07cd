"""The small HTTP layer under the routes: a request read from an ASGI scope, a response, and the
error every route may raise, which the app turns into a plain-text answer with a stable status."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Awaitable, Callable

Headers = list[tuple[bytes, bytes]]
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$")
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

#: Headers on every answer: CORS (any origin may read the results; the service has no cookies or
#: credentials to protect) and the headers a script may read from a cross-origin answer.
CORS: Headers = [(b"access-control-allow-origin", b"*"),
                 (b"access-control-expose-headers",
                  b"X-Ilograph-Truncated, X-Ilograph-Max-Rows, X-Ilograph-Release, Content-Length")]
#: Headers on every answer besides CORS: a browser never guesses a type other than the one sent.
ALWAYS: Headers = CORS + [(b"x-content-type-options", b"nosniff")]
#: The statuses whose answers carry no body, so no Content-Type or Content-Length either.
BODILESS = (204, 304)


class ClientGone(Exception):
    """The client closed the connection before its answer was ready: nothing is sent."""


class HttpError(Exception):
    """An answer other than 200, with a readable ``message`` (sent as ``text/plain``)."""

    def __init__(self, status: int, message: str, headers: Headers | None = None) -> None:
        self.status = status
        self.message = message
        self.headers = headers or []
        super().__init__(message)


@dataclass
class Response:
    """A complete answer: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str
    headers: Headers = field(default_factory=list)
    #: the Content-Length to announce instead of the body's (a HEAD answered without reading the body)
    length: int | None = None

    def raw_headers(self) -> Headers:
        if self.status in BODILESS:
            return ALWAYS + self.headers
        length = len(self.body) if self.length is None else self.length
        return ([(b"content-type", self.content_type.encode()), (b"content-length", str(length).encode())]
                + ALWAYS + self.headers)


def error_response(status: int, message: str, headers: Headers | None = None) -> Response:
    return Response(status, (message.rstrip("\n") + "\n").encode("utf-8"), "text/plain; charset=utf-8",
                    list(headers or []))


class Request:
    """What a route needs from a request; the body is read on demand, up to a cap."""

    __slots__ = ("scope", "method", "path", "query_string", "headers", "_receive", "_body")

    def __init__(self, scope: dict, receive: Receive) -> None:
        self.scope = scope
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query_string: bytes = scope.get("query_string", b"")
        self.headers: dict[str, str] = {}
        for key, value in scope.get("headers", ()):
            name = key.decode("latin-1").lower()
            text = value.decode("latin-1")
            self.headers[name] = f"{self.headers[name]}, {text}" if name in self.headers else text
        self._receive = receive
        self._body: bytes | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def base_url(self) -> str:
        """``scheme://host`` as the client addressed the service: the ``Host`` header when it is a
        well-formed host name or address with an optional port, else the address the server
        listens on (a ``Host`` is written into answers such as ``sitemap.xml``, so nothing else
        of it is ever echoed)."""
        scheme = "https" if self.scope.get("scheme") == "https" else "http"
        host = self.headers.get("host")
        if not host or not _HOST.match(host):
            server = self.scope.get("server") or ("127.0.0.1", 80)
            name = str(server[0])
            host = f"[{name}]:{server[1]}" if ":" in name else f"{name}:{server[1]}"
        return f"{scheme}://{host}"

    async def body(self, limit: int) -> bytes:
        """The request body. Raises :class:`HttpError` 413 past ``limit`` bytes (checked on
        ``Content-Length`` first, and while reading)."""
        if self._body is not None:
            return self._body
        declared = self.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    raise HttpError(413, f"the request body ({declared} bytes) is larger than the limit of "
                                    f"{limit} bytes")
            except ValueError:
                raise HttpError(400, "Content-Length is not a number") from None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HttpError(413, f"the request body is larger than the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        self._body = b"".join(chunks)
        return self._body

    async def disconnected(self) -> None:
        """Return once the client has closed the connection (ASGI ``http.disconnect``), so that a
        handler can stop work nobody will read: race it against a query, and cancel the query when
        it wins (the worker pool then replaces the worker, which may not take another job before it
        has answered). Call it once the body has been read (or for a request without one): any
        body still coming is read and dropped. Granian sends ``http.disconnect`` at once when a
        client goes away mid-request, and after the answer has been sent otherwise."""
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                return


Handler = Callable[[Request], Awaitable[Response]]
