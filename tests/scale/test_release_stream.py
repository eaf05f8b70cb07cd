"""The streaming release: every dump written from the one ordered stream (N-Quads per graph, the
merged N-Triples, the JSON-LD writer, Turtle/RDF-XML/TriG streamed by pyoxigraph) re-parses to
the sources' graph, for a generated ~10k-triple project and for a small project made of the
cases the JSON-LD compaction has to get right; builds are byte-identical across processes; and
``bench/scale.py`` runs end to end and prints its table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from ilograph.load import load
from ilograph.progress import Progress
from ilograph.project import open_project
from ilograph.release import _Validation, _write_files
from ilograph.validate import Report
from tests.conftest import DUMP_FORMATS, parse_dump

ROOT = Path(__file__).resolve().parents[2]
RDFLIB_FORMATS = DUMP_FORMATS
OX_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML,
              "jsonld": ox.RdfFormat.JSON_LD, "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}

TOML = """[dataset]
base = "https://example.org/edge/"
title = "Edge cases of the streaming release"
license = "https://creativecommons.org/publicdomain/zero/1.0/"
version = "1.0.0"
publisher-name = "ilograph tests"
release-name = "edge"
"""

ONTOLOGY = """@prefix ex: <https://example.org/edge/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/edge/def> a owl:Ontology ; rdfs:label "Edge vocabulary"@en .
ex:Thing a owl:Class ; rdfs:label "thing"@en .
ex:link a owl:ObjectProperty ; rdfs:label "link"@en .
ex:day a owl:DatatypeProperty ; rdfs:range xsd:date ; rdfs:label "day"@en .
ex:count a owl:DatatypeProperty ; rdfs:range xsd:nonNegativeInteger .
ex:text a owl:DatatypeProperty ; rdfs:range rdf:langString .
ex:note a owl:AnnotationProperty .
ex:kinds a owl:ObjectProperty ; rdfs:range [ owl:unionOf ( ex:Thing owl:Thing ) ] .
"""

# every way a value can miss its term's coercion, blank nodes with the same label in two files,
# lists, escapes, a number past 64 bits and non-canonical lexical forms (kept as written)
DATA_A = r"""@prefix ex: <https://example.org/edge/def#> .
@prefix id: <id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
id:a a ex:Thing, <http://other.example/Kind> ;
  ex:link id:b, _:b0, "not an IRI", "2020-01-01"^^xsd:date ;
  ex:day "2020-01-01Z"^^xsd:date, "2020"^^xsd:gYear, "sometime", "am Morgen"@de ;
  ex:count "007"^^xsd:nonNegativeInteger, "123456789012345678901234567890"^^xsd:integer, "1"^^xsd:boolean ;
  ex:text "plain", "English"@en, "British"@en-GB, "Deutsch"@de, "deux"@fr, "aussi deux"@fr, <https://example.org/x> ;
  ex:note "tab\there \"quoted\" back\\slash", "line\nfeed", "", "\u00e9t\u00e9 \U0001F600 \u2028", "5"^^xsd:decimal ;
  rdfs:label "a"@en, "A" ;
  skos:prefLabel "label with @ and : and // inside"@en ;
  ex:kinds ( id:b id:c id:b ) ;
  <http://other.example/p> "x"^^<http://other.example/dt>, <mailto:someone@example.org>, <urn:isbn:123> .
