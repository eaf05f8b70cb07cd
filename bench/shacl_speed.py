"""SHACL validation speed: pySHACL (the reference) against ilograph.fastshacl (SPARQL on pyoxigraph).

    python bench/shacl_speed.py                          # 10k and 100k both engines, 1M fast path only
    python bench/shacl_speed.py --sizes 10000 --violations 1
    python bench/shacl_speed.py --pyshacl-timeout 900    # give pySHACL up to 15 min per size

For each size, bench/generate.py writes an ILO-shaped project (with ``--violations K`` injected
violations of each kind, default 0), ilograph loads it once, and both engines validate ontology and
data against shapes/ilograph-shapes.ttl with the options of ilograph.validate.run_shacl:

- fast path: compile the shapes, make the loaded store exact (swap the few typed literals it keeps
  in another form, column "exact"), run the queries on threads (load excluded, as it is shared by
  every check of ``ilograph validate``);
- pySHACL: convert to rdflib (Sources.to_rdflib, as ``ilograph validate`` does) and validate, in a
  subprocess stopped after ``--pyshacl-timeout`` seconds.

Where pySHACL is not run (above ``--pyshacl-max``) or does not finish, its time is extrapolated
linearly from the largest size where it finished, and marked "extrapolated" (pySHACL grows at
least linearly: its SPARQL constraints run once per focus node). Where both ran, the results are
compared (as multisets of normalized results) and the table says whether they are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def generate(n: int, violations: int, out: Path) -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "generate.py"), "--triples", str(n), "--out", str(out), "--quiet"]
    if violations:
        cmd += ["--violations", str(violations)]
    subprocess.run(cmd, check=True)


def fast_path(project_dir: Path, owl: bool = False) -> dict:
    from ilograph import fastowl, fastshacl
    from ilograph.load import load, load_shape_sets
    from ilograph.project import open_project

    project = open_project(project_dir)
    t = time.perf_counter()
    sources = load(project)
    load_s = time.perf_counter() - t
    shapes = load_shape_sets(project).data
    t = time.perf_counter()
    plan = fastshacl.compile_shapes(shapes)
    compile_s = time.perf_counter() - t
    t = time.perf_counter()
    # the loaded store itself, its typed literals in their exact form for the run (as ilograph
    # validate does; shared with the OWL RL check)
    with fastshacl.Mirror.borrowed(sources, ("ontology", "data")) as mirror:
        mirror_s = time.perf_counter() - t
        t = time.perf_counter()
        outcome = fastshacl.execute(plan, mirror)
        run_s = time.perf_counter() - t + mirror_s
        phases = dict(outcome.timings, mirror=mirror_s)
        out = {"triples": len(sources), "load": load_s, "compile": compile_s, "run": run_s,
               "total": compile_s + run_s, "phases": phases, "engines": Counter(outcome.engines.values()),
               "results": [repr(k) for k in fastshacl.comparable(outcome.results)]}
        if owl:
            t = time.perf_counter()
            checked = fastowl.check(mirror)
            out["owl"] = {"seconds": time.perf_counter() - t, "engine": checked.engine, "messages": checked.messages}
    return out


def pyshacl_child(project_dir: Path) -> None:
    """Run in a subprocess: pySHACL on the project, as ilograph.validate.run_shacl calls it."""
    import pyshacl

    from ilograph import fastshacl
    from ilograph.load import load, load_shape_sets
    from ilograph.project import open_project

    project = open_project(project_dir)
    sources = load(project)
    shapes = load_shape_sets(project).data
    t = time.perf_counter()
    graph = sources.to_rdflib()
    convert_s = time.perf_counter() - t
    t = time.perf_counter()
    _, report, _ = pyshacl.validate(data_graph=graph, shacl_graph=shapes, inference="none", abort_on_first=False,
                                    allow_infos=True, allow_warnings=True, meta_shacl=False, advanced=True,
                                    js=False, debug=False)
    validate_s = time.perf_counter() - t
    results = [repr(k) for k in fastshacl.comparable(fastshacl.normalize_pyshacl(report, shapes))]
    print(json.dumps({"convert": convert_s, "validate": validate_s, "results": results}))


def owlrl_child(project_dir: Path) -> None:
    """Run in a subprocess: owlrl's closure on the project, as ilograph.validate.run_owl_rl runs it."""
    from ilograph import fastowl
    from ilograph.load import load
    from ilograph.project import open_project

    sources = load(open_project(project_dir))
    t = time.perf_counter()
    graph = sources.to_rdflib()
    convert_s = time.perf_counter() - t
    t = time.perf_counter()
    messages = fastowl.reference(graph)
    print(json.dumps({"convert": convert_s, "validate": time.perf_counter() - t, "messages": messages}))


