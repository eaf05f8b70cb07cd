"""The command line as a maintainer meets it: exit codes and messages for each kind of mistake."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import rdflib

from ilograph.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def coop_file(project: Path) -> Path:
    return project / "data" / "seed-001-cooperatives-unit.ttl"


def test_shipped_project_validates(project):
    code, out, err = run("validate", "--project", str(project.root))
    assert code == 0, out + err
    assert "conforms" in out and "does NOT conform" not in out


def test_validate_json_and_turtle_formats(project):
    code, out, _ = run("validate", "--project", str(project.root), "--format", "json")
    assert code == 0
    body = json.loads(out)
    assert body["conforms"] is True and body["violations"] == 0
    code, out, _ = run("validate", "--project", str(project.root), "--format", "turtle")
    g = rdflib.Graph().parse(data=out, format="turtle")
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, SH.conforms, rdflib.Literal(True)) in g


def test_syntax_error_names_file_line_and_column(copy_project):
    root = copy_project()
    path = coop_file(root)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # break the first statement terminator after the prefixes: drop a final " ."
    idx = next(i for i, l in enumerate(lines) if l.rstrip().endswith(" .") and not l.startswith("@prefix"))
    lines[idx] = lines[idx].rstrip()[:-2] + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    code, out, err = run("validate", "--project", str(root))
    assert code == 2
    m = re.search(r"seed-001-cooperatives-unit\.ttl:(\d+):(\d+): (.+)", err)
    assert m, err
    assert int(m.group(1)) > idx, "the error is reported where the parser stopped, after the broken line"
    assert "hint:" in err
    assert "Traceback" not in err


def test_unknown_predicate_is_a_violation_naming_the_file(copy_project):
    root = copy_project()
    edit(coop_file(root), "ilo:guidedBy", "ilo:guidedBi")
    code, out, _ = run("validate", "--project", str(root))
    assert code == 1
    assert "unknown predicate ilo:guidedBi" in out
    assert "data/seed-001-cooperatives-unit.ttl:" in out
    assert "did you mean ilo:guidedBy?" in out


def test_missing_label_is_reported_with_its_resource(copy_project):
    root = copy_project()
    path = root / "data" / "seed-000-units-and-programmes.ttl"
    text = path.read_text(encoding="utf-8")
    # remove the English preferred label of the SME unit
    m = re.search(r'\n\s*skos:prefLabel "Small and Medium Enterprises Unit"@en\s*;', text)
    assert m, "fixture: the SME unit's label was not found"
    path.write_text(text[: m.start()] + text[m.end():], encoding="utf-8")
    code, out, _ = run("validate", "--project", str(root))
    assert code == 1
    assert "https://w3id.org/ilograph/id/unit/sme" in out
    block = out.split("https://w3id.org/ilograph/id/unit/sme\n", 1)[1].split("\n\n", 1)[0]
    assert "skos:prefLabel" in block and "VIOLATION" in block
    assert "seed-000-units-and-programmes.ttl:" in block


def test_wrong_datatype_is_reported(copy_project):
    root = copy_project()
    edit(coop_file(root), '"1920"^^xsd:gYear', '"since 1920"')
    code, out, _ = run("validate", "--project", str(root))
    assert code == 1
    assert "ilo:formalEntitySince" in out
    assert "unit/coop" in out
    assert "hint:" in out


def test_build_refuses_invalid_sources_and_writes_nothing(copy_project, tmp_path):
    root = copy_project()
    edit(coop_file(root), "ilo:guidedBy", "ilo:guidedBi")
    code, out, err = run("build", "--project", str(root), "--out", str(tmp_path / "dist"))
    assert code == 1
    assert "no release was written" in err
    assert not (tmp_path / "dist").exists()


def test_not_a_project(tmp_path):
    code, _, err = run("validate", "--project", str(tmp_path))
    assert code == 2
    assert "not an ilograph project" in err


def test_bad_config(copy_project):
    root = copy_project()
    (root / "ilograph.toml").write_text('[dataset]\nbase = "not an iri"\n', encoding="utf-8")
    code, _, err = run("validate", "--project", str(root))
    assert code == 2
    assert "ilograph.toml" in err and "base" in err


def test_query_by_name_prints_a_table(project):
    code, out, _ = run("queries", "--project", str(project.root))
    assert code == 0
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert len(names) >= 15
    code, out, _ = run("query", names[0], "--project", str(project.root))
    assert code == 0
    assert re.search(r"\(\d+ rows?\)", out)


def test_query_formats_parse(project):
    name = run("queries", "--project", str(project.root))[1].splitlines()[0].split("\t")[0]
    code, out, _ = run("query", name, "--project", str(project.root), "--format", "json")
    assert code == 0 and "results" in json.loads(out) or "boolean" in json.loads(out)
    code, out, _ = run("query", name, "--project", str(project.root), "--format", "csv")
    assert code == 0 and out.splitlines()[0]


def test_unknown_query_lists_the_names(project):
    code, _, err = run("query", "no-such-query", "--project", str(project.root))
    assert code == 2
    assert "cq-01" in err


def test_query_syntax_error_is_bad_input(project, tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT * WHERE { ?s ?p }", encoding="utf-8")
    code, _, err = run("query", str(bad), "--project", str(project.root))
    assert code == 2
    assert "not valid SPARQL" in err


def test_dangling_reference_names_the_linking_resource(copy_project):
    root = copy_project()
    edit(coop_file(root), "ilo:guidedBy inst:r193", "ilo:guidedBy inst:r913")
    code, out, _ = run("validate", "--project", str(root))
    assert code == 1
    assert "https://w3id.org/ilograph/id/instrument/r913" in out and "dangling" in out
    block = out.split("https://w3id.org/ilograph/id/unit/coop\n", 1)[1].split("\n\n", 1)[0]
    assert "seed-001-cooperatives-unit.ttl:" in block


def test_iri_differing_only_by_case_is_caught(copy_project):
    root = copy_project()
    with coop_file(root).open("a", encoding="utf-8") as f:
        f.write('\nunit:COOP ilo:acronym "COOP" .\n')
    code, out, _ = run("validate", "--project", str(root))
    assert code == 1
    assert "only in letter case" in out
    assert "https://w3id.org/ilograph/id/unit/COOP" in out


def test_a_data_file_without_its_source_is_caught(copy_project):
    root = copy_project()
    path = root / "data" / "ref-wikidata.ttl"
    text = path.read_text(encoding="utf-8")
    new = re.sub(r"(?m)^graph:ref-wikidata ilo:source [^.]+\.\s*$", "", text)
    assert new != text
    path.write_text(new, encoding="utf-8")
    code, out, _ = run("validate", "--project", str(root))
    assert code == 1
    assert "https://w3id.org/ilograph/graph/ref-wikidata" in out
    assert "does not say which source document" in out


def test_a_second_value_of_a_functional_property_is_caught(copy_project):
    root = copy_project()
    edit(coop_file(root), '"1920"^^xsd:gYear', '"1920"^^xsd:gYear, "1921"^^xsd:gYear')
    code, out, _ = run("validate", "--project", str(root))
    assert code == 1
    assert "ilo:formalEntitySince" in out and "unit/coop" in out


def test_a_resource_in_two_disjoint_classes_is_an_owl_inconsistency(copy_project):
    root = copy_project()
    with coop_file(root).open("a", encoding="utf-8") as f:
        f.write("\nunit:coop a ilo:Programme .\n")
    code, out, _ = run("validate", "--project", str(root), "--format", "json")
    assert code == 1
    body = json.loads(out)
    owl = [r for r in body["results"] if r["message"].startswith("OWL RL inconsistency")]
    assert owl and any("unit/coop" in r["focus"] for r in owl)


def test_the_fast_engine_gives_the_reference_engines_answers(copy_project):
    """pySHACL and owlrl stay the reference: the default (compiled SPARQL) engine must agree."""
    root = copy_project()
    edit(coop_file(root), '"1920"^^xsd:gYear', '"since 1920"')
    with coop_file(root).open("a", encoding="utf-8") as f:
        f.write("\nunit:coop a ilo:Programme .\n")
    reports = {}
    for engine in ("fast", "reference"):
        code, out, _ = run("validate", "--project", str(root), "--format", "json", "--engine", engine)
        assert code == 1
        reports[engine] = json.loads(out)
    strip = lambda r: sorted(json.dumps({k: v for k, v in x.items() if k not in ("engine", "message")}, sort_keys=True)
                             for x in r["results"])  # noqa: E731
    assert strip(reports["fast"]) == strip(reports["reference"])
    assert reports["fast"]["checked_by"]["OWL RL consistency"] == "sparql"
    assert reports["reference"]["checked_by"]["OWL RL consistency"] == "owlrl"
