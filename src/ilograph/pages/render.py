"""Render the publication's HTML pages with Jinja2 (autoescape on for every template).

Every function returns the page as a ``str``. Common keywords:

* ``lang``: the page's language (``en``, ``fr``, ``es``; see :func:`~.lang.choose_language`);
* ``base_url``: where the server answers (``http://127.0.0.1:8080/``): IRIs under the dataset's
  canonical base link there, as root-relative paths; None keeps the canonical IRIs;
* ``keep_lang``: the reader chose ``lang`` with ``?lang=``, so links to other pages carry it;
* ``static``: links for the static site (relative, to ``.html`` files, one file per language).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from .lang import DEFAULT, LANGUAGES, NAMES, messages
from .links import DOWNLOADS, HOME, SEARCH, VOCABULARY, Links
from .publication import Publication
from .rdf import FORMATS, NotFound
from .text import literal_html, plain

#: alternate formats of a resource: extension, media type, name shown
ALTERNATES = (("ttl", "text/turtle", "Turtle"), ("jsonld", "application/ld+json", "JSON-LD"),
              ("nt", "application/n-triples", "N-Triples"), ("rdf", "application/rdf+xml", "RDF/XML"))
STATUS_WORDS = {404: "error_404", 406: "error_406", 500: "error_500"}


_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def script_json(obj: object) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: :func:`ilograph.catalog.jsonld_for_html`
    (``<``, ``>``, ``&``, U+2028/9 as ``\\uXXXX``), with bidirectional and zero-width characters
    escaped the same way, so that the page source reads as it is. (Imported here: the catalogue
    module loads rdflib, which a server starting up need not wait for.)"""
    from ..catalog import jsonld_for_html

    text = _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", jsonld_for_html(obj))
    return Markup(text)


@cache
def environment(packages: tuple[str, ...] = ()) -> jinja2.Environment:
    """The Jinja2 environment of the package's templates (after those of ``packages``, whose
    ``templates/`` folders come first, so that their pages can extend ``base.html``): autoescape
    on for every template, undefined names are errors."""
    loaders = [jinja2.PackageLoader(name, "templates") for name in packages]
    loaders.append(jinja2.PackageLoader("ilograph.pages", "templates"))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["plain"] = plain
    env.globals["bdi"] = _bdi
    return env


@jinja2.pass_context
def _bdi(context: Any, text: str, lang: str | None = None) -> Markup:
    return literal_html(text, lang, context.get("lang"))


def _links(pub_base: str, page: str, lang: str, base_url: str | None, keep_lang: bool, static: bool,
           query: tuple[tuple[str, str], ...] = ()) -> Links:
    return Links(pub_base, base_url=base_url, static=static, page=page, lang=lang,
                 keep_lang=keep_lang or (static and lang != DEFAULT), query=query)


def _render(template: str, links: Links, lang: str, packages: tuple[str, ...] = (), **context: Any) -> str:
    words = messages(lang)
    languages = [(code, NAMES[code], links.switch(code), code == lang) for code in LANGUAGES]
    return environment(packages).get_template(template).render(t=words, lang=lang, links=links,
                                                               languages=languages, **context)


def render_template(template: str, *, links: Links, lang: str = DEFAULT, packages: tuple[str, ...] = (),
                    **context: Any) -> str:
    """Render ``template`` of one of ``packages`` (a page of another part of ilograph, such as
    the web service's query page) with the pages' base template, words, filters and language
    switch. ``context`` must give what ``base.html`` uses: ``title``, ``canonical``, ``jsonld``
    and ``alternates``."""
    return _render(template, links, _check(lang), packages, **context)


def _check(lang: str) -> str:
    return lang if lang in LANGUAGES else DEFAULT


def render_resource(pub: Publication, iri: str, *, lang: str = DEFAULT, base_url: str | None = None,
                    keep_lang: bool = False, static: bool = False) -> str:
    """The page of the resource ``iri``. Raises :class:`~.rdf.NotFound` when the store says
    nothing of it."""
    from .resource import resource_view

    lang = _check(lang)
    page = pub.page_of(iri)
    links = _links(pub.base, page or "id/resource", lang, base_url, keep_lang, static)
    view = resource_view(pub, iri, links, lang)
    if view is None:
        raise NotFound(f"{iri} is not described here")
    alternates = [(ext, media, name, links.document(page, ext)) for ext, media, name in ALTERNATES] if page else []
    return _render("resource.html", links, lang, title=view.label, view=view, alternates=alternates,
                   canonical=iri if iri.startswith(("http://", "https://")) else None,
                   jsonld=script_json(view.schema))


