"""A pool of query worker processes with a deadline that holds.

pyoxigraph cannot cancel a running query, so each query runs in a worker process
(:mod:`ilograph.web.worker`) that can be killed. The pool keeps ``size`` workers; a request takes
an idle one (waiting, at most until its deadline, when all are busy), sends it the job over a
socket pair and waits for the answer until the deadline. A worker that passes the deadline is
killed with SIGKILL and a fresh one is started in the background, so the pool heals itself while
the other workers go on answering. A worker that dies on its own is replaced the same way.

Each worker holds its own copy of the store in memory (fastest queries; start-up costs one load of
the release, and memory, per worker), or opens the same on-disk store read-only (what ``ilograph
serve`` does by default: near-instant start-up whatever the size, one copy in the page cache
shared by every worker, slower scans). With an on-disk store, the triples per graph come from its
marker (counted once when it was loaded), not from a query at start-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import socket
import struct
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..store import Answer, EngineFailure, Job, Overloaded, QueryTimeout, ReleaseInfo, StoreError, open_disk_store

_HEADER = struct.Struct("!I")


class _Connection(asyncio.Protocol):
    """The parent's end of a worker's socket: frames in, one waiting future at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self._buffer = bytearray()
        self.closed = False
        self.on_lost: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= _HEADER.size:
            size = _HEADER.unpack_from(buffer)[0]
            if len(buffer) < _HEADER.size + size:
                return
            payload = bytes(buffer[_HEADER.size:_HEADER.size + size])
            del buffer[:_HEADER.size + size]
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError("the worker closed its socket"))
        if self.on_lost is not None:
            self.on_lost()


class _Worker:
    """One worker process and the parent's end of its socket."""

    def __init__(self, process: asyncio.subprocess.Process, connection: _Connection) -> None:
        self.process = process
        self.connection = connection
        self.retired = False  # killed or dead: never to be given a job again

    def _expect(self) -> asyncio.Future:
        if self.connection.closed:
            raise ConnectionError("the worker closed its socket")
        future = asyncio.get_running_loop().create_future()
        self.connection.waiter = future
        return future

    async def receive(self) -> object:
        return pickle.loads(await self._expect())

    async def call(self, job: Job, timeout: float) -> Answer:
        """Send ``job`` and wait for the answer; raises :class:`asyncio.TimeoutError` after
        ``timeout`` seconds, :class:`ConnectionError` if the worker dies."""
        future = self._expect()
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.connection.transport is not None
        self.connection.transport.write(_HEADER.pack(len(data)) + data)
        timer = asyncio.get_running_loop().call_later(timeout, _expire, future)
        try:
            payload = await future
        finally:
            timer.cancel()
        answer = pickle.loads(payload)
        assert isinstance(answer, Answer)
        return answer

    async def kill(self) -> None:
        try:
            self.process.kill()
        except ProcessLookupError:
            pass
        if self.connection.transport is not None:
            self.connection.transport.close()
        await self.process.wait()


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


