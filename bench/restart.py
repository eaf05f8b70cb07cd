#!/usr/bin/env python3
"""How fast ``ilograph serve`` answers after a restart on an unchanged release (issue 6, target:
"starts answering within 5 s when the release is unchanged since the last start").

    python bench/restart.py --project DIR [--starts 2] [--workers N] [--no-baseline] [--json OUT]
    python bench/restart.py --triples 1000000 --out /tmp/g1m      # generate and build first

For each start it runs ``python -m ilograph serve --project DIR`` on a free port and measures, from
the moment the process is started: the first ``200`` to ``GET /sparql?query=ASK{}``, then the
first ``200`` to one resource page (``/id/....html``, the first resource of the release's
N-Triples dump); and the peak resident memory of the server and its query workers (sampled
every 20 ms, and each process's own high-water mark read just before it is stopped). Then it
stops the server (SIGINT) and starts the next.

The first start with the default on-disk store (``PROJECT/.ilograph/store``) may build it and
check the release in full; the next starts reuse both. The baseline, printed beside them, is a
cold start that loads the store: ``--store :memory:``, every worker loading the release's dumps
(what ``ilograph serve`` did before it kept a store on disk). The release itself must already be
built (``python -m ilograph build --project DIR``), or use ``--triples N --out DIR`` to generate
and build one; this bench does not time builds.

Numbers on a shared machine are noisy: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

TARGET_SECONDS = 5.0


@dataclass
class Start:
    label: str
    sparql_s: float | None = None
    page_s: float | None = None
    peak_rss_mb: float = 0.0
    hwm_mb: dict[str, float] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    load: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0


def first_resource(folder: Path, base: str) -> str:
    """The first subject under ``<base>id/`` in the release's N-Triples dump (read from the top)."""
    manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    nt = next(f["name"] for f in manifest["files"] if f["media_type"] == "application/n-triples")
    prefix = "<" + base + "id/"
    with open(folder / nt, encoding="utf-8") as f:
        for line in f:
            if line.startswith(prefix):
                return line[1:line.index(">")][len(base):]
    raise SystemExit(f"no resource under {base}id/ in {folder / nt}")


def start(project: Path, label: str, page: str, options: list[str], limit: float) -> Start:
    result = Start(label)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "ilograph", "serve", "--project", str(project),
                                "--port", str(port), *options],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    os.set_blocking(process.stdout.fileno(), False)  # type: ignore[union-attr]
    output = b""
    try:
        targets = [("sparql", f"{url}/sparql?query=ASK%7B%7D"), ("page", f"{url}/{page}.html")]
        last_sample = 0.0
        while targets and time.perf_counter() - began < limit:
            if process.poll() is not None:
                break
            now = time.perf_counter()
            if now - last_sample >= 0.02:
                last_sample = now
                rss = sum(status_kb(p, "VmRSS") for p in tree(process.pid)) / 1024
                result.peak_rss_mb = max(result.peak_rss_mb, rss)
            name, target = targets[0]
            if get(target) == 200:
                setattr(result, f"{name}_s", time.perf_counter() - began)
                targets.pop(0)
                continue
            time.sleep(0.02)
        for p in tree(process.pid):
            role = "server" if p == process.pid else f"worker {p}"
            result.hwm_mb[role] = status_kb(p, "VmHWM") / 1024
        result.peak_rss_mb = max(result.peak_rss_mb, sum(status_kb(p, "VmRSS") for p in tree(process.pid)) / 1024)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        while True:
            try:
                chunk = os.read(process.stdout.fileno(), 1 << 16)  # type: ignore[union-attr]
            except BlockingIOError:
                break
            if not chunk:
                break
            output += chunk
    result.log = [line for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    result.load = " ".join(open("/proc/loadavg").read().split()[:3])
    return result


def show(s: Start) -> str:
    def t(v: float | None) -> str:
        return f"{v:7.2f} s" if v is not None else "   never"
    ok = s.sparql_s is not None and s.page_s is not None and max(s.sparql_s, s.page_s) <= TARGET_SECONDS
    return (f"{s.label:<34} {t(s.sparql_s)}  {t(s.page_s)}  {s.peak_rss_mb:8.0f} MB  "
            f"{s.hwm_mb.get('server', 0):7.0f} MB  {'PASS' if ok else 'FAIL'}  load {s.load}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="a project whose release is built")
    parser.add_argument("--triples", type=int, help="generate a project of about N triples and build it first")
    parser.add_argument("--out", type=Path, help="where --triples writes the project")
    parser.add_argument("--starts", type=int, default=2, help="starts with the default store (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="query workers (default 2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the --store :memory: cold start")
    parser.add_argument("--limit", type=float, default=1800.0, help="give up on a start after this many seconds")
    parser.add_argument("--json", type=Path, help="write the results as JSON")
    args = parser.parse_args()
    project = args.project or args.out
    if project is None:
        parser.error("give --project DIR (or --triples N --out DIR)")
    project = project.absolute()
    here = Path(__file__).resolve().parent
    if args.triples:
        subprocess.run([sys.executable, str(here / "generate.py"), "--triples", str(args.triples), "--out",
                        str(project), "--quiet"], check=True)
    if args.triples or not (project / "dist" / "release.json").is_file():
        print(f"building the release of {project} (not timed)", flush=True)
        subprocess.run([sys.executable, "-m", "ilograph", "build", "--project", str(project), "--quiet"], check=True)
    folder = (project / "dist").resolve()
    manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    base = manifest["dataset"]["base"]
    page = first_resource(folder, base)
    common = ["--workers", str(args.workers)]
    runs: list[Start] = []
    for i in range(args.starts):
        label = "start 1 (may build the store)" if i == 0 else f"restart {i} (release unchanged)"
        runs.append(start(project, label, page, common, args.limit))
        print(show(runs[-1]), flush=True)
    if not args.no_baseline:
        runs.append(start(project, "baseline: cold, --store :memory:", page, [*common, "--store", ":memory:"],
                          args.limit))
        print(show(runs[-1]), flush=True)
    print()
    print(f"ilograph serve --project {project}: {manifest['triples']} triples, {args.workers} workers, "
          f"page /{page}.html; target: first answers within {TARGET_SECONDS:g} s of a restart")
    print(f"{'start':<34} {'ASK 200':>9}  {'page 200':>9}  {'peak RSS':>11}  {'server HWM':>10}")
    for s in runs:
        print(show(s))
    for s in runs:
        notes = [line for line in s.log if "ilograph:" in line and ("store" in line or "release" in line
                                                                    or "ready" in line)]
        print(f"  {s.label}: " + " | ".join(line.removeprefix("ilograph: ") for line in notes[:6]))
    if args.json:
        args.json.write_text(json.dumps({"project": str(project), "triples": manifest["triples"],
                                         "runs": [asdict(s) for s in runs]}, indent=2) + "\n")
    restarts = [s for s in runs[1:args.starts]]
    good = all(s.sparql_s is not None and s.page_s is not None and max(s.sparql_s, s.page_s) <= TARGET_SECONDS
               for s in restarts)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
