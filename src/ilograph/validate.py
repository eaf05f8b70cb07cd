"""Validate loaded sources: SHACL (pySHACL), OWL RL consistency (owlrl), the vocabulary check,
and SPARQL checks (``*-violation.rq``), folded into one :class:`Report`.

The library never prints: :mod:`ilograph.report` renders a Report as text, JSON or Turtle.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH, DefinedNamespace
import rdflib.namespace as rdflib_namespaces

from .heap import trim
from .load import ShapeSets, SourceFile, Sources, from_rdflib

VIOLATION, WARNING, INFO = "Violation", "Warning", "Info"
_STANDARD = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL), "sh": str(SH),
             "xsd": "http://www.w3.org/2001/XMLSchema#", "skos": "http://www.w3.org/2004/02/skos/core#",
             "dcterms": "http://purl.org/dc/terms/", "prov": "http://www.w3.org/ns/prov#"}
_SEVERITY = {SH.Violation: VIOLATION, SH.Warning: WARNING, SH.Info: INFO}


@dataclass(frozen=True)
class Finding:
    """One validation result, located in the sources where possible."""

    severity: str
    focus: str
    message: str
    engine: str  # pyshacl | owlrl | vocabulary | sparql
    path: str | None = None
    value: str | None = None
    shape: str | None = None
    component: str | None = None
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def sort_key(self) -> tuple:
        return (self.file or "~", self.focus, self.line or 0, self.severity, self.shape or "",
                self.path or "", self.value or "", self.message)


@dataclass(frozen=True)
class Report:
    """The outcome of validation. ``conforms`` is true when there is no Violation (warnings allowed)."""

    findings: tuple[Finding, ...]
    engines: dict[str, str] = field(default_factory=dict)
    checked_by: dict[str, str] = field(default_factory=dict)  # shape or check -> engine that ran it

    @property
    def conforms(self) -> bool:
        return not any(f.severity == VIOLATION for f in self.findings)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


# --- the vocabulary check ---------------------------------------------------------------------

_DECLARING_TYPES = {str(t) for t in (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
                                     OWL.AnnotationProperty, RDF.Property, OWL.FunctionalProperty,
                                     OWL.SymmetricProperty, OWL.TransitiveProperty,
                                     OWL.InverseFunctionalProperty, OWL.Ontology, OWL.NamedIndividual)}


def standard_terms() -> dict[str, set[str]]:
    """Namespace -> local names of the standard vocabularies rdflib ships closed term lists for."""
    known: dict[str, set[str]] = {}
    for name in dir(rdflib_namespaces):
        ns = getattr(rdflib_namespaces, name)
        if isinstance(ns, type) and issubclass(ns, DefinedNamespace) and ns is not DefinedNamespace:
            terms = set(getattr(ns, "__annotations__", {})) | set(getattr(ns, "_extras", []))
            known.setdefault(str(ns._NS), set()).update(terms)
    return known


def _split(iri: str) -> tuple[str, str]:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1], iri[cut + 1:]


def _short(iri: str, prefixes: dict[str, str]) -> str:
    best = None
    for p, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(prefixes[best])):
            best = p
    return f"{best}:{iri[len(prefixes[best]):]}" if best is not None else f"<{iri}>"


def check_vocabulary(sources: Sources, known: "fastshacl.Profile | None" = None) -> list[Finding]:
    """Every class and predicate used in ``data/`` is declared in ``ontology/`` or is a term of a
    known standard vocabulary. A typo such as ``ilo:implemnts`` is a Violation naming its file.
    ``known``: the store's :func:`ilograph.fastshacl.profile`, if already made."""
    declared: set[str] = set()
    for q in sources.quads(("ontology",)):
        if q.predicate.value == str(RDF.type) and q.object.value in _DECLARING_TYPES:
            declared.add(q.subject.value)
    standard = standard_terms()
    own_namespaces = {_split(t)[0] for t in declared}
    prefixes = sources.prefixes()
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for f, used in _terms_used(sources, known):
        for role, iri in used:
            if iri in declared or (f.graph, iri) in seen:
                continue
            ns, local = _split(iri)
            if ns in standard and local in standard[ns]:
                continue
            if ns not in standard and ns not in own_namespaces:
                if role == "class" and _is_typed_as_class(sources, iri):
                    continue
            seen.add((f.graph, iri))
            candidates = sorted(declared | {n + l for n, ls in standard.items() if n == ns for l in ls})
            close = difflib.get_close_matches(iri, candidates, n=1, cutoff=0.85)
            if close:
                hint = f"did you mean {_short(close[0], prefixes)}?"
            elif ns in standard or ns in own_namespaces:
                hint = f"{_short(ns, prefixes)} has no term {local!r}: check the spelling, or declare it in ontology/"
            else:
                hint = f"declare {_short(iri, prefixes)} in ontology/ (with a label and a definition), or use a term of a standard vocabulary"
            line = sources.positions.line(f, iri)
            findings.append(Finding(
                severity=VIOLATION, focus=iri, engine="vocabulary",
                message=f"unknown {role} {_short(iri, prefixes)}: it is not declared in ontology/ "
                        f"nor a term of a known standard vocabulary",
                file=_rel(sources, f.path), line=line, hint=hint))
    return findings


