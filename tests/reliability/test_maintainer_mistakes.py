"""Maintainers' mistakes (issue 5, item 8): a catalogue of broken source files, one per mistake, in
``tests/reliability/broken/``. Each file is what a maintainer might write, and its first comment
lines say where it goes and what ilograph must answer:

    # mistake: what went wrong, in words
    # place: data/                  the folder it is added to, under its own name (default data/)
    # replaces: ilograph.toml       or the project file it replaces
    # as: directory | dangling-symlink   put a folder, or a symbolic link to nothing, there instead
    # run: validate, build          the commands to run (default validate and build)
    # expect-exit: 1                the exit code of every command
    # expect: some text             text the output must contain (as many lines as needed)
    # expect-build: some text       text only the output of `build` must contain (or -validate, -query)

(``<!-- key: value -->`` lines do the same in RDF/XML.) For each file, the shipped project (ontology,
data, shapes, queries, ilograph.toml) is copied with a release already built beside it, the file is
applied, and each command runs in-process through ``ilograph.cli.main``; a few also run as real
``python3 -m ilograph`` processes. Every command must give the exit code, every expected text, no
traceback nor Python exception name; a ``build`` that fails must leave the previous release exactly
as it was (and write nothing else), one that succeeds must leave a release that verifies.

A validation takes seconds, so the mistakes that make the sources not conform (exit 1) are applied
all at once to one copy by default (one ``validate``, one ``build`` and one process must name every
one of them); ``ILOGRAPH_FULL=1`` also runs each of them alone. The others always run alone.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ilograph.cli import main
from ilograph.project import open_project
from ilograph.release import build, verify

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path(__file__).resolve().parent / "broken"
SOURCES = ("ontology", "data", "shapes", "queries", "ilograph.toml")
#: Cases also run through a real ``python3 -m ilograph`` process (the output a maintainer sees,
#: including what libraries write to stderr behind ilograph's back).
SUBPROCESS = {"syntax-invalid-utf8.ttl", "syntax-nul-byte.ttl", "toml-bad-syntax.toml",
              "shapes-invalid-constraint.ttl", "byte-order-mark.ttl"}
FULL = os.environ.get("ILOGRAPH_FULL") == "1"
_HEADER = re.compile(r"^\s*(?:#|<!--)\s*([a-z-]+):\s*(.*?)\s*(?:-->)?\s*$")
#: Names of Python exceptions that must never reach a maintainer (``... Error`` as a word is fine).
EXCEPTION_NAMES = sorted({name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
                          and issubclass(getattr(builtins, name), BaseException) and name != "Exception"}
                         | {"InvalidOperation", "ConversionSyntax", "TOMLDecodeError", "JSONDecodeError",
                            "ParserError", "BadSyntax", "ShapeLoadError", "ConstraintLoadError",
                            "ReportableRuntimeError", "ExpatError"})
_EXCEPTION = re.compile(r"\b(?:" + "|".join(map(re.escape, EXCEPTION_NAMES)) + r")\b|Traceback|File \"")


@dataclass(eq=False)
class Case:
    """One file of the catalogue and what it says about itself."""

    path: Path
    mistake: str = ""
    place: str = "data/"
    replaces: str | None = None
    make: str | None = None
    run: list[str] = field(default_factory=lambda: ["validate", "build"])
    exit: int | None = None
    expect: list[str] = field(default_factory=list)
    expect_by_command: dict[str, list[str]] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.replaces or (self.place if not self.place.endswith("/") else self.place + self.path.name)


def read_case(path: Path) -> Case:
    case = Case(path)
    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        m = _HEADER.match(line)
        if not m:
            if line.strip() and not line.lstrip().startswith(("#", "<!--", "<?xml")):
                break
            continue
        key, value = m.groups()
        if key == "mistake":
            case.mistake = value
        elif key == "place":
            case.place = value
        elif key == "replaces":
            case.replaces = value
        elif key == "as":
            case.make = value
        elif key == "run":
            case.run = [c.strip() for c in value.split(",") if c.strip()]
        elif key == "expect-exit":
            case.exit = int(value)
        elif key == "expect":
            case.expect.append(value)
        elif key.startswith("expect-"):
            case.expect_by_command.setdefault(key.removeprefix("expect-"), []).append(value)
    assert case.mistake and case.exit is not None, f"{path.name}: needs '# mistake:' and '# expect-exit:' lines"
    return case


CASES = sorted((p for p in CATALOGUE.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
#: The cases that do not conform (exit 1) with the default commands: checked all at once by default.
TOGETHER = [c for c in map(read_case, CASES) if c.exit == 1 and c.run == ["validate", "build"]]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """The shipped project's sources, with a release built in ``dist/`` (copied for each case)."""
    root = tmp_path_factory.mktemp("shipped") / "project"
    root.mkdir()
    for name in SOURCES:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    build(open_project(root), root / "dist")
    return root


def apply(case: Case, root: Path) -> Path:
    target = root / case.target
    if case.replaces:
        assert target.is_file(), f"{case.path.name}: replaces {case.replaces}, which the project does not have"
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    if case.make == "directory":
        target.mkdir()
    elif case.make == "dangling-symlink":
        target.symlink_to(root / "nowhere" / target.name)
    else:
        assert case.make is None, f"{case.path.name}: unknown '# as: {case.make}'"
        shutil.copyfile(case.path, target)
    return target


