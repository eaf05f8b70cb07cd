"""The store a service queries: one small protocol, the release it holds, and the failures a
query can meet on its way.

A :class:`Store` runs a :class:`Job` (a query, its dataset, the format and the row cap) and returns
an :class:`Answer` (serialized bytes), or raises one of the :class:`StoreError` subclasses. Two
implementations: :class:`InProcessStore` (pyoxigraph in this process: no timeout, for tests and
tools) and :class:`ilograph.web.pool.WorkerPool` (worker processes that can be killed at a
deadline: what ``ilograph serve`` uses).

It also reads a release folder (:func:`read_release`), tells whether it is up to date with the
sources (:func:`release_is_current`), and keeps an on-disk store in step with a release
(:func:`prepare_disk_store`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from .errors import IlographError, InputError
from .project import Project

STORE_MARKER = "ilograph-store.json"
#: How a store holds a release: every file's named graph, and in the default graph the merge of
#: all of them (each triple once). Bumped when that changes, so on-disk stores are rebuilt.
STORE_LAYOUT = 2


# --- jobs and answers -------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One query to run. ``default_graphs``/``named_graphs`` (both None unless the request names a
    dataset) restrict the dataset; otherwise the query's own ``FROM`` clauses apply, or, with
    ``union``, the default graph is the union of every graph. ``format`` is a short format name
    (``json``, ``turtle``, ...); ``prefixes`` make Turtle and RDF/XML readable; ``within_cap`` says
    the query cannot return more than ``max_rows`` solutions (its own LIMIT is lower), so its result
    may be written whole by the engine's own, faster, serializer; ``uses_graph`` that it has a
    ``GRAPH`` clause (without one, a query on the merged default graph can run on a store that
    holds that graph alone, where scans are faster); ``compress`` that the client takes gzip, so a
    body worth it comes back compressed (the work is done where the query ran, not in the server's
    event loop)."""

    query: str
    format: str
    max_rows: int
    base_iri: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union: bool = True
    prefixes: tuple[tuple[str, str], ...] = ()
    within_cap: bool = False
    uses_graph: bool = True
    compress: bool = False


@dataclass(frozen=True)
class Answer:
    """What running a job gave: the serialized ``body``, the number of ``rows`` (solutions or
    triples; -1 when not counted: an ASK, or a result the engine wrote whole) and whether the row
    cap cut it, and the body's ``encoding`` (``gzip`` or None); or, with ``error`` set (``syntax`` or
    ``engine``), a message and, for a syntax error, its line and column."""

    body: bytes = b""
    rows: int = 0
    truncated: bool = False
    encoding: str | None = None
    error: str | None = None
    message: str = ""
    line: int | None = None
    column: int | None = None


class StoreError(IlographError):
    """A job could not be answered (the subclasses say why)."""


class QueryTimeout(StoreError):
    """The query ran past the deadline and was stopped (its worker was killed and replaced)."""


class Overloaded(StoreError):
    """Every worker stayed busy until the deadline, or too many requests were already waiting."""


class EngineFailure(StoreError):
    """The engine failed while running the query (for example its worker process died)."""


class Store(Protocol):
    """What the web layer needs from a store."""

    release: "ReleaseInfo"

    async def start(self) -> None:
        """Get ready to answer (start workers). Raises :class:`StoreError` if it cannot."""

    async def run(self, job: Job) -> Answer:
        """Answer ``job``. Raises :class:`QueryTimeout`, :class:`Overloaded` or :class:`EngineFailure`."""

    async def close(self) -> None:
        """Stop every worker; idempotent."""


# --- releases ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseInfo:
    """What a service needs to know about the release it serves."""

    id: str
    folder: Path
    quads_file: Path
    triples_file: Path
    triples: int
    graphs: tuple[str, ...]
    base: str
    title: str
    graph_triples: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


def release_id(folder: Path) -> str:
    """A release's id: the digest of its ``SHA256SUMS`` (as :mod:`ilograph.release` computes it)."""
    return hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()[:16]