def check_literals(sources: Sources) -> tuple[list[Finding], Sources]:
    """Every XSD-typed literal of ontology and data is well typed (``"abc"^^xsd:decimal``,
    ``"2017-02-30"^^xsd:date``, ``"March 2017"^^xsd:gYearMonth`` are not). Each ill-typed literal
    is a Violation naming file, line, resource, literal and datatype. Returns the findings and the
    sources without the triples of those literals, which the other checks then read: owlrl cannot
    read some of them (it fails on ``"abc"^^xsd:decimal``), and they are reported here already."""
    from . import xsd
    from .fastshacl import _oxigraph_forms, typed_literals

    # the literals as written (read from the texts, shared with the SHACL checks); the store keeps
    # a valid literal in canonical form and an invalid one as written
    written = [(lex, dt) for lex, dt in typed_literals(sources).distinct()
               if dt.startswith(xsd.XSD) and dt != xsd.XSD + "string"]
    reasons = {k: reason for k in written if (reason := xsd.problem(*k))}
    ill = {stored: (k, reasons[k]) for k, stored in zip(reasons, _oxigraph_forms(list(reasons)))}
    if not ill:
        return [], sources
    prefixes = sources.prefixes() | _STANDARD
    findings: list[Finding] = []
    bad: list[ox.Quad] = []
    for stored, ((lexical, datatype), reason) in ill.items():
        literal = ox.Literal(lexical, datatype=ox.NamedNode(datatype))
        dt = _short(datatype, prefixes)
        for q in sources.store.quads_for_pattern(None, None, stored, None):
            bad.append(q)
            src = sources.file_for_graph(q.graph_name.value) if isinstance(q.graph_name, ox.NamedNode) else None
            focus = q.subject
            if isinstance(focus, ox.BlankNode):  # name the resource the blank node hangs from
                focus = next((p.subject for p in sources.store.quads_for_pattern(None, None, focus, q.graph_name)
                              if isinstance(p.subject, ox.NamedNode)), focus)
            line = _literal_line(sources, src, focus, literal) if src else None
            good = xsd.example(literal.datatype.value)
            findings.append(Finding(
                severity=VIOLATION, focus=str(focus) if isinstance(focus, ox.BlankNode) else focus.value,
                engine="vocabulary", path=_short(q.predicate.value, prefixes), value=f"{_n3_literal(literal.value)}^^{dt}",
                message=f"ill-typed literal {_n3_literal(literal.value)}^^{dt}: {reason}",
                file=_rel(sources, src.path) if src else None, line=line,
                hint=f'write a valid {dt} such as "{good}"' if good else
                "use a datatype of XML Schema (xsd:string, xsd:decimal, xsd:date ...), spelled as it is"))
    drop = set(bad)
    dataset = ox.Dataset(q for q in sources.dataset if q not in drop)
    store = ox.Store()
    store.extend(dataset)
    return findings, dataclasses.replace(sources, dataset=dataset, store=store)


