"""The query page: an HTML form over the SPARQL endpoint, at ``/sparql`` itself.

``GET /sparql`` from a browser (``Accept`` names ``text/html`` at least as high as any RDF format,
and there is no query) answers the page; every other request to ``/sparql`` is the SPARQL 1.1
Protocol as before (RDF clients still get the Service Description). The page holds an editor, the
named queries of ``queries/`` as examples, and the results:

* with JavaScript (``static/query.js``, served from this package, no framework, nothing fetched
  from elsewhere), the query is POSTed to ``/sparql`` and the SPARQL JSON results (JSON-LD for
  CONSTRUCT and DESCRIBE) are drawn as a table with DOM methods and ``textContent`` only;
* without it, the form submits ``GET /sparql?query=...&format=html``, which runs the query like any
  other (same guard, limits, cache) and answers this page with the result table written here.

Either way, IRIs under the dataset's base link to their pages, other ``http(s)`` IRIs are plain
links, anything else is text; a result cut at the row cap says so; an error shows the service's
message (a syntax error with its line, column and a caret); and the result can be downloaded in
each format it has (``/sparql?query=...&format=csv`` ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

from ..pages import choose_language, render_template
from ..pages.lang import LANGUAGES
from ..pages.links import Links, as_uri, clickable
from ..query import NamedQuery
from . import negotiate
from .http import HttpError, Request, Response
from .linked import page_headers
from .protocol import parse_params
from .settings import Settings

#: The query page runs its own script and fetches from its own origin; nothing else.
QUERY_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; "
             "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
#: Rows drawn in a table (the downloads hold the whole result, up to the service's row cap).
DISPLAY_LIMIT = 2000
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: result formats offered as downloads, by kind of result: (format parameter, name shown, file suffix)
DOWNLOADS = {
    "select": (("json", "JSON", "srj"), ("xml", "XML", "srx"), ("csv", "CSV", "csv"), ("tsv", "TSV", "tsv")),
    "ask": (("json", "JSON", "srj"), ("xml", "XML", "srx")),
    "graph": (("turtle", "Turtle", "ttl"), ("ntriples", "N-Triples", "nt"), ("jsonld", "JSON-LD", "jsonld"),
              ("rdfxml", "RDF/XML", "rdf")),
}
DEFAULT_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?resource ?label WHERE {
  ?resource rdfs:label ?label .
}
ORDER BY ?label
LIMIT 25
"""

#: The words of the page (and of its script), in the pages' languages.
WORDS: dict[str, dict[str, str]] = {
    "title": {"en": "SPARQL query", "fr": "Requête SPARQL", "es": "Consulta SPARQL"},
    "intro": {"en": "Ask the graph anything in SPARQL 1.1. The endpoint for programs is",
              "fr": "Interrogez le graphe en SPARQL 1.1. Le point d'accès pour les programmes est",
              "es": "Consulte el grafo en SPARQL 1.1. El punto de acceso para los programas es"},
    "limits": {"en": "Read-only; a query stops after {timeout} s and results are cut after {rows} rows.",
               "fr": "En lecture seule ; une requête s'arrête après {timeout} s et les résultats sont coupés "
                     "après {rows} lignes.",
               "es": "Solo lectura; una consulta se detiene tras {timeout} s y los resultados se cortan tras "
                     "{rows} filas."},
    "editor": {"en": "Query", "fr": "Requête", "es": "Consulta"},
    "run": {"en": "Run", "fr": "Exécuter", "es": "Ejecutar"},
    "shortcut": {"en": "Ctrl+Enter runs the query.", "fr": "Ctrl+Entrée exécute la requête.",
                 "es": "Ctrl+Intro ejecuta la consulta."},
    "examples": {"en": "Examples", "fr": "Exemples", "es": "Ejemplos"},
    "examples_note": {"en": "The questions this graph answers: pick one to load it into the editor.",
                      "fr": "Les questions auxquelles ce graphe répond : choisissez-en une pour la charger.",
                      "es": "Las preguntas que responde este grafo: elija una para cargarla en el editor."},
    "results": {"en": "Results", "fr": "Résultats", "es": "Resultados"},
    "rows": {"en": "{n} rows", "fr": "{n} lignes", "es": "{n} filas"},
    "one_row": {"en": "1 row", "fr": "1 ligne", "es": "1 fila"},
    "triples": {"en": "{n} triples", "fr": "{n} triplets", "es": "{n} tripletas"},
    "took": {"en": "in {ms} ms", "fr": "en {ms} ms", "es": "en {ms} ms"},
    "truncated": {"en": "This result was cut at the service's limit of {rows} rows: add LIMIT and OFFSET to page "
                        "through it.",
                  "fr": "Ce résultat a été coupé à la limite du service, {rows} lignes : ajoutez LIMIT et OFFSET "
                        "pour le parcourir.",
                  "es": "Este resultado se cortó en el límite del servicio, {rows} filas: añada LIMIT y OFFSET "
                        "para recorrerlo."},
    "shown": {"en": "Only the first {shown} rows are shown here; the downloads hold them all.",
              "fr": "Seules les {shown} premières lignes sont affichées ; les téléchargements les contiennent toutes.",
              "es": "Solo se muestran las {shown} primeras filas; las descargas las contienen todas."},
    "download": {"en": "Download this result as", "fr": "Télécharger ce résultat en",
                 "es": "Descargar este resultado en"},
    "empty": {"en": "No results.", "fr": "Aucun résultat.", "es": "Ningún resultado."},
    "yes": {"en": "yes (true)", "fr": "oui (vrai)", "es": "sí (verdadero)"},
    "no": {"en": "no (false)", "fr": "non (faux)", "es": "no (falso)"},
    "running": {"en": "Running…", "fr": "Exécution…", "es": "Ejecutando…"},
    "loaded": {"en": "Example loaded: press Run.", "fr": "Exemple chargé : cliquez sur Exécuter.",
               "es": "Ejemplo cargado: pulse Ejecutar."},
    "error": {"en": "The service refused or could not answer this query",
              "fr": "Le service a refusé cette requête ou n'a pas pu y répondre",
              "es": "El servicio rechazó esta consulta o no pudo responderla"},
    "failed": {"en": "The service could not be reached.", "fr": "Le service est injoignable.",
               "es": "No se pudo contactar con el servicio."},
    "subject": {"en": "subject", "fr": "sujet", "es": "sujeto"},
    "predicate": {"en": "predicate", "fr": "prédicat", "es": "predicado"},
    "object": {"en": "object", "fr": "objet", "es": "objeto"},
    "api": {"en": "as an API", "fr": "en API", "es": "como API"},
}


