"""bench/sparql_bench.py --quick: the four servers start, answer the same, take load from wrk
without an error, and the table and the JSON have a row for each. No timing is asserted (the
numbers are printed, not tested: see bench/README.md)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "sparql_bench.py"
SERVERS = ("ilograph", "oxigraph", "oxigraph-memory", "rdflib-endpoint")


def _missing() -> list[str]:
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (apt-get install -y wrk)")
    if not (Path(sysconfig.get_path("scripts")) / "oxigraph").is_file() and shutil.which("oxigraph") is None:
        missing.append("the oxigraph server (pip install -e '.[bench]')")
    if any(importlib.util.find_spec(m) is None for m in ("rdflib_endpoint", "click", "uvicorn")):
        missing.append("rdflib-endpoint[cli] (pip install -e '.[bench]')")
    return missing


@pytest.mark.bench
@pytest.mark.skipif(bool(_missing()), reason="needs " + ", ".join(_missing()))
def test_quick_run_has_every_server_and_no_error(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--project", str(tmp_path / "project"),
                           "--json", str(out)], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    for server in SERVERS:
        for regime in ("warm", "cold"):
            rows = [line for line in lines if line.split()[:3] == [server, regime, "mix"]]
            assert {line.split()[3] for line in rows} == {"1", "8"}, (server, regime, done.stdout)
    result = json.loads(out.read_text(encoding="utf-8"))
    cases = result["cases"]
    assert {(c["server"], c["regime"], c["connections"]) for c in cases} == {
        (s, r, n) for s in SERVERS for r in ("warm", "cold") for n in (1, 8)}
    for case in cases:
        assert case["requests"] > 0 and case["error_total"] == 0, case
    assert all(entry["agree"] for entry in result["answers"].values()), result["answers"]
    assert {t["against"] for t in result["targets"]} == {"oxigraph", "oxigraph-memory", "rdflib-endpoint"}
