"""Write a release: deterministic dumps in every common RDF format, gzip copies, the JSON-LD
context, the validation report, a manifest and ``SHA256SUMS``; written beside the target and
swapped in atomically.

Layout: ``<out>`` is a symbolic link to ``<parent>/.<name>.releases/<release id>/``, where the id is
the digest of the release's content. Switching releases is one atomic ``rename`` of the link, so a
reader sees the old release or the new one, never a half-written folder; an interrupted build
leaves at most an unused staging folder, which the next build removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from . import __version__
from .errors import ReleaseError, ValidationFailed
from .forked import Forked
from .catalog import Statistics, prepare, write_descriptions
from .heap import trim
from .jsonld import CompactWriter
from .load import Sources, by_subject, from_rdflib, load, load_shape_sets, merge_unique, nquads, text_lines
from .progress import Progress
from .store import RELEASE_LAYOUT
from .project import Project
from .report import as_graph
from .validate import Report, validate

XSD = "http://www.w3.org/2001/XMLSchema#"
STANDARD_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "vann": "http://purl.org/vocab/vann/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "sh": "http://www.w3.org/ns/shacl#",
}

MEDIA_TYPES = {
    ".ttl": "text/turtle", ".nt": "application/n-triples", ".nq": "application/n-quads",
    ".trig": "application/trig", ".jsonld": "application/ld+json", ".rdf": "application/rdf+xml",
    ".json": "application/json", ".gz": "application/gzip", "SHA256SUMS": "text/plain",
    ".xml": "application/xml", ".txt": "text/plain",
}


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    size: int
    sha256: str
    media_type: str


@dataclass(frozen=True)
class Release:
    """A written release: where it is, its id and its files."""

    path: Path
    id: str
    files: tuple[ReleaseFile, ...]
    report: Report
    triples: int
    reused: bool = False


def media_type(name: str) -> str:
    if name in MEDIA_TYPES:
        return MEDIA_TYPES[name]
    return MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")


# --- deterministic serialization --------------------------------------------------------------

def _sort_key(q: ox.Quad) -> tuple[str, str, str, str]:
    g = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
    return (g, str(q.subject), str(q.predicate), str(q.object))


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Quads with blank nodes relabelled canonically and sorted, so output is byte-stable."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(dataset, key=_sort_key)


def _triples(quads: list[ox.Quad]) -> list[ox.Triple]:
    seen: set = set()
    out = []
    for q in quads:
        t = q.triple
        if t not in seen:
            seen.add(t)
            out.append(t)
    out.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return out


class CanonicalGraphs:
    """The sources' graphs with blank nodes labelled canonically, each as sorted N-Triples lines.

    Only the statements that mention a blank node are relabelled: they are gathered from every
    graph (a line holding ``_:``), canonicalized together as one dataset (so two graphs never get
    the same label for different nodes) and sorted back into their graphs; the other lines are
    kept as loaded. Labels depend only on the statements, so the output is byte-stable.
    """

    def __init__(self, sources: Sources) -> None:
        self._sources = sources
        self.graphs = sorted(sources.graphs)
        self._texts: dict[str, bytes] = {}
        blank: list[bytes] = []
        kept: dict[str, list[bytes]] = {}
        for graph in self.graphs:
            text = sources.texts.get(graph)
            if b"_:" not in text:
                continue
            lines = text.splitlines(keepends=True)
            kept[graph] = [line for line in lines if b"_:" not in line]
            blank.append(nquads(b"".join(line for line in lines if b"_:" in line), graph))
        if not blank:
            return
        dataset = ox.Dataset(ox.parse(b"".join(blank), ox.RdfFormat.N_QUADS))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        for line in ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).splitlines(keepends=True):
            cut = line.rfind(b" <")
            kept[line[cut + 2:-4].decode()].append(line[:cut] + b" .\n")
        for graph, lines in kept.items():
            self._texts[graph] = b"".join(sorted(set(lines)))

    def text(self, graph: str) -> bytes:
        found = self._texts.get(graph)
        return found if found is not None else self._sources.texts.get(graph)

    def lines(self, graph: str) -> Iterator[bytes]:
        found = self._texts.get(graph)
        if found is not None:
            return iter(found.splitlines(keepends=True))
        return self._sources.texts.lines(graph)

    def union(self, graphs: Iterable[str] | None = None) -> Iterator[bytes]:
        """The distinct triples of ``graphs`` (default: all), sorted."""
        return merge_unique(*(self.lines(g) for g in (self.graphs if graphs is None else graphs)))


def write_rdf(path: Path, items: Iterable, fmt: ox.RdfFormat, prefixes: dict[str, str]) -> None:
    kwargs = {}
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        kwargs["prefixes"] = prefixes
    from .dumpworker import open_dump

    raw, out = open_dump(str(path), fmt)
    with raw:
        ox.serialize(items, out, fmt, **kwargs)


def jsonld_context(sources: Sources, prefixes: dict[str, str]) -> dict:
    """A curated JSON-LD context generated from the ontology, so it cannot drift from it.

    Every vocabulary term gets its local name; object properties are typed ``@id``; datatype
    properties with one XSD range are typed with it; labels and descriptions are language maps.
    """
    OWL = "http://www.w3.org/2002/07/owl#"
    RDF_TYPE = ox.NamedNode(STANDARD_PREFIXES["rdf"] + "type")
    RANGE = ox.NamedNode(STANDARD_PREFIXES["rdfs"] + "range")
    kinds: dict[str, str] = {}
    ranges: dict[str, list[str]] = {}
    for q in sources.quads(("ontology",)):
        if not isinstance(q.subject, ox.NamedNode):
            continue
        if q.predicate == RDF_TYPE and q.object.value in (OWL + "Class", OWL + "ObjectProperty",
                                                          OWL + "DatatypeProperty", OWL + "AnnotationProperty"):
            kinds.setdefault(q.subject.value, q.object.value[len(OWL):])
        elif q.predicate == RANGE and isinstance(q.object, ox.NamedNode):
            ranges.setdefault(q.subject.value, []).append(q.object.value)
    ctx: dict[str, object] = {"id": "@id", "type": "@type"}
    ctx.update({p: ns for p, ns in sorted(prefixes.items()) if p not in ctx})  # a prefix "id:" keeps the alias
    for name, (iri, container) in {  # standard annotation terms, as language maps
        "label": (STANDARD_PREFIXES["rdfs"] + "label", "@language"),
        "prefLabel": (STANDARD_PREFIXES["skos"] + "prefLabel", "@language"),
        "altLabel": (STANDARD_PREFIXES["skos"] + "altLabel", "@language"),
        "definition": (STANDARD_PREFIXES["skos"] + "definition", "@language"),
        "description": (STANDARD_PREFIXES["dcterms"] + "description", "@language"),
        "title": (STANDARD_PREFIXES["dcterms"] + "title", "@language"),
    }.items():
        ctx[name] = {"@id": iri, "@container": container}
    taken = set(ctx)

    def curie(iri: str) -> str:
        for p, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{p}:{iri[len(ns):]}"
        return iri

    for iri in sorted(kinds):
        local = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if not local or local in taken:
            continue
        taken.add(local)
        kind = kinds[iri]
        if kind == "Class":
            ctx[local] = curie(iri)
        elif kind == "ObjectProperty":
            ctx[local] = {"@id": curie(iri), "@type": "@id"}
        else:
            rng = ranges.get(iri, [])
            if rng == [STANDARD_PREFIXES["rdf"] + "langString"]:
                ctx[local] = {"@id": curie(iri), "@container": "@language"}
            elif len(rng) == 1 and rng[0].startswith(XSD) and rng[0] != XSD + "string":
                ctx[local] = {"@id": curie(iri), "@type": curie(rng[0])}
            else:
                ctx[local] = curie(iri)
    return {"@context": ctx}


def write_jsonld(path: Path, lines: Iterable[bytes], context: dict,
                 statistics: Statistics | None = None) -> int:
    """Compact JSON-LD with the curated context inline (no remote context to fetch), from sorted
    N-Triples lines, one node object per subject; counts into ``statistics`` on the way.
    Returns the number of node objects written."""
    with path.open("wb", buffering=1 << 20) as out:
        writer = CompactWriter(out, context["@context"])
        for subject, statements in by_subject(lines):
            writer.node(subject, statements)
            if statistics is not None:
                statistics.add(subject, statements)
        writer.close()
    return writer.nodes


#: The level of the gzip copies: ISA-L's level 2 (python-isal's igzip, standard gzip output) compresses
#: about six times faster than zlib's level 3 and smaller than it (the synthetic 1M-triple
#: release: 600 MB of dumps in about 0.3 s of CPU instead of 1.5 s), so every file gets the same one.
GZIP_LEVEL = 2


def gzip_file(path: Path) -> Path:
    """A byte-stable gzip copy (no file name, mtime 0, one level for every file)."""
    from isal import igzip

    target = path.with_name(path.name + ".gz")
    with path.open("rb") as src, target.open("wb") as raw:
        with igzip.IGzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL) as gz:
            shutil.copyfileobj(src, gz, 1 << 20)
    return target


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sources_digest(project: Project) -> str:
    """Digest of everything a release is made from: sources, settings and the tool's version."""
    digest = hashlib.sha256(f"ilograph {__version__}\n".encode())
    files = []
    for folder in (project.ontology_dir, project.data_dir, project.shapes_dir, project.checks_dir):
        files += project.sources(folder) if folder != project.checks_dir else sorted(folder.glob("*.rq")) if folder.is_dir() else []
    config = project.root / "ilograph.toml"
    if config.exists():
        files.append(config)
    for path in sorted(set(files)):
        digest.update(path.relative_to(project.root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


# --- the release ------------------------------------------------------------------------------

def build(project: Project, out: Path | None = None, *,
          progress: Progress | Callable[[str], None] | None = None) -> Release:
    """Load, validate and write a release of ``project`` to ``out`` (default ``<project>/dist``).

    Raises :class:`~ilograph.errors.LoadError` for unreadable sources,
    :class:`~ilograph.errors.ValidationFailed` when validation finds a violation (no release is
    written), and :class:`~ilograph.errors.ReleaseError` when the release cannot be written (the
    previous release is left in place).
    """
    progress = Progress.of(progress)
    out = (out or project.root / "dist").absolute()
    with progress.stage("load sources") as stage:
        sources = load(project)
        trim()  # the parsers' freed buffers: a validation child would inherit them
        stage.done(len(sources))
    try:
        return _release(project, out, sources, progress)
    finally:
        sources.close()  # the temporary files of big graphs


def _release(project: Project, out: Path, sources: Sources, progress: Progress) -> Release:
    """Validate ``sources`` and write their release (see :func:`build`)."""
    shapes = load_shape_sets(project)
    validation = _Validation.start(sources, shapes, progress, background=len(sources) >= SECOND_PROCESS_TRIPLES)
    try:
        return _write_release(project, out, sources, progress, validation)
    finally:
        validation.cancel()


def _validate_and_exit(sources: Sources, shapes) -> Report:
    """The validation child's work: this process ends with it, so the store it borrows from the
    build is left in the exact form validation puts it in (nothing kept to restore it)."""
    from .fastshacl import Mirror
    Mirror.restore = False
    return validate(sources, shapes)


class _Validation:
    """The validation of a build. A small graph is validated here, before anything is written. A
    big one (from :data:`SECOND_PROCESS_TRIPLES` triples on) is validated by a forked child, which
    shares the loaded store and texts, while this process writes the dumps into the staging
    folder: the two run on both cores. :meth:`poll` between dumps raises
    :class:`ValidationFailed` as soon as the child has found a violation (the staging folder is
    then removed, and the served release never changes); :meth:`report` waits for it."""

    def __init__(self, report: Report | None = None, child: Forked | None = None,
                 sources: Sources | None = None, progress: Progress | None = None) -> None:
        """``report``: a validation already done (a release of sources checked elsewhere)."""
        self._report, self._child, self._sources, self._progress = report, child, sources, progress

    @classmethod
    def start(cls, sources: Sources, shapes, progress: Progress, *, background: bool) -> "_Validation":
        """Validate here (raising :class:`ValidationFailed` at once), or start the child."""
        if background:
            return cls(child=Forked(lambda: _validate_and_exit(sources, shapes)), sources=sources, progress=progress)
        with progress.stage("validate") as stage:
            report = validate(sources, shapes)
            stage.done(len(sources))
        done = cls(report)
        done._check()
        return done

    def _check(self) -> None:
        if not self._report.conforms:
            raise ValidationFailed(self._report)

    def poll(self) -> None:
        """Raise :class:`ValidationFailed` if the child has finished and found a violation."""
        if self._report is None and self._child is not None and self._child.done():
            self.report()

    def report(self) -> Report:
        """The report (waiting for the child); raises :class:`ValidationFailed` for a violation."""
        if self._report is None:
            child = self._child
            with self._progress.stage("validate (second process, beside the dumps)") as stage:
                self._report = child.result()
                stage.background_seconds = child.cpu_seconds
                stage.done(len(self._sources))
            stage.peak_rss = max(stage.peak_rss or 0, child.peak_rss)
            self._child = None
            self._check()
        return self._report

    def cancel(self) -> None:
        if self._child is not None:
            self._child.cancel()
            self._child = None


def _write_release(project: Project, out: Path, sources: Sources, progress: Progress,
                   validation: _Validation) -> Release:
    releases = out.parent / f".{out.name}.releases"
    try:
        releases.mkdir(parents=True, exist_ok=True)
        _clean_staging(releases)
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=releases))
    except OSError as exc:
        raise ReleaseError(f"cannot create the release folder beside {out}: {exc}") from exc
    try:
        files, triples, report = _write_files(project, sources, validation, staging, progress)
        with progress.stage("swap in the release"):
            release_id = hashlib.sha256((staging / "SHA256SUMS").read_bytes()).hexdigest()[:16]
            final = releases / release_id
            previous = _target_name(out)
            reused = final.is_dir() and _verify(final)
            if reused:
                shutil.rmtree(staging)
            else:
                if final.exists():
                    shutil.rmtree(final)
                os.rename(staging, final)
                _fsync_dir(releases)
            _point(out, final)
            _prune(releases, keep={final.name, previous})
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReleaseError(f"could not write the release ({exc}); the previous release at {out} is untouched") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Release(path=out, id=release_id, files=files, report=report, triples=triples, reused=reused)


