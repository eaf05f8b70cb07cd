"""bench/generate.py: deterministic output, the size asked for, a conforming project, and injected
violations that `ilograph validate` reports exactly (the manifest is the expected report)."""

from __future__ import annotations

import importlib.util
import io
import json
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest

from ilograph.cli import main as ilograph

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "bench" / "generate.py"
N = 10_000


def _generator():
    spec = importlib.util.spec_from_file_location("ilograph_bench_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _generator()


def generate(generator, out: Path, *args: str) -> Path:
    assert generator.main(["--triples", str(N), "--out", str(out), "--quiet", *args]) == 0
    return out


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def conforming(generator, tmp_path_factory) -> Path:
    return generate(generator, tmp_path_factory.mktemp("gen") / "project", "--seed", "1")


@pytest.fixture(scope="module")
def broken(generator, tmp_path_factory) -> Path:
    return generate(generator, tmp_path_factory.mktemp("gen") / "project", "--seed", "1", "--violations", "1")


def validate(project: str) -> tuple[int, str]:
    """``ilograph validate --format json`` through the CLI entry point: exit code and report."""
    out, err = io.StringIO(), io.StringIO()
    code = ilograph(["validate", "--project", project, "--format", "json"], stdout=out, stderr=err)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def reports(conforming, broken):
    """Both projects validated at once, in two processes (pySHACL takes tens of seconds at 10k)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        jobs = {name: pool.submit(validate, str(path)) for name, path in (("conforming", conforming), ("broken", broken))}
        return {name: job.result() for name, job in jobs.items()}


def test_same_arguments_give_the_same_bytes_whatever_the_hash_seed(conforming, tmp_path):
    for hash_seed in ("0", "4242"):
        out = tmp_path / f"hash-{hash_seed}"
        subprocess.run([sys.executable, str(GENERATOR), "--triples", str(N), "--out", str(out), "--seed", "1", "--quiet"],
                       check=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert files(out) == files(conforming)


def test_another_seed_gives_other_data(generator, conforming, tmp_path):
    other = generate(generator, tmp_path / "other", "--seed", "2")
    assert files(other / "data") != files(conforming / "data")
    assert files(other / "ontology") == files(ROOT / "ontology")


def test_the_project_is_a_copy_of_the_shipped_vocabulary_shapes_and_checks(conforming):
    for sub in ("ontology", "shapes", "queries/checks"):
        assert files(conforming / sub) == files(ROOT / sub), sub
    assert not (conforming / "violations.json").exists()
    assert "synthetic" in (conforming / "ilograph.toml").read_text(encoding="utf-8").lower()


def test_about_n_triples_one_source_document_per_file(conforming):
    total = 0
    stems = []
    for path in sorted((conforming / "data").glob("*.ttl")):
        with path.open("rb") as stream:
            triples = list(ox.parse(stream, ox.RdfFormat.TURTLE, base_iri="https://example.org/ilo-synthetic/"))
        total += len(triples)
        graph = ox.NamedNode(f"https://example.org/ilo-synthetic/graph/{path.stem}")
        assert any(t.subject == graph and t.predicate.value.endswith("#source") for t in triples), path.name
        stems.append(path.stem)
    assert abs(total - N) <= 0.05 * N, total
    assert len(stems) >= 6


def test_the_generated_project_conforms(reports):
    code, text = reports["conforming"]
    report = json.loads(text)
    assert code == 0, [r for r in report["results"] if r["severity"] == "Violation"][:5]
    assert report["violations"] == 0
    assert report["warnings"] == 0, [r for r in report["results"]][:5]


def _key(finding: dict) -> tuple:
    """What a finding is about, whichever engine reported it (the manifest names the reference engine,
    pySHACL or owlrl; a faster engine must report the same). OWL RL and vocabulary findings name no
    shape, and their messages vary: they are matched on severity and focus."""
    return (finding["severity"], finding["focus"], finding.get("shape"), finding.get("component"), finding.get("path"))


def test_every_injected_violation_is_reported_and_nothing_else(broken, reports):
    manifest = json.loads((broken / "violations.json").read_text(encoding="utf-8"))
    assert manifest["shortfall"] == {}, "every kind gets one violation at 10k"
    assert {e["kind"] for e in manifest["violations"]} == set(manifest["kinds"])
    code, text = reports["broken"]
    assert code == 1
    report = json.loads(text)
    found = {_key(r) for r in report["results"]}
    expected: dict[tuple, str] = {}
    for entry in manifest["violations"]:
        assert entry["file"].startswith("data/") and (broken / entry["file"]).is_file()
        assert entry["focus"].startswith("http") and entry["focus"] in {f["focus"] for f in entry["findings"]}
        for finding in entry["findings"]:
            expected.setdefault(_key(finding), entry["kind"])
    missing = sorted((kind, key) for key, kind in expected.items() if key not in found)
    assert not missing, f"injected but not reported: {missing}"
    extra = sorted(key for key in found if key not in expected)
    assert not extra, f"reported but not injected: {extra}"