class WorkerPool:
    """Implements :class:`ilograph.store.Store` with worker processes (see the module docstring).

    ``timeout`` is in seconds and counts from the moment a request reaches the pool, waiting
    included; ``queue_limit`` is how many requests may wait for a worker before more are refused.
    ``store_path`` is an on-disk store folder made by :func:`ilograph.store.prepare_disk_store`
    for this release (None: each worker loads the release in memory).
    """

    def __init__(self, release: ReleaseInfo, *, size: int, timeout: float, queue_limit: int = 64,
                 store_path: Path | None = None, memory_mb: int | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.release = release
        self.size = max(1, size)
        self.timeout = timeout
        self.queue_limit = queue_limit
        self.isolated = False
        self._store_path = store_path
        self._disk: str | None = None
        self._memory_mb = memory_mb
        self._log = log or (lambda message: print(f"ilograph: {message}", file=sys.stderr))
        self._idle: asyncio.LifoQueue[_Worker] = asyncio.LifoQueue()
        self._workers: set[_Worker] = set()
        self._tasks: set[asyncio.Task] = set()
        self._waiting = 0
        self._started = False
        self._closed = False
        self.replaced = 0

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker and wait until each is ready. Raises :class:`StoreError` when a
        worker cannot start (the store cannot be opened)."""
        if self._started:
            return
        self._started = True
        if self._store_path is not None:
            held = open_disk_store(self._store_path)
            if held is None or held.release != self.release.id:
                raise StoreError(f"{self._store_path}: the on-disk store does not hold release {self.release.id}")
            self._disk = str(held.oxigraph)
            self.release = replace(self.release, graph_triples=dict(held.graph_triples))
        stats = self._disk is None
        workers = await asyncio.gather(*(self._spawn(stats=stats and i == 0) for i in range(self.size)),
                                       return_exceptions=True)
        failures = [w for w in workers if isinstance(w, BaseException)]
        if failures:
            for w in workers:
                if isinstance(w, _Worker):
                    await w.kill()
            raise StoreError(f"the query workers could not start: {failures[0]}")
        for w in workers:
            self._idle.put_nowait(w)  # type: ignore[arg-type]

    async def close(self) -> None:
        """Kill every worker (idempotent)."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in list(self._workers):
            await worker.kill()
        self._workers.clear()

    async def _spawn(self, *, stats: bool = False) -> _Worker:
        parent, child = socket.socketpair()
        config = {"fd": child.fileno(), "memory_mb": self._memory_mb, "stats": stats,
                  "store": self._disk,
                  "quads": str(self.release.quads_file), "triples": str(self.release.triples_file)}
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ilograph.web.worker", json.dumps(config),
                pass_fds=(child.fileno(),), stdin=asyncio.subprocess.DEVNULL)
        finally:
            child.close()
        _, connection = await asyncio.get_running_loop().create_unix_connection(_Connection, sock=parent)
        worker = _Worker(process, connection)
        self._workers.add(worker)
        connection.on_lost = lambda: self._lost(worker)
        try:
            ready = await worker.receive()
        except ConnectionError as exc:
            self._workers.discard(worker)
            await worker.kill()
            raise StoreError(f"a query worker exited while opening the store (exit code "
                             f"{process.returncode}); see the messages above") from exc
        assert isinstance(ready, dict)
        self.isolated = bool(ready.get("isolated"))
        if stats and "graph_triples" in ready:
            self.release = replace(self.release, graph_triples=ready["graph_triples"])
        return worker

    def _lost(self, worker: _Worker) -> None:
        """A worker's socket closed: if nobody retired it (it died on its own, even while idle),
        replace it now rather than when a request finds it dead."""
        if not worker.retired and not self._closed and worker in self._workers:
            self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now and start its successor in the background (once per worker)."""
        if worker.retired:
            return
        worker.retired = True
        self._workers.discard(worker)
        try:
            worker.process.kill()
        except ProcessLookupError:
            pass
        task = asyncio.get_running_loop().create_task(self._respawn(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self, worker: _Worker) -> None:
        await worker.kill()
        for attempt in range(5):
            if self._closed:
                return
            try:
                fresh = await self._spawn()
            except StoreError as exc:
                self._log(f"could not replace a query worker ({exc}); retrying")
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            self.replaced += 1
            self._idle.put_nowait(fresh)
            return
        self._log("gave up replacing a query worker: the pool is one worker smaller")

    # --- running jobs -------------------------------------------------------------------------

    async def run(self, job: Job) -> Answer:
        """Answer ``job`` in a worker. Raises :class:`Overloaded` when no worker frees up before
        the deadline (or too many requests wait), :class:`QueryTimeout` when the query runs past
        it, :class:`EngineFailure` when its worker dies."""
        if not self._started:
            await self.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        worker = await self._take(deadline)
        try:
            answer = await worker.call(job, max(deadline - loop.time(), 0.001))
        except asyncio.TimeoutError:
            self._replace(worker)
            raise QueryTimeout(f"the query ran longer than the limit of {self.timeout:g} s and was stopped") from None
        except (ConnectionError, OSError, pickle.UnpicklingError):
            self._replace(worker)
            limit = f" ({self._memory_mb} MiB)" if self._memory_mb else ""
            raise EngineFailure("the query engine stopped while running this query, for example because it needed "
                                f"more memory than a worker may use{limit}; the engine has been restarted") from None
        except asyncio.CancelledError:
            # The client went away mid-query: the worker's answer is still coming, so it cannot
            # take another job until it has been read; replace it rather than wait.
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        return answer


    async def _take(self, deadline: float) -> _Worker:
        """An idle, live worker: at once if there is one, else waiting until ``deadline``. A worker
        found dead while idle is replaced and the next one taken."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._idle.empty():
                worker = self._idle.get_nowait()
            else:
                if self._waiting >= self.queue_limit:
                    raise Overloaded(f"{self._waiting} requests are already waiting for a query worker")
                self._waiting += 1
                try:
                    worker = await asyncio.wait_for(self._idle.get(), max(deadline - loop.time(), 0.001))
                except asyncio.TimeoutError:
                    raise Overloaded(f"every query worker stayed busy for {self.timeout:g} s") from None
                finally:
                    self._waiting -= 1
            if not worker.retired and not worker.connection.closed:
                return worker
            self._replace(worker)  # (does nothing if it was already retired)


def default_size() -> int:
    """The default number of workers: one per CPU, at least two (so a runaway query never takes
    the whole pool)."""
    return max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2)
