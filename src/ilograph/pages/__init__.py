"""The publication's pages and per-resource documents, drawn from a release's store.

Open a release once, then render::

    from ilograph.pages import Publication, render_resource, resource_document
    pub = Publication.open("dist")
    html = render_resource(pub, "https://w3id.org/ilograph/id/unit/coop", lang="fr",
                           base_url="http://127.0.0.1:8080/")
    turtle = pub.document("https://w3id.org/ilograph/id/unit/coop", "ttl")

Pages: :func:`render_home`, :func:`render_resource`, :func:`render_vocabulary`,
:func:`render_downloads`, :func:`render_search`, :func:`render_error` (Jinja2 templates with
autoescape on, CSS as a static file, inline SVG diagrams drawn here, no script). RDF:
:func:`describe` (the triples served for an IRI) and :func:`resource_document` (them in Turtle,
JSON-LD, N-Triples or RDF/XML). The reader's language: :func:`choose_language`. Which document
to answer with: :func:`negotiate_document`, :func:`split_document`.

Modules: ``publication`` (the store and the release; the ``queries/*.rq`` files, run with bound
values), ``rdf``, ``render`` (with ``resource``, ``home``, ``vocabulary``: what each page shows),
``views``, ``links`` (every link: safe schemes only, base IRIs rewritten), ``text`` (escaping,
bidi isolation), ``svg``, ``lang``, ``negotiate``.
"""

from __future__ import annotations

from importlib.resources import files

from .lang import LANGUAGES, choose_language
from .links import Links, clickable
from .negotiate import DOCUMENTS, content_type, negotiate_document, split_document
from .publication import FileInfo, Publication
from .rdf import FORMATS, NotFound, describe, format_name, resource_document
from .render import (
    render_downloads,
    render_error,
    render_home,
    render_redirect,
    render_resource,
    render_search,
    render_template,
    render_vocabulary,
)


def stylesheet() -> bytes:
    """The pages' CSS (served at ``static/ilograph.css``)."""
    return (files(__package__) / "static" / "ilograph.css").read_bytes()


def static_files() -> dict[str, bytes]:
    """Every static file of the pages, by path under the site root (``static/ilograph.css``)."""
    folder = files(__package__) / "static"
    return {f"static/{entry.name}": entry.read_bytes() for entry in folder.iterdir() if entry.is_file()}


__all__ = [
    "DOCUMENTS",
    "FORMATS",
    "LANGUAGES",
    "FileInfo",
    "Links",
    "NotFound",
    "Publication",
    "choose_language",
    "clickable",
    "content_type",
    "describe",
    "format_name",
    "negotiate_document",
    "render_downloads",
    "render_error",
    "render_home",
    "render_redirect",
    "render_resource",
    "render_search",
    "render_template",
    "render_vocabulary",
    "resource_document",
    "split_document",
    "static_files",
    "stylesheet",
]
