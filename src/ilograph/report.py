"""Render a validation :class:`~ilograph.validate.Report` as text, JSON or Turtle (a SHACL report)."""

from __future__ import annotations

import json
from collections import defaultdict

import rdflib
from rdflib.namespace import RDF, SH, XSD

from .validate import INFO, VIOLATION, WARNING, Report

_SEV_IRI = {VIOLATION: SH.Violation, WARNING: SH.Warning, INFO: SH.Info}


def as_text(report: Report) -> str:
    """A report grouped by resource: where it is defined, then each problem with its hint."""
    lines: list[str] = []
    groups: dict[str, list] = defaultdict(list)
    for f in report.findings:
        groups[f.focus].append(f)
    rank = {VIOLATION: 0, WARNING: 1, INFO: 2}
    ordered = sorted(groups.items(), key=lambda kv: (min(rank.get(f.severity, 3) for f in kv[1]),
                                                     kv[1][0].file or "~", kv[1][0].line or 0, kv[0]))
    for focus, findings in ordered:
        findings = sorted(findings, key=lambda f: (rank.get(f.severity, 3), f.sort_key()))
        first = findings[0]
        where = f"{first.file}:{first.line}" if first.file and first.line else (first.file or "(not in a source file)")
        lines.append(f"{focus}\n  at {where}")
        for f in findings:
            label = f.severity.upper()
            lines.append(f"  {label}: {f.message}")
            detail = []
            if f.path:
                detail.append(f"path {f.path}")
            if f.value:
                detail.append(f"value {f.value}")
            if f.shape:
                detail.append(f"shape {f.shape}")
            if f.component:
                detail.append(f.component)
            detail.append(f"checked by {f.engine}")
            lines.append("    " + "; ".join(detail))
            if f.file and f.file != first.file:
                lines.append(f"    in {f.file}" + (f":{f.line}" if f.line else ""))
            if f.hint:
                lines.append(f"    hint: {f.hint}")
        lines.append("")
    v, w = report.count(VIOLATION), report.count(WARNING)
    verdict = "conforms" if report.conforms else "does NOT conform"
    lines.append(f"{verdict}: {v} violation(s), {w} warning(s), {report.count(INFO)} info")
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    body = {
        "conforms": report.conforms,
        "violations": report.count(VIOLATION),
        "warnings": report.count(WARNING),
        "engines": report.engines,
        "checked_by": report.checked_by,
        "results": [{k: v for k, v in f.__dict__.items() if v is not None} for f in report.findings],
    }
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def as_graph(report: Report) -> rdflib.Graph:
    """The report as a SHACL ``sh:ValidationReport``; results get stable IRIs-free blank nodes in order."""
    g = rdflib.Graph()
    g.bind("sh", SH)
    g.bind("dcterms", rdflib.namespace.DCTERMS)
    root = rdflib.BNode("report")
    g.add((root, RDF.type, SH.ValidationReport))
    g.add((root, SH.conforms, rdflib.Literal(report.conforms)))
    for i, f in enumerate(report.findings):
        r = rdflib.BNode(f"r{i:05d}")
        g.add((root, SH.result, r))
        g.add((r, RDF.type, SH.ValidationResult))
        g.add((r, SH.resultSeverity, _SEV_IRI.get(f.severity, SH.Violation)))
        g.add((r, SH.focusNode, rdflib.URIRef(f.focus) if ":" in f.focus else rdflib.Literal(f.focus)))
        g.add((r, SH.resultMessage, rdflib.Literal(f.message)))
        if f.component and f.component.startswith("sh:"):
            g.add((r, SH.sourceConstraintComponent, SH[f.component[3:]]))
        if f.shape and not f.shape.startswith(("check:", "(")):
            g.add((r, SH.sourceShape, rdflib.Literal(f.shape)))
        if f.file:
            where = f.file + (f":{f.line}" if f.line else "")
            g.add((r, rdflib.namespace.DCTERMS.source, rdflib.Literal(where)))
        if f.hint:
            g.add((r, rdflib.namespace.RDFS.comment, rdflib.Literal(f.hint)))
        g.add((r, rdflib.namespace.DCTERMS.creator, rdflib.Literal(f.engine)))
        if f.value is not None:
            g.add((r, SH.value, rdflib.Literal(f.value)))
    return g


def as_turtle(report: Report) -> str:
    return as_graph(report).serialize(format="turtle")
