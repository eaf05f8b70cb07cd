"""Load and fuzz (issue 5, item 9): ``bench/soak.py --quick`` against the shipped project, as a
user runs it (one command: the release built into a temporary folder, ``ilograph serve`` on
127.0.0.1, ~15 s of mixed load at 1, 4 and 16 connections, 6 s of the same mix from wrk at 16
and 64 connections when wrk is installed, 200 Hypothesis-built raw requests):
exit 0, every kind of request answered with no error, no 5xx, the server alive and quick
afterwards. The fuzzer's own checks are tried on a server that misbehaves on purpose, so that a
500, a traceback or a crash cannot go unnoticed.

With ``ILOGRAPH_FULL=1``: the default run (180 s of load, 40 s of wrk, 2000 examples) on the shipped project,
and a quick run on the hostile project of the other security tests."""

from __future__ import annotations

import http.server
import importlib.util
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.security.conftest import full

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "soak.py"


def _soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ilograph_soak", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


soak = _soak()


def run_soak(tmp_path: Path, *options: str, timeout: float) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "soak.json"
    done = subprocess.run([sys.executable, str(SCRIPT), *options, "--json", str(out)], capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert out.is_file(), done.stdout[-3000:] + done.stderr[-5000:]
    return done, json.loads(out.read_text(encoding="utf-8"))


def assert_clean(done: subprocess.CompletedProcess, summary: dict, *, examples: int) -> None:
    shown = done.stdout[-4000:] + done.stderr[-4000:]
    assert done.returncode == 0, shown
    assert summary["ok"] and summary["problems"] == [], shown
    kinds = summary["load"]["kinds"]
    assert set(kinds) == set(soak.KINDS), shown
    for kind, row in kinds.items():
        assert row["requests"] > 0 and row["errors"] == 0, (kind, row, shown)
        assert 0 < row["p50_ms"] <= row["p90_ms"] <= row["p99_ms"] <= row["max_ms"], (kind, row)
    # the conditional requests were answered 304, the IRIs 303, everything else 200 (206 for ranges)
    assert set(kinds["conditional"]["statuses"]) == {"304"}
    assert set(kinds["redirect"]["statuses"]) == {"303"}
    assert set(kinds["dump"]["statuses"]) <= {"200", "206"}
    if shutil.which("wrk") is not None:  # the mix from wrk too, at 16 and 64 connections
        levels = summary["wrk"]["levels"]
        assert set(levels) == {"16", "64"}, summary["wrk"]
        for row in levels.values():
            assert row["requests"] > 0 and row["errors"] == 0 and row["p99_ms"] > 0, row
    else:
        assert "skipped" in summary["wrk"]
    fuzz = summary["fuzz"]
    assert fuzz["requests"] >= examples and fuzz["failures"] == [] and fuzz["server_errors"] == 0, shown
    assert fuzz["5xx"] == fuzz["overloaded_503_504"], shown
    # the fuzzer reached the service, not only the HTTP parser: refusals of several kinds and answers
    assert {"200", "400", "404", "405"} <= set(fuzz["statuses"]), fuzz["statuses"]
    after = summary["after"]
    assert after["alive"] and after["ask_ms"] < 1000 and after["exit_code"] == 0 and after["log_tracebacks"] == 0
    # the table printed at the end has a line per kind
    for kind in soak.KINDS:
        assert any(line.split()[:1] == [kind] for line in done.stdout.splitlines()), done.stdout


def test_quick_load_and_fuzz_of_the_shipped_project(tmp_path: Path) -> None:
    done, summary = run_soak(tmp_path, "--quick", "--seed", "5", timeout=300)
    assert summary["load"]["levels"] == [1, 4, 16]
    assert_clean(done, summary, examples=200)


@full
def test_full_load_and_fuzz_of_the_shipped_project(tmp_path: Path) -> None:
    done, summary = run_soak(tmp_path, timeout=1200)
    assert summary["load"]["seconds"] >= 180
    assert_clean(done, summary, examples=2000)


@full
def test_quick_load_and_fuzz_of_the_hostile_project(tmp_path: Path, sec_project: Path) -> None:
    done, summary = run_soak(tmp_path, "--quick", "--project", str(sec_project), timeout=300)
    assert_clean(done, summary, examples=200)


# --- the checks themselves can fail --------------------------------------------------------------

class _Broken(http.server.BaseHTTPRequestHandler):
    """Answers 200, except: a 500 with a traceback for a path holding ``%00``, a 503 with no body
    for ``POST``, a 500 for a ``Range`` header."""

    protocol_version = "HTTP/1.0"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        if "%00" in self.path:
            status, body = 500, b'Traceback (most recent call last):\n  File "x.py", line 1\n'
        elif self.command == "POST":
            status, body = 503, b""
        elif self.headers.get("range") is not None:
            status, body = 500, b"internal error\n"
        else:
            status, body = 200, b"ok\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def __getattr__(self, name: str) -> object:
        if name.startswith("do_"):  # every method, even one the fuzzer makes up
            return self._answer
        raise AttributeError(name)

    def log_message(self, *args: object) -> None:
        pass


class _Dying(http.server.BaseHTTPRequestHandler):
    """Answers 200, but "dies" at its 50th request (whatever the fuzzer draws, so the test does not
    hang on what it generates): no answer, and the process is gone."""

    protocol_version = "HTTP/1.0"

    def __getattr__(self, name: str) -> object:
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def _answer(self) -> None:
        self.server.seen = getattr(self.server, "seen", 0) + 1  # type: ignore[attr-defined]
        if self.server.seen >= 50 or self.server.dead:  # type: ignore[attr-defined]
            self.server.dead = True  # type: ignore[attr-defined]
            self.server.fatal = self.path  # type: ignore[attr-defined]
            return
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args: object) -> None:
        pass


