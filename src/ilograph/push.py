"""``ilograph push URL``: load a release into a SPARQL 1.1 store, all or nothing.

The release goes first into a new set of staging graphs (``<base>graph/ilograph-staging/TOKEN/N``,
one per source file, and one for the merge): on Oxigraph, one streamed N-Quads ``POST`` to its
``/store`` with its bulk loader, and one N-Triples ``POST`` for the merge; on a store with a Graph
Store Protocol endpoint (``--graph-store``), one N-Triples ``POST`` per graph; otherwise one SPARQL
``INSERT`` request each. The staged graphs are counted: a store that took less than was sent
fails the push here. Then a single SPARQL Update request switches: it drops the graphs of the
release held before, moves each staging graph to its real name (see
:class:`ilograph.remote.Layout`) and rewrites the marker graph. Oxigraph runs one update request
in one transaction, so a reader sees the old release or the new one, never a mix or an empty
store; and ilograph's own readers (:class:`ilograph.remote.RemoteStore`) never see staging graphs,
as every query they send names its dataset. A push that fails before the switch drops what it
staged and leaves the store as it was.

The switch copies every quad once inside one transaction, which costs the store memory in
proportion to the release (Oxigraph: about 6 GB at 1M triples). A store that holds no release yet
has no reader to protect, so there the release is loaded in place and the marker, written last, is
what makes it visible (``serve --store-url`` refuses a store without it): the way to put a large
release in a fresh store, for example beside the one in service (blue-green).

Blank nodes keep their identity because a graph always goes in one request (stores such as
Oxigraph scope blank node labels to a request).
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path

import httpx
import pyoxigraph as ox

from .errors import IlographError
from .progress import Progress
from .remote import DCTERMS, VOID, Layout, Marker, marker_query, parse_marker
from .store import ReleaseInfo, StoreError

#: Quads parsed and written per piece of a streamed upload.
BATCH = 20_000


class PushError(IlographError):
    """The push failed: the store cannot be reached, refused us, or rejected the data. Nothing was
    switched. ``exit_code`` 2 (the URL, credentials or store are wrong) or 3 (the store failed)."""

    def __init__(self, message: str, exit_code: int = 2, *, answered: bool = True) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.answered = answered  # False: no answer came (the store may have done it all the same)


@dataclass(frozen=True)
class Endpoints:
    """Where to query, update and (when the store has one) use the Graph Store Protocol.
    ``bulk``: the graph store takes Oxigraph's ``no_transaction`` (load staging graphs with the
    bulk loader, not in one big transaction)."""

    query: str
    update: str
    graph_store: str | None = None
    bulk: bool = False


def endpoints(url: str, *, update: str | None = None, graph_store: str | None = None) -> Endpoints:
    """The endpoints of a store from its query URL: Oxigraph's layout (``/query``, ``/update``,
    ``/store``) when the URL ends with ``/query``; otherwise updates go to the URL itself and data
    as SPARQL Update, unless ``graph_store`` is given."""
    if not url.startswith(("http://", "https://")):
        raise PushError(f"{url}: give the store's SPARQL query endpoint as an http(s) URL")
    root = url[:-len("/query")] if url.rstrip("/").endswith("/query") else None
    if root is not None:
        return Endpoints(query=url, update=update or root + "/update",
                         graph_store=graph_store or root + "/store", bulk=graph_store is None)
    return Endpoints(query=url, update=update or url, graph_store=graph_store)


@dataclass(frozen=True)
class Pushed:
    """What a push did: the release now held, its size, the release held before (None: none),
    seconds taken, and whether the store already held it (nothing was sent)."""

    release: str
    triples: int
    graphs: int
    previous: str | None
    seconds: float
    unchanged: bool = False


def push(release: ReleaseInfo, ends: Endpoints, *, progress: Progress | Callable[[str], None] | None = None,
         force: bool = False, transport: httpx.BaseTransport | None = None) -> Pushed:
    """Load ``release`` into the store at ``ends`` and switch to it atomically. Does nothing when
    the store already holds it (unless ``force``). Raises :class:`PushError`."""
    show = Progress.of(progress)
    started = time.perf_counter()
    layout = Layout(release.base)
    clash = set(layout.reserved()) & set(release.graphs)
    if clash or any(g.startswith(layout.staging) for g in release.graphs):
        raise PushError(f"the release has a graph named {min(clash) if clash else layout.staging + '...'}, "
                        "a name ilograph keeps for its own use in a remote store; rename that source file")
    timeout = httpx.Timeout(600.0, connect=10.0)
    with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
        with show.stage("check the store") as stage:
            previous = _held(client, ends, layout)
            stage.done(None)
        if previous is not None and previous.release == release.id and not force:
            show.note(f"the store already holds release {release.id}")
            return Pushed(release.id, release.triples, len(release.graphs), previous.release,
                          time.perf_counter() - started, unchanged=True)
        if previous is None:  # no release to keep serving meanwhile: load in place, the marker last
            staging = {g: g for g in release.graphs}
            merge_staging = layout.merge
            _update(client, ends, " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in [*staging, merge_staging]),
                    "clear the graphs of an unfinished push")
        else:
            token = f"{release.id}-{secrets.token_hex(4)}"
            staging = {g: f"{layout.staging}{token}/{i}" for i, g in enumerate(release.graphs)}
            merge_staging = f"{layout.staging}{token}/merge"
        switched: bool | None = False
        try:
            with show.stage("upload the source graphs") as stage:
                sizes = {g: 0 for g in release.graphs}
                _upload_quads(client, ends, release.quads_file, staging, sizes)
                stage.done(sum(sizes.values()), "quads")
            with show.stage("upload the merged graph") as stage:
                _upload_triples(client, ends, release.triples_file, merge_staging)
                stage.done(release.triples)
            with show.stage("check the staged graphs") as stage:
                _check_staged(client, ends, {**{staging[g]: n for g, n in sizes.items()},
                                             merge_staging: release.triples})
                stage.done(len(staging) + 1, "graphs")
            with show.stage("switch to the new release") as stage:
                try:
                    _update(client, ends, switch_update(layout, release, staging, merge_staging, sizes, previous),
                            "switch to the new release", timeout=None)
                except PushError as exc:
                    if not exc.answered:  # (the store may still be running it: leave everything be)
                        switched = None
                        raise PushError(f"{exc}; the store may still complete the switch: run the same push "
                                        "again to see which release it holds", 3) from None
                    raise
                switched = True
                stage.done(len(release.graphs), "graphs")
        finally:
            if switched is False:
                _drop_quietly(client, ends, [*staging.values(), merge_staging])
    return Pushed(release.id, release.triples, len(release.graphs), previous.release if previous else None,
                  time.perf_counter() - started)


def switch_update(layout: Layout, release: ReleaseInfo, staging: dict[str, str], merge_staging: str,
                  sizes: dict[str, int], previous: Marker | None) -> str:
    """The one SPARQL Update request that replaces the release held by the staged one: drop every
    graph of the previous release, move each staging graph to its name, rewrite the marker."""
    ops = [f"DROP SILENT GRAPH <{g}>" for g in sorted(set(previous.graph_triples if previous else ()) - set(release.graphs))]
    for name, staged in [*staging.items(), (layout.merge, merge_staging)]:
        if staged != name:  # (loaded in place when the store held no release)
            ops.append(f"DROP SILENT GRAPH <{name}>")
            ops.append(f"MOVE SILENT GRAPH <{staged}> TO GRAPH <{name}>")
    ops.append(f"DROP SILENT GRAPH <{layout.marker}>")
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    m = f"<{layout.marker}>"
    facts = [f'{m} <{DCTERMS}identifier> "{release.id}" .',
             f'{m} <{DCTERMS}modified> "{now}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
             f"{m} <{VOID}triples> {release.triples} ."]
    for name in release.graphs:
        facts.append(f"{m} <{DCTERMS}hasPart> <{name}> .")
        facts.append(f"<{name}> <{VOID}triples> {sizes.get(name, 0)} .")
    ops.append(f"INSERT DATA {{ GRAPH {m} {{\n  " + "\n  ".join(facts) + "\n} }")
    return " ;\n".join(ops)


# --- requests -----------------------------------------------------------------------------------

def _held(client: httpx.Client, ends: Endpoints, layout: Layout) -> Marker | None:
    response = _send(client, "POST", ends.query, "read the store's release marker",
                     data={"query": marker_query(layout)}, headers={"accept": "application/sparql-results+json"})
    try:
        return parse_marker(response.content)
    except StoreError as exc:
        raise PushError(str(exc), 3) from None


def _upload_quads(client: httpx.Client, ends: Endpoints, path: Path, staging: dict[str, str],
                  sizes: dict[str, int]) -> None:
    """The release's N-Quads with every graph renamed to its staging name, in one request."""
    def renamed() -> Iterator[ox.Quad]:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
            name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else None
            if name not in staging:
                raise PushError(f"{path}: a quad in graph {name!r}, which the release manifest does not list", 2)
            sizes[name] += 1
            yield ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(staging[name]))

    if ends.graph_store is not None and ends.bulk:  # Oxigraph: the whole dataset in one N-Quads request
        _send(client, "POST", ends.graph_store, "upload the source graphs", content=_nquads(renamed()),
              params={"no_transaction": ""}, headers={"content-type": "application/n-quads"})
    elif ends.graph_store is not None:  # the Graph Store Protocol proper: a request per graph
        for graph, quads in groupby(renamed(), key=lambda q: q.graph_name.value):  # type: ignore[union-attr]
            _send(client, "POST", ends.graph_store, f"upload graph <{graph}>", content=_nquads(quads, triples=True),
                  params={"graph": graph}, headers={"content-type": "application/n-triples"})
    else:
        _send(client, "POST", ends.update, "upload the source graphs", content=_insert_data(renamed()),
              headers={"content-type": "application/sparql-update"})


