"""The store a service queries: one small protocol, the release it holds, and the failures a
query can meet on its way.

A :class:`Store` runs a :class:`Job` (a query, its dataset, the format and the row cap) and returns
an :class:`Answer` (serialized bytes), or raises one of the :class:`StoreError` subclasses. Two
implementations: :class:`InProcessStore` (pyoxigraph in this process: no timeout, for tests and
tools) and :class:`ilograph.web.pool.WorkerPool` (worker processes that can be killed at a
deadline: what ``ilograph serve`` uses).

It also reads a release folder (:func:`read_release`), tells whether it is up to date with the
sources (:func:`release_is_current`: a full check once, then a stamp of file sizes, times and
inodes kept in ``<project>/.ilograph/``, so a restart on an unchanged release costs stat calls),
and keeps an on-disk store in step with a release (:func:`prepare_disk_store`, opened read-only by
:func:`open_disk_store`).

An on-disk store folder (``--store DIR``, by default ``<project>/.ilograph/store``) holds a marker
(:data:`STORE_MARKER`: the layout, the release, the triples per graph and the name of the
sub-folder holding it) and one sub-folder per release: ``oxigraph/`` (the pyoxigraph store, laid
out as :func:`load_release` does) and ``exact.sqlite`` (:class:`ExactLiterals`). A new release is
built in a hidden sibling sub-folder under a lock, renamed, and switched to by replacing the
marker: a reader sees the old release or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import pyoxigraph as ox

from .errors import IlographError, InputError
from .project import Project

STORE_MARKER = "ilograph-store.json"
#: How a store holds a release: every file's named graph, and in the default graph the merge of
#: all of them (each triple once); on disk, one sub-folder per release named by the marker.
#: Bumped when that changes, so on-disk stores are rebuilt.
STORE_LAYOUT = 4
#: What a release holds and how (its files, their formats, the manifest's fields), written in its
#: ``release.json``. Bumped whenever that changes, so that a release written by an older ilograph
#: is rebuilt rather than served as current.
RELEASE_LAYOUT = 2
#: The folder of a project where ``ilograph serve`` keeps what it may rebuild at any time (the
#: default on-disk store, the stamps of verified releases); never part of a release.
STATE_DIR = ".ilograph"


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
    ``sources_digest`` in ``release.json``, every file matching ``SHA256SUMS``).

    The full check hashes every source and release file. Once it passes, a stamp (size,
    modification and change times, inode of every source and release file) is kept in
    ``<project>/.ilograph/stamps/``; while nothing differs from it, the answer is True without
    reading any file. Any difference (a file written, replaced, added or removed, another
    ilograph version) falls back to the full check. ``ilograph verify`` always checks in full.
    """
    folder = Path(folder).absolute()
    sources = sources_snapshot(project)
    files = _release_snapshot(folder)
    if files is None:
        return False
    stamp = _stamp_path(project, folder)
    if _read_json(stamp) == _stamp(folder, sources, files):
        return True
    from .release import sources_digest, verify  # (only now: it imports the validators)

    try:
        manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    current = (manifest.get("layout") == RELEASE_LAYOUT and manifest.get("sources_digest") == sources_digest(project)
               and not verify(folder))
    if current:
        _write_stamp(stamp, _stamp(folder, sources, files))
    return current


def record_current(project: Project, folder: Path, sources: dict[str, list[int]]) -> None:
    """Stamp the release just built at ``folder`` as current, with ``sources`` (the
    :func:`sources_snapshot` taken *before* the build read them: a source changed since then does
    not match the stamp, so the next start checks in full)."""
    folder = Path(folder).absolute()
    files = _release_snapshot(folder)
    if files is not None:
        _write_stamp(_stamp_path(project, folder), _stamp(folder, sources, files))


def sources_snapshot(project: Project) -> dict[str, list[int]]:
    """Size, times and inode of every file a release is made from (a superset of what
    :func:`ilograph.release.sources_digest` reads: every file under ``ontology/``, ``data/``,
    ``shapes/`` and ``queries/checks/``, and ``ilograph.toml``)."""
    found: dict[str, list[int]] = {}
    for top in (project.ontology_dir, project.data_dir, project.shapes_dir, project.checks_dir):
        if top.is_dir():
            for path in sorted(top.rglob("*")):
                if path.is_file():
                    found[path.relative_to(project.root).as_posix()] = _stat(path)
    config = project.root / "ilograph.toml"
    if config.is_file():
        found["ilograph.toml"] = _stat(config)
    return found


