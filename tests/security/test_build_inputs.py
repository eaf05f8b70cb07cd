"""Hostile sources given to ``ilograph validate`` and ``ilograph build`` (issue 5, item 1): nothing
is fetched. ``owl:imports`` in ontology, data and shapes are not followed; a JSON-LD file with a
remote ``@context`` is refused with exit code 2 (JSON-LD is not read as a source: before, it was
silently left out of the graph), as are TriG, N-Quads, N3 and upper-case suffixes; RDF/XML external
entities are refused. A logging listener on 127.0.0.1 receives nothing, and no local file's
content appears in any output. Each command runs as a real CLI process under a 2 GiB address-space
limit (helpers shared with ``test_build_bombs.py``)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.web.conftest import ONTOLOGY, people_turtle

BASE = "https://example.org/g/"
LIMIT_AS = 2 * 1024 ** 3
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "/usr/sbin/nologin")


def small_project(root: Path) -> Path:
    (root / "ontology").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "ilograph.toml").write_text(f'[dataset]\nbase = "{BASE}"\n', encoding="utf-8")
    (root / "ontology" / "vocabulary.ttl").write_text(ONTOLOGY, encoding="utf-8")
    (root / "data" / "people.ttl").write_text(people_turtle(), encoding="utf-8")
    return root


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def cli(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """``python -m ilograph ARGS`` under a 2 GiB address-space limit: (result, seconds)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ilograph", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_limits, check=False)
    return done, time.monotonic() - started


def assert_clean(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr[-3000:]
    assert "panicked" not in done.stderr and "memory allocation" not in done.stderr, done.stderr[-3000:]
    assert done.returncode >= 0, f"killed by signal {-done.returncode}:\n{done.stderr[-3000:]}"


def all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


# --- nothing is fetched -----------------------------------------------------------------------

def test_owl_imports_are_never_followed(tmp_path: Path, listener) -> None:
    url, seen = listener
    root = small_project(tmp_path / "p")
    with (root / "ontology" / "vocabulary.ttl").open("a", encoding="utf-8") as f:
        f.write(f"<https://example.org/g/def> owl:imports <{url}/ontology.ttl> , <file:///etc/passwd> .\n")
    (root / "data" / "imports.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<{BASE}graph/imports> owl:imports <{url}/data.ttl> , <file:///etc/passwd> .\n"
        f"<{BASE}id/person/p00> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <file:///etc/passwd> , <{url}/see> .\n",
        encoding="utf-8")
    (root / "shapes").mkdir()
    (root / "shapes" / "shapes.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        f"<{BASE}shapes> a owl:Ontology ; owl:imports <{url}/shapes.ttl> .\n"
        f"<{BASE}shapes#S> a sh:NodeShape ; sh:targetNode <{BASE}id/person/p00> ; sh:shapesGraph <{url}/sg> ;\n"
        "  sh:property [ sh:path <http://www.w3.org/2000/01/rdf-schema#label> ; sh:minCount 1 ] .\n",
        encoding="utf-8")
    done, _ = cli("validate", "--project", str(root))
    assert_clean(done)
    assert done.returncode == 0, done.stdout + done.stderr
    done, _ = cli("build", "--project", str(root), "-q")
    assert_clean(done)
    assert done.returncode == 0, done.stdout + done.stderr
    time.sleep(0.3)
    assert seen == [], f"the build connected to the listener: {seen!r}"
    released = all_text(root / "dist")
    assert "file:///etc/passwd" in released  # the IRI is data...
    assert not any(m in released for m in PASSWD_MARKERS)  # ...never the file


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_json_ld_file_with_a_remote_context_is_refused_not_fetched(tmp_path: Path, listener, command: str) -> None:
    url, seen = listener
    root = small_project(tmp_path / "p")
    (root / "data" / "remote.jsonld").write_text(
        f'{{"@context": ["{url}/context.jsonld", {{"@import": "{url}/import.jsonld"}}, "file:///etc/passwd"],\n'
        f' "@id": "{BASE}id/person/p99", "name": "x"}}\n', encoding="utf-8")
    done, _ = cli(command, "--project", str(root))
    assert_clean(done)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "data/remote.jsonld" in done.stderr and "JSON-LD is not read" in done.stderr, done.stderr
    assert "hint: convert it to Turtle (remote.ttl)" in done.stderr
    assert not (root / "dist").exists()
    time.sleep(0.3)
    assert seen == []
    assert not any(m in done.stdout + done.stderr for m in PASSWD_MARKERS)


@pytest.mark.parametrize("name, says", [("graphs.trig", "TriG"), ("graphs.nq", "N-Quads"), ("rules.n3", "Notation3"),
                                        ("people2.TTL", "rename it to people2.ttl")])
def test_rdf_files_that_are_not_read_are_an_error_not_ignored(tmp_path: Path, name: str, says: str) -> None:
    root = small_project(tmp_path / "p")
    (root / "data" / name).write_text("<http://e/a> <http://e/b> <http://e/c> .\n", encoding="utf-8")
    done, _ = cli("validate", "--project", str(root))
    assert_clean(done)
    assert done.returncode == 2 and f"data/{name}" in done.stderr and says in done.stderr, done.stderr


@pytest.mark.parametrize("target", ["http", "file"])
def test_rdf_xml_external_entities_are_not_read(tmp_path: Path, listener, target: str) -> None:
    url, seen = listener
    root = small_project(tmp_path / "p")
    system = f"{url}/entity" if target == "http" else "file:///etc/passwd"
    (root / "data" / "xxe.rdf").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "{system}"> ]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        f' <rdf:Description rdf:about="{BASE}id/person/p00"><rdfs:comment>&xxe;</rdfs:comment></rdf:Description>\n'
        "</rdf:RDF>\n", encoding="utf-8")
    done, _ = cli("build", "--project", str(root))
    assert_clean(done)
    assert done.returncode == 2 and "data/xxe.rdf" in done.stderr, done.stderr
    assert not any(m in done.stdout + done.stderr for m in PASSWD_MARKERS)
    time.sleep(0.3)
    assert seen == []
