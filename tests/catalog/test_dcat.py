"""The DCAT-AP 3 catalogue: it conforms to the official 3.0.1 shapes (no violation, no warning of
the recommended ones), and every distribution matches the released file byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from ilograph.catalog import DCAT, DUMP_FORMATS, SPDX, dataset_iri

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
IANA = "http://www.iana.org/assignments/media-types/"


def _results(data: rdflib.Graph, shapes: rdflib.Graph) -> list[tuple[str, str, str, str]]:
    import pyshacl

    _, report, _ = pyshacl.validate(
        data_graph=data, shacl_graph=shapes, ont_graph=None, inference="none", abort_on_first=False,
        allow_infos=True, allow_warnings=True, meta_shacl=False, advanced=True, js=False, debug=False,
        do_owl_imports=False)
    return sorted((str(report.value(r, SH.resultSeverity)), str(report.value(r, SH.focusNode)),
                   str(report.value(r, SH.resultPath)), str(report.value(r, SH.resultMessage)))
                  for r in report.subjects(RDF.type, SH.ValidationResult))


@pytest.fixture(scope="session")
def mandatory_results(descriptions, dcat_ap):
    return _results(descriptions.dcat, dcat_ap["mandatory"])


@pytest.fixture(scope="session")
def recommended_results(descriptions, dcat_ap):
    return _results(descriptions.dcat, dcat_ap["recommended"])


def test_no_violation_of_the_mandatory_and_range_shapes(mandatory_results):
    assert mandatory_results == []


def test_no_warning_of_the_recommended_shapes(recommended_results):
    assert recommended_results == []


def test_the_shapes_do_reach_the_catalogue(descriptions, dcat_ap):
    """A control: the same shapes flag the catalogue once a mandatory title and a range type are gone."""
    broken = rdflib.Graph()
    dataset = URIRef(dataset_iri_of(descriptions))
    for s, p, o in descriptions.dcat:
        if (s, p) == (dataset, DCTERMS.title) or (p == RDF.type and o == DCTERMS.LicenseDocument):
            continue
        broken.add((s, p, o))
    results = _results(broken, dcat_ap["mandatory"])
    paths = {path for _, _, path, _ in results}
    assert str(DCTERMS.title) in paths and str(DCTERMS.license) in paths


def dataset_iri_of(descriptions) -> str:
    return next(str(s) for s in descriptions.dcat.subjects(RDF.type, DCAT.Dataset))


def test_one_catalogue_dataset_and_service(descriptions, project):
    g = descriptions.dcat
    catalog = g.value(predicate=RDF.type, object=DCAT.Catalog, any=False)
    assert catalog is not None
    assert set(g.objects(catalog, DCAT.dataset)) == {URIRef(dataset_iri(project))}
    service = g.value(catalog, DCAT.service)
    assert g.value(service, DCAT.endpointURL) == URIRef(project.base + "sparql")
    assert g.value(service, DCAT.servesDataset) == URIRef(dataset_iri(project))
    assert URIRef("https://www.w3.org/TR/sparql11-protocol/") in set(g.objects(service, DCTERMS.conformsTo))


def test_the_dataset_says_what_the_settings_say(descriptions, project):
    g, s = descriptions.dcat, project.dataset
    d = URIRef(dataset_iri(project))
    assert g.value(d, DCTERMS.title) == Literal(s.title, lang="en")
    assert g.value(d, DCTERMS.license) == URIRef(s.license)
    assert g.value(d, DCAT.version) == Literal(s.version)
    assert g.value(d, DCTERMS.issued) == Literal(s.issued, datatype=XSD.date)
    assert {str(k) for k in g.objects(d, DCAT.keyword)} == set(s.keywords)
    themes = {str(t).rsplit("/", 1)[-1] for t in g.objects(d, DCAT.theme)}
    assert themes == set(s.themes)
    publisher = g.value(d, DCTERMS.publisher)
    assert str(g.value(publisher, rdflib.FOAF.name)) == s.publisher_name
    assert "International Labour Organization" not in str(g.value(publisher, rdflib.FOAF.name)), \
        "the ILO does not publish this dataset"


def test_temporal_coverage_and_languages_come_from_the_data(descriptions, project, release):
    """The dates and languages of the data graphs (the vocabulary's own dates are not coverage)."""
    g = descriptions.dcat
    d = URIRef(dataset_iri(project))
    quads = rdflib.Dataset()
    quads.parse(release.path / "ilograph.nq", format="nquads")
    data = [o for graph in quads.graphs() if not str(graph.identifier).startswith(project.base + "graph/ontology/")
            for o in graph.objects()]
    dates = [str(o) for o in data if isinstance(o, Literal)
             and o.datatype in (XSD.date, XSD.gYear, XSD.gYearMonth, XSD.dateTime)]
    period = g.value(d, DCTERMS.temporal)
    assert str(g.value(period, DCAT.startDate)) == min(dates)
    assert str(g.value(period, DCAT.endDate))[:4] == max(dates)[:4]
    tags = {o.language for o in data if isinstance(o, Literal) and o.language}
    codes = {str(lang).rsplit("/", 1)[-1] for lang in g.objects(d, DCTERMS.language)}
    assert codes == {{"en": "ENG", "fr": "FRA", "es": "SPA"}[t] for t in tags}


def test_every_dump_has_a_distribution_matching_its_file(descriptions, project, release, manifest):
    g = descriptions.dcat
    d = URIRef(dataset_iri(project))
    dumps = {f["name"] for f in manifest["files"]
             if f["name"].split(".")[0] == "ilograph" and f["name"].split(".")[1] in DUMP_FORMATS}
    assert len(dumps) == 12
    seen = set()
    for dist in g.objects(d, DCAT.distribution):
        url = str(g.value(dist, DCAT.downloadURL))
        assert url.startswith(project.base + "download/")
        assert g.value(dist, DCAT.accessURL) is not None
        path: Path = release.path / url.rsplit("/", 1)[-1]
        seen.add(path.name)
        size = g.value(dist, DCAT.byteSize)
        assert size.datatype == XSD.nonNegativeInteger and int(size) == path.stat().st_size, path.name
        checksum = g.value(dist, SPDX.checksum)
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        value = g.value(checksum, SPDX.checksumValue)
        assert value.datatype == XSD.hexBinary
        assert str(value).lower() == hashlib.sha256(path.read_bytes()).hexdigest(), path.name
        suffix = path.name.split(".")[1]
        assert g.value(dist, DCAT.mediaType) == URIRef(IANA + DUMP_FORMATS[suffix][1])
        assert str(g.value(dist, DCTERMS.format)).endswith("/file-type/" + DUMP_FORMATS[suffix][2])
        compressed = g.value(dist, DCAT.compressFormat)
        assert (compressed == URIRef(IANA + "application/gzip")) == path.name.endswith(".gz")
        assert g.value(dist, DCTERMS.license) == URIRef(project.dataset.license)
    assert seen == dumps


def test_the_written_catalogue_is_the_described_one(descriptions, written):
    from rdflib.compare import isomorphic
    parsed = rdflib.Graph().parse(written["dcat.ttl"], format="turtle")
    assert isomorphic(parsed, descriptions.dcat)