def words(lang: str) -> dict[str, str]:
    lang = lang if lang in LANGUAGES else LANGUAGES[0]
    return {key: texts[lang] for key, texts in WORDS.items()}


def wants_page(accept: str | None) -> bool:
    """Whether a request without a query asks for the page rather than the Service Description:
    ``Accept`` names ``text/html`` (or XHTML) itself, at a q no lower than any RDF format's."""
    if not accept:
        return False
    entries = negotiate.parse_accept(accept)
    html = max((q for media, q, _ in entries if media in ("text/html", "application/xhtml+xml")), default=0.0)
    if html <= 0.0:
        return False
    return html >= max(negotiate.quality(entries, f)[0] for f in negotiate.GRAPH_FORMATS)


@dataclass
class Cell:
    """One value of a result as the page shows it: text, where it links (None: not a link), the
    full IRI as a tooltip, the literal's language and a note (language tag or datatype)."""

    text: str
    href: str | None = None
    title: str | None = None
    lang: str | None = None
    note: str = ""
    kind: str = "literal"


@dataclass
class Table:
    """A result drawn as a table: ``kind`` is ``select``, ``ask`` or ``graph``."""

    kind: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell | None]] = field(default_factory=list)
    total: int = 0
    truncated: bool = False
    boolean: bool | None = None


