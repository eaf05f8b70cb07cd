"""``ilograph serve``: build the release (or reuse an up-to-date one), start the query workers and
serve the SPARQL endpoint, the query page and the linked-data publication (pages, documents,
downloads, catalogue) with Granian (a Rust HTTP server running the ASGI app in this process) until
Ctrl-C or SIGTERM. Pages are drawn in this process (:class:`~ilograph.pages.Publication`), never
from the query workers: from the on-disk store opened read-only (the default), or from their own
in-memory copy of the release (``--store :memory:``)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Callable, TextIO

from .errors import InputError
from .pin import pin
from .project import Project
from .store import (
    ReleaseInfo,
    open_disk_store,
    prepare_disk_store,
    read_release,
    record_current,
    release_is_current,
    sources_snapshot,
)
from .web.settings import Settings

Say = Callable[[str], None]


def prepare(project: Project, out: Path | None, *, say: Say, progress: Say | None = None) -> ReleaseInfo:
    """The release to serve: the one at ``out`` (default ``<project>/dist``) when it is intact and
    made from the current sources, else a fresh build. Raises what :func:`ilograph.release.build`
    raises (:class:`~ilograph.errors.ValidationFailed` when the sources do not conform)."""
    folder = (out or project.root / "dist").absolute()
    if release_is_current(project, folder):
        say(f"the release at {folder} is up to date")
    else:
        from .release import build

        say(f"building the release at {folder}")
        sources = sources_snapshot(project)
        build(project, folder, progress=progress)
        record_current(project, folder, sources)
    return read_release(folder)


def serve(project: Project, settings: Settings, *, host: str, port: int, out: Path | None = None,
          say: Say, progress: Say | None = None, stdout: TextIO, verbose: bool = False) -> None:
    """Serve ``project`` until interrupted. Prints the URL to open on ``stdout`` once the workers
    are ready. Raises :class:`~ilograph.errors.IlographError` for anything that stops it from
    starting (bad sources, an unusable ``--store`` folder, a port in use)."""
    release = prepare(project, out, say=say, progress=progress)
    held = pin(release.folder)  # a build beside it keeps this release while it is served
    try:
        _serve(project, release, settings, host=host, port=port, say=say, stdout=stdout, verbose=verbose)
    finally:
        held.close()


def _serve(project: Project, release: ReleaseInfo, settings: Settings, *, host: str, port: int, say: Say,
           stdout: TextIO, verbose: bool) -> None:
    from .query import named_queries

    if settings.store_dir is not None:
        started = time.perf_counter()
        reused = prepare_disk_store(settings.store_dir, release, progress=say)
        say(f"on-disk store at {settings.store_dir}: "
            + ("already holds this release" if reused else f"loaded in {time.perf_counter() - started:.1f} s"))
    queries = named_queries(project)
    asyncio.run(_run(release, settings, queries, host=host, port=port, say=say, stdout=stdout, verbose=verbose))


async def _run(release: ReleaseInfo, settings: Settings, queries: list, *, host: str, port: int, say: Say,
               stdout: TextIO, verbose: bool) -> None:
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    from .remote import RemoteStore
    from .web.app import create_app
    from .web.pool import WorkerPool

    _check_port(host, port)
    disk = open_disk_store(settings.store_dir) if settings.store_dir is not None else None
    opening = asyncio.get_running_loop().run_in_executor(None, _open_pages, release, disk)  # while workers start
    started = time.perf_counter()
    pool: WorkerPool | RemoteStore
    if settings.store_url:  # another SPARQL store answers the queries (it must hold this release)
        pool = RemoteStore(release, settings.store_url, timeout=settings.timeout, concurrency=settings.workers,
                           queue_limit=settings.queue_limit)
    else:
        pool = WorkerPool(release, size=settings.workers, timeout=settings.timeout, queue_limit=settings.queue_limit,
                          store_path=settings.store_dir, memory_mb=settings.memory_mb)
    try:
        await pool.start()
        if isinstance(pool, RemoteStore):
            say(f"the SPARQL store at {pool.url} holds release {release.id} (checked in "
                f"{time.perf_counter() - started:.2f} s)")
        else:
            say(f"{pool.size} query workers ready in {time.perf_counter() - started:.2f} s"
                + ("" if pool.isolated else " (the system did not let them drop network access)"))
        publication, took = await opening
        say(f"pages ready in {took:.2f} s")
        app = create_app(settings, pool, queries=queries, publication=publication)
        server = Server(app, address=host, port=port, interface=Interfaces.ASGINL, http=HTTPModes.auto,
                        websockets=False, log_enabled=verbose, log_level=LogLevels.warning, log_access=verbose,
                        backlog=1024)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.stop)
        shown = f"[{host}]" if ":" in host else host
        print(f"ilograph: serving release {release.id} ({release.triples} triples, {len(release.graphs)} graphs)",
              file=stdout)
        print(f"ilograph: pages at http://{shown}:{port}/ and the query page at http://{shown}:{port}/sparql",
              file=stdout)
        print(f"ilograph: SPARQL endpoint at http://{shown}:{port}/sparql (Ctrl-C to stop)", file=stdout, flush=True)
        try:
            await server.serve()
        finally:
            app.close()
    finally:
        await pool.close()
    say("stopped")


def _open_pages(release: ReleaseInfo, disk):
    """The publication the pages are drawn from, and the seconds it took to open."""
    from .pages import Publication

    started = time.perf_counter()
    return Publication.open(release.folder, disk=disk), time.perf_counter() - started


def _check_port(host: str, port: int) -> None:
    """Fail early, with a readable message, when the address cannot be bound."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
