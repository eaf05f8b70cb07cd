#!/usr/bin/env python3
"""The release pipeline at scale, against the rdflib + pySHACL path, in one command.

    python3 bench/scale.py --sizes 10000,100000,1000000 [--10m] [--work DIR] [--json FILE]
    python3 bench/scale.py --sizes 10000 --quick          # a smoke run: a few seconds

For each size it generates a project with ``bench/generate.py`` (cached in the work folder, made
again only when the generator changed), then runs, each in a child process of its own:

* ``ilograph build`` through the library's real code path (:func:`ilograph.release.build` with a
  :class:`~ilograph.progress.Progress` that records every stage): wall time, CPU time and the
  child's peak RSS (``VmHWM``) at the end of each stage, so "peak" is the peak so far; the CPU
  time of gzip and SHA-256, which run in threads while later dumps are written, is shown beside
  the stage that waits for them. The child's total (interpreter start, imports, build) is
  measured from outside with ``os.wait4``;
* the baselines: rdflib parsing the sources and serializing them as Turtle, N-Triples and
  JSON-LD (the compaction the release used to do), and pySHACL validating them with the same
  shapes; at sizes above ``--baseline-max`` they are not run but extrapolated linearly from
  the largest size measured, and marked so.

Then it prints a table per size, the ratio of the rdflib + pySHACL path to the ilograph release,
and the targets of issue 6 with pass or fail (only those the sizes run allow to judge), with
the load average, since the machine may be shared. Nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "bench" / "generate.py"
MB = 1024 * 1024

TARGET_1M_SECONDS = 20.0
TARGET_1M_RSS = 1.5 * 1024 ** 3
TARGET_SPEEDUP = 20.0
TARGET_10M_RSS = 4 * 1024 ** 3
TARGET_10M_GROWTH = 12.0
TARGET_SHIPPED_SECONDS = 2.0


# --- child processes ----------------------------------------------------------------------------

def _hwm() -> int:
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _child_build(project_dir: str, out: str) -> dict:
    from ilograph.progress import Progress
    from ilograph.project import open_project
    from ilograph.release import build

    progress = Progress(mode="quiet")
    release = build(open_project(Path(project_dir)), Path(out), progress=progress)
    return {"triples": release.triples, "stages": [
        {"name": s.name, "seconds": s.seconds, "cpu": s.cpu_seconds, "rss": s.peak_rss,
         "background": s.background_seconds} for s in progress.stages]}


def _source_paths(project) -> list[Path]:
    return project.sources(project.ontology_dir) + project.sources(project.data_dir)


def _child_rdflib(project_dir: str, out: str) -> dict:
    import rdflib

    from ilograph.load import load
    from ilograph.project import open_project
    from ilograph.release import STANDARD_PREFIXES, jsonld_context

    project = open_project(Path(project_dir))
    steps = []
    start, cpu = time.perf_counter(), time.process_time()
    graph = rdflib.Graph()
    for path in _source_paths(project):
        graph.parse(path, format="turtle" if path.suffix == ".ttl" else "nt" if path.suffix == ".nt" else "xml",
                    publicID=project.base)
    steps.append({"name": "rdflib parse the sources", "seconds": time.perf_counter() - start,
                  "cpu": time.process_time() - cpu, "rss": _hwm(), "triples": len(graph)})
    # the context the release uses (computed with ilograph's loader, outside the timings)
    sources = load(project)
    prefixes = dict(STANDARD_PREFIXES)
    prefixes.update({p: ns for p, ns in sources.prefixes().items() if p not in prefixes})
    context = jsonld_context(sources, prefixes)["@context"]
    del sources
    for name, fmt, kwargs in (("turtle", "turtle", {}), ("n-triples", "nt", {"encoding": "utf-8"}),
                              ("json-ld", "json-ld", {"context": context, "auto_compact": True})):
        start, cpu = time.perf_counter(), time.process_time()
        graph.serialize(destination=str(Path(out) / f"dump.{fmt}"), format=fmt, **kwargs)
        steps.append({"name": f"rdflib serialize {name}", "seconds": time.perf_counter() - start,
                      "cpu": time.process_time() - cpu, "rss": _hwm()})
    return {"steps": steps}


def _child_pyshacl(project_dir: str, out: str) -> dict:
    import pyshacl
    import rdflib

    from ilograph.project import open_project

    project = open_project(Path(project_dir))
    data, shapes = rdflib.Graph(), rdflib.Graph()
    for path in _source_paths(project):
        data.parse(path, format="turtle" if path.suffix == ".ttl" else "nt" if path.suffix == ".nt" else "xml",
                   publicID=project.base)
    for path in project.sources(project.shapes_dir):
        if not path.name.startswith("ontology-"):
            shapes.parse(path, format="turtle", publicID=project.base)
    start, cpu = time.perf_counter(), time.process_time()
    conforms, _, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                      allow_warnings=True)
    return {"steps": [{"name": "pySHACL validate", "seconds": time.perf_counter() - start,
                       "cpu": time.process_time() - cpu, "rss": _hwm(), "conforms": bool(conforms)}]}


CHILDREN = {"build": _child_build, "rdflib": _child_rdflib, "pyshacl": _child_pyshacl}


@dataclass
class Run:
    """One child process: what it printed, its wall time and its peak RSS (from ``wait4``)."""

    result: dict
    seconds: float
    rss: int
    cpu: float = 0.0  # user + system CPU seconds of the child


def run_child(kind: str, project_dir: Path, out: Path) -> Run:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile() as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", kind, str(project_dir),
                                 str(out)], stdout=stdout, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        text = stdout.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"scale.py: the {kind} child failed on {project_dir} (exit {proc.returncode})")
    return Run(json.loads(text.strip().splitlines()[-1]), seconds, usage.ru_maxrss * 1024,
               usage.ru_utime + usage.ru_stime)


def run_command(argv: list[str]) -> Run:
    """A whole command (interpreter start included): wall time and peak RSS."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"scale.py: {' '.join(argv)} failed: {proc.stderr.read().decode()[-2000:]}")
    return Run({}, seconds, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)