def _n3_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _literal_line(sources: Sources, src, focus: ox.NamedNode | ox.BlankNode, literal: ox.Literal) -> int | None:
    """The line of a literal's lexical form in its file, first looked for after its subject's line."""
    start = sources.positions.line(src, focus.value) if isinstance(focus, ox.NamedNode) else None
    try:
        lines = src.path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return start
    needle = literal.value.replace("\\", "\\\\").replace('"', '\\"')
    for first in ((start or 1) - 1, 0):
        for i in range(first, len(lines)):
            if needle in lines[i] and "^^" in lines[i]:
                return i + 1
    return start


def _terms_used(sources: Sources, known: "fastshacl.Profile | None") -> list[tuple[SourceFile, list[tuple[str, str]]]]:
    """For each data file, the predicates and the classes (objects of rdf:type) it uses, found by
    two queries (one pass over the store in Rust instead of every quad in Python)."""
    from . import fastshacl
    known = known or fastshacl.profile(sources.store)
    used: dict[str, list[tuple[str, str]]] = {f.graph: [] for f in sources.files if f.kind == "data"}
    for graph, predicates in known.predicates.items():
        if graph in used:
            used[graph].extend(("predicate", p) for p in predicates)
    for r in sources.store.query(f"SELECT DISTINCT ?g ?c WHERE {{ GRAPH ?g {{ ?s <{RDF.type}> ?c }} FILTER(isIRI(?c)) }}"):
        if r[0].value in used:
            used[r[0].value].append(("class", r[1].value))
    return [(f, sorted(used[f.graph], key=lambda u: (u[0] != "predicate", u[1]))) for f in sources.files if f.kind == "data"]


def _is_typed_as_class(sources: Sources, iri: str) -> bool:
    return any(True for _ in sources.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(str(RDF.type)),
                                                              ox.NamedNode(str(OWL.Class)), None))


def _rel(sources: Sources, path: Path) -> str:
    try:
        return path.relative_to(sources.project.root).as_posix()
    except ValueError:
        return str(path)


# --- SPARQL checks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """A ``*-violation.rq`` (or ``*-warning.rq``) query: each row it returns is a finding."""

    name: str
    text: str
    description: str
    severity: str
    hint: str | None


def read_check(name: str, text: str) -> Check:
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
    meta = {}
    description = []
    for line in header:
        m = re.match(r"(severity|hint):\s*(.*)", line, re.I)
        if m:
            meta[m.group(1).lower()] = m.group(2)
        elif line:
            description.append(line)
    severity = meta.get("severity") or (WARNING if name.endswith("-warning") else VIOLATION)
    return Check(name=name, text=text, description=" ".join(description), severity=severity.capitalize(),
                 hint=meta.get("hint"))


def builtin_checks() -> list[Check]:
    folder = resources.files("ilograph") / "checks"
    return [read_check(p.name.removesuffix(".rq"), p.read_text(encoding="utf-8"))
            for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".rq")]


def project_checks(sources: Sources) -> list[Check]:
    folder = sources.project.checks_dir
    if not folder.is_dir():
        return []
    return [read_check(p.stem, _check_text(p)) for p in sorted(folder.glob("*.rq"))
            if p.stem.endswith(("-violation", "-warning"))]


