"""The worker pool on its own: deadlines, a worker that dies, a caller that goes away."""

from __future__ import annotations

import asyncio
import time

import pytest

from ilograph.store import EngineFailure, Job, Overloaded, QueryTimeout
from ilograph.web.pool import WorkerPool

from .conftest import RUNAWAY


def job(query: str, release) -> Job:
    return Job(query=query, format="json", max_rows=100, base_iri=release.base)


async def settle(pool: WorkerPool, replaced: int) -> None:
    deadline = time.monotonic() + 20
    while pool.replaced < replaced:
        assert time.monotonic() < deadline, "no replacement worker"
        await asyncio.sleep(0.05)


def test_timeout_kills_and_replaces(web_release) -> None:
    async def go() -> None:
        pool = WorkerPool(web_release, size=1, timeout=1.0)
        try:
            await pool.start()
            assert pool.release.graph_triples  # the first worker counted the graphs
            started = time.monotonic()
            with pytest.raises(QueryTimeout):
                await pool.run(job(RUNAWAY, web_release))
            assert 0.9 < time.monotonic() - started < 3
            answer = await pool.run(job("ASK { ?s ?p ?o }", web_release))  # waits for the replacement
            assert answer.body == b'{"head":{},"boolean":true}'
            assert pool.replaced == 1
        finally:
            await pool.close()
    asyncio.run(go())


def test_a_worker_that_runs_out_of_memory_is_replaced(web_release) -> None:
    async def go() -> None:
        pool = WorkerPool(web_release, size=1, timeout=30, memory_mb=400)
        try:
            await pool.start()
            with pytest.raises(EngineFailure, match="more memory"):
                await pool.run(job("SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g", web_release))
            assert (await pool.run(job("ASK {}", web_release))).error is None
        finally:
            await pool.close()
    asyncio.run(go())


def test_a_caller_that_goes_away_frees_its_worker(web_release) -> None:
    async def go() -> None:
        pool = WorkerPool(web_release, size=1, timeout=30, queue_limit=0)
        try:
            await pool.start()
            task = asyncio.create_task(pool.run(job(RUNAWAY, web_release)))
            await asyncio.sleep(0.3)
            with pytest.raises(Overloaded):  # the only worker is busy and nobody may wait
                await pool.run(job("ASK {}", web_release))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await settle(pool, 1)
            assert (await pool.run(job("ASK {}", web_release))).error is None
        finally:
            await pool.close()
    asyncio.run(go())


def test_syntax_errors_come_back_with_their_position(web_release) -> None:
    async def go() -> None:
        pool = WorkerPool(web_release, size=1, timeout=5)
        try:
            answer = await pool.run(job("SELECT * WHERE {\n ?s ?p }", web_release))
            assert answer.error == "syntax" and answer.line == 2 and answer.column
        finally:
            await pool.close()
    asyncio.run(go())


def test_a_worker_that_died_while_idle_is_skipped(web_release) -> None:
    async def go() -> None:
        pool = WorkerPool(web_release, size=2, timeout=10)
        try:
            await pool.start()
            victim = next(iter(pool._workers))
            victim.process.kill()
            await victim.process.wait()
            await settle(pool, 1)  # noticed and replaced without waiting for a request to find it
            for _ in range(4):
                assert (await pool.run(job("ASK {}", web_release))).error is None
            assert victim not in pool._workers and len(pool._workers) == 2
        finally:
            await pool.close()
    asyncio.run(go())
