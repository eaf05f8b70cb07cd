"""``ilograph site``: the whole publication as static files, for hosting without a Python process.

Layout of the folder (``<path>`` is a resource's path under the base, such as ``id/unit/coop``)::

    index.html index.fr.html index.es.html      home page, one file per language
    <path>.html .fr.html .es.html                resource pages
    <path>.ttl .jsonld .nt .rdf                  the resource's description (pages.describe)
    <path>/index.html                            a plain file server's answer to the bare IRI: a link
                                                 (and a refresh) to <path>.html
    def.html .fr.html .es.html                   the vocabulary's documentation (anchors #Unit ...)
    def.ttl .rdf .jsonld .nt                     the vocabulary itself
    download/index.html (.fr, .es)               the downloads page
    download/<file>                              every file of the release
    .well-known/void                             VoID (Turtle); also void.ttl
    dcat.ttl dataset.jsonld sitemap.xml robots.txt
    static/ilograph.css
    .htaccess                                    Apache rules (mod_rewrite, mod_mime, mod_headers)
    nginx.conf                                   nginx rules (maps and a server block)

Both rule files answer a bare IRI (``/id/unit/coop``, ``/def``) with 303 See Other to the document
that ``Accept`` asks for (``.html`` in the ``Accept-Language`` of the reader, ``.ttl``, ``.jsonld``,
``.nt``, ``.rdf``; ``Vary: Accept, Accept-Language``), 406 when none fits, and serve every file with its media type
(``.gz`` as ``application/gzip``, never as a content encoding). They read the Accept header by
pattern (a type the header starts with, then one it names anywhere), not by q-values: what
browsers and RDF clients send is answered as :func:`ilograph.pages.negotiate_document` would.

The folder is written beside ``out`` and swapped in as release folders are: ``out`` is a symbolic
link to ``.<name>.sites/<site id>/``, replaced by one ``rename``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ReleaseError
from .pages import (
    Publication,
    render_downloads,
    render_home,
    render_redirect,
    render_resource,
    render_vocabulary,
    static_files,
)
from .pages.lang import DEFAULT, LANGUAGES
from .pages.links import static_file
from .pages.negotiate import DOCUMENTS
from .pages.rdf import NotFound, serialize

RDF_EXTENSIONS = ("ttl", "jsonld", "nt", "rdf")
#: media types of the site's files, by extension (both rule files are written from it)
MEDIA_TYPES = {
    "html": "text/html", "css": "text/css", "ttl": "text/turtle", "jsonld": "application/ld+json",
    "nt": "application/n-triples", "rdf": "application/rdf+xml", "nq": "application/n-quads",
    "trig": "application/trig", "json": "application/json", "xml": "application/xml", "txt": "text/plain",
    "gz": "application/gzip",
}
TEXT_TYPES = ("text/html", "text/css", "text/turtle", "application/n-triples", "application/rdf+xml",
              "application/ld+json", "application/n-quads", "application/trig", "application/json",
              "application/xml", "text/plain")

Say = Callable[[str], None]


@dataclass(frozen=True)
class Site:
    """A written static site: where, its id (digest of its files), what it holds."""

    path: Path
    id: str
    files: int
    resources: int
    reused: bool = False


def write_site(release: Path, out: Path, *, base_url: str | None = None, progress: Say | None = None) -> Site:
    """Write the publication of the release at ``release`` as a static site at ``out``.

    ``base_url`` is where the site will be served (default: the dataset's canonical base for
    ``sitemap.xml`` and ``robots.txt``, and the root of a host for the rule files); the pages link
    relatively, so they work wherever the folder is served.
    Raises :class:`~ilograph.errors.InputError` when ``release`` is not a release, and
    :class:`~ilograph.errors.ReleaseError` when the site cannot be written (a previous site at
    ``out`` is left untouched).
    """
    say = progress or (lambda _m: None)
    pub = Publication.open(release)
    public = base_url or pub.base
    if not public.endswith("/"):
        public += "/"
    out = Path(out).absolute()
    sites = out.parent / f".{out.name}.sites"
    try:
        sites.mkdir(parents=True, exist_ok=True)
        for old in sites.glob("staging-*"):
            shutil.rmtree(old, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=sites))
        os.chmod(staging, 0o755)  # a web server's user reads it (mkdtemp makes it private)
    except OSError as exc:
        raise ReleaseError(f"cannot create the site folder beside {out}: {exc}") from exc
    try:
        written = _write(pub, staging, public, out, say, served_at=(urlsplit(base_url).path or "/") if base_url else "/")
        digest = hashlib.sha256()
        for rel in sorted(written):
            digest.update(rel.encode() + b"\0" + written[rel].encode() + b"\n")
        site_id = digest.hexdigest()[:16]
        final = sites / site_id
        previous = Path(os.readlink(out)).name if out.is_symlink() else None
        reused = final.is_dir()
        if reused:
            shutil.rmtree(staging)
        else:
            os.rename(staging, final)
        _point(out, final)
        for p in sites.iterdir():
            if p.is_dir() and p.name not in (final.name, previous) and not p.name.startswith("staging-"):
                shutil.rmtree(p, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReleaseError(f"could not write the site ({exc}); the previous site at {out} is untouched") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    resources = len(pub.resources())
    say(f"site {site_id} at {out}")
    return Site(path=out, id=site_id, files=len(written), resources=resources, reused=reused)


def _write(pub: Publication, root: Path, public: str, out: Path, say: Say, served_at: str = "/") -> dict[str, str]:
    """Write every file into ``root``; returns {path: sha256}."""
    written: dict[str, str] = {}

    def put(rel: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written[rel] = hashlib.sha256(data).hexdigest()

    for rel, data in sorted(static_files().items()):
        put(rel, data)
    say("home, vocabulary and downloads pages")
    for lang in LANGUAGES:
        put(static_file("index", lang), render_home(pub, lang=lang, static=True))
        put(static_file("def", lang), render_vocabulary(pub, lang=lang, static=True))
        put(static_file("download/index", lang), render_downloads(pub, lang=lang, static=True))
    for ext in RDF_EXTENSIONS:
        try:
            put(f"def.{ext}", pub.vocabulary_document(ext))
        except NotFound:  # a release without a vocabulary has no def.* files
            break
    resources = pub.resources()
    say(f"{len(resources)} resources")
    pages = set()
    for iri in resources:
        page = pub.page_of(iri)
        assert page is not None
        pages.add(page)
        for lang in LANGUAGES:
            put(static_file(page, lang), render_resource(pub, iri, lang=lang, static=True))
        triples = pub.describe(iri)
        for ext in RDF_EXTENSIONS:
            put(f"{page}.{ext}", serialize(triples, ext, context=pub.context or None, prefixes=pub.prefixes))
    for iri in resources:
        page = pub.page_of(iri)
        assert page is not None
        if f"{page}/index" not in pages and f"{page}/index.html" not in written:
            put(f"{page}/index.html", render_redirect(pub, iri, lang=DEFAULT))
    say("downloads")
    assert pub.folder is not None
    for f in pub.files:
        put(f"download/{f.name}", (pub.folder / f.name).read_bytes())
    parts = sorted(f.name for f in pub.files if SITEMAP_PART.fullmatch(f.name))
    for name in ("void.ttl", "dcat.ttl", "dataset.jsonld", "sitemap.xml", *parts, "robots.txt"):
        source = pub.folder / name
        if not source.is_file():
            continue
        data = source.read_bytes()
        if (name in ("sitemap.xml", "robots.txt") or name in parts) and public != pub.base:
            data = rebase(data.decode("utf-8"), pub.base, public).encode("utf-8")
        put(name, data)
        if name == "void.ttl":
            put(".well-known/void", data)
    put(".htaccess", htaccess(served_at))
    put("nginx.conf", nginx_conf(served_at, out))
    return written


#: The files of a sitemap index (releases past 50,000 URLs), published at the root beside
#: ``sitemap.xml`` and rebased like it.
SITEMAP_PART = re.compile(r"sitemap-[0-9]+\.xml")


def rebase(text: str, base: str, public: str) -> str:
    """``sitemap.xml`` or ``robots.txt`` of a release for a site (or server) answering at ``public``
    instead of the canonical ``base``: the URLs and the robots paths are moved."""
    old_path, new_path = urlsplit(base).path or "/", urlsplit(public).path or "/"
    text = text.replace(f"<loc>{base}", f"<loc>{public}").replace(f"Sitemap: {base}", f"Sitemap: {public}")
    return text.replace(f"Disallow: {old_path}", f"Disallow: {new_path}")


def _point(out: Path, final: Path) -> None:
    """Atomically make ``out`` a relative link to ``final``; a plain folder there is moved aside
    (kept as ``<out>.previous``)."""
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(final, out.parent), link)
    if out.exists() and not out.is_symlink():
        aside = out.parent / f"{out.name}.previous"
        if aside.exists():
            shutil.rmtree(aside)
        os.rename(out, aside)
    os.replace(link, out)


# --- server rules -----------------------------------------------------------------------------

#: (regular expression an Accept header is tested with, document), in the order they are tried:
#: first a type the header starts with, then a type it names anywhere, then any type at all
ACCEPT_RULES: tuple[tuple[str, str], ...] = (
    (r"^\s*(text/html|application/xhtml\+xml)", "html"),
    (r"^\s*(text/turtle|application/x-turtle)", "ttl"),
    (r"^\s*application/ld\+json", "jsonld"),
    (r"^\s*application/n-triples", "nt"),
    (r"^\s*application/rdf\+xml", "rdf"),
    (r"(text/html|application/xhtml\+xml)", "html"),
    (r"(text/turtle|application/x-turtle)", "ttl"),
    (r"application/ld\+json", "jsonld"),
    (r"application/n-triples", "nt"),
    (r"application/rdf\+xml", "rdf"),
    (r"application/json", "jsonld"),
    (r"(application/xml|text/xml)", "rdf"),
    (r"text/plain", "nt"),
    (r"(\*/\*|text/\*)", "html"),
    (r"application/\*", "ttl"),
)
LANGUAGE_RULES = tuple((rf"^\s*{code}\b", code) for code in LANGUAGES if code != DEFAULT)


def htaccess(path: str = "/") -> str:
    """Apache 2.4 rules for the site served at URL path ``path`` (see the module docstring)."""
    lines = [
        "# ilograph static publication: media types and content negotiation for Apache 2.4",
        "# (mod_rewrite, mod_mime, mod_headers; AllowOverride FileInfo Options Indexes).",
        "# A resource named without extension (/id/unit/coop, /def) answers 303 See Other to its",
        "# document chosen by Accept (and, for the page, by Accept-Language); 406 when none fits.",
        "Options -MultiViews",
        "DirectorySlash Off",
        "DirectoryIndex index.html",
        "",
        "# media types; .gz files are downloads, served as application/gzip, never as a content encoding",
    ]
    for ext, media in MEDIA_TYPES.items():
        lines.append(f"AddType {media} .{ext}")
    lines += [
        "RemoveEncoding .gz",
        '<FilesMatch "\\.gz$">',
        "  ForceType application/gzip",
        "  SetEnv no-gzip 1",
        "</FilesMatch>",
        '<Files "SHA256SUMS">',
        "  ForceType text/plain",
        "</Files>",
        '<Files "void">',
        "  ForceType text/turtle",
        "</Files>",
        "AddCharset utf-8 " + " ".join(f".{e}" for e in ("html", "css", "ttl", "jsonld", "nt", "rdf", "nq", "trig",
                                                           "json", "xml", "txt")),
        "<IfModule mod_headers.c>",
        "  Header always set X-Content-Type-Options nosniff",
        "  Header always merge Vary \"Accept, Accept-Language\"",
        "</IfModule>",
        "",
        "RewriteEngine On",
        f"RewriteBase {path}",
        "RewriteRule ^download$ download/ [R=301,L]",
        "",
        "# the language of the page: the first one Accept-Language names, if there is a page in it",
        "RewriteRule ^ - [E=ILOGRAPH_LANG:]",
    ]
    for pattern, code in LANGUAGE_RULES:
        lines += [f"RewriteCond %{{REQUEST_FILENAME}}.{code}.html -f",
                  f'RewriteCond %{{HTTP:Accept-Language}} "{pattern}" [NC]',
                  f"RewriteRule ^ - [E=ILOGRAPH_LANG:.{code}]"]
    lines += ["", "# a resource (it has a page): 303 to the document Accept asks for"]
    for pattern, ext in ACCEPT_RULES:
        suffix = "%{ENV:ILOGRAPH_LANG}.html" if ext == "html" else f".{ext}"
        lines += ["RewriteCond %{REQUEST_FILENAME}.html -f",
                  f'RewriteCond %{{HTTP_ACCEPT}} "{pattern}" [NC]',
                  f"RewriteRule ^(.+)$ $1{suffix} [R=303,L]"]
    lines += ["# no Accept header: the page",
              "RewriteCond %{REQUEST_FILENAME}.html -f",
              'RewriteCond %{HTTP_ACCEPT} "^$"',
              "RewriteRule ^(.+)$ $1%{ENV:ILOGRAPH_LANG}.html [R=303,L]",
              "# a resource, but nothing it has is acceptable",
              "RewriteCond %{REQUEST_FILENAME}.html -f",
              "RewriteRule ^ - [R=406,L]",
              ""]
    return "\n".join(lines)


def nginx_conf(path: str = "/", root: Path | None = None, listen: str = "80") -> str:
    """nginx rules for the site at ``root`` served at URL path ``path``: to include in the
    ``http { }`` context (the maps must stand there); adapt the ``listen`` line (see the module
    docstring)."""
    prefix = path.rstrip("/")
    lines = [
        "# ilograph static publication for nginx: include this file in the http { } context",
        "# (e.g. `include /srv/ilograph/site/nginx.conf;`) and adapt `listen` and `server_name`.",
        "# A resource named without extension (/id/unit/coop, /def) answers 303 See Other to its",
        "# document chosen by Accept (and, for the page, by Accept-Language); 406 when none fits.",
        "",
        "# the document Accept asks for: a type the header starts with, then one it names anywhere",
        "map $http_accept $ilograph_ext {",
        '    default "";',
        '    "" html;',
    ]
    for pattern, ext in ACCEPT_RULES:
        lines.append(f'    "~*{pattern}" {ext};')
    lines += ["}", "", "# the language of the page: the first one Accept-Language names",
              "map $http_accept_language $ilograph_lang {", '    default "";']
    for pattern, code in LANGUAGE_RULES:
        lines.append(f'    "~*{pattern}" .{code};')
    lines += ["}", "", "map $ilograph_ext $ilograph_suffix {", '    default "";',
              '    html "$ilograph_lang.html";']
    for ext in RDF_EXTENSIONS:
        lines.append(f"    {ext} .{ext};")
    lines += ["}", "",
              "server {",
              f"    listen {listen};",
              "    server_name _;",
              f"    root {root if root is not None else '/srv/ilograph/site'};",
              "    index index.html;",
              "    absolute_redirect off;",
              "    charset utf-8;",
              "    charset_types " + " ".join(t for t in TEXT_TYPES if t != "text/html") + ";",
              "    default_type application/octet-stream;",
              "    types {"]
    for ext, media in MEDIA_TYPES.items():
        lines.append(f"        {media} {ext};")
    lines += ["    }",
              "    add_header X-Content-Type-Options nosniff always;",
              "",
              "    # gzip copies are downloads: served as they are (no Content-Encoding)",
              "    location ~ \\.gz$ {",
              "        gzip off;",
              "        types { }",
              "        default_type application/gzip;",
              "        add_header X-Content-Type-Options nosniff always;",
              "    }",
              "    location ~ /SHA256SUMS$ { types { } default_type text/plain; }",
              f"    location = {prefix}/.well-known/void {{ types {{ }} default_type text/turtle; }}",
              f"    location = {prefix}/download {{ return 301 {prefix}/download/; }}",
              "",
              f"    location {prefix}/ {{" if not prefix else f"    location ^~ {prefix}/ {{",
              *([f"        alias {root if root is not None else '/srv/ilograph/site'}/;"] if prefix else []),
              "        set $ilograph_resource \"\";",
              "        if (-f $request_filename.html) {",
              "            set $ilograph_resource yes;",
              "        }",
              "        set $ilograph_unacceptable \"${ilograph_resource}${ilograph_ext}\";",
              "        if ($ilograph_unacceptable = yes) {",
              "            return 406;",
              "        }",
              "        if ($ilograph_resource = yes) {",
              "            add_header Vary \"Accept, Accept-Language\" always;",
              "            add_header X-Content-Type-Options nosniff always;",
              "            return 303 $uri$ilograph_suffix;",
              "        }",
              "        add_header Vary \"Accept, Accept-Language\" always;",
              "        add_header X-Content-Type-Options nosniff always;",
              "        try_files $uri $uri/ =404;",
              "    }",
              "}",
              ""]
    return "\n".join(lines)


__all__ = ["ACCEPT_RULES", "DOCUMENTS", "MEDIA_TYPES", "Site", "htaccess", "nginx_conf", "rebase", "write_site"]