# --- the benchmark ------------------------------------------------------------------------------

def generate(size: int, work: Path, quiet: bool) -> Path:
    """The project of ``size`` triples, generated once per version of the generator."""
    folder = work / f"project-{size}"
    marker = work / f"project-{size}.generated"
    stamp = f"{size} {GENERATOR.stat().st_mtime_ns} {GENERATOR.stat().st_size}"
    if folder.is_dir() and marker.is_file() and marker.read_text() == stamp:
        return folder
    if not quiet:
        print(f"generating {size:,} triples into {folder} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, str(GENERATOR), "--triples", str(size), "--out", str(folder), "--quiet"],
                   check=True)
    marker.write_text(stamp)
    return folder


@dataclass
class SizeResult:
    size: int
    triples: int = 0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    stages: list[dict] = field(default_factory=list)
    build: Run | None = None
    baselines: list[dict] = field(default_factory=list)  # name, seconds, rss, measured_at (None: measured here)


def measure(size: int, work: Path, args: argparse.Namespace, measured: dict[str, tuple[int, dict]]) -> SizeResult:
    project = generate(size, work, args.quiet)
    result = SizeResult(size, load=os.getloadavg())
    out = work / f"dist-{size}"
    for old in (out, work / f".dist-{size}.releases"):  # a fresh build, not the reuse of an identical one
        if old.is_symlink():
            old.unlink()
        elif old.exists():
            shutil.rmtree(old)
    build = run_child("build", project, out)
    result.build, result.stages, result.triples = build, build.result["stages"], build.result["triples"]
    for kind, limit in (("rdflib", args.baseline_max), ("pyshacl", args.pyshacl_max)):
        if size <= limit:
            with tempfile.TemporaryDirectory(dir=work) as scratch:
                run = run_child(kind, project, Path(scratch))
            for step in run.result["steps"]:
                measured[step["name"]] = (size, step)
                result.baselines.append({"name": step["name"], "seconds": step["seconds"], "cpu": step["cpu"],
                                         "rss": step["rss"], "measured_at": None})
        else:
            for name, (at, step) in measured.items():
                if (kind == "pyshacl") == name.startswith("pySHACL"):
                    result.baselines.append({"name": name, "seconds": step["seconds"] * size / at,
                                             "cpu": step["cpu"] * size / at, "rss": step["rss"] * size / at,
                                             "measured_at": at})
    return result


def _mb(n: float | None) -> str:
    return "-" if n is None else f"{n / MB:,.0f}"


