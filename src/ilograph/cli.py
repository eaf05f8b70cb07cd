"""The ``ilograph`` command: parse arguments, call the library, format output, map exit codes.

Exit codes: 0 success (warnings allowed), 1 the sources do not conform (or a release check
failed), 2 unreadable input (syntax error, bad settings, unknown query), 3 internal error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence, TextIO

from . import __version__
from .errors import IlographError, LoadError, ValidationFailed

EXIT_OK, EXIT_INVALID, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--project", metavar="DIR", default=argparse.SUPPRESS,
                        help="project folder laid out as ontology/ data/ shapes/ queries/ (default: current folder)")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="print only results and errors")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="print each step, and tracebacks of internal errors")

    parser = argparse.ArgumentParser(prog="ilograph", parents=[common],
                                     description="Validate, build, query and publish a knowledge graph.",
                                     epilog="Exit codes: 0 ok, 1 does not conform, 2 bad input, 3 internal error.")
    parser.add_argument("--version", action="version", version=f"ilograph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", parents=[common], help="check ontology and data against the shapes and OWL RL")
    p.add_argument("--format", choices=("text", "turtle", "json"), default="text", help="report format (default: text)")
    p.add_argument("--engine", choices=("fast", "reference"), default="fast",
                   help="fast: SHACL and OWL RL compiled to SPARQL, with pySHACL's and owlrl's answers (default); "
                        "reference: pySHACL and owlrl themselves")

    p = sub.add_parser("build", parents=[common], help="validate, then write a release (dumps, checksums)")
    p.add_argument("--out", metavar="DIR", help="release folder (default: PROJECT/dist)")

    p = sub.add_parser("query", parents=[common], help="run a named query (queries/NAME.rq) or a .rq file")
    p.add_argument("name", metavar="NAME|FILE")
    p.add_argument("--format", default="table",
                   choices=("table", "json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml"),
                   help="output format (default: table)")

    sub.add_parser("queries", parents=[common], help="list the named queries and their questions")

    p = sub.add_parser("serve", parents=[common], help="serve the release as a read-only SPARQL endpoint")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    p.add_argument("--out", metavar="DIR", help="release folder to serve, built when stale (default: PROJECT/dist)")
    p.add_argument("--store", metavar="DIR", help="keep the store on disk in DIR, reused while it holds the same "
                   "release (default: PROJECT/.ilograph/store; :memory: loads it in memory in each worker)")
    p.add_argument("--timeout", metavar="SECONDS", type=float, default=30.0,
                   help="stop a query after this many seconds (default: 30)")
    p.add_argument("--workers", metavar="N", type=int, default=None,
                   help="query worker processes (default: one per CPU, at least 2)")
    p.add_argument("--max-rows", metavar="N", type=int, default=10_000,
                   help="return at most N solutions or triples, and say when a result is cut (default: 10000)")
    p.add_argument("--queue", metavar="N", type=int, default=64,
                   help="requests that may wait for a busy worker; more are answered 503 (default: 64)")
    p.add_argument("--store-url", metavar="URL", help="answer queries from this SPARQL 1.1 endpoint (it must hold "
                   "the release: see push) instead of an embedded store; --workers then bounds the requests to it")

    p = sub.add_parser("push", parents=[common], help="load the release into a SPARQL 1.1 store, switching to it "
                       "atomically (for serve --store-url)")
    p.add_argument("url", metavar="URL", help="the store's SPARQL query endpoint (Oxigraph: http://HOST:7878/query)")
    p.add_argument("--update", metavar="URL", help="its SPARQL Update endpoint (default: .../update when URL ends "
                   "with /query, else URL)")
    p.add_argument("--graph-store", metavar="URL", help="its Graph Store Protocol endpoint (default: .../store when "
                   "URL ends with /query, else data goes as SPARQL Update)")
    p.add_argument("--out", metavar="DIR", help="release folder to push, built when stale (default: PROJECT/dist)")

    p = sub.add_parser("site", parents=[common], help="write the publication as static files (pages, RDF, "
                       "downloads, catalogue, Apache and nginx rules)")
    p.add_argument("--out", metavar="DIR", required=True, help="folder to write the site to (replaced atomically)")
    p.add_argument("--release", metavar="DIR", help="release folder to publish, built when stale (default: PROJECT/dist)")
    p.add_argument("--base-url", metavar="URL", help="where the site will be served, for sitemap.xml, robots.txt and "
                   "the server rules (default: the dataset's base IRI)")

    p = sub.add_parser("verify", parents=[common], help="check a release folder against its SHA256SUMS")
    p.add_argument("dir", metavar="DIR", nargs="?", help="release folder (default: PROJECT/dist)")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (never raises for expected errors)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage or --help
        return int(exc.code or 0) and EXIT_INPUT
    quiet = getattr(args, "quiet", False)
    verbose = getattr(args, "verbose", False)
    project_dir = getattr(args, "project", ".")
    _route_library_logs(err if verbose else None)

    def say(message: str) -> None:
        if verbose:
            print(f"ilograph: {message}", file=err)

    try:
        from .project import open_project
        project = open_project(project_dir)
        if not project.configured and not quiet:
            print(f"ilograph: note: {project.root}/ilograph.toml not found; base IRI is {project.base}", file=err)
        handler = {"validate": _validate, "build": _build, "query": _query, "queries": _queries,
                   "verify": _verify, "serve": _serve, "site": _site, "push": _push}[args.command]
        return handler(project, args, out, err, say, quiet)
    except ValidationFailed as exc:
        from .report import as_text
        err.write(as_text(exc.report))  # type: ignore[arg-type]
        print(f"ilograph: {exc}", file=err)
        return EXIT_INVALID
    except LoadError as exc:
        print(f"ilograph: syntax error: {exc}", file=err)
        return EXIT_INPUT
    except IlographError as exc:
        print(f"ilograph: {exc}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ilograph: interrupted", file=err)
        return 130
    except Exception as exc:  # an internal error: say so plainly, trace only on request
        if verbose:
            import traceback
            traceback.print_exc(file=err)
        print(f"ilograph: internal error: {type(exc).__name__}: {exc} (run with --verbose for details, and please report it)",
              file=err)
        return EXIT_INTERNAL


def _route_library_logs(stream: TextIO | None) -> None:
    """rdflib and pySHACL log what they fail at (with tracebacks) and Python prints it when no
    handler is set: that reaches a maintainer as noise next to ilograph's own message. Unless
    --verbose, it is dropped; with it, written to ``stream``."""
    import logging

    # pySHACL gives its logger a handler of its own, on every call: switched off instead
    logging.getLogger("pyshacl-validate").disabled = stream is None
    root = logging.getLogger()
    if root.handlers and not getattr(root, "_ilograph", False):
        return  # the host program (or a test runner) set up logging: leave it alone
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.StreamHandler(stream) if stream is not None else logging.NullHandler())
    root._ilograph = True  # type: ignore[attr-defined]


def _validate(project, args, out, err, say, quiet) -> int:
    from .load import load, load_shape_sets
    from .report import as_json, as_text, as_turtle
    from .validate import validate

    say("loading sources")
    sources = load(project)
    shapes = load_shape_sets(project)
    say(f"loaded {len(sources)} triples from {len(sources.files)} files; {len(shapes.files)} shape files")
    report = validate(sources, shapes, engine=args.engine)
    render = {"text": as_text, "json": as_json, "turtle": as_turtle}[args.format]
    text = render(report)
    if args.format == "text" and quiet and report.conforms:
        text = ""
    out.write(text)
    return EXIT_OK if report.conforms else EXIT_INVALID


def _build(project, args, out, err, say, quiet) -> int:
    from .release import build

    target = Path(args.out) if args.out else None
    from .progress import Progress
    mode = "quiet" if quiet else "verbose" if getattr(args, "verbose", False) else "auto"
    release = build(project, target, progress=Progress(stream=err, mode=mode))
    if not quiet:
        warnings = release.report.count("Warning")
        print(f"release {release.id}: {release.triples} triples, {len(release.files)} files"
              + (f", {warnings} warning(s) (see validation-report.ttl)" if warnings else "")
              + (" (unchanged)" if release.reused else ""), file=out)
        print(f"written to {release.path}", file=out)
    return EXIT_OK


def _query(project, args, out, err, say, quiet) -> int:
    from .load import load
    from .query import as_table, execute, find_query, serialize
    from .release import STANDARD_PREFIXES

    named = find_query(project, args.name)
    sources = load(project)
    result = execute(sources.store, named.text, base_iri=project.base)
    if args.format == "table":
        import pyoxigraph as ox
        if isinstance(result, ox.QueryTriples):
            out.write(serialize(result, "turtle").decode("utf-8"))
        else:
            if not quiet:
                print(f"# {named.question}", file=out)
            out.write(as_table(result, {**STANDARD_PREFIXES, **sources.prefixes()}))
        return EXIT_OK
    out.write(serialize(result, args.format).decode("utf-8"))
    return EXIT_OK


def _queries(project, args, out, err, say, quiet) -> int:
    from .query import named_queries

    for q in named_queries(project):
        print(f"{q.name}\t{q.question}", file=out)
    return EXIT_OK


def _serve(project, args, out, err, say, quiet) -> int:
    from .serve import serve
    from .web.pool import default_size
    from .web.settings import Settings

    for name, value, low in (("--timeout", args.timeout, 0.001), ("--workers", 1 if args.workers is None else args.workers, 1),
                             ("--max-rows", args.max_rows, 1), ("--port", args.port, 0), ("--queue", args.queue, 0)):
        if value < low or (name == "--port" and value > 65535):
            print(f"ilograph: {name} {value} is out of range", file=err)
            return EXIT_INPUT
    if args.store and args.store_url:
        print("ilograph: give --store or --store-url, not both", file=err)
        return EXIT_INPUT
    if args.store_url and not args.store_url.startswith(("http://", "https://")):
        print(f"ilograph: --store-url {args.store_url}: give the store's SPARQL endpoint as an http(s) URL", file=err)
        return EXIT_INPUT
    settings = Settings(timeout=args.timeout, max_rows=args.max_rows, workers=args.workers or default_size(),
                        queue_limit=args.queue,
                        store_dir=None if args.store_url else _store_dir(project, args.store),
                        store_url=args.store_url)

    def note(message: str) -> None:
        if not quiet:
            print(f"ilograph: {message}", file=err, flush=True)

    serve(project, settings, host=args.host, port=args.port, out=Path(args.out) if args.out else None,
          say=note, progress=say, stdout=out, verbose=getattr(args, "verbose", False))
    return EXIT_OK


def _push(project, args, out, err, say, quiet) -> int:
    from .progress import Progress
    from .push import endpoints, push
    from .serve import prepare

    ends = endpoints(args.url, update=args.update, graph_store=args.graph_store)
    mode = "quiet" if quiet else "verbose" if getattr(args, "verbose", False) else "auto"
    progress = Progress(stream=err, mode=mode)
    release = prepare(project, Path(args.out) if args.out else None, say=say, progress=progress)
    done = push(release, ends, progress=progress)
    if not quiet:
        if done.unchanged:
            print(f"the store at {args.url} already holds release {done.release}", file=out)
        else:
            print(f"pushed release {done.release} ({done.triples} triples, {done.graphs} graphs) to {args.url} "
                  f"in {done.seconds:.1f} s" + (f", replacing release {done.previous}" if done.previous else ""),
                  file=out)
    return EXIT_OK


def _store_dir(project, option: str | None) -> Path | None:
    """``--store``: a folder (default ``PROJECT/.ilograph/store``), or None for ``:memory:``."""
    from .store import default_store_dir

    if option == ":memory:":
        return None
    return Path(option).absolute() if option else default_store_dir(project)


def _site(project, args, out, err, say, quiet) -> int:
    from .release import build
    from .site import write_site
    from .store import release_is_current

    if args.base_url and not args.base_url.startswith(("http://", "https://")):
        print(f"ilograph: --base-url {args.base_url}: give an http(s) URL", file=err)
        return EXIT_INPUT
    folder = (Path(args.release) if args.release else project.root / "dist").absolute()
    if release_is_current(project, folder):
        say(f"the release at {folder} is up to date")
    else:
        say(f"building the release at {folder}")
        build(project, folder, progress=say)
    site = write_site(folder, Path(args.out), base_url=args.base_url, progress=say)
    if not quiet:
        print(f"site {site.id}: {site.resources} resources, {site.files} files"
              + (" (unchanged)" if site.reused else ""), file=out)
        print(f"written to {site.path}", file=out)
    return EXIT_OK


def _verify(project, args, out, err, say, quiet) -> int:
    from .release import verify

    folder = Path(args.dir) if args.dir else project.root / "dist"
    if not folder.is_dir():
        print(f"ilograph: {folder}: no release folder (run `ilograph build` first)", file=err)
        return EXIT_INPUT
    problems = verify(folder)
    for p in problems:
        print(f"{folder}/{p}", file=out)
    if not problems and not quiet:
        print(f"{folder}: every file matches SHA256SUMS", file=out)
    return EXIT_INVALID if problems else EXIT_OK


def entry() -> None:
    sys.exit(main())