def _write_files(project: Project, sources: Sources, validation: _Validation, folder: Path,
                 progress: Progress) -> tuple[tuple[ReleaseFile, ...], int, Report]:
    """Write every file of the release into ``folder``.

    One ordered stream feeds every dump: each graph's triples as sorted N-Triples lines (from
    the load), blank nodes relabelled canonically. N-Quads is those lines with their graph; the
    union (merged, each triple once) is written as N-Triples while the JSON-LD writer and the
    VoID counts read the same lines; pyoxigraph then streams N-Triples into Turtle and RDF/XML,
    N-Quads into TriG. Each finished file is compressed and checksummed by a thread pool
    (zlib and hashlib release the GIL) while the next one is written.
    """
    name = project.dataset.release_name
    prefixes = dict(STANDARD_PREFIXES)
    for p, ns in sources.prefixes().items():
        if p not in prefixes and ns not in prefixes.values():
            prefixes[p] = ns
    written: list[Path] = []
    entries: dict[str, ReleaseFile] = {}
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ilograph-gzip")
    jobs: list[Future] = []

    def timed(work: Callable[[], ReleaseFile]) -> tuple[ReleaseFile, float]:
        start = time.thread_time()
        return work(), time.thread_time() - start

    def finish(path: Path, compress: bool = False) -> None:
        """Checksum ``path`` (and write its gzip copy) in the pool."""
        written.append(path)
        jobs.append(pool.submit(timed, lambda: _entry(path)))
        if compress:
            gz = path.with_name(path.name + ".gz")
            written.append(gz)
            jobs.append(pool.submit(timed, lambda: _entry(gzip_file(path))))

    try:
        with progress.stage("canonicalize blank nodes") as stage:
            graphs = CanonicalGraphs(sources)
            stage.done(len(sources), "quads")
        nq = folder / f"{name}.nq"
        with progress.stage(f"write {nq.name}") as stage:
            quads = 0
            with nq.open("wb", buffering=1 << 20) as out:
                for graph in graphs.graphs:
                    text = graphs.text(graph)
                    quads += text_lines(text)
                    out.write(nquads(text, graph))
            stage.done(quads, "quads")
        finish(nq, compress=True)
        validation.poll()
        nt = folder / f"{name}.nt"
        with progress.stage(f"write {nt.name}") as stage:
            triples = 0
            with nt.open("wb", buffering=1 << 20) as out:
                write = out.write
                for line in graphs.union():
                    write(line)
                    triples += 1
            stage.done(triples)
        finish(nt, compress=True)
        validation.poll()
        # Turtle, RDF/XML and TriG in a second process, while this one writes the JSON-LD
        others = [(folder / f"{name}.{suffix}", source) for suffix, source in (("trig", nq), ("ttl", nt), ("rdf", nt))]
        worker = _DumpWorker([(str(source), str(path), path.suffix[1:], prefixes) for path, source in others],
                             in_process=triples < SECOND_PROCESS_TRIPLES)
        try:
            context = jsonld_context(sources, prefixes)
            statistics = Statistics(project, sources)
            jsonld = folder / f"{name}.jsonld"
            with progress.stage(f"write {jsonld.name}, count for VoID") as stage:
                with nt.open("rb", buffering=1 << 20) as lines:
                    write_jsonld(jsonld, lines, context, statistics)
                stage.done(triples)
            finish(jsonld, compress=True)
            validation.poll()
            (folder / "context.jsonld").write_text(json.dumps(context, indent=2, sort_keys=True) + "\n",
                                                   encoding="utf-8")
            finish(folder / "context.jsonld")
            with progress.stage("dataset descriptions: counts, sources, links, sitemap"):
                prepared = prepare(project, sources, triples, statistics)
                del statistics  # its sets of distinct terms (about 500 MB at 10M triples): counted now
                trim()
            with progress.stage(f"write {', '.join(p.name for p, _ in others)} (second process)") as stage:
                stage.background_seconds = worker.wait()
                stage.done(triples)
        finally:
            worker.stop()
        for path, _ in others:
            finish(path, compress=True)
        onto_graphs = [g for g in graphs.graphs if g in set(sources.ontology_graphs)]
        if onto_graphs:
            with progress.stage("write ontology.ttl, .rdf, .jsonld") as stage:
                onto = b"".join(graphs.union(onto_graphs))
                for suffix, fmt in (("ttl", ox.RdfFormat.TURTLE), ("rdf", ox.RdfFormat.RDF_XML)):
                    write_rdf(folder / f"ontology.{suffix}", ox.parse(onto, ox.RdfFormat.N_TRIPLES), fmt, prefixes)
                    finish(folder / f"ontology.{suffix}")
                write_jsonld(folder / "ontology.jsonld", onto.splitlines(keepends=True), context)
                finish(folder / "ontology.jsonld")
                stage.done(text_lines(onto))
        report = validation.report()
        with progress.stage("write validation-report.ttl"):
            report_graph = as_graph(report)
            report_quads = [ox.Quad(*(from_rdflib(t) for t in triple)) for triple in report_graph]
            write_rdf(folder / "validation-report.ttl", _triples(canonical_quads(report_quads)), ox.RdfFormat.TURTLE,
                      {"sh": STANDARD_PREFIXES["sh"], "dcterms": STANDARD_PREFIXES["dcterms"],
                       "rdfs": STANDARD_PREFIXES["rdfs"]})
            finish(folder / "validation-report.ttl")
        with progress.stage("gzip and checksums (waiting for the pool)") as stage:
            for job in jobs:
                entry, cpu = job.result()
                entries[entry.name] = entry
                stage.background_seconds += cpu
            stage.done(sum(e.size for e in entries.values()), "bytes")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    listed = sorted(entries.values(), key=lambda e: e.name)
    with progress.stage("dataset descriptions (VoID, DCAT, schema.org)"):
        described = write_descriptions(folder, project, sources, listed, triples, prepared)
        listed = sorted(listed + [_entry(p) for p in described], key=lambda e: e.name)
    manifest = {
        "dataset": {"base": project.base, "title": project.dataset.title, "version": project.dataset.version},
        "generator": f"ilograph {__version__}",
        "layout": RELEASE_LAYOUT,
        "sources_digest": sources_digest(project),
        "triples": triples,
        "quads": quads,
        "graphs": graphs.graphs,
        "conforms": report.conforms,
        "warnings": report.count("Warning"),
        "files": [e.__dict__ for e in listed],
    }
    with progress.stage("manifest, SHA256SUMS, fsync") as stage:
        (folder / "release.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        listed.append(_entry(folder / "release.json"))
        listed.sort(key=lambda e: e.name)
        (folder / "SHA256SUMS").write_text("".join(f"{e.sha256}  {e.name}\n" for e in listed), encoding="ascii")
        for p in folder.iterdir():
            with p.open("rb") as f:
                os.fsync(f.fileno())
        _fsync_dir(folder)
        stage.done(len(listed) + 1, "files")
    return tuple(listed), triples, report


#: From this many triples on, Turtle, RDF/XML and TriG are written by a second process (below,
#: starting it costs more than it saves).
SECOND_PROCESS_TRIPLES = 200_000


class _DumpWorker:
    """``python -m ilograph.dumpworker`` writing some dumps while this process writes others (or,
    ``in_process``, the same work done here when :meth:`wait` is called)."""

    def __init__(self, jobs: list, in_process: bool = False) -> None:
        self._jobs = jobs
        self._proc = None if in_process else subprocess.Popen(
            [sys.executable, "-m", "ilograph.dumpworker", json.dumps(jobs)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait(self) -> float:
        """Wait for it to finish; returns its CPU seconds. Raises OSError when it failed."""
        if self._proc is None:
            from .dumpworker import run
            return run(self._jobs)
        out, err = self._proc.communicate()
        if self._proc.returncode != 0:
            raise OSError(f"writing the Turtle, RDF/XML and TriG dumps failed: {err.decode(errors='replace').strip()}")
        return float(json.loads(out)["cpu"])

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _entry(path: Path) -> ReleaseFile:
    return ReleaseFile(path.name, path.stat().st_size, sha256(path), media_type(path.name))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _target_name(out: Path) -> str | None:
    return Path(os.readlink(out)).name if out.is_symlink() else None


def _point(out: Path, final: Path) -> None:
    """Atomically make ``out`` a link to ``final`` (a relative link, so the folder can be moved)."""
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(final, out.parent), link)
    if out.exists() and not out.is_symlink():
        # A plain folder from elsewhere: move it aside first (kept as <out>.previous).
        aside = out.parent / f"{out.name}.previous"
        if aside.exists():
            shutil.rmtree(aside)
        os.rename(out, aside)
    os.replace(link, out)
    _fsync_dir(out.parent)


def _clean_staging(releases: Path) -> None:
    for p in releases.glob("staging-*"):
        shutil.rmtree(p, ignore_errors=True)


def _prune(releases: Path, keep: set[str | None]) -> None:
    """Keep the current and the previous release, and any release a running server has pinned
    (:mod:`ilograph.pin`); remove the others and the pin files nobody holds any more."""
    from .pin import pin_path, pinned

    for p in releases.iterdir():
        if p.is_dir() and p.name not in keep and not p.name.startswith("staging-") and not pinned(p):
            shutil.rmtree(p, ignore_errors=True)
            pin_path(p).unlink(missing_ok=True)
        elif p.suffix == ".pin" and not (releases / p.stem).is_dir() and not pinned(releases / p.stem):
            p.unlink(missing_ok=True)


def _verify(folder: Path) -> bool:
    return not verify(folder)


def verify(folder: Path) -> list[str]:
    """Check a release folder against its ``SHA256SUMS``; returns the problems (empty when intact)."""
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return [f"{sums}: missing"]
    problems = []
    for line in sums.read_text(encoding="ascii", errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256(path) != digest:
            problems.append(f"{name}: checksum mismatch")
    dcat = folder / "dcat.ttl"
    if dcat.is_file():
        problems += _verify_dcat(folder, dcat)
    return problems


_DCAT_CHECK = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
SELECT ?url ?size ?sum WHERE {
  ?distribution a dcat:Distribution ; dcat:downloadURL ?url .
  OPTIONAL { ?distribution dcat:byteSize ?size }
  OPTIONAL { ?distribution spdx:checksum/spdx:checksumValue ?sum }
}"""


def _verify_dcat(folder: Path, dcat: Path) -> list[str]:
    """Every DCAT distribution's byte size and SHA-256 must match the file it names."""
    store = ox.Store()
    try:
        store.load(path=dcat, format=ox.RdfFormat.TURTLE)
    except SyntaxError as exc:
        return [f"dcat.ttl: unreadable ({exc})"]
    problems = []
    for row in store.query(_DCAT_CHECK):
        name = row["url"].value.rsplit("/", 1)[-1]
        path = folder / name
        if not path.is_file():
            problems.append(f"dcat.ttl: distribution {name}: missing")
            continue
        if row["size"] is not None and int(row["size"].value) != path.stat().st_size:
            problems.append(f"dcat.ttl: distribution {name}: byte size differs")
        if row["sum"] is not None and row["sum"].value.lower() != sha256(path):
            problems.append(f"dcat.ttl: distribution {name}: checksum differs")
    return sorted(problems)