def command(case: Case, name: str, root: Path) -> list[str]:
    words = name.split()
    return [*words, "--project", str(root)] + (["--out", str(root / "dist")] if words[0] == "build" else [])


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file and link of the release folders, by path."""
    out: dict[str, bytes | str] = {}
    for base in (root / "dist", root / ".dist.releases"):
        if base.is_symlink():
            out[base.name] = "-> " + os.readlink(base)
    for p in sorted((root / ".dist.releases").rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = p.read_bytes() if p.is_file() else "dir"
    return out


def check_output(case: Case, cmd: str, code: int, text: str) -> None:
    said = f"{case.path.name}: `ilograph {cmd}` ({case.mistake})\n{text}"
    assert code == case.exit, f"exit {code}, expected {case.exit}; {said}"
    leaked = _EXCEPTION.search(text)
    assert leaked is None, f"a Python exception reached the maintainer ({leaked.group()!r}); {said}"
    for expected in case.expect + case.expect_by_command.get(cmd.split()[0], []):
        assert expected in text, f"{expected!r} is not in the output; {said}"


def run_commands(cases: list[Case], root: Path) -> None:
    """Run the cases' commands on ``root`` (where they were applied) and check every answer."""
    before = snapshot(root)
    for name in cases[0].run:
        out, err = io.StringIO(), io.StringIO()
        code = main(command(cases[0], name, root), stdout=out, stderr=err)
        for case in cases:
            check_output(case, name, code, out.getvalue() + err.getvalue())
        if name.split()[0] != "build":
            continue
        if code == 0:
            assert verify(root / "dist") == [], f"{cases[0].path.name}: the new release does not verify"
        else:
            assert snapshot(root) == before, f"{cases[0].path.name}: a failed build changed the release folders"


def fresh_copy(shipped: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(shipped, root, symlinks=True)
    return root


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_a_mistake_alone_gets_a_message_and_an_exit_code(path: Path, shipped: Path, tmp_path: Path) -> None:
    case = read_case(path)
    if path in {c.path for c in TOGETHER} and not FULL:
        pytest.skip("checked with the other data mistakes at once (ILOGRAPH_FULL=1 runs each alone)")
    root = fresh_copy(shipped, tmp_path)
    apply(case, root)
    run_commands([case], root)
    if path.name in SUBPROCESS:
        name = case.run[0]
        done = subprocess.run([sys.executable, "-m", "ilograph", *command(case, name, root)],
                              capture_output=True, text=True, timeout=300, check=False)
        check_output(case, name + " (as a process)", done.returncode, done.stdout + done.stderr)


def test_the_data_mistakes_together(shipped: Path, tmp_path: Path) -> None:
    """The mistakes that make sources not conform (exit 1), all in one copy of the project: one
    ``validate`` and one ``build`` must name every one of them (each alone: ILOGRAPH_FULL=1)."""
    assert len(TOGETHER) >= 15
    root = fresh_copy(shipped, tmp_path)
    for case in TOGETHER:
        apply(case, root)
    run_commands(TOGETHER, root)
    done = subprocess.run([sys.executable, "-m", "ilograph", "validate", "--project", str(root)],
                          capture_output=True, text=True, timeout=300, check=False)
    for case in TOGETHER:  # what libraries write to stderr behind ilograph's back shows here
        check_output(case, "validate (as a process)", done.returncode, done.stdout + done.stderr)


def test_the_catalogue_covers_every_kind_of_source() -> None:
    """Mistakes in every place a maintainer edits: data, ontology, shapes, checks, named queries,
    settings; and the file system's own (a folder or a broken link where a file should be)."""
    cases = [read_case(p) for p in CASES]
    places = {c.target.split("/")[0] if "/" in c.target else c.target for c in cases}
    assert {"data", "ontology", "shapes", "queries", "ilograph.toml"} <= places, places
    assert {"directory", "dangling-symlink"} <= {c.make for c in cases}
    assert {1, 2} <= {c.exit for c in cases}
    assert len(cases) >= 30


def test_both_engines_report_ill_typed_literals_alike(shipped: Path, tmp_path: Path) -> None:
    """The fast engine and the reference one (pySHACL and owlrl themselves, which cannot read some
    ill-typed literals) give the same findings for every ill-typed literal of the catalogue at once."""
    root = tmp_path / "project"
    shutil.copytree(shipped, root, symlinks=True)
    cases = [c for c in map(read_case, CASES) if any("ill-typed literal" in e for e in c.expect)]
    assert len(cases) >= 1
    for case in cases:
        apply(case, root)
    reports = {}
    for engine in ("fast", "reference"):
        out, err = io.StringIO(), io.StringIO()
        code = main(["validate", "--project", str(root), "--format", "json", "--engine", engine], stdout=out, stderr=err)
        assert code == 1, err.getvalue()
        reports[engine] = json.loads(out.getvalue())
    def key(report: dict) -> list[str]:  # blank nodes are labelled by each engine its own way
        return sorted(re.sub(r"\b[0-9a-f]{12,32}\b", "BLANK", json.dumps({k: v for k, v in x.items() if k != "engine"},
                                                                    sort_keys=True))
                      for x in report["results"])
    assert key(reports["fast"]) == key(reports["reference"])
    ill = [r for r in reports["fast"]["results"] if r["message"].startswith("ill-typed literal")]
    assert len(ill) >= len(cases)
    assert all(r["file"].startswith(("data/", "ontology/")) and r["line"] and r["hint"] for r in ill), ill