_:b0 ex:note "first file's blank node" .
id:b ex:link _:b0 .
"""

DATA_B = r"""@prefix ex: <https://example.org/edge/def#> .
@prefix id: <id/> .
_:b0 ex:note "second file's blank node, same label" .
id:c ex:link _:b0, [ ex:note "nested" ; ex:link [ ex:note "deeper" ] ] .
id:a ex:note "also stated in another file" .
"""


def _edge_project(root: Path) -> Path:
    (root / "ontology").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "shapes").mkdir()
    (root / "ilograph.toml").write_text(TOML, encoding="utf-8")
    (root / "ontology" / "edge.ttl").write_text(ONTOLOGY, encoding="utf-8")
    (root / "data" / "a.ttl").write_text(DATA_A, encoding="utf-8")
    (root / "data" / "b.ttl").write_text(DATA_B, encoding="utf-8")
    return root


def _generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "project"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--triples", "10000", "--out", str(out),
                    "--quiet"], check=True)
    return out


def _ox_triples(path: Path, suffix: str) -> rdflib.Graph:
    """The dump as pyoxigraph parses it (a second, independent parser), as an rdflib graph."""
    from ilograph.load import to_rdflib
    graph = rdflib.Graph()
    for q in ox.parse(path=path, format=OX_FORMATS[suffix]):
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def _same(parsed: rdflib.Graph, expected: rdflib.Graph, what: str) -> None:
    assert len(parsed) == len(expected), f"{what}: {len(parsed)} triples, expected {len(expected)}"
    if not isomorphic(parsed, expected):
        missing = sorted(expected - parsed)[:5] if not any(isinstance(t, rdflib.BNode) for tr in expected for t in tr) else []
        raise AssertionError(f"{what}: not isomorphic with the sources {missing}")


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    root = _edge_project(tmp_path_factory.mktemp("edge") / "project")
    project = open_project(root)
    sources = load(project)
    folder = tmp_path_factory.mktemp("edge-release")
    _write_files(project, sources, _Validation(Report(findings=())), folder, Progress(mode="quiet"))
    return sources, folder


def test_blank_nodes_of_two_files_stay_two(edge):
    sources, _ = edge
    notes = {str(o) for s, p, o in sources.to_rdflib() if isinstance(s, rdflib.BNode) and str(p).endswith("#note")}
    assert {"first file's blank node", "second file's blank node, same label"} <= notes
    subjects = {s for s, p, o in sources.to_rdflib() if str(o) in ("first file's blank node",
                                                                    "second file's blank node, same label")}
    assert len(subjects) == 2, "a blank node label is local to its file"


@pytest.mark.parametrize("suffix", sorted(RDFLIB_FORMATS))
def test_edge_cases_reparse_to_the_sources(edge, suffix):
    sources, folder = edge
    expected = sources.to_rdflib()
    path = folder / f"edge.{suffix}"
    _same(parse_dump(path), expected, f"rdflib reading edge.{suffix}")
    _same(_ox_triples(path, suffix), expected, f"pyoxigraph reading edge.{suffix}")


def test_jsonld_uses_the_context_where_it_fits_and_expanded_values_elsewhere(edge):
    _, folder = edge
    doc = json.loads((folder / "edge.jsonld").read_text(encoding="utf-8"))
    nodes = {n["id"]: n for n in doc["@graph"]}
    a = nodes["https://example.org/edge/id/a"]
    assert sorted(a["type"]) == ["Thing", "http://other.example/Kind"]
    assert a["day"] == "2020-01-01Z", "a value of the term's datatype is a plain string, kept as written"
    assert {"@value": "2020", "@type": "xsd:gYear"} in a["ex:day"] and "sometime" in a["ex:day"]
    assert a["text"]["fr"] == ["aussi deux", "deux"] and a["text"]["en-gb"] == "British"
    assert "plain" in a["ex:text"], "a string without language cannot go in a language map"
    assert {"@value": "007", "@type": "xsd:nonNegativeInteger"} not in a.get("ex:count", []) and a["count"] == "007"
    assert "not an IRI" in a["ex:link"], "a literal value of a property typed @id keeps the compact IRI as key"


def test_jsonld_read_by_pyld(edge):
    pytest.importorskip("pyld", reason="pyld is not installed (rdflib and pyoxigraph read the JSON-LD above)")
    from pyld import jsonld
    sources, folder = edge
    doc = json.loads((folder / "edge.jsonld").read_text(encoding="utf-8"))
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads"})
    _same(rdflib.Graph().parse(data=nquads, format="nt"), sources.to_rdflib(), "pyld reading edge.jsonld")


def test_generated_project_every_format_and_byte_identical_builds(tmp_path_factory, tmp_path):
    root = _generated(tmp_path_factory)
    builds = []
    for seed in ("1", "31337"):
        out = tmp_path / f"dist-{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-m", "ilograph", "build", "--project", str(root), "--out", str(out),
                               "-q"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        builds.append(out)
    a, b = builds
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs between two builds"
    expected = load(open_project(root)).to_rdflib()
    for suffix in sorted(RDFLIB_FORMATS):
        _same(parse_dump(a / f"ilo-synthetic.{suffix}"), expected, f"ilo-synthetic.{suffix}")
    manifest = json.loads((a / "release.json").read_text(encoding="utf-8"))
    assert manifest["triples"] == len(expected)


@pytest.mark.bench
def test_scale_benchmark_prints_its_table(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--sizes", "10000", "--quick",
                           "--work", str(tmp_path), "--json", str(tmp_path / "scale.json"), "-q"],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for row in ("load sources", "validate", "write ilo-synthetic.nq", "dataset descriptions",
                "rdflib parse the sources", "rdflib serialize json-ld", "peak RSS MB", "load average"):
        assert row in out, f"{row!r} missing from the table:\n{out}"
    result = json.loads((tmp_path / "scale.json").read_text())
    (size,) = result["sizes"]
    assert size["triples"] > 10_000 and size["build_seconds"] > 0 and size["build_peak_rss"] > 0
    assert all(s["rss"] for s in size["stages"])