def _check_text(path: Path) -> str:
    """A check's text. Raises :class:`InputError` for a file that is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        from .errors import InputError
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})\n"
                         f"  hint: save the check as UTF-8") from None


def run_checks(sources: Sources, checks: Iterable[Check]) -> list[Finding]:
    """Run SELECT checks over the union of all graphs. Each row needs ``?focus``; ``?path``,
    ``?value``, ``?message`` and ``?graph`` (the file the row is about) are optional.
    Predeclared prefixes: ``dataset:`` is the base IRI, ``graph:`` the source graphs' namespace and
    ``ontologygraph:`` the ontology files' graphs."""
    base = sources.project.base
    query_prefixes = {"dataset": base, "graph": base + "graph/", "ontologygraph": base + "graph/ontology/"}
    findings: list[Finding] = []
    prefixes = sources.prefixes() | _STANDARD

    def rows_of(check: Check) -> list | SyntaxError | None:  # on a thread: pyoxigraph runs without the GIL
        try:
            answer = sources.store.query(check.text, use_default_graph_as_union=True, prefixes=query_prefixes)
        except SyntaxError as exc:
            return exc
        return list(answer) if isinstance(answer, ox.QuerySolutions) else None  # None: not a SELECT

    from concurrent.futures import ThreadPoolExecutor
    from .fastshacl import workers
    checks = list(checks)
    with ThreadPoolExecutor(max_workers=workers()) as pool:
        answers = list(pool.map(rows_of, checks))
    for check, rows in zip(checks, answers):
        if isinstance(rows, SyntaxError):
            findings.append(Finding(severity=VIOLATION, focus=check.name, engine="sparql",
                                    message=f"check {check.name} is not valid SPARQL: {rows}",
                                    hint="fix the query file"))
            continue
        if rows is None:  # an ASK or CONSTRUCT query has no rows to report
            findings.append(Finding(severity=VIOLATION, focus=check.name, engine="sparql",
                                    message=f"check {check.name} is not a SELECT query: a check selects the "
                                            f"resources at fault, one row each",
                                    hint="write it as SELECT ?focus ... WHERE { ... }"))
            continue
        for row in rows:
            def get(var: str) -> str | None:
                try:
                    v = row[var]
                except (KeyError, IndexError):
                    return None
                return None if v is None else v.value
            focus = get("focus") or "?"
            graph = get("graph")
            src = sources.file_for_graph(graph) if graph else None
            where = sources.locate(focus, src) if focus.startswith(("http", "file")) else None
            path = get("path")
            if path and path.startswith(("http:", "https:")):
                path = _short(path, prefixes)
            findings.append(Finding(
                severity=check.severity, focus=focus, engine="sparql", shape=f"check:{check.name}",
                path=path, value=get("value"),
                message=get("message") or check.description,
                file=_rel(sources, where[0]) if where else None, line=where[1] if where else None,
                hint=check.hint))
    return findings


# --- SHACL and OWL RL -------------------------------------------------------------------------

def run_shacl(sources: Sources, shapes: rdflib.Graph, data: rdflib.Graph) -> list[Finding]:
    """Run pySHACL (SHACL core and SHACL-SPARQL) on the union of ontology and data."""
    import pyshacl

    if len(shapes) == 0:
        return []
    from .rdflibstate import isolated
    with isolated():  # pySHACL restores rdflib's settings only when it returns normally
        _, results, _ = pyshacl.validate(
            data_graph=data, shacl_graph=shapes, ont_graph=None, inference="none", abort_on_first=False,
            allow_infos=True, allow_warnings=True, meta_shacl=False, advanced=True, js=False, debug=False,
            do_owl_imports=False)  # never fetch: owl:imports is not followed
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        one = lambda p: results.value(result, p)  # noqa: E731
        findings.append(_finding(sources, shapes, one(SH.focusNode), one(SH.resultPath), one(SH.value),
                                 one(SH.sourceConstraintComponent), one(SH.sourceShape), one(SH.resultSeverity),
                                 one(SH.resultMessage), "pyshacl"))
    return findings


