"""A big build validates in a forked child while it writes the dumps (``ilograph.forked``; from
``release.SECOND_PROCESS_TRIPLES`` triples on). Here the threshold is lowered so that the shipped
project takes that path: the release must be the same bytes as the one validated first, a violation
found by the child must stop the build with the same report and leave nothing behind, and the child
must never outlive its build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from unittest.mock import patch

import pytest

import ilograph.release
from ilograph.errors import InputError, ValidationFailed
from ilograph.forked import Forked, ForkedError
from ilograph.project import open_project
from ilograph.release import build, verify


def _forked():
    return patch.object(ilograph.release, "SECOND_PROCESS_TRIPLES", 0)


def _children() -> set[int]:
    """The live (not zombie) child processes of this process."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(os.getpid()) and not fields.get("State", "").startswith("Z"):
            found.add(int(status.parent.name))
    return found


def test_the_release_is_the_same_bytes_either_way(project, tmp_path):
    before = _children()
    here = build(project, tmp_path / "here")
    with _forked():
        beside = build(project, tmp_path / "beside")
    assert beside.id == here.id
    assert verify(tmp_path / "beside") == []
    assert (tmp_path / "beside" / "validation-report.ttl").read_bytes() == \
        (tmp_path / "here" / "validation-report.ttl").read_bytes()
    assert beside.report.conforms and beside.report.findings == here.report.findings
    assert _children() == before  # the child was reaped


def test_a_violation_found_by_the_child_stops_the_build(copy_project, tmp_path):
    root = copy_project()
    out = tmp_path / "dist"
    first = build(open_project(root), out)
    served = {p.name: p.read_bytes() for p in out.iterdir()}
    with (root / "data" / "seed-001-cooperatives-unit.ttl").open("a", encoding="utf-8") as f:
        f.write('\nunit:coop ilo:acronym "TWO WORDS" .\n')
    here_report = None
    try:
        build(open_project(root), tmp_path / "other")
    except ValidationFailed as exc:
        here_report = exc.report
    assert here_report is not None and not here_report.conforms
    with _forked(), pytest.raises(ValidationFailed) as caught:
        build(open_project(root), out)
    assert caught.value.report.findings == here_report.findings
    # the served release is untouched, and no staging folder or half-written dump is left
    assert out.resolve().name == first.id
    assert {p.name: p.read_bytes() for p in out.iterdir()} == served
    assert not list((tmp_path / ".dist.releases").glob("staging-*"))


def test_an_error_in_the_child_is_raised_here_as_it_was(copy_project, tmp_path):
    root = copy_project()
    shapes = next((root / "shapes").glob("*.ttl"))
    text = shapes.read_text(encoding="utf-8")
    shapes.write_text(text.replace("sh:minCount 1 ;", 'sh:minCount "one" ;', 1), encoding="utf-8")
    assert 'sh:minCount "one"' in shapes.read_text(encoding="utf-8")
    with pytest.raises(InputError) as here:
        build(open_project(root), tmp_path / "a")
    with _forked(), pytest.raises(InputError) as beside:
        build(open_project(root), tmp_path / "b")
    assert str(beside.value) == str(here.value)


def test_forked_result_and_failures():
    assert Forked(lambda: {"answer": 42}).result() == {"answer": 42}

    def fails():
        raise ValueError("no good")
    with pytest.raises(ValueError, match="no good"):
        Forked(fails).result()

    def dies():
        os.kill(os.getpid(), signal.SIGKILL)
    with pytest.raises(ForkedError, match="killed by signal 9"):
        Forked(dies).result()

    slow = Forked(lambda: time.sleep(60))
    assert not slow.done()
    pid = slow.pid
    slow.cancel()
    assert not Path(f"/proc/{pid}").exists() or "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    with pytest.raises(ForkedError, match="cancelled"):
        slow.result()


def test_the_child_dies_with_a_killed_build(tmp_path):
    """``kill -9`` of the build (the parent) takes the validating child with it."""
    pidfile = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import os, time
        from ilograph.forked import Forked
        def work():
            open({str(pidfile)!r}, "w").write(str(os.getpid()))
            time.sleep(120)
        Forked(work)
        time.sleep(120)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        child = int(pidfile.read_text())
        assert Path(f"/proc/{child}").exists()
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists():
        status = Path(f"/proc/{child}/status").read_text() if Path(f"/proc/{child}/status").exists() else ""
        if "State:\tZ" in status:
            break  # dead, waiting to be reaped by init
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.05)
