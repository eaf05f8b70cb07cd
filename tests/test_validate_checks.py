"""The built-in SPARQL checks (src/ilograph/checks/*.rq), written to run in one pass over a large
graph: each still finds what it is about, located in the file that states it."""

from __future__ import annotations

from pathlib import Path

from ilograph.load import load
from ilograph.project import open_project
from ilograph.validate import builtin_checks, check_vocabulary, run_checks


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def test_builtin_checks_find_each_kind(copy_project):
    root = copy_project()
    data = root / "data"
    # a functional property with a second value, stated in another file than the first
    _append(data / "seed-001-cooperatives-unit.ttl",
            "\n<id/membership/ica-copac> <https://w3id.org/ilograph/def#holder> <id/partner/copac> .\n"
            # a link to an undescribed resource, and an IRI differing from another only in case
            "<id/unit/coop> <https://w3id.org/ilograph/def#guidedBy> <id/instrument/r999> .\n"
            "<id/unit/COOP> <https://w3id.org/ilograph/def#acronym> \"COOP\" .\n")
    sources = load(open_project(root))
    findings = run_checks(sources, builtin_checks())
    by_check: dict[str, set] = {}
    for f in findings:
        by_check.setdefault(f.shape, set()).add((f.focus, f.value, f.file))
    base = "https://w3id.org/ilograph/id/"
    functional = by_check["check:functional-violation"]
    assert {(focus, value) for focus, value, _ in functional} == {
        (base + "membership/ica-copac", base + "partner/copac"), (base + "membership/ica-copac", base + "partner/ica")}
    assert {file for _, _, file in functional} == {"data/seed-001-cooperatives-unit.ttl", "data/ref-ciriec-copac.ttl"}
    assert by_check["check:dangling-violation"] == {
        (base + "unit/coop", base + "instrument/r999", "data/seed-001-cooperatives-unit.ttl")}
    (case,) = by_check["check:case-duplicate-violation"]
    assert case[:2] == (base + "unit/COOP", base + "unit/coop")
    assert set(by_check) == {"check:functional-violation", "check:dangling-violation", "check:case-duplicate-violation"}


def test_shipped_project_passes_the_checks(sources):
    assert run_checks(sources, builtin_checks()) == []
    assert check_vocabulary(sources) == []


def test_vocabulary_names_each_file_using_an_unknown_term(copy_project):
    root = copy_project()
    for name in ("seed-001-cooperatives-unit.ttl", "ref-ciriec-copac.ttl"):
        _append(root / "data" / name, "\n<id/unit/coop> <https://w3id.org/ilograph/def#implemnts> <id/unit/coop> .\n"
                                     "<id/unit/coop> a <https://w3id.org/ilograph/def#Unitt> .\n")
    findings = check_vocabulary(load(open_project(root)))
    got = sorted((f.file, f.focus, f.message.split()[1]) for f in findings)
    ilo = "https://w3id.org/ilograph/def#"
    assert got == [("data/ref-ciriec-copac.ttl", ilo + "Unitt", "class"),
                   ("data/ref-ciriec-copac.ttl", ilo + "implemnts", "predicate"),
                   ("data/seed-001-cooperatives-unit.ttl", ilo + "Unitt", "class"),
                   ("data/seed-001-cooperatives-unit.ttl", ilo + "implemnts", "predicate")]
    assert all(f.line for f in findings)
    assert any(f.hint == "did you mean ilo:implements?" for f in findings)
