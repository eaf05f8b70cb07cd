"""Several query workers share one on-disk store, each opening it read-only (no copy of the
release in any worker), and answer at the same time what a store loaded in memory answers; the
triples per graph come from the store's marker, not from a query at start-up."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from ilograph.store import InProcessStore, Job, graph_sizes, load_release, open_disk_store, prepare_disk_store, read_release
from ilograph.web.pool import WorkerPool

QUERIES = ["SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
           "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
           "SELECT ?s WHERE { ?s a ?type } ORDER BY ?s LIMIT 50",
           "ASK { ?s ?p ?o }"]


def rows(body: bytes) -> object:
    result = json.loads(body)
    return result.get("boolean", result.get("results"))


def test_workers_share_the_on_disk_store(release, tmp_path: Path) -> None:
    info = read_release(Path(release.path))
    folder = tmp_path / "store"
    prepare_disk_store(folder, info)
    held = open_disk_store(folder)
    assert held is not None
    memory = InProcessStore(info)
    jobs = [Job(query=q, format="json", max_rows=1000, base_iri=info.base) for q in QUERIES] * 3

    async def go() -> None:
        pool = WorkerPool(info, size=3, timeout=60, store_path=folder)
        await pool.start()
        try:
            assert pool.release.graph_triples == graph_sizes(load_release(info)) == memory.release.graph_triples
            for worker in pool._workers:  # each has the store's own files open, read-only
                pid = worker.process.pid
                opened = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
                assert any(path.startswith(str(held.oxigraph)) for path in opened), opened
            answers = await asyncio.gather(*(pool.run(job) for job in jobs))
            expected = [await memory.run(job) for job in jobs]
            assert [rows(a.body) for a in answers] == [rows(e.body) for e in expected]
            assert pool._idle.qsize() == 3 and pool.replaced == 0
        finally:
            await pool.close()

    asyncio.run(go())


def test_a_pool_refuses_a_store_of_another_release(release, tmp_path: Path) -> None:
    import pytest

    from ilograph.store import StoreError

    info = read_release(Path(release.path))
    folder = tmp_path / "store"
    prepare_disk_store(folder, info)
    marker = json.loads((folder / "ilograph-store.json").read_text())
    marker["release"] = "0" * 16
    (folder / "ilograph-store.json").write_text(json.dumps(marker))

    async def go() -> None:
        pool = WorkerPool(info, size=1, timeout=10, store_path=folder)
        try:
            with pytest.raises(StoreError, match="does not hold release"):
                await pool.start()
        finally:
            await pool.close()

    asyncio.run(go())


PREPARE = ("import sys; from pathlib import Path; from ilograph.store import prepare_disk_store, read_release; "
           "print(prepare_disk_store(Path(sys.argv[1]), read_release(Path(sys.argv[2]))))")


def test_two_servers_starting_at_once_load_the_store_once(release, tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "store"
    starts = [subprocess.Popen([sys.executable, "-c", PREPARE, str(folder), str(release.path)], stdout=subprocess.PIPE,
                               text=True) for _ in range(2)]
    reused = sorted(p.communicate(timeout=600)[0].strip() for p in starts)
    assert [p.returncode for p in starts] == [0, 0]
    assert reused == ["False", "True"]  # one loaded it while the other waited for the lock, then took it as it was
    held = open_disk_store(folder)
    assert held is not None and held.release == read_release(Path(release.path)).id
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "ilograph-store.json", f"release-{held.release}"]
