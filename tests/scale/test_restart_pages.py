"""The pages drawn from the on-disk store (what ``ilograph serve`` opens at start, without parsing
the release) are the pages drawn from the release parsed into memory: every resource's page and
documents, the home, vocabulary and downloads pages, byte for byte; literals the store keeps in
canonical form come back as the release wrote them."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from ilograph.pages import Publication, render_downloads, render_home, render_resource, render_vocabulary
from ilograph.store import ExactLiterals, canonical_changes, open_disk_store, prepare_disk_store, read_release

XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "http://127.0.0.1:8080/"


@pytest.fixture(scope="module")
def both(release, tmp_path_factory: pytest.TempPathFactory) -> tuple[Publication, Publication]:
    info = read_release(Path(release.path))
    store = tmp_path_factory.mktemp("pages-store") / "store"
    prepare_disk_store(store, info)
    return Publication.open(info.folder), Publication.open(info.folder, disk=open_disk_store(store))


def test_every_resource_reads_the_same_from_disk(both) -> None:
    memory, disk = both
    resources = memory.resources()
    assert len(resources) > 50 and disk.resources() == resources
    for iri in resources:
        assert render_resource(disk, iri, lang="fr", base_url=BASE) == render_resource(memory, iri, lang="fr",
                                                                                        base_url=BASE), iri
        for fmt in ("ttl", "jsonld", "nt"):
            assert disk.document(iri, fmt) == memory.document(iri, fmt), (iri, fmt)


def test_the_other_pages_read_the_same_from_disk(both) -> None:
    memory, disk = both
    for render in (render_home, render_vocabulary, render_downloads):
        assert render(disk, lang="en", base_url=BASE) == render(memory, lang="en", base_url=BASE), render.__name__
    assert disk.vocabulary_document("ttl") == memory.vocabulary_document("ttl")
    assert disk.triples == memory.triples and disk.files == memory.files and disk.release_id == memory.release_id


def test_literals_come_back_as_the_release_wrote_them(both) -> None:
    memory, disk = both
    written = [q for q in ox.parse(path=str(memory.folder / "ilograph.nq"), format=ox.RdfFormat.N_QUADS)
               if isinstance(q.object, ox.Literal) and q.object.datatype.value == XSD + "positiveInteger"]
    assert written, "the shipped data has xsd:positiveInteger values, which the store keeps as xsd:integer"
    for q in written[:20]:
        for pub in both:
            described = pub.describe(q.subject.value)
            assert q.triple in described, (q, pub.union)
            assert not any(t.subject == q.subject and t.predicate == q.predicate
                           and t.object.datatype.value == XSD + "integer"  # type: ignore[union-attr]
                           for t in described if isinstance(t.object, ox.Literal))


def test_canonical_changes_are_found_and_restored(tmp_path: Path) -> None:
    s, p = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
    odd = [ox.Literal("01", datatype=ox.NamedNode(XSD + "integer")),
           ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),  # the same value as "01" once stored
           ox.Literal("2", datatype=ox.NamedNode(XSD + "positiveInteger")),
           ox.Literal("1.0E6", datatype=ox.NamedNode(XSD + "double")),
           ox.Literal("2020-01-01", datatype=ox.NamedNode(XSD + "date")),  # kept as it is
           ox.Literal("01", language="en")]
    quads = [ox.Quad(s, p, o) for o in odd]
    found = {(w.value, w.datatype.value, st.value, st.datatype.value) for _, _, st, w in canonical_changes(quads)}
    assert found == {("01", XSD + "integer", "1", XSD + "integer"),
                     ("1", XSD + "integer", "1", XSD + "integer"),  # kept as it is, but "01" is stored as it
                     ("2", XSD + "positiveInteger", "2", XSD + "integer"),
                     ("1.0E6", XSD + "double", "1000000", XSD + "double")}
    ExactLiterals.write(tmp_path / "exact.sqlite", quads)
    store = ox.Store()
    store.extend(quads)
    stored = {q.triple for q in store}
    for exact in (ExactLiterals.scan(quads), ExactLiterals.open(tmp_path / "exact.sqlite")):
        assert exact.restore(stored) == {q.triple for q in quads}