def _finding(sources: Sources, shapes: rdflib.Graph, focus_node, path, value, component, shape_node,
             severity, message, engine: str) -> Finding:
    """One SHACL result as a Finding, located at the file that states the offending value."""
    focus = str(focus_node)
    where = None
    if isinstance(focus_node, rdflib.URIRef):
        stated = None
        if isinstance(path, rdflib.URIRef):  # the file that states the offending value
            stated = sources.statement_file(focus, str(path), None if value is None else from_rdflib(value))
        where = sources.locate(focus, stated)
    return Finding(
        severity=_SEVERITY.get(severity, VIOLATION), focus=focus, engine=engine,
        message=str(message or "constraint not satisfied"),
        path=_path_text(path, sources), value=None if value is None else value.n3(),
        shape=_shape_name(shapes, shape_node, sources), component=_local(component),
        file=_rel(sources, where[0]) if where else None,
        line=where[1] if where else None, hint=_hint(shapes, shape_node, component, sources))


def _local(node: rdflib.term.Node | None) -> str | None:
    if node is None:
        return None
    text = str(node)
    return "sh:" + text[len(str(SH)):] if text.startswith(str(SH)) else text


def _path_text(path: rdflib.term.Node | None, sources: Sources) -> str | None:
    if path is None:
        return None
    if isinstance(path, rdflib.URIRef):
        return _short(str(path), sources.prefixes() | _STANDARD)
    return "(complex path)"


def _shape_name(shapes: rdflib.Graph, node: rdflib.term.Node | None, sources: Sources) -> str | None:
    """A shape by its prefixed name; a property shape (usually a blank node) by its node shape."""
    if node is None:
        return None
    prefixes = {p: str(ns) for p, ns in shapes.namespaces() if p} | sources.prefixes() | _STANDARD
    if isinstance(node, rdflib.URIRef):
        return _short(str(node), prefixes)
    parent = shapes.value(None, SH.property, node)
    if parent is not None:
        return _short(str(parent), prefixes)
    return "(anonymous shape)"


def _hint(shapes: rdflib.Graph, shape: rdflib.term.Node | None, component: rdflib.term.Node | None,
          sources: Sources) -> str | None:
    if shape is None or component is None:
        return None
    prefixes = sources.prefixes() | {"xsd": "http://www.w3.org/2001/XMLSchema#", "rdf": str(RDF), "rdfs": str(RDFS)}
    path = shapes.value(shape, SH.path)
    p = _short(str(path), prefixes) if isinstance(path, rdflib.URIRef) else "the property"
    comp = str(component)[len(str(SH)):]
    val = lambda pred: shapes.value(shape, pred)  # noqa: E731
    if comp == "MinCountConstraintComponent":
        return f"add {val(SH.minCount)} or more {p} value(s)"
    if comp == "MaxCountConstraintComponent":
        return f"keep at most {val(SH.maxCount)} {p} value(s)"
    if comp == "DatatypeConstraintComponent":
        dt = val(SH.datatype)
        return f"write the {p} value as a literal of type {_short(str(dt), prefixes)}" if dt else None
    if comp == "OrConstraintComponent":
        options = [shapes.value(o, SH.datatype) or shapes.value(o, SH["class"]) for o in
                   rdflib.collection.Collection(shapes, val(SH["or"]))] if val(SH["or"]) else []
        names = ", ".join(_short(str(o), prefixes) for o in options if o is not None)
        return f"give {p} one of: {names}" if names else None
    if comp == "ClassConstraintComponent":
        return f"{p} must point to a resource typed {_short(str(val(SH['class'])), prefixes)} (or a subclass)"
    if comp == "UniqueLangConstraintComponent":
        return f"keep one {p} per language; move the others to skos:altLabel"
    if comp == "PatternConstraintComponent":
        return f"make the {p} value match the pattern {val(SH.pattern)}"
    if comp == "NodeKindConstraintComponent":
        return f"{p} must be {_short(str(val(SH.nodeKind)), {'sh': str(SH)})}"
    if comp == "LanguageInConstraintComponent":
        return f"tag the {p} value with one of the allowed languages"
    if comp == "InConstraintComponent":
        return f"use one of the allowed values for {p}"
    return None


