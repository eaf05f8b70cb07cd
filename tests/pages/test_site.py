"""``ilograph site``: the static publication, served by a plain file server, answers like the
render functions; its Apache and nginx rules cover every document; and, where nginx is installed,
the nginx rules give 303 See Other to the right document for each Accept."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
import rdflib

from ilograph.cli import main
from ilograph.pages import render_home, render_resource

from .conftest import parse_page

BASE = "https://w3id.org/ilograph/"
SAMPLE = ["id/unit/coop", "id/organization/ilo", "id/instrument/r193", "id/partner/copac", "id/programme/geip",
          "id/source/ilo-cooperatives-unit-2016", "graph/seed-001-cooperatives-unit"]
RDF_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)


def fetch(url: str, accept: str | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept is not None else {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def test_layout(site, pub, release):
    for name in ("index.html", "index.fr.html", "index.es.html", "def.html", "def.fr.html", "def.ttl", "def.rdf",
                 "def.jsonld", "download/index.html", ".well-known/void", "dcat.ttl", "sitemap.xml", "robots.txt",
                 "static/ilograph.css", ".htaccess", "nginx.conf"):
        assert (site / name).is_file(), name
    for iri in pub.resources():
        page = iri[len(BASE):]
        for suffix in (".html", ".fr.html", ".es.html", ".ttl", ".jsonld", ".nt", ".rdf", "/index.html"):
            assert (site / (page + suffix)).is_file(), page + suffix
    for f in pub.files:
        assert (site / "download" / f.name).read_bytes() == (release.path / f.name).read_bytes()
    assert (site / ".well-known/void").read_bytes() == (release.path / "void.ttl").read_bytes()
    assert site.is_symlink(), "the site is swapped in atomically, as releases are"
    assert oct((site.resolve()).stat().st_mode & 0o777) == "0o755"


def test_plain_file_server_gives_the_same_pages_and_documents(served_site, pub):
    for page in SAMPLE:
        iri = BASE + page
        status, headers, body = fetch(served_site + page + ".html")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert body.decode("utf-8") == render_resource(pub, iri, static=True)
        status, _, body = fetch(served_site + page + ".fr.html")
        assert status == 200 and body.decode("utf-8") == render_resource(pub, iri, lang="fr", static=True)
        for ext, name in RDF_FORMATS.items():
            status, _, body = fetch(served_site + f"{page}.{ext}")
            assert status == 200 and body == pub.document(iri, ext), (page, ext)
            graph = rdflib.Graph().parse(data=body, format=name)
            assert (rdflib.URIRef(iri), None, None) in graph or (None, None, rdflib.URIRef(iri)) in graph
    status, _, body = fetch(served_site)
    assert status == 200 and body.decode("utf-8") == render_home(pub, static=True)


def test_every_link_of_the_static_pages_resolves(served_site, site):
    """The links between the static pages are relative and every one reaches a file."""
    checked = set()
    for start in ["index.html", "index.fr.html", "def.html", "download/index.html"] + [p + ".html" for p in SAMPLE]:
        page = parse_page((site / start).read_text(encoding="utf-8"))
        for href in page.hrefs + [h for t, h in page.links if t == "link"]:
            if href.startswith(("http:", "https:", "mailto:", "?", "#")):
                continue
            target = urllib.parse.urljoin(served_site + start, href).split("#")[0]
            if target in checked:
                continue
            checked.add(target)
            status, _, _ = fetch(target)
            assert status == 200, (start, href)
    assert len(checked) > 150


def test_bare_iri_on_a_plain_file_server_reaches_the_page(served_site):
    status, _, body = fetch(served_site + "id/unit/coop/")
    assert status == 200
    assert b'url=../coop.html' in body and b'href="../coop.html"' in body


def test_rules_cover_every_document(site):
    htaccess = (site / ".htaccess").read_text(encoding="utf-8")
    nginx = (site / "nginx.conf").read_text(encoding="utf-8")
    for ext in ("html", "ttl", "jsonld", "nt", "rdf"):
        assert f".{ext}" in htaccess and f"{ext}" in nginx, ext
    for media in ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
                  "application/gzip"):
        assert media in htaccess and media in nginx, media
    assert "R=303" in htaccess and "RemoveEncoding .gz" in htaccess and "Vary" in htaccess
    assert "map $http_accept $ilograph_ext" in nginx and "return 303" in nginx and "return 406" in nginx


def test_cli_site_and_rewritten_base(project, release, tmp_path, capsys):
    out = tmp_path / "www"
    code = main(["--project", str(project.root), "site", "--out", str(out), "--release", str(release.path),
                 "--base-url", "http://127.0.0.1:9999/pub/"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "resources" in printed and str(out) in printed
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>http://127.0.0.1:9999/pub/id/unit/coop</loc>" in sitemap and BASE not in sitemap
    assert "Sitemap: http://127.0.0.1:9999/pub/sitemap.xml" in (out / "robots.txt").read_text(encoding="utf-8")
    assert "RewriteBase /pub/" in (out / ".htaccess").read_text(encoding="utf-8")
    assert main(["--project", str(project.root), "site", "--out", str(out), "--release", str(release.path),
                 "--base-url", "ftp://x"]) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def nginx(site, tmp_path_factory):
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian: apt-get install -y nginx; .ci/run installs it)")
    prefix = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    rules = (site / "nginx.conf").read_text(encoding="utf-8").replace("listen 80;", f"listen 127.0.0.1:{port};")
    (prefix / "site.conf").write_text(rules, encoding="utf-8")
    (prefix / "logs").mkdir()
    temp = "\n".join(f"  {kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the site, under a private tmp
    (prefix / "nginx.conf").write_text(f"""daemon off;
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
{temp}
  include {prefix}/site.conf;
}}
""", encoding="utf-8")
    process = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx stopped: {process.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("accept, suffix", [
    ("text/html", ".html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", ".html"),
    ("text/turtle", ".ttl"),
    ("application/ld+json", ".jsonld"),
    ("application/n-triples", ".nt"),
    ("application/rdf+xml", ".rdf"),
    ("application/rdf+xml;q=0.9, text/html;q=0.5", ".rdf"),
    ("*/*", ".html"),
    (None, ".html"),
])
def test_nginx_negotiates_with_303(nginx, site, accept, suffix):
    for page in SAMPLE + ["def"]:
        status, headers, _ = fetch(nginx + page, accept)
        assert status == 303, (page, accept, status)
        assert headers["Location"] == f"/{page}{suffix}", (page, accept)
        assert "Accept" in headers.get("Vary", "")
        status, headers, body = fetch(nginx + page + suffix)
        assert status == 200 and body == (site / (page + suffix)).read_bytes()


def test_nginx_language_media_types_and_errors(nginx, site):
    request = urllib.request.Request(nginx + "id/unit/coop", headers={"Accept": "text/html",
                                                                      "Accept-Language": "fr-CH, fr;q=0.9"})
    try:
        urllib.request.build_opener(_NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 303 and exc.headers["Location"] == "/id/unit/coop.fr.html"
    assert fetch(nginx + "id/unit/coop", "image/png")[0] == 406
    assert fetch(nginx + "id/unit/nothing")[0] == 404
    for path, media in (("id/unit/coop.ttl", "text/turtle"), ("id/unit/coop.jsonld", "application/ld+json"),
                        ("id/unit/coop.nt", "application/n-triples"), ("id/unit/coop.rdf", "application/rdf+xml"),
                        ("download/ilograph.nt.gz", "application/gzip"), (".well-known/void", "text/turtle"),
                        ("download/SHA256SUMS", "text/plain"), ("", "text/html")):
        status, headers, body = fetch(nginx + path)
        assert status == 200 and headers["Content-Type"].split(";")[0] == media, (path, headers["Content-Type"])
        assert "Content-Encoding" not in headers
    status, headers, body = fetch(nginx + "download/ilograph.nt.gz")
    assert body[:2] == b"\x1f\x8b"