def print_size(r: SizeResult) -> None:
    load = ", ".join(f"{x:.2f}" for x in r.load)
    print(f"\n== {r.size:,} triples requested, {r.triples:,} in the release (load average {load}) ==")
    print(f"{'stage':<52} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    for s in r.stages:
        extra = f"  (+{s['background']:.2f} s CPU overlapped: helper threads or process)" if s["background"] else ""
        print(f"{s['name'][:52]:<52} {s['seconds']:8.2f} {s['cpu']:8.2f} {_mb(s['rss']):>12}{extra}")
    stages = sum(s["seconds"] for s in r.stages)
    print(f"{'ilograph build: sum of stages':<52} {stages:8.2f} {sum(s['cpu'] for s in r.stages):8.2f} "
          f"{_mb(max((s['rss'] or 0) for s in r.stages)):>12}")
    print(f"{'ilograph build: child process (start, imports, build)':<52} {r.build.seconds:8.2f} {r.build.cpu:8.2f} "
          f"{_mb(r.build.rss):>12}")
    print(f"\n{'baseline':<52} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    for b in r.baselines:
        note = f"  extrapolated from {b['measured_at']:,}" if b["measured_at"] else ""
        print(f"{b['name']:<52} {b['seconds']:8.2f} {b['cpu']:8.2f} {_mb(b['rss']):>12}{note}")
    path = baseline_seconds(r)
    if path:
        cpu = sum(b["cpu"] for b in r.baselines)
        print(f"{'rdflib + pySHACL path (parse, 3 dumps, validate)':<52} {path:8.2f} {cpu:8.2f}")
        print(f"ratio: the rdflib + pySHACL path takes {path / r.build.seconds:.1f} times the ilograph build "
              f"(wall time; {cpu / r.build.cpu:.1f} times in CPU time)")


def baseline_seconds(r: SizeResult) -> float:
    return sum(b["seconds"] for b in r.baselines)


def targets(results: list[SizeResult], shipped: Run | None) -> list[tuple[str, str, bool]]:
    out = []
    by_size = {r.size: r for r in results}
    one = by_size.get(1_000_000)
    if one is not None:
        out.append(("1M release wall time (child process) <= 20 s", f"{one.build.seconds:.1f} s",
                    one.build.seconds <= TARGET_1M_SECONDS))
        out.append(("1M release peak RSS <= 1.5 GB", f"{one.build.rss / MB:,.0f} MB", one.build.rss <= TARGET_1M_RSS))
        path = baseline_seconds(one)
        if path:
            out.append(("1M: >= 20x faster than rdflib + pySHACL", f"{path / one.build.seconds:.1f}x",
                        path / one.build.seconds >= TARGET_SPEEDUP))
    ten = by_size.get(10_000_000)
    if ten is not None:
        out.append(("10M peak RSS <= 4 GB", f"{ten.build.rss / MB:,.0f} MB", ten.build.rss <= TARGET_10M_RSS))
        if one is not None:
            growth = ten.build.seconds / one.build.seconds
            out.append(("10M time <= 12x the 1M time", f"{growth:.1f}x", growth <= TARGET_10M_GROWTH))
    if shipped is not None:
        out.append(("shipped ILO graph: ilograph build <= 2 s (interpreter start included)",
                    f"{shipped.seconds:.2f} s", shipped.seconds <= TARGET_SHIPPED_SECONDS))
        out.append(("  (the same, CPU seconds: what it would take on an idle machine)", f"{shipped.cpu:.2f} s",
                    shipped.cpu <= TARGET_SHIPPED_SECONDS))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated triple counts (default: 10000,100000,1000000)")
    parser.add_argument("--10m", dest="ten_million", action="store_true", help="add 10,000,000 triples")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ilograph-scale",
                        help="where generated projects (kept between runs) and releases go")
    parser.add_argument("--baseline-max", type=int, default=100_000, metavar="N",
                        help="largest size at which rdflib parse/serialize is run (above: extrapolated)")
    parser.add_argument("--pyshacl-max", type=int, default=10_000, metavar="N",
                        help="largest size at which pySHACL is run (above: extrapolated; its SPARQL constraints "
                             "grow faster than linearly, so the extrapolation flatters it)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: no pySHACL, no shipped-graph build")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress notes on stderr")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "PROJECT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.pyshacl_max = 0
    if args.child:
        kind, project_dir, out = args.child
        print(json.dumps(CHILDREN[kind](project_dir, out)))
        return 0
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()}
                   | ({10_000_000} if args.ten_million else set()))
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"ilograph scale benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    measured: dict[str, tuple[int, dict]] = {}
    results = []
    for size in sizes:
        if not args.quiet:
            print(f"measuring {size:,} triples ...", file=sys.stderr, flush=True)
        result = measure(size, args.work, args, measured)
        results.append(result)
        print_size(result)
        sys.stdout.flush()
    shipped = None
    if not args.quick:
        with tempfile.TemporaryDirectory(dir=args.work) as scratch:
            shipped = run_command([sys.executable, "-m", "ilograph", "build", "--project", str(ROOT), "--out",
                                   str(Path(scratch) / "dist"), "-q"])
    checks = targets(results, shipped)
    if checks:
        print(f"\n{'target':<70} {'measured':>12}  result")
        for name, value, ok in checks:
            print(f"{name:<70} {value:>12}  {'pass' if ok else 'FAIL'}")
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps({
            "load_average_end": os.getloadavg(),
            "sizes": [{"size": r.size, "triples": r.triples, "load_average": r.load, "stages": r.stages,
                       "build_seconds": r.build.seconds, "build_peak_rss": r.build.rss, "baselines": r.baselines}
                      for r in results],
            "shipped_build_seconds": shipped.seconds if shipped else None,
            "targets": [{"target": n, "measured": v, "pass": ok} for n, v, ok in checks]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