_OWLRL_IRI = re.compile(r"(?:https?|file|urn):[^\s'\"<>]+")


def run_owl_rl(sources: Sources, data: rdflib.Graph) -> list[Finding]:
    """OWL 2 RL closure of ontology + data with owlrl (the reference); each inconsistency it
    reports is a Violation."""
    from .fastowl import reference
    return owl_findings(sources, reference(data), "owlrl")


def owl_findings(sources: Sources, messages: Iterable[str], engine: str) -> list[Finding]:
    """Findings from owlrl's inconsistency messages (whichever engine produced them)."""
    vocabulary = {q.subject.value for q in sources.quads(("ontology",)) if isinstance(q.subject, ox.NamedNode)}
    findings = []
    for text in messages:
        iris = [i.rstrip(".,;)") for i in _OWLRL_IRI.findall(text)]
        focus = next((i for i in iris if i not in vocabulary), iris[0] if iris else "?")
        where = sources.locate(focus) if focus != "?" else None
        findings.append(Finding(
            severity=VIOLATION, focus=focus, engine=engine,
            message=f"OWL RL inconsistency: {text}",
            file=_rel(sources, where[0]) if where else None, line=where[1] if where else None,
            hint="a resource is in two disjoint classes, or breaks a property axiom: fix its types or values"))
    return findings


def run_fast(sources: Sources, shapes: ShapeSets, known: "fastshacl.Profile | None" = None) -> tuple[list[Finding], dict[str, str]]:
    """SHACL and OWL RL by compiled SPARQL on pyoxigraph (pySHACL's and owlrl's answers; a shape the
    fast path cannot compile is validated by pySHACL). Returns the findings and, for each top-level
    shape and for OWL RL, the engine that checked it."""
    from . import fastowl, fastshacl

    findings: list[Finding] = []
    engines: dict[str, str] = {}
    outcomes = []
    with fastshacl.Mirror.borrowed(sources, ("ontology", "data"), known) as mirror:
        trim()
        if len(shapes.data):
            outcomes.append((shapes.data, fastshacl.execute(fastshacl.compile_shapes(shapes.data), mirror)))
        trim()
        owl = fastowl.check(mirror)
    if len(shapes.ontology):
        plan = fastshacl.compile_shapes(shapes.ontology)
        outcomes.append((shapes.ontology, fastshacl.execute(plan, sources, ("ontology",))))
    for graph, outcome in outcomes:
        engines.update({f"shape {k}": v for k, v in outcome.engines.items()})
        for r in outcome.results:
            findings.append(_finding(sources, graph, r.focus, r.path, r.value, r.component, r.source_shape,
                                     r.severity, r.message, "pyshacl" if r.engine == fastshacl.PYSHACL else "sparql"))
    engines["OWL RL consistency"] = owl.engine
    findings += owl_findings(sources, owl.messages, "owlrl" if owl.engine == fastowl.OWLRL else "sparql")
    return findings, engines