def _stat(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _release_snapshot(folder: Path) -> dict[str, list[int]] | None:
    """The stat of every file ``SHA256SUMS`` lists, and of itself; None when one is missing."""
    try:
        names = ["SHA256SUMS", "release.json"]
        for line in (folder / "SHA256SUMS").read_text(encoding="ascii", errors="replace").splitlines():
            name = line.partition("  ")[2]
            if name:
                names.append(name)
        return {name: _stat(folder / name) for name in sorted(set(names))}
    except OSError:
        return None


def _stamp(folder: Path, sources: dict[str, list[int]], files: dict[str, list[int]]) -> dict:
    from . import __version__

    return {"tool": __version__, "layout": RELEASE_LAYOUT, "folder": str(folder), "resolved": str(folder.resolve()),
            "sources": sources, "files": files}


def _stamp_path(project: Project, folder: Path) -> Path:
    key = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    return project.root / STATE_DIR / "stamps" / f"{key}.json"


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _write_stamp(path: Path, stamp: dict) -> None:
    """Write ``stamp`` atomically; a project folder that cannot be written keeps no stamp (every
    start then checks in full)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stamp, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


_FILL_BATCH = 200_000


def load_release(release: ReleaseInfo, path: Path | None = None) -> ox.Store:
    """A pyoxigraph store holding the release (in memory, or at ``path`` on disk), filled by
    :func:`fill`."""
    store = ox.Store(str(path)) if path is not None else ox.Store()
    fill(store, release.quads_file)
    return store


def fill(store: ox.Store, quads_file: Path) -> None:
    """Load a release's N-Quads dump into ``store``: each source file's named graph, and in the
    default graph the whole graph, that is the RDF merge of the named graphs with each triple once
    (what the N-Triples dump holds), with the same blank nodes as the named graphs (the dumps'
    labels are kept: a blank node is one node wherever it is stated).

    The merge is stored rather than asked for with ``use_default_graph_as_union``, because
    pyoxigraph 0.5 counts a triple once per graph that holds it there (oxigraph issue 1919, fixed
    after 0.5): a fact stated in two source files would come back twice.
    """
    default = ox.DefaultGraph()
    batch: list[ox.Quad] = []
    for q in ox.parse(path=str(quads_file), format=ox.RdfFormat.N_QUADS):
        batch.append(q)
        if not isinstance(q.graph_name, ox.DefaultGraph):
            batch.append(ox.Quad(q.subject, q.predicate, q.object, default))
        if len(batch) >= _FILL_BATCH:  # one bulk load per batch: memory stays flat (one call for 1M
            store.bulk_extend(batch)   # triples peaked at 2 GB, batches at 350 MB, and were faster)
            batch = []
    if batch:
        store.bulk_extend(batch)


def load_merge(release: ReleaseInfo) -> ox.Store:
    """An in-memory store holding only the merged graph (the N-Triples dump) in its default graph:
    what a query with no ``GRAPH`` clause and no dataset of its own can see, scanned faster than
    the same graph beside the named graphs."""
    store = ox.Store()
    store.bulk_load(path=str(release.triples_file), format=ox.RdfFormat.N_TRIPLES)
    return store


def default_store_dir(project: Project) -> Path:
    """Where ``ilograph serve`` keeps its on-disk store unless told otherwise."""
    return project.root / STATE_DIR / "store"


@dataclass(frozen=True)
class DiskStore:
    """An on-disk store that holds a release: the pyoxigraph folder, the exact literals, and the
    triples per named graph (counted once, when it was loaded)."""

    folder: Path
    release: str
    oxigraph: Path
    exact: Path
    graph_triples: dict[str, int]

    def open(self) -> ox.Store:
        """The store, opened read-only (any number of processes may do so at once)."""
        return ox.Store.read_only(str(self.oxigraph))


def open_disk_store(path: Path) -> DiskStore | None:
    """The store that the folder ``path`` holds now (per its marker), or None when it holds none."""
    path = Path(path)
    marker = _read_json(path / STORE_MARKER)
    if not marker or marker.get("layout") != STORE_LAYOUT or not marker.get("release") or not marker.get("current"):
        return None
    sub = path / str(marker["current"])
    if "/" in str(marker["current"]) or not (sub / "oxigraph").is_dir():
        return None
    return DiskStore(folder=sub, release=str(marker["release"]), oxigraph=sub / "oxigraph",
                     exact=sub / "exact.sqlite",
                     graph_triples={str(k): int(v) for k, v in (marker.get("graph_triples") or {}).items()})


def prepare_disk_store(path: Path, release: ReleaseInfo, *, progress: Callable[[str], None] | None = None) -> bool:
    """Make the on-disk store at ``path`` hold exactly ``release``; returns True when it already did.

    A new release is loaded into a hidden sub-folder while holding a lock (two servers starting at
    once load it once), renamed, then switched to by replacing the marker, so an interrupted load
    leaves the previous release in place and is redone next time. The release before is kept (a
    server still running may read it) and older ones removed. Refuses (:class:`InputError`) to
    touch a non-empty folder that has no marker: it is not a store this tool made.
    """
    path = Path(path)
    if _holds(path, release):
        return True
    marker = path / STORE_MARKER
    if marker.is_file():
        held = _read_json(marker)
        if not held or held.get("layout") != STORE_LAYOUT:  # an earlier layout: the store itself at the top
            shutil.rmtree(path)
    elif path.exists() and (not path.is_dir() or any(not e.name.startswith(_OURS) for e in path.iterdir())):
        raise InputError(f"{path}: not empty and not an ilograph store (no {STORE_MARKER}); "
                         "give an empty or new folder to --store")
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not marker.is_file():
            _write_marker(path, {"layout": STORE_LAYOUT, "release": None})
        with _locked(path / ".lock"):
            if _holds(path, release):  # another process loaded it while we waited
                return True
            for stale in path.glob(".loading-*"):
                shutil.rmtree(stale, ignore_errors=True)
            work = path / f".loading-{release.id}-{os.getpid()}"
            work.mkdir()
            say = progress or (lambda message: None)
            say(f"loading {release.triples} triples into the store at {path}")
            store = load_release(release, work / "oxigraph")
            store.optimize()
            store.flush()
            sizes = graph_sizes(store)
            del store
            say("recording the literals the store keeps in canonical form")
            ExactLiterals.write(work / "exact.sqlite", ox.parse(path=str(release.quads_file),
                                                                 format=ox.RdfFormat.N_QUADS))
            name = f"release-{release.id}"
            final = path / name
            if final.exists():
                shutil.rmtree(final)
            os.rename(work, final)
            before = (_read_json(marker) or {}).get("current")
            _write_marker(path, {"layout": STORE_LAYOUT, "release": release.id, "current": name,
                                 "triples": release.triples, "graph_triples": sizes})
            for old in path.glob("release-*"):
                if old.name not in (name, before):
                    shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the store: {exc}") from None
    return False


#: what a store folder holds besides its releases while another process is creating it
_OURS = (STORE_MARKER, ".lock", ".loading-")


def _holds(path: Path, release: ReleaseInfo) -> bool:
    held = open_disk_store(path)
    return held is not None and held.release == release.id and held.exact.is_file()


def _write_marker(path: Path, value: dict) -> None:
    tmp = path / f"{STORE_MARKER}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(value, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path / STORE_MARKER)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- exact literals ---------------------------------------------------------------------------

_PLAIN = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
_BATCH = 50_000


def canonical_changes(quads: Iterable[ox.Quad]) -> Iterator[tuple[str, str, ox.Literal, ox.Literal]]:
    """(subject IRI, predicate IRI, literal as a store keeps it, literal as written) for every
    literal of ``quads`` that a pyoxigraph store gives back in another form (``"01"^^xsd:integer``
    as ``"1"``, ``xsd:positiveInteger`` as ``xsd:integer`` ...), and for a literal kept as it is
    that shares its subject, predicate and stored form with such a one (``"1"`` beside ``"01"``:
    the store holds one triple for both). Each distinct typed literal is put through a small
    in-memory store once, in batches of :data:`_BATCH` quads (a pair split by a batch's end, or
    stated in another file, is not seen as one: its ``"1"`` reads back as ``"01"`` alone); nothing
    is held but a batch and a bounded cache."""
    seen: dict[ox.Literal, ox.Literal | None] = {}
    batch: list[tuple[str, str, ox.Literal]] = []

    def flush() -> Iterator[tuple[str, str, ox.Literal, ox.Literal]]:
        if len(seen) > 1_000_000:
            seen.clear()
        fresh = list({lit for _, _, lit in batch if lit not in seen})
        if fresh:
            probe = ox.Store()
            pred = ox.NamedNode("urn:ilograph:p")
            probe.extend(ox.Quad(ox.NamedNode(f"urn:ilograph:{i}"), pred, lit) for i, lit in enumerate(fresh))
            for q in probe:
                lit = fresh[int(q.subject.value[len("urn:ilograph:"):])]
                seen[lit] = None if q.object == lit else q.object  # type: ignore[assignment]
        changed = set()
        for s, p, lit in batch:
            stored = seen.get(lit)
            if stored is not None:
                changed.add((s, p, stored))
                yield s, p, stored, lit
        for s, p, lit in batch:  # a literal written as stored beside another form of the same value
            if seen.get(lit) is None and (s, p, lit) in changed:
                yield s, p, lit, lit
        batch.clear()

    for q in quads:
        o = q.object
        if (isinstance(o, ox.Literal) and isinstance(q.subject, ox.NamedNode) and o.language is None
                and o.datatype.value not in _PLAIN):
            batch.append((q.subject.value, q.predicate.value, o))
            if len(batch) >= _BATCH:
                yield from flush()
    yield from flush()


class ExactLiterals:
    """The literals a store keeps in canonical form, as the release wrote them, by subject: what
    a page or document needs to give back ``"2"^^xsd:positiveInteger`` rather than the store's
    ``"2"^^xsd:integer``. Built with :meth:`scan` (in memory) or :meth:`write` (a SQLite file,
    opened with :meth:`open`: nothing is read until a subject is asked for)."""

    def __init__(self, rows: dict[str, list[tuple[str, ox.Literal, ox.Literal]]] | None = None,
                 connection: sqlite3.Connection | None = None) -> None:
        self._rows = rows
        self._connection = connection
        self._lock = threading.Lock()

    @classmethod
    def scan(cls, quads: Iterable[ox.Quad]) -> ExactLiterals:
        rows: dict[str, list[tuple[str, ox.Literal, ox.Literal]]] = {}
        for s, p, stored, written in canonical_changes(quads):
            rows.setdefault(s, []).append((p, stored, written))
        return cls(rows=rows)

    @staticmethod
    def write(path: Path, quads: Iterable[ox.Quad]) -> None:
        """Write the changes found in ``quads`` to a new SQLite file at ``path``."""
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE exact (subject TEXT, predicate TEXT, stored_value TEXT, stored_type TEXT, "
                       "value TEXT, type TEXT)")
            rows = ((s, p, st.value, st.datatype.value, w.value, w.datatype.value)
                    for s, p, st, w in canonical_changes(quads))
            db.executemany("INSERT INTO exact VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.execute("CREATE INDEX exact_subject ON exact (subject)")
            db.commit()

    @classmethod
    def open(cls, path: Path) -> ExactLiterals:
        """The file written by :meth:`write`, read-only. Raises :class:`InputError` if unreadable."""
        try:
            db = sqlite3.connect(f"file:{Path(path).absolute()}?mode=ro", uri=True, check_same_thread=False)
            db.execute("SELECT 1 FROM exact LIMIT 1")
        except sqlite3.Error as exc:
            raise InputError(f"{path}: cannot read the exact literals of the store: {exc}") from None
        return cls(connection=db)

    def of(self, subject: str) -> list[tuple[str, ox.Literal, ox.Literal]]:
        """(predicate, literal as stored, literal as written) of ``subject``."""
        if self._rows is not None:
            return self._rows.get(subject, [])
        assert self._connection is not None
        with self._lock:
            found = self._connection.execute(
                "SELECT predicate, stored_value, stored_type, value, type FROM exact WHERE subject = ?",
                (subject,)).fetchall()
        return [(p, ox.Literal(sv, datatype=ox.NamedNode(st)), ox.Literal(v, datatype=ox.NamedNode(t)))
                for p, sv, st, v, t in found]

    def restore(self, triples: Iterable[ox.Triple]) -> set[ox.Triple]:
        """``triples`` with each literal the store changed replaced by the forms the release wrote."""
        out: set[ox.Triple] = set()
        known: dict[str, dict[tuple[str, ox.Literal], list[ox.Literal]]] = {}
        for t in triples:
            if isinstance(t.object, ox.Literal) and isinstance(t.subject, ox.NamedNode):
                table = known.get(t.subject.value)
                if table is None:
                    table = {}
                    for p, stored, written in self.of(t.subject.value):
                        table.setdefault((p, stored), []).append(written)
                    known[t.subject.value] = table
                written_forms = table.get((t.predicate.value, t.object))
                if written_forms:
                    out.update(ox.Triple(t.subject, t.predicate, w) for w in written_forms)
                    continue
            out.add(t)
        return out

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


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
