"""The SPARQL service over HTTP: ``create_app(settings, store)`` builds the ASGI application.

Modules: ``app`` (routes, answers, caches), ``protocol`` (the SPARQL 1.1 Protocol's requests),
``guard`` (what a query is, and what is refused before it runs), ``negotiate`` (formats),
``results`` (writing results with the row cap), ``description`` (the Service Description),
``pool`` and ``worker`` (the processes queries run in), ``http``, ``cache``, ``settings``.

Imports are lazy so that a worker process loads only what it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import App, create_app
    from .settings import Settings

__all__ = ["App", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in ("App", "create_app"):
        from . import app
        return getattr(app, name)
    if name == "Settings":
        from .settings import Settings
        return Settings
    raise AttributeError(name)