def _unreadable_shapes_are_input_errors(run):
    """pySHACL raises ConstraintLoadError or ShapeLoadError, as it validates, for a shape it cannot
    read (``sh:minCount "one"``): a mistake in shapes/, raised as an :class:`InputError` naming the
    shape, its file and line (found in the traceback: pySHACL's message names only the parameter)."""
    import functools
    import traceback

    @functools.wraps(run)
    def checked(sources: Sources, shapes: ShapeSets | rdflib.Graph, **options) -> Report:
        from pyparsing import ParseException
        from pyshacl.errors import ConstraintLoadError, RuleLoadError, ShapeLoadError
        from pyshacl.shape import Shape
        try:
            return run(sources, shapes, **options)
        except (ConstraintLoadError, ShapeLoadError, RuleLoadError, ParseException, re.error) as exc:
            from .errors import InputError
            reason, _, reference = str(exc).partition("\n")
            if isinstance(exc, re.error):  # sh:pattern
                reason = f"the sh:pattern {exc.pattern!r} is not a regular expression: {exc.msg}"
                reference = "see https://docs.python.org/3/library/re.html#regular-expression-syntax"
            elif isinstance(exc, ParseException):  # sh:select, sh:ask
                reason = f"its SPARQL query does not parse: {exc}"
                reference = "see https://www.w3.org/TR/shacl/#sparql-constraints"
            found = [f.f_locals["self"] for f, _ in traceback.walk_tb(exc.__traceback__)
                     if isinstance(f.f_locals.get("self"), Shape)]
            where, name = "shapes/", "a shape"
            if found:
                graph, node = found[-1].sg.graph, found[-1].node
                if isinstance(node, rdflib.BNode):  # a property shape: name the shape that holds it
                    node = graph.value(None, SH.property, node) or node
                if isinstance(node, rdflib.URIRef):
                    name = _short(str(node), {p: str(ns) for p, ns in graph.namespaces() if p})
                    files = shapes.files if isinstance(shapes, ShapeSets) else ()
                    for path in files:
                        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                        hit = next((i for i, line in enumerate(lines) if line.startswith(name)), None)
                        if hit is not None:
                            where = f"{_rel(sources, path)}:{hit + 1}"
                            break
            hint = reference.strip().replace("For reference, see", "see") or "see https://www.w3.org/TR/shacl/"
            raise InputError(f"{where}: {name} is not valid SHACL: {reason.strip()}\n  hint: fix the shape; "
                             f"{hint}") from None
    return checked


@_unreadable_shapes_are_input_errors
def validate(sources: Sources, shapes: ShapeSets | rdflib.Graph, *, engine: str = "fast") -> Report:
    """Run every check on the loaded sources. Raises nothing for invalid data: that is the report.

    ``shapes`` is a :class:`ShapeSets` (data shapes on ontology + data, ontology shapes on the
    ontology alone) or one graph of shapes applied to ontology + data. ``engine`` is ``fast``
    (SHACL and OWL RL compiled to SPARQL, with pySHACL's and owlrl's answers) or ``reference``
    (pySHACL and owlrl themselves).
    """
    if engine not in ("fast", "reference"):
        raise ValueError(f"unknown validation engine {engine!r}")
    if not isinstance(shapes, ShapeSets):
        shapes = ShapeSets(data=shapes, ontology=rdflib.Graph(), files=())
    from . import fastshacl
    known = fastshacl.profile(sources.store)
    findings: list[Finding] = []
    findings += check_vocabulary(sources, known)
    loaded = sources
    ill_typed, sources = check_literals(sources)  # and keeps those literals from the other checks
    findings += ill_typed
    from .shapeterms import check_shape_terms
    findings += check_shape_terms(sources, shapes)
    if sources is not loaded:  # a copy without the ill-typed literals
        known = None
    # the project's SPARQL checks read the store as loaded: before the fast engine, which may
    # leave it in its exact form (a validation child, see Mirror.restore)
    findings += run_checks(sources, builtin_checks() + project_checks(sources))
    trim()  # what the checks' threads freed, so that the next stage's peak does not land on it
    checked_by: dict[str, str] = {}
    if engine == "fast":
        fast, checked_by = run_fast(sources, shapes, known)
        findings += fast
    else:
        union = sources.to_rdflib()
        findings += run_shacl(sources, shapes.data, union)
        findings += run_shacl(sources, shapes.ontology, sources.to_rdflib(("ontology",)))
        findings += run_owl_rl(sources, union)
        checked_by = {"SHACL": "pyshacl", "OWL RL consistency": "owlrl"}
    unique = sorted(set(findings), key=Finding.sort_key)
    import owlrl
    import pyshacl
    engines = {"pyshacl": getattr(pyshacl, "__version__", "?"), "owlrl": getattr(owlrl, "__version__", "?"),
               "pyoxigraph": ox.__version__}
    return Report(findings=tuple(unique), engines=engines, checked_by=checked_by)
