"""A release past the sitemap limit (50,000 URLs: a 10M-triple graph has about half a million)
publishes ``sitemap.xml`` as an index of ``sitemap-<n>.xml`` files: the service serves every part
at the root, rebased on the host asked, and the static site writes them too, so that a crawler
following the index from either reaches every URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import ilograph.catalog as catalog
from ilograph.pages import Publication
from ilograph.release import build
from ilograph.site import write_site
from ilograph.store import InProcessStore, read_release
from ilograph.web import Settings, create_app

from ..web.test_app import call

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def split_release(project, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalog, "SITEMAP_LIMIT", 100)
        return build(project, tmp_path_factory.mktemp("split") / "dist")


def test_every_part_is_served_rebased_on_the_host(split_release) -> None:
    pub = Publication.open(split_release.path)
    app = create_app(Settings(cache_entries=0), InProcessStore(read_release(split_release.path)), publication=pub)
    index = call(app, "GET", "/sitemap.xml")
    assert index.status_code == 200
    parts = [e.text for e in ET.fromstring(index.content).findall("s:sitemap/s:loc", NS)]
    assert len(parts) >= 2
    host = parts[0].split("sitemap-")[0]
    assert all(p.startswith(host) for p in parts) and not host.startswith(pub.base)  # rebased on the host asked
    urls = []
    for part in parts:
        r = call(app, "GET", "/" + part[len(host):])
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml"), (part, r.status_code)
        assert r.headers["etag"]
        urls += [e.text for e in ET.fromstring(r.content).findall("s:url/s:loc", NS)]
    assert len(urls) == len(set(urls)) > 100 and all(u.startswith(host) for u in urls)
    assert call(app, "GET", f"/sitemap-{len(parts) + 1}.xml").status_code == 404


def test_the_static_site_writes_every_part(split_release, tmp_path) -> None:
    out = tmp_path / "site"
    write_site(split_release.path, out, base_url="http://127.0.0.1:9999/")
    parts = [e.text for e in ET.fromstring((out / "sitemap.xml").read_bytes()).findall("s:sitemap/s:loc", NS)]
    assert parts and all(p.startswith("http://127.0.0.1:9999/sitemap-") for p in parts)
    for part in parts:
        assert (out / part.rsplit("/", 1)[1]).is_file(), part
