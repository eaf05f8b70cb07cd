"""Fixtures for the web tests: a small project generated in a temporary folder (people who know
each other, the W3C protocol suite's three data files when the reference folder is there, three
named queries), its release, an in-process app over it, and real ``ilograph serve`` processes on
127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / "w3c-sparql11-tests"
PROTOCOL = REFERENCE / "protocol"
#: The W3C result-format suites (their data go into the test project, one graph per file).
RESULT_SUITES = {"csvtsv": REFERENCE / "csv-tsv-res", "jsonres": REFERENCE / "json-res"}
BASE = "https://example.org/g/"
PEOPLE = 40
#: Five copies of every triple pattern: with a few hundred triples, 10^12 rows - it never ends.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"

ONTOLOGY = """@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.org/g/def#> .
<https://example.org/g/def> a owl:Ontology ; rdfs:label "Web test vocabulary"@en .
ex:Person a owl:Class ; rdfs:label "Person"@en ; skos:definition "A person."@en .
ex:knows a owl:ObjectProperty ; rdfs:label "knows"@en ; skos:definition "Knows another person."@en ;
    rdfs:domain ex:Person ; rdfs:range ex:Person .
ex:age a owl:DatatypeProperty ; rdfs:label "age"@en ; skos:definition "Age in years."@en .
"""

#: Declarations of the terms the W3C result-format data use, so that the test project validates.
EXAMPLE_TERMS = "\n".join(
    ["@prefix owl: <http://www.w3.org/2002/07/owl#> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
     "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .", "@prefix : <http://example.org/> ."]
    + [f':p{i} a owl:AnnotationProperty ; rdfs:label "p{i}"@en ; skos:definition "A W3C test property."@en .'
       for i in range(1, 8)]
    + [':myCustomDatatype a rdfs:Datatype ; rdfs:label "custom datatype"@en ; '
       'skos:definition "A W3C test datatype."@en .']) + "\n"

QUERIES = {
    "cq-01-people.rq": "# Who are the people, by name?\n# Every person and their label.\n"
                       "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                       "PREFIX ex: <https://example.org/g/def#>\n"
                       "SELECT ?person ?name WHERE { ?person a ex:Person ; rdfs:label ?name } ORDER BY ?person\n",
    "cq-02-acquaintances.rq": "# Who knows whom?\nPREFIX ex: <https://example.org/g/def#>\n"
                              "CONSTRUCT { ?a ex:knows ?b } WHERE { ?a ex:knows ?b }\n",
    "cq-03-anyone.rq": "# Is there anybody at all?\nPREFIX ex: <https://example.org/g/def#>\n"
                       "ASK { ?p a ex:Person }\n",
}


def people_turtle() -> str:
    lines = ["@prefix ex: <https://example.org/g/def#> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             "@prefix person: <id/person/> .", ""]
    for i in range(PEOPLE):
        knows = ", ".join(f"person:p{(i + k) % PEOPLE:02d}" for k in (1, 7))
        lines.append(f'person:p{i:02d} a ex:Person ; rdfs:label "Person {i:02d}"@en, "Persona {i:02d}"@es ; '
                     f'ex:age {20 + i} ; ex:knows {knows} .')
    lines.append('person:p00 rdfs:comment "a, \\"quoted\\" value\\twith a tab\\nand a new line" .')
    return "\n".join(lines) + "\n"


def write_project(root: Path) -> Path:
    """Write the test project under ``root`` and return it."""
    (root / "ontology").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "queries").mkdir()
    (root / "ilograph.toml").write_text(f'[dataset]\nbase = "{BASE}"\ntitle = "Web test dataset"\n', encoding="utf-8")
    (root / "ontology" / "vocabulary.ttl").write_text(ONTOLOGY, encoding="utf-8")
    (root / "data" / "people.ttl").write_text(people_turtle(), encoding="utf-8")
    (root / "data" / "people-again.ttl").write_text(  # a fact two sources state: one triple in the merge
        '@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
        '<id/person/p01> rdfs:label "Person 01"@en .\n', encoding="utf-8")
    if PROTOCOL.is_dir():
        (root / "data" / "w3c").mkdir()
        for name in ("data1.nt", "data2.nt", "data3.nt"):
            shutil.copyfile(PROTOCOL / name, root / "data" / "w3c" / name)
    for folder, suite in RESULT_SUITES.items():
        if suite.is_dir():
            (root / "data" / folder).mkdir()
            for data in sorted(suite.glob("data*.ttl")):
                shutil.copyfile(data, root / "data" / folder / data.name)
            (root / "ontology" / "example.ttl").write_text(EXAMPLE_TERMS, encoding="utf-8")
    for name, text in QUERIES.items():
        (root / "queries" / name).write_text(text, encoding="utf-8")
    return root


def w3c_graph(name: str) -> str:
    """The named graph the test project loads ``<name>.nt`` of the W3C suite into."""
    return f"{BASE}graph/w3c/{name}"


@pytest.fixture(scope="session")
def web_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("web") / "project")


@pytest.fixture(scope="session")
def web_release(web_project: Path):
    """The project's release, built once (the servers below reuse it, as it is up to date)."""
    from ilograph.project import open_project
    from ilograph.release import build
    from ilograph.store import read_release

    build(open_project(web_project))
    return read_release(web_project / "dist")


# --- real servers -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``ilograph serve``: its base URL, process and captured output."""

    url: str
    process: subprocess.Popen
    log: Path

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """Ctrl-C (SIGINT), then wait; returns the exit code (killing it if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("ilograph serve did not stop within 20 s of Ctrl-C:\n" + self.output()) from None
        return self.process.returncode


def start_server(project: Path, log: Path, *options: str, ready_within: float = 90.0) -> Server:
    """Start ``ilograph serve`` on a free port and wait until ``/sparql`` answers."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    handle = log.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "ilograph", "serve", "--project", str(project),
                                "--port", str(port), *options],
                               stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    handle.close()
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"ilograph serve exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(server.sparql, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"ilograph serve did not answer within {ready_within} s:\n{server.output()}")


@pytest.fixture(scope="session")
def server(web_project: Path, web_release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The main test server: 2 s timeout, 25-row cap, 2 workers."""
    running = start_server(web_project, tmp_path_factory.mktemp("logs") / "serve.log",
                           "--timeout", "2", "--max-rows", "25", "--workers", "2")
    yield running
    code = running.stop()
    assert code == 0, f"ilograph serve exited with {code} after Ctrl-C:\n{running.output()}"


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as c:
        yield c