def _upload_triples(client: httpx.Client, ends: Endpoints, path: Path, graph: str) -> None:
    """The release's N-Triples (the merge) into ``graph``, in one request."""
    if ends.graph_store is not None:
        params = {"graph": graph, **({"no_transaction": ""} if ends.bulk else {})}
        _send(client, "POST", ends.graph_store, "upload the merged graph", content=_file(path), params=params,
              headers={"content-type": "application/n-triples"})
    else:
        triples = (ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
                   for t in (q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)))
        _send(client, "POST", ends.update, "upload the merged graph", content=_insert_data(triples),
              headers={"content-type": "application/sparql-update"})


def _check_staged(client: httpx.Client, ends: Endpoints, expected: dict[str, int]) -> None:
    """Count what the store holds in each staging graph: a store that took a request without
    storing all of it (some answer 200 to a body they could not read) fails here, before the
    switch."""
    names = " ".join(f"<{g}>" for g in expected)
    query = (f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g")
    response = _send(client, "POST", ends.query, "count the staged graphs", data={"query": query},
                     headers={"accept": "application/sparql-results+json"})
    try:
        rows = response.json()["results"]["bindings"]
        held = {row["g"]["value"]: int(row["n"]["value"]) for row in rows}
    except (ValueError, KeyError, TypeError) as exc:
        raise PushError(f"the store's answer to the count of the staged graphs is not SPARQL JSON results: {exc}", 3)
    wrong = [(g, n, held.get(g, 0)) for g, n in expected.items() if held.get(g, 0) != n]
    if wrong:
        g, n, got = wrong[0]
        raise PushError(f"the store holds {got} triples in staging graph <{g}> where {n} were sent "
                        f"({len(wrong)} graph(s) differ); it did not take the whole upload, so nothing was switched", 3)


def _spooled(chunks: Iterable[bytes]) -> tuple[Iterator[bytes], int]:
    """``chunks`` written to a temporary file first, to send with a ``Content-Length``: some stores
    (Virtuoso) answer 200 to a chunked request body without reading it."""
    spool = tempfile.TemporaryFile()
    size = 0
    for chunk in chunks:
        spool.write(chunk)
        size += len(chunk)
    spool.seek(0)

    def read() -> Iterator[bytes]:
        with spool:
            while piece := spool.read(1 << 20):
                yield piece

    return read(), size


def _batches(quads: Iterable[ox.Quad]) -> Iterator[list[ox.Quad]]:
    batch: list[ox.Quad] = []
    for quad in quads:
        batch.append(quad)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _nquads(quads: Iterable[ox.Quad], *, triples: bool = False) -> Iterator[bytes]:
    """N-Quads, or with ``triples`` N-Triples (the graph names dropped), a batch at a time."""
    for batch in _batches(quads):
        if triples:
            yield ox.serialize([q.triple for q in batch], format=ox.RdfFormat.N_TRIPLES) or b""
        else:
            yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS) or b""