def read_release(folder: Path) -> ReleaseInfo:
    """Read a release folder's manifest. Raises :class:`InputError` when it is not a release."""
    folder = Path(folder).resolve()
    try:
        manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
        quads = next(f["name"] for f in manifest["files"] if f["media_type"] == "application/n-quads")
        triples = next(f["name"] for f in manifest["files"] if f["media_type"] == "application/n-triples")
        return ReleaseInfo(id=release_id(folder), folder=folder, quads_file=folder / quads,
                           triples_file=folder / triples,
                           triples=int(manifest["triples"]), graphs=tuple(manifest["graphs"]),
                           base=manifest["dataset"]["base"], title=manifest["dataset"].get("title", ""))
    except (OSError, ValueError, KeyError, StopIteration, TypeError) as exc:
        raise InputError(f"{folder}: not a readable ilograph release ({type(exc).__name__}: {exc}); "
                         "run `ilograph build`") from None


def release_is_current(project: Project, folder: Path) -> bool:
    """True when ``folder`` holds an intact release made from the project's current sources (same
    ``sources_digest`` in ``release.json``, every file matching ``SHA256SUMS``)."""
    from .release import sources_digest, verify

    try:
        manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("sources_digest") == sources_digest(project) and not verify(folder)


def load_release(release: ReleaseInfo, path: Path | None = None) -> ox.Store:
    """A pyoxigraph store holding the release (in memory, or at ``path`` on disk): each source
    file's named graph from the N-Quads dump, and in the default graph the whole graph from the
    N-Triples dump, that is the RDF merge of the named graphs with each triple once.

    The merge is stored rather than asked for with ``use_default_graph_as_union``, because
    pyoxigraph 0.5 counts a triple once per graph that holds it there (oxigraph issue 1919, fixed
    after 0.5): a fact stated in two source files would come back twice.
    """
    store = ox.Store(str(path)) if path is not None else ox.Store()
    store.bulk_load(path=str(release.quads_file), format=ox.RdfFormat.N_QUADS)
    store.bulk_load(path=str(release.triples_file), format=ox.RdfFormat.N_TRIPLES)
    return store


def load_merge(release: ReleaseInfo) -> ox.Store:
    """An in-memory store holding only the merged graph (the N-Triples dump) in its default graph:
    what a query with no ``GRAPH`` clause and no dataset of its own can see, scanned faster than
    the same graph beside the named graphs."""
    store = ox.Store()
    store.bulk_load(path=str(release.triples_file), format=ox.RdfFormat.N_TRIPLES)
    return store


def prepare_disk_store(path: Path, release: ReleaseInfo) -> bool:
    """Make the on-disk store at ``path`` hold exactly ``release``; returns True when it already did.

    A marker file records the release id, written only once loading has finished, so an
    interrupted load is redone. Refuses (:class:`InputError`) to touch a non-empty folder that has
    no marker: it is not a store this tool made.
    """
    path = Path(path)
    marker = path / STORE_MARKER
    if marker.is_file():
        try:
            held = json.loads(marker.read_text(encoding="utf-8"))
            if held.get("release") == release.id and held.get("layout") == STORE_LAYOUT:
                return True
        except (OSError, ValueError):
            pass
        shutil.rmtree(path)
    elif path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"{path}: not empty and not an ilograph store (no {STORE_MARKER}); "
                         "give an empty or new folder to --store")
    path.mkdir(parents=True, exist_ok=True)
    try:
        store = load_release(release, path)
        store.optimize()
        store.flush()
        del store
    except OSError as exc:
        raise InputError(f"{path}: cannot write the store: {exc}") from None
    tmp = path / (STORE_MARKER + ".tmp")
    tmp.write_text(json.dumps({"release": release.id, "layout": STORE_LAYOUT, "triples": release.triples}) + "\n",
                   encoding="utf-8")
    os.replace(tmp, marker)
    return False


def graph_sizes(store: ox.Store) -> dict[str, int]:
    """Triples per named graph."""
    result = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"].value: int(row["n"].value) for row in result}  # type: ignore[union-attr,index]


# --- in-process store -------------------------------------------------------------------------

class InProcessStore:
    """Runs jobs on a pyoxigraph store in this process: no timeout and no isolation, so for tests
    and tools, not for serving the public. A ``store`` given must be laid out as
    :func:`load_release` does."""

    def __init__(self, release: ReleaseInfo, store: ox.Store | None = None) -> None:
        self._store = store if store is not None else load_release(release)
        self._merge = load_merge(release) if store is None else None
        self.release = ReleaseInfo(**{**release.__dict__, "graph_triples": graph_sizes(self._store)})

    async def start(self) -> None:
        return None

    async def run(self, job: Job) -> Answer:
        from .web.results import answer

        return answer(self._store, job, merge=self._merge)

    async def close(self) -> None:
        return None
