"""The settings of a service, in one frozen value that ``ilograph serve`` builds from its options
and hands to :func:`ilograph.web.app.create_app` and the worker pool (nothing is read from the
environment or kept at module level)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Limits and sizes. Times are in seconds, sizes in bytes unless named otherwise.

    - ``timeout``: a query's deadline, waiting for a worker included (then 504, or 503 if it
      never got a worker);
    - ``max_rows``: solutions (SELECT) or triples (CONSTRUCT/DESCRIBE) returned at most; a result
      cut there says so;
    - ``max_body``: largest request body (413 above); ``max_url``: longest request target, path
      and query string (414 above, use POST); ``max_depth``: deepest nesting of groups (400);
    - ``workers``: query worker processes; ``queue_limit``: requests that may wait for one (503
      beyond); ``memory_mb``: address-space cap of each worker (None: no cap);
    - ``cache_entries``/``cache_bytes``/``cache_item_bytes``: the result cache's bounds (0 entries
      turns it off);
    - ``store_dir``: keep the embedded store on disk there; ``store_url``: query this SPARQL 1.1
      endpoint instead of an embedded store (``workers`` then bounds concurrent requests to it).
    """

    timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 256 * 1024
    max_url: int = 32 * 1024
    max_depth: int = 64
    workers: int = 2
    queue_limit: int = 64
    memory_mb: int | None = 4096
    cache_entries: int = 4096
    cache_bytes: int = 64 * 1024 * 1024
    cache_item_bytes: int = 4 * 1024 * 1024
    store_dir: Path | None = None
    store_url: str | None = None
