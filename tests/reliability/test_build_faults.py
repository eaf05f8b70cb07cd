"""Releases that cannot be lost: ``kill -9`` at random points during ``ilograph build`` and a full
disk leave the previous release intact, and a reader never sees a partial release."""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ilograph.release import build, verify


def _changed_copy(copy_project) -> Path:
    root = copy_project()
    with (root / "data" / "seed-001-cooperatives-unit.ttl").open("a", encoding="utf-8") as f:
        f.write('\nunit:coop skos:altLabel "ILO COOP"@en .\n')
    return root


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_kill_9_at_random_points_leaves_the_previous_release(project, copy_project, tmp_path):
    out = tmp_path / "dist"
    first = build(project, out)
    before = _snapshot(out)
    changed = _changed_copy(copy_project)
    rng = random.Random(20261122)
    # a full build takes a few seconds here; kill it at points spread over its whole run
    started = time.monotonic()
    probe = subprocess.run([sys.executable, "-m", "ilograph", "build", "--project", str(changed),
                            "--out", str(tmp_path / "probe"), "-q"], capture_output=True)
    assert probe.returncode == 0, probe.stderr
    duration = time.monotonic() - started
    for delay in sorted(rng.uniform(0.05, duration * 0.95) for _ in range(5)):
        proc = subprocess.Popen([sys.executable, "-m", "ilograph", "build", "--project", str(changed),
                                 "--out", str(out), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # whatever point it died at, the served folder is a whole release
        assert verify(out) == [], f"killed after {delay:.2f}s"
        current = out.resolve().name
        if current == first.id:
            assert _snapshot(out) == before
        else:  # it got as far as the swap: the new release is complete
            assert (out / "SHA256SUMS").read_text()
    # a later build cleans up what the killed ones left and succeeds
    final = build(__import__("ilograph.project", fromlist=["open_project"]).open_project(changed), out)
    assert verify(out) == []
    assert not list((tmp_path / ".dist.releases").glob("staging-*"))
    assert final.id != first.id


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_fails_cleanly_and_keeps_the_previous_release(project, copy_project, tmp_path):
    out = tmp_path / "dist"
    build(project, out)
    before = _snapshot(out)
    changed = _changed_copy(copy_project)
    done = subprocess.run([sys.executable, "-m", "ilograph", "build", "--project", str(changed), "--out", str(out)],
                          capture_output=True, text=True, preexec_fn=_limit_file_size(200_000))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "could not write the release" in done.stderr
    assert "previous release" in done.stderr and "untouched" in done.stderr
    assert "Traceback" not in done.stderr
    assert _snapshot(out) == before
    assert not list((tmp_path / ".dist.releases").glob("staging-*"))


def test_a_release_that_fails_validation_never_replaces_the_current_one(project, copy_project, tmp_path):
    out = tmp_path / "dist"
    build(project, out)
    before = _snapshot(out)
    root = copy_project()
    path = root / "data" / "seed-001-cooperatives-unit.ttl"
    path.write_text(path.read_text(encoding="utf-8").replace("ilo:guidedBy", "ilo:guidedBi", 1), encoding="utf-8")
    from ilograph.cli import main
    import io
    assert main(["build", "--project", str(root), "--out", str(out)], stdout=io.StringIO(), stderr=io.StringIO()) == 1
    assert _snapshot(out) == before


@pytest.mark.parametrize("seed", ["0", "77"])
def test_builds_under_other_seeds_and_clocks_match(project, tmp_path, release, seed):
    out = tmp_path / "dist"
    env = dict(os.environ, PYTHONHASHSEED=seed, TZ="America/Lima", SOURCE_DATE_EPOCH="0")
    done = subprocess.run([sys.executable, "-m", "ilograph", "build", "--project", str(project.root), "--out", str(out), "-q"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _snapshot(out) == _snapshot(release.path)
