"""Where a page links to.

Every link of every page is made here, so that two rules hold everywhere:

* only ``http``, ``https`` and ``mailto`` IRIs are ever clickable: anything else (``javascript:``,
  ``data:``, ``vbscript:``, ``file:``, ``urn:``, ...) is shown as text (:func:`href` gives None);
* IRIs under the dataset's canonical base are rewritten to where the pages are served: on a server,
  to paths under ``base_url`` (``https://w3id.org/ilograph/id/unit/coop`` becomes
  ``/id/unit/coop`` for ``base_url="http://127.0.0.1:8080/"``); in the static site, to relative
  links to the ``.html`` files, one per language (``coop.html``, ``coop.fr.html``, ``coop.es.html``),
  so the folder works from any host, or from a plain file server without content negotiation.

Page names: the home page is ``index``, the vocabulary ``def``, the downloads ``download/index``,
the search ``search``, a resource its path under the base (``id/unit/coop``).
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote, urlencode, urlsplit

from .lang import DEFAULT

CLICKABLE = ("http", "https", "mailto")
_URL_SAFE = "/:@!$&'()*+,;=-._~%?#[]"
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"

HOME, VOCABULARY, DOWNLOADS, SEARCH = "index", "def", "download/index", "search"
#: the page name of each special page on a server (the rest is a resource path)
SERVER_PATHS = {HOME: "", VOCABULARY: "def", DOWNLOADS: "download/", SEARCH: "search"}
STYLESHEET = "static/ilograph.css"
VOID_PATH = ".well-known/void"
SPARQL_PATH = "sparql"


def clickable(iri: str) -> bool:
    """True when ``iri`` may be the target of a link: an ``http(s)`` or ``mailto`` IRI without
    spaces or control characters."""
    scheme, colon, rest = iri.partition(":")
    if not colon or scheme.lower() not in CLICKABLE or not rest:
        return False
    return not any(ord(c) < 0x21 or c == "\x7f" for c in iri)


def as_uri(iri: str) -> str:
    """``iri`` with every character that may not stand in a URI percent-encoded (``%`` is kept)."""
    return quote(iri, safe=_URL_SAFE)


def static_file(page: str, lang: str, default: str = DEFAULT) -> str:
    """The file of ``page`` in ``lang`` in the static site: ``id/unit/coop.fr.html``."""
    return f"{page}.html" if lang == default else f"{page}.{lang}.html"


class Links:
    """The links of one page (see the module docstring).

    ``base`` is the canonical base IRI; ``base_url`` where the server answers (None: the canonical
    base itself); ``static`` makes relative links between the static site's files; ``page`` names
    the page being written; ``lang`` is its language, carried on every link to another page when
    ``keep_lang`` (the reader chose it with ``?lang=``; the static site always carries it);
    ``query`` is the page's own query parameters other than ``lang`` (kept by the language switch).
    """

    def __init__(self, base: str, *, base_url: str | None = None, static: bool = False, page: str = HOME,
                 lang: str = DEFAULT, keep_lang: bool = False, query: tuple[tuple[str, str], ...] = ()) -> None:
        self.base = base
        self.static = static
        self.page = page
        self.lang = lang
        self.keep_lang = keep_lang
        self.query = query
        if base_url is None:
            self.prefix = base
        else:
            path = urlsplit(base_url).path or "/"
            self.prefix = path if path.endswith("/") else path + "/"
        self.file = static_file(page, lang)

    # --- any IRI --------------------------------------------------------------------------

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` points, or None when it must not be clickable."""
        if iri.startswith(self.base) and clickable(iri):
            rest = iri[len(self.base):]
            path, hashed, fragment = rest.partition("#")
            anchor = "#" + quote(fragment, safe=_PATH_SAFE + "?") if hashed else ""
            if path == "":
                return self.to_page(HOME) + anchor
            if path == "def" or path.startswith("def/"):
                return self.to_page(VOCABULARY) + anchor
            if path == "download" or path == "download/":
                return self.to_page(DOWNLOADS) + anchor
            if path.startswith("download/"):
                return self.download(path[len("download/"):]) + anchor
            return self.to_page(path) + anchor
        if clickable(iri):
            return as_uri(iri)
        return None

    # --- pages and files of the publication ---------------------------------------------

    def to_page(self, page: str, lang: str | None = None) -> str:
        """A link to one of the publication's pages (in ``lang``, default the page's own)."""
        lang = lang or self.lang
        if self.static:
            return self._relative(static_file(page, lang))
        url = self.prefix + quote(SERVER_PATHS.get(page, page), safe=_PATH_SAFE)
        if self.keep_lang or lang != self.lang:
            url += "?" + urlencode([("lang", lang)])
        return url

    def document(self, page: str, ext: str) -> str:
        """A link to a resource's description in another format (``ext``: ttl, jsonld, nt, rdf)."""
        target = f"{page}.{ext}"
        if self.static:
            return self._relative(target)
        return self.prefix + quote(target, safe=_PATH_SAFE)

    def download(self, name: str) -> str:
        return self.file_link(f"download/{name}")

    def file_link(self, path: str) -> str:
        """A link to a file of the publication (``static/ilograph.css``, ``.well-known/void``)."""
        if self.static:
            return self._relative(path)
        return self.prefix + quote(path, safe=_PATH_SAFE)

    def switch(self, lang: str) -> str:
        """The current page in another language."""
        if self.static:
            return self._relative(static_file(self.page, lang))
        return "?" + urlencode(list(self.query) + [("lang", lang)])

    @property
    def stylesheet(self) -> str:
        return self.file_link(STYLESHEET)

    @property
    def void(self) -> str:
        return self.file_link(VOID_PATH)

    @property
    def dcat(self) -> str:
        return self.download("dcat.ttl")

    @property
    def sparql(self) -> str | None:
        """The query page; None in the static site (it has no endpoint)."""
        return None if self.static else self.file_link(SPARQL_PATH)

    @property
    def search(self) -> str | None:
        """Where the search form sends its query; None in the static site."""
        return None if self.static else self.file_link(SEARCH)

    def _relative(self, target: str) -> str:
        start = posixpath.dirname(self.file) or "."
        rel = posixpath.relpath(target, start)
        if target.endswith("/") and not rel.endswith("/"):
            rel += "/"
        rel = quote(rel, safe=_PATH_SAFE)
        first = rel.split("/", 1)[0]
        if ":" in first:  # a colon in the first segment would read as a scheme (RFC 3986, 4.2)
            rel = "./" + rel
        return rel