class QueryPage:
    """Renders the page (see the module docstring) for one service."""

    def __init__(self, settings: Settings, base: str, queries: Sequence[NamedQuery],
                 prefixes: Mapping[str, str] | None = None, *, pages: bool = True) -> None:
        self.settings = settings
        self.base = base
        #: whether this service serves the dataset's pages (else its IRIs link to themselves)
        self.pages = pages
        self.queries = list(queries)
        self.prefixes = dict(prefixes or {})
        self._namespaces = sorted(self.prefixes.items(), key=lambda item: -len(item[1]))

    def render(self, request: Request, *, query: str | None = None, result: Response | None = None,
               error: HttpError | None = None) -> Response:
        """The page, with the editor holding ``query`` and, below, ``result`` (an answer of the
        service in SPARQL JSON or N-Triples) or ``error``. The status is the error's, else 200."""
        params = parse_params(request.query_string, "query string")
        asked_lang = next((v for k, v in params if k == "lang"), None)
        lang = choose_language(request.header("accept-language"), asked_lang)
        keep = asked_lang is not None and asked_lang.strip().split("-", 1)[0].lower() == lang
        w = words(lang)
        state = (("query", query), ("format", "html")) if query else ()
        links = Links(self.base, base_url=request.base_url + "/", page="sparql", lang=lang, keep_lang=keep,
                      query=state)
        table = self.table(result, links) if result is not None else None
        downloads = []
        if query and table is not None:
            downloads = [(name, suffix, "/sparql?" + urlencode([("query", query), ("format", fmt)]))
                         for fmt, name, suffix in DOWNLOADS[table.kind]]
        examples = [(q.name, q.question or q.name, self._example_href(q.text, lang if keep else None),
                     f"/queries/{q.name}") for q in self.queries]
        html = render_template(
            "query.html", links=links, lang=lang, packages=("ilograph.web",), title=w["title"], canonical=None,
            jsonld=None, alternates=[], w=w, query=query, default_query=DEFAULT_QUERY, examples=examples,
            table=table, error=error, downloads=downloads, display_limit=DISPLAY_LIMIT,
            endpoint="/sparql", endpoint_url=request.base_url + "/sparql", base=self.base if self.pages else "",
            limits=w["limits"].format(timeout=f"{self.settings.timeout:g}", rows=self.settings.max_rows),
            max_rows=self.settings.max_rows,
            prefixes_json=json.dumps(self.prefixes, ensure_ascii=True, sort_keys=True),
            words_json=json.dumps(w, ensure_ascii=True, sort_keys=True))
        headers = page_headers(csp=QUERY_CSP, vary="Accept" if keep else "Accept, Accept-Language")
        headers += [(b"content-language", lang.encode()), (b"cache-control", b"no-store")]
        if error is not None:
            headers += [h for h in error.headers if h[0] == b"retry-after"]
        return Response(error.status if error is not None else 200, html.encode("utf-8"),
                        "text/html; charset=utf-8", headers)

    def _example_href(self, text: str, lang: str | None) -> str:
        params = [("query", text), ("format", "html")] + ([("lang", lang)] if lang else [])
        return "/sparql?" + urlencode(params)

    # --- results ------------------------------------------------------------------------------

    def table(self, result: Response, links: Links) -> Table:
        """``result`` (SPARQL JSON, or N-Triples for a graph) as a :class:`Table`."""
        truncated = any(k == b"x-ilograph-truncated" and v == b"true" for k, v in result.headers)
        if result.content_type.startswith("application/n-triples"):
            triples = ox.parse(result.body, format=ox.RdfFormat.N_TRIPLES)
            rows: list[list[Cell | None]] = []
            total = 0
            for t in triples:
                total += 1
                if total <= DISPLAY_LIMIT:
                    rows.append([self._term(t.subject, links), self._term(t.predicate, links),
                                 self._term(t.object, links)])
            return Table("graph", ["subject", "predicate", "object"], rows, total, truncated)
        data = json.loads(result.body)
        if "boolean" in data:
            return Table("ask", boolean=bool(data["boolean"]))
        names = list(data.get("head", {}).get("vars", []))
        bindings = data.get("results", {}).get("bindings", [])
        table = [[self._json_term(b.get(n), links) for n in names] for b in bindings[:DISPLAY_LIMIT]]
        return Table("select", names, table, len(bindings), truncated)

    def _json_term(self, term: dict | None, links: Links) -> Cell | None:
        if term is None:
            return None
        kind, value = term.get("type"), str(term.get("value", ""))
        if kind == "uri":
            return self._iri(value, links)
        if kind == "bnode":
            return Cell("_:" + value, kind="bnode")
        if kind in ("literal", "typed-literal"):
            lang = term.get("xml:lang")
            datatype = term.get("datatype")
            return self._literal(value, lang, datatype)
        if kind == "triple" and isinstance(value, dict):
            return Cell(json.dumps(value, ensure_ascii=False), kind="triple")
        return Cell(value)

    def _term(self, term: object, links: Links) -> Cell:
        if isinstance(term, ox.NamedNode):
            return self._iri(term.value, links)
        if isinstance(term, ox.BlankNode):
            return Cell("_:" + term.value, kind="bnode")
        if isinstance(term, ox.Literal):
            return self._literal(term.value, term.language, term.datatype.value)
        return Cell(str(term), kind="triple")

    def _iri(self, iri: str, links: Links) -> Cell:
        href = None
        if iri.lower().startswith(("http://", "https://")) and clickable(iri):
            href = links.href(iri) if self.pages else as_uri(iri)
        return Cell(self.curie(iri), href=href, title=iri, kind="iri")

    def _literal(self, value: str, lang: str | None, datatype: str | None) -> Cell:
        if lang:
            return Cell(value, lang=lang, note="@" + lang)
        if datatype and datatype not in (XSD_STRING, RDF_LANG_STRING):
            return Cell(value, note=self.curie(datatype))
        return Cell(value)

    def curie(self, iri: str) -> str:
        """``iri`` as a prefixed name when a known namespace gives a simple local name."""
        for prefix, namespace in self._namespaces:
            if iri.startswith(namespace):
                local = iri[len(namespace):]
                if local and all(c.isalnum() or c in "-_." for c in local):
                    return f"{prefix}:{local}"
        return iri


__all__ = ["DEFAULT_QUERY", "DISPLAY_LIMIT", "QUERY_CSP", "WORDS", "QueryPage", "wants_page"]
