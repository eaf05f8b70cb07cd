"""schema.org JSON-LD (parsed offline), its HTML-safe serialization, sitemap.xml, robots.txt,
byte-identical output, and the errors of bad settings."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, XSD

from ilograph.catalog import FILES, dataset_iri, describe, jsonld_for_html, robots_txt, sitemap_xml, write_descriptions
from ilograph.errors import ConfigError, ReleaseError

SCHEMA = rdflib.Namespace("https://schema.org/")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"something tried to fetch {args[0]!r}")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_schema_org_parses_as_json_ld_without_fetching(written, project, manifest, no_network):
    text = written["dataset.jsonld"].read_text(encoding="utf-8")
    doc = json.loads(text)
    assert isinstance(doc["@context"], dict) and doc["@context"]["@vocab"] == "https://schema.org/"
    g = rdflib.Graph().parse(data=text, format="json-ld")
    d = URIRef(dataset_iri(project))
    assert (d, RDF.type, SCHEMA.Dataset) in g
    assert g.value(d, SCHEMA.license) == URIRef(project.dataset.license)
    assert str(g.value(d, SCHEMA.name)) == project.dataset.title
    downloads = list(g.objects(d, SCHEMA.distribution))
    files = {f["name"]: f for f in manifest["files"]}
    assert len(downloads) == 12
    for node in downloads:
        assert (node, RDF.type, SCHEMA.DataDownload) in g
        url = g.value(node, SCHEMA.contentUrl)
        assert isinstance(url, URIRef), "contentUrl is an IRI, not a string"
        f = files[str(url).rsplit("/", 1)[-1]]
        assert str(g.value(node, SCHEMA.sha256)) == f["sha256"]
        assert str(g.value(node, SCHEMA.encodingFormat)) == f["media_type"]
        assert str(g.value(node, SCHEMA.contentSize)) == f"{f['size']} B"
    creator = g.value(d, SCHEMA.creator)
    assert str(g.value(creator, SCHEMA.name)) == project.dataset.publisher_name


def test_jsonld_for_html_cannot_close_the_script_element(descriptions):
    hostile = {"name": "</script><script>alert(1)</script><!-- & \u2028", "nested": ["</SCRIPT >"]}
    for obj in (hostile, descriptions.schema):
        text = jsonld_for_html(obj)
        assert "</script" not in text.lower() and "<!--" not in text and "<" not in text
        assert json.loads(text) == obj


def test_sitemap_lists_every_resource(written, project, dump):
    root = ET.fromstring(written["sitemap.xml"].read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    assert len(locs) == len(set(locs))
    space = project.base + "id/"
    resources = {str(t) for triple in dump for t in triple if isinstance(t, URIRef) and str(t).startswith(space)}
    assert set(locs) == resources | {project.base, project.base + "def", project.base + "download/"}
    assert locs[0] == project.base
    lastmods = {u.findtext("s:lastmod", namespaces=ns) for u in root.findall("s:url", ns)}
    assert lastmods == {project.dataset.modified or project.dataset.issued}


def test_sitemap_and_robots_follow_another_base(project, sources):
    text = sitemap_xml(project, sources, base="http://127.0.0.1:8080/")
    assert "https://w3id.org/" not in text and "<loc>http://127.0.0.1:8080/id/unit/coop</loc>" in text
    robots = robots_txt(project, base="http://127.0.0.1:8080/")
    assert "Disallow: /sparql?\n" in robots and "Sitemap: http://127.0.0.1:8080/sitemap.xml\n" in robots


def test_robots_allows_pages_and_spares_sparql_queries(written, project):
    lines = written["robots.txt"].read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    assert "Disallow: /ilograph/sparql?" in lines
    assert f"Sitemap: {project.base}sitemap.xml" in lines


def test_descriptions_are_byte_identical_across_runs_and_hash_seeds(project, release, written, tmp_path):
    script = ("import json, sys; from pathlib import Path\n"
              "from ilograph.project import open_project; from ilograph.load import load\n"
              "from ilograph.catalog import write_descriptions\n"
              "p = open_project(sys.argv[1]); m = json.loads(Path(sys.argv[2]).read_text())\n"
              "write_descriptions(Path(sys.argv[3]), p, load(p), m['files'], m['triples'])\n")
    for seed in ("1", "4242"):
        out = tmp_path / seed
        out.mkdir()
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script, str(project.root), str(release.path / "release.json"),
                               str(out)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
        for name in FILES:
            assert (out / name).read_bytes() == written[name].read_bytes(), (seed, name)


def test_write_refuses_to_overwrite_a_release_file(project, sources, manifest, tmp_path):
    (tmp_path / "void.ttl").write_text("mine\n")
    with pytest.raises(ReleaseError, match="void.ttl"):
        write_descriptions(tmp_path, project, sources, manifest["files"], manifest["triples"])
    assert (tmp_path / "void.ttl").read_text() == "mine\n"


@pytest.mark.parametrize("change, message", [
    ({"themes": ("LABOUR",)}, "not an EU data theme"),
    ({"issued": "22 November 2026"}, "not a date"),
    ({"contact": "call us"}, "e-mail address or an http"),
])
def test_bad_settings_are_config_errors(project, sources, manifest, change, message):
    bad = dataclasses.replace(project, dataset=dataclasses.replace(project.dataset, **change))
    with pytest.raises(ConfigError, match=message):
        describe(bad, sources, manifest["files"], manifest["triples"])


def test_a_contact_address_becomes_a_mailto(project, sources, manifest):
    other = dataclasses.replace(project, dataset=dataclasses.replace(project.dataset, contact="data@example.org"))
    g = describe(other, sources, manifest["files"], manifest["triples"]).dcat
    vcard = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
    assert URIRef("mailto:data@example.org") in set(g.objects(None, vcard.hasEmail))


def test_dates_are_typed(descriptions):
    issued = [o for o in descriptions.dcat.objects(None, rdflib.DCTERMS.issued)]
    assert issued and all(o.datatype == XSD.date for o in issued)


def test_a_sitemap_past_its_limit_becomes_an_index(project, sources, monkeypatch):
    """Past 50,000 URLs (a 10M-triple release has about half a million) sitemap.xml is a sitemap
    index naming sitemap-1.xml, sitemap-2.xml ..., which together list every URL once."""
    import ilograph.catalog as catalog
    single = catalog.sitemaps(project, sources)
    assert list(single) == ["sitemap.xml"]
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    every = [e.text for e in ET.fromstring(single["sitemap.xml"]).findall("s:url/s:loc", ns)]
    monkeypatch.setattr(catalog, "SITEMAP_LIMIT", 100)
    split = catalog.sitemaps(project, sources)
    index = ET.fromstring(split["sitemap.xml"])
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    named = [e.text for e in index.findall("s:sitemap/s:loc", ns)]
    parts = [name for name in split if name != "sitemap.xml"]
    assert named == [project.base + name for name in parts] and len(parts) == -(-len(every) // 100)
    listed = [e.text for name in parts for e in ET.fromstring(split[name]).findall("s:url/s:loc", ns)]
    assert listed == every
    assert all(len(ET.fromstring(split[name])) <= 100 for name in parts)