class _FakeProcess:
    """What the fuzzer asks of the server's process: dead once the fake server says so."""

    def __init__(self, httpd: http.server.HTTPServer | None = None) -> None:
        self.httpd = httpd

    @property
    def returncode(self) -> int | None:
        return -11 if getattr(self.httpd, "dead", False) else None

    def poll(self) -> int | None:
        return self.returncode


def _fake(handler: type) -> tuple[http.server.ThreadingHTTPServer, object, object]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    httpd.dead = False  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    server = soak.Server(f"http://127.0.0.1:{port}", port, _FakeProcess(httpd), Path("/dev/null"), Path("/dev/null"))
    target = soak.Target(server.url, ["/id/a", "/id/b"], {"x.ttl": b"x"},
                         [soak.Query("q", "ASK { ?s ?p ?o }", "ask")], [])
    target.etags["/id/a.ttl"] = ((), 'W/"r-ttl"', None)
    return httpd, server, target


@pytest.fixture
def broken() -> Iterator[tuple[object, object]]:
    httpd, server, target = _fake(_Broken)
    yield server, target
    httpd.shutdown()
    httpd.server_close()


def test_fuzzer_reports_a_shrunk_failing_request(broken: tuple[object, object]) -> None:
    server, target = broken
    said: list[str] = []
    stats = soak.fuzz(server, target, 300, seed=1, timeout=10, say=said.append)
    assert len(stats.failures) == 1, stats
    failure = stats.failures[0]
    # one of the three faults, found and shrunk to a short request that shows it
    assert ("traceback" in failure and "%00" in failure) or "without a readable body" in failure \
        or ("500 for" in failure and "Range" in failure), failure
    assert len(failure) < 2000, failure
    assert said and "minimal request" in said[0]


def test_fuzzer_names_the_request_that_killed_the_server() -> None:
    httpd, server, target = _fake(_Dying)
    try:
        stats = soak.fuzz(server, target, 300, seed=1, timeout=10, say=lambda _: None)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert len(stats.failures) == 1, stats
    assert "the server died (exit -11) after" in stats.failures[0], stats.failures
    fatal = httpd.fatal  # type: ignore[attr-defined]
    # the report abbreviates runs of one character (soak._shorten): compare the path as abbreviated
    path = soak._shorten(fatal.split("?")[0].encode()).decode("ascii", "backslashreplace")[:200]
    assert path in stats.failures[0].split("after:", 1)[1], (fatal, stats.failures)


def test_load_check_catches_wrong_answers() -> None:
    stats = soak.Stats()
    spec = soak.Spec("dump", "GET", "/download/x.ttl", exact=b"abc", media="text/turtle")
    ok = {"content-type": "text/turtle; charset=utf-8"}
    assert soak.check(spec, 200, ok, b"abc", stats) is None
    assert "status 500" in soak.check(spec, 500, ok, b"abc", stats)
    assert "differ" in soak.check(spec, 200, ok, b"abd", stats)
    assert "Content-Type" in soak.check(spec, 200, {"content-type": "text/html"}, b"abc", stats)
    assert "empty" in soak.check(soak.Spec("page", "GET", "/"), 200, {}, b"", stats)
    page = soak.Spec("page", "GET", "/id/a.html")
    assert soak.check(page, 200, {}, b"<html>1</html>", stats) is None
    assert "different body" in soak.check(page, 200, {}, b"<html>2</html>", stats)
    ranged = soak.Spec("dump", "GET", "/download/x.ttl", (("Range", "bytes=1-2"),), exact=b"abcd", repeatable=False)
    assert soak.check(ranged, 206, {"content-range": "bytes 1-2/4"}, b"bc", stats) is None
    assert "differ" in soak.check(ranged, 206, {"content-range": "bytes 1-2/4"}, b"cd", stats)