def run_child(flag: str, project_dir: Path, timeout: float) -> dict | None:
    try:
        out = subprocess.run([sys.executable, __file__, flag, str(project_dir)], check=True,
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_pyshacl(project_dir: Path, timeout: float) -> dict | None:
    return run_child("--pyshacl-child", project_dir, timeout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated triple counts")
    ap.add_argument("--violations", type=int, default=0, help="injected violations of each kind (default 0)")
    ap.add_argument("--pyshacl-max", type=int, default=100000, help="largest size pySHACL is run at")
    ap.add_argument("--pyshacl-timeout", type=float, default=1800, help="seconds before pySHACL is stopped")
    ap.add_argument("--keep", type=Path, help="write the generated projects here (default: a temporary folder)")
    ap.add_argument("--owl", action="store_true",
                    help="also time owlrl against ilograph.fastowl (owlrl is run where pySHACL is)")
    ap.add_argument("--pyshacl-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--owlrl-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.pyshacl_child:
        pyshacl_child(args.pyshacl_child)
        return 0
    if args.owlrl_child:
        owlrl_child(args.owlrl_child)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows = []
    base = args.keep or Path(tempfile.mkdtemp(prefix="shacl-speed-"))
    reference: tuple[int, float] | None = None  # (triples, pySHACL seconds) of the largest finished run
    owl_rows = []
    owl_reference: tuple[int, float] | None = None
    for n in sizes:
        folder = base / f"ilo-{n}"
        generate(n, args.violations, folder)
        fast = fast_path(folder, owl=args.owl)
        if args.owl:
            ref_owl = run_child("--owlrl-child", folder, args.pyshacl_timeout) if n <= args.pyshacl_max else None
            if ref_owl is not None:
                owl_s, owl_how = ref_owl["convert"] + ref_owl["validate"], "measured"
                owl_reference = (fast["triples"], owl_s)
                owl_same = "identical" if ref_owl["messages"] == fast["owl"]["messages"] else "DIFFERENT"
            elif owl_reference is not None:
                owl_s = owl_reference[1] * fast["triples"] / owl_reference[0]
                owl_how, owl_same = f"extrapolated (linear from {owl_reference[0]:,})", "-"
            else:
                owl_s, owl_how, owl_same = float("nan"), "not run", "-"
            owl_rows.append((fast["triples"], fast["owl"], owl_s, owl_how, owl_same))
        ref = run_pyshacl(folder, args.pyshacl_timeout) if n <= args.pyshacl_max else None
        if ref is not None:
            py_s, how = ref["convert"] + ref["validate"], "measured"
            reference = (fast["triples"], py_s)
            same = "identical" if Counter(ref["results"]) == Counter(fast["results"]) else "DIFFERENT"
        elif reference is not None:
            py_s = reference[1] * fast["triples"] / reference[0]
            how = f"extrapolated (linear from {reference[0]:,})"
            if n <= args.pyshacl_max:  # it ran and did not finish: at least the time it was given
                how = f"did not finish in {args.pyshacl_timeout:.0f}s; " + how
                py_s = max(py_s, args.pyshacl_timeout)
            same = "-"
        else:
            py_s, how, same = float("nan"), "not run", "-"
        rows.append((fast["triples"], fast["load"], fast["compile"], fast["run"], fast["phases"],
                     len(fast["results"]), py_s, how, same, ref))
        print(f"done: {n:,} triples", file=sys.stderr)

    print(f"SHACL validation, shapes/ilograph-shapes.ttl on ontology + data "
          f"({platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}; violations per kind: {args.violations})")
    print()
    head = (f"{'triples':>10} | {'load':>6} | {'fast: compile':>13} | {'exact':>6} | {'queries':>7} | "
            f"{'fast total':>10} | {'results':>7} | {'pySHACL':>9} | {'ratio':>7} | same results | pySHACL time")
    print(head)
    print("-" * len(head))
    for triples, load_s, comp_s, run_s, phases, nres, py_s, how, same, ref in rows:
        total = comp_s + run_s
        queries = phases.get("focus", 0) + phases.get("sparql", 0) + phases.get("pyshacl", 0)
        ratio = py_s / total if total else float("nan")
        py_text = f"{py_s:8.1f}s" if py_s == py_s else "       - "
        ratio_text = f"{ratio:6.0f}x" if ratio == ratio else "      -"
        detail = how if ref is None else f"{how} (rdflib {ref['convert']:.1f}s + validate {ref['validate']:.1f}s)"
        print(f"{triples:>10,} | {load_s:5.1f}s | {comp_s:12.2f}s | {phases.get('mirror', 0):5.1f}s | "
              f"{queries:6.1f}s | {total:9.1f}s | {nres:>7} | {py_text} | {ratio_text} | {same:12} | {detail}")
    print()
    print("fast total = compile + exact + queries (the loaded Sources are shared with the rest of "
          "`ilograph validate`); pySHACL = Sources.to_rdflib + pyshacl.validate")
    if owl_rows:
        print()
        print("OWL RL consistency (fastowl reuses the exact store; owlrl = Sources.to_rdflib + closure)")
        head = f"{'triples':>10} | {'fastowl':>8} | {'messages':>8} | {'owlrl':>9} | {'ratio':>7} | same messages | owlrl time"
        print(head)
        print("-" * len(head))
        for triples, fo, owl_s, how, same in owl_rows:
            ratio = owl_s / fo["seconds"] if fo["seconds"] else float("nan")
            owl_text = f"{owl_s:8.1f}s" if owl_s == owl_s else "       - "
            ratio_text = f"{ratio:6.0f}x" if ratio == ratio else "      -"
            print(f"{triples:>10,} | {fo['seconds']:7.2f}s | {len(fo['messages']):>8} | {owl_text} | {ratio_text} | "
                  f"{same:13} | {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