def _insert_data(quads: Iterable[ox.Quad]) -> Iterator[bytes]:
    """One ``INSERT { ... } WHERE {}`` request (not ``INSERT DATA``, where Virtuoso refuses blank
    nodes), a ``GRAPH`` block per run of quads in the same graph (terms in N-Triples syntax, which
    SPARQL reads as it is); its one solution keeps each blank node one node."""
    yield b"INSERT {\n"
    current: str | None = None
    for batch in _batches(quads):
        out = []
        for quad in batch:
            graph = quad.graph_name.value  # type: ignore[union-attr]
            if graph != current:
                out.append(("} " if current is not None else "") + f"GRAPH <{graph}> {{\n")
                current = graph
            out.append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
        yield "".join(out).encode()
    yield b"}\n} WHERE {}\n" if current is not None else b"} WHERE {}\n"


def _file(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def _update(client: httpx.Client, ends: Endpoints, update: str, what: str, **kwargs: object) -> None:
    _send(client, "POST", ends.update, what, content=update.encode(),
          headers={"content-type": "application/sparql-update"}, **kwargs)


def _drop_quietly(client: httpx.Client, ends: Endpoints, graphs: list[str]) -> None:
    """Best effort: remove what a failed push staged (a store that is down keeps it; the next push
    uses new names, and the staging graphs are invisible to ilograph's readers)."""
    try:
        client.post(ends.update, content=" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs).encode(),
                    headers={"content-type": "application/sparql-update"})
    except httpx.HTTPError:
        pass


def _send(client: httpx.Client, method: str, url: str, what: str, **kwargs: object) -> httpx.Response:
    """One request; a refusal or a failure as a :class:`PushError` that says what and why."""
    content = kwargs.get("content")
    if content is not None and not isinstance(content, bytes):
        body, size = _spooled(content)  # type: ignore[arg-type]
        kwargs["content"] = body
        kwargs["headers"] = {**kwargs.get("headers", {}), "content-length": str(size)}  # type: ignore[dict-item]
    try:
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.ConnectError as exc:
        raise PushError(f"cannot reach the store at {url} to {what}: {exc or type(exc).__name__}") from None
    except httpx.TimeoutException:
        raise PushError(f"the store at {url} did not answer in time to {what}", 3, answered=False) from None
    except httpx.HTTPError as exc:
        raise PushError(f"the request to {url} to {what} failed: {exc or type(exc).__name__}", 3,
                        answered=False) from None
    if response.status_code < 300:
        return response
    text = " ".join(response.text.split())[:400] or "no message"
    if response.status_code in (401, 403):
        raise PushError(f"the store at {url} refused to {what} (HTTP {response.status_code}: {text}); "
                        "give credentials in the URL (https://user:password@host/...) or grant this user "
                        "the right to update")
    if response.status_code in (404, 405):
        raise PushError(f"{url} does not take this request to {what} (HTTP {response.status_code}: {text}); "
                        "check the URL (see --update and --graph-store)")
    if response.status_code < 500:
        raise PushError(f"the store at {url} rejected the request to {what} (HTTP {response.status_code}: {text})")
    raise PushError(f"the store at {url} failed to {what} (HTTP {response.status_code}: {text})", 3)