def render_home(pub: Publication, *, lang: str = DEFAULT, base_url: str | None = None, keep_lang: bool = False,
                static: bool = False) -> str:
    """The home page: what the dataset is, counts, the overview diagram, resources by class, the
    search form, the links to downloads, query page, vocabulary, VoID and DCAT; the schema.org
    ``Dataset`` of the release embedded."""
    from .home import home_view

    lang = _check(lang)
    links = _links(pub.base, HOME, lang, base_url, keep_lang, static)
    view = home_view(pub, links, lang)
    jsonld = script_json(pub.schema) if pub.schema else None
    return _render("home.html", links, lang, title=pub.title, pub=pub, view=view, canonical=pub.base,
                   jsonld=jsonld, alternates=[])


def render_search(pub: Publication, q: str | None, *, lang: str = DEFAULT, base_url: str | None = None,
                  keep_lang: bool = False) -> str:
    """The search page: the form, and the resources whose labels contain ``q`` (ignoring case)."""
    from .home import QUERY_LIMIT, search

    lang = _check(lang)
    q = (q or "")[:QUERY_LIMIT]
    links = _links(pub.base, SEARCH, lang, base_url, keep_lang, False, query=(("q", q),) if q else ())
    hits, more = search(pub, links, q, lang)
    words = messages(lang)
    return _render("search.html", links, lang, title=f"{words['search']}: {q}" if q.strip() else words["search"],
                   q=q, hits=hits, more=more, canonical=None, jsonld=None, alternates=[])


def render_vocabulary(pub: Publication, *, lang: str = DEFAULT, base_url: str | None = None, keep_lang: bool = False,
                      static: bool = False) -> str:
    """The vocabulary's documentation (the page of ``<base>def``): every class and property."""
    from .vocabulary import vocabulary_view

    lang = _check(lang)
    links = _links(pub.base, VOCABULARY, lang, base_url, keep_lang, static)
    view = vocabulary_view(pub, links, lang)
    alternates = [(ext, media, name, links.document(VOCABULARY, ext)) for ext, media, name in ALTERNATES]
    return _render("vocabulary.html", links, lang, title=view.title, view=view, canonical=view.iri,
                   alternates=alternates, jsonld=None)


def render_downloads(pub: Publication, *, lang: str = DEFAULT, base_url: str | None = None, keep_lang: bool = False,
                     static: bool = False) -> str:
    """The downloads page: every file of the release with size, media type and SHA-256."""
    from .home import downloads, human_size

    lang = _check(lang)
    links = _links(pub.base, DOWNLOADS, lang, base_url, keep_lang, static)
    words = messages(lang)
    return _render("downloads.html", links, lang, title=f"{words['downloads']} — {pub.title}", pub=pub,
                   files=downloads(pub), human_size=human_size, canonical=pub.base + "download/", jsonld=None,
                   alternates=[])


def render_error(status: int, message: str, *, lang: str = DEFAULT, base_url: str | None = None) -> str:
    """An error page: the status, its name and ``message`` (escaped, never a traceback)."""
    lang = _check(lang)
    links = Links("http://invalid.invalid/", base_url=base_url or "/", page=HOME, lang=lang)
    words = messages(lang)
    heading = words[STATUS_WORDS.get(status, "error_other")]
    return _render("error.html", links, lang, title=f"{status} {heading}", status=status, heading=heading,
                   message=message, canonical=None, jsonld=None, alternates=[])


def render_redirect(pub: Publication, iri: str, *, lang: str = DEFAULT) -> str:
    """For the static site: the page at ``<resource>/index.html``, which sends a reader that
    followed the extensionless IRI on a plain file server to the resource's page."""
    page = pub.page_of(iri)
    if page is None:
        raise NotFound(f"{iri} has no page")
    links = Links(pub.base, static=True, page=page + "/index", lang=lang)
    return _render("redirect.html", links, lang, title=iri, target=links.href(iri), iri=iri, canonical=iri,
                   jsonld=None, alternates=[])


__all__ = ["ALTERNATES", "FORMATS", "environment", "render_downloads", "render_error", "render_home",
           "render_redirect", "render_resource", "render_search", "render_template", "render_vocabulary"]
