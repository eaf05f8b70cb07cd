"""The reader's language: chosen from ``?lang=`` or ``Accept-Language`` (with q-values), the words
of the pages in English, French and Spanish, and dates written the way each language writes them."""

from __future__ import annotations

import re

LANGUAGES = ("en", "fr", "es")
DEFAULT = "en"
NAMES = {"en": "English", "fr": "Français", "es": "Español"}

_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def _primary(tag: str) -> str:
    return tag.strip().split("-", 1)[0].lower()


def choose_language(accept_language: str | None, query_lang: str | None) -> str:
    """The language to write a page in: ``query_lang`` (the ``?lang=`` parameter) when it names a
    supported language, else the supported language the ``Accept-Language`` header prefers
    (highest q first, then header order; ``q=0`` excludes; ``*`` stands for English), else English.

    >>> choose_language("de-DE, fr;q=0.8, es;q=0.9", None)
    'es'
    >>> choose_language("fr-CA", "EN")
    'en'
    """
    if query_lang and _primary(query_lang) in LANGUAGES:
        return _primary(query_lang)
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:64]):
        bits = part.split(";")
        tag = bits[0].strip()
        q = 1.0
        for param in bits[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0  # a malformed weight: ignore the entry rather than guess
        if q <= 0 or not tag:
            continue
        if tag == "*":
            ranked.append((q, index, DEFAULT))
        elif _TAG.match(tag) and _primary(tag) in LANGUAGES:
            ranked.append((q, index, _primary(tag)))
    if not ranked:
        return DEFAULT
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return ranked[0][2]


MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}

_DATE = re.compile(r"(-?\d{4,})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::\d\d(?:\.\d+)?)?)?(Z|[+-]\d\d:\d\d)?")
_MONTH = re.compile(r"(-?\d{4,})-(\d\d)(Z|[+-]\d\d:\d\d)?")
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?")


def format_date(value: str, kind: str, lang: str) -> str:
    """A date-like literal as people write it: ``kind`` is the XSD local name (``date``,
    ``dateTime``, ``gYear``, ``gYearMonth``). Values that do not parse are returned unchanged."""
    if kind == "gYear":
        return value
    if kind == "gYearMonth":
        m = _MONTH.fullmatch(value)
        if not m or not 1 <= int(m.group(2)) <= 12:
            return value
        month = MONTHS[lang][int(m.group(2)) - 1]
        return f"{month} de {m.group(1)}" if lang == "es" else f"{month} {m.group(1)}"
    m = _DATE.fullmatch(value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return value
    year, month, day = m.group(1), MONTHS[lang][int(m.group(2)) - 1], int(m.group(3))
    if lang == "en":
        text = f"{day} {month} {year}"
    elif lang == "fr":
        text = f"{'1er' if day == 1 else day} {month} {year}"
    else:
        text = f"{day} de {month} de {year}"
    if kind == "dateTime" and m.group(4):
        text += f", {m.group(4)}:{m.group(5)}" + (" UTC" if m.group(6) in ("Z", "+00:00") else (m.group(6) or ""))
    return text


def format_duration(value: str, lang: str) -> str:
    """An ``xsd:duration`` of years, months and days in words (``P2Y`` is "2 years")."""
    m = _DURATION.fullmatch(value)
    if not m or not any(m.groups()):
        return value
    words = {"en": (("year", "years"), ("month", "months"), ("day", "days")),
             "fr": (("an", "ans"), ("mois", "mois"), ("jour", "jours")),
             "es": (("año", "años"), ("mes", "meses"), ("día", "días"))}[lang]
    parts = []
    for amount, (one, many) in zip(m.groups(), words):
        if amount:
            parts.append(f"{int(amount)} {one if int(amount) == 1 else many}")
    return ", ".join(parts)


#: The words of the pages. Keys are stable names; every key has the three languages.
MESSAGES: dict[str, dict[str, str]] = {
    "home": {"en": "Home", "fr": "Accueil", "es": "Inicio"},
    "vocabulary": {"en": "Vocabulary", "fr": "Vocabulaire", "es": "Vocabulario"},
    "downloads": {"en": "Downloads", "fr": "Téléchargements", "es": "Descargas"},
    "query": {"en": "SPARQL query", "fr": "Requête SPARQL", "es": "Consulta SPARQL"},
    "search": {"en": "Search", "fr": "Rechercher", "es": "Buscar"},
    "search_label": {"en": "Search the labels", "fr": "Rechercher dans les noms", "es": "Buscar en los nombres"},
    "search_results": {"en": "Search results", "fr": "Résultats de la recherche", "es": "Resultados de la búsqueda"},
    "no_results": {"en": "Nothing matches this search.", "fr": "Aucun résultat pour cette recherche.",
                   "es": "Ninguna coincidencia con esta búsqueda."},
    "more_results": {"en": "Only the first results are shown: narrow the search.",
                     "fr": "Seuls les premiers résultats sont affichés : précisez la recherche.",
                     "es": "Solo se muestran los primeros resultados: precise la búsqueda."},
    "language": {"en": "Language", "fr": "Langue", "es": "Idioma"},
    "also_known_as": {"en": "Also known as", "fr": "Aussi appelé", "es": "También llamado"},
    "acronyms": {"en": "Acronyms", "fr": "Sigles", "es": "Siglas"},
    "other_names": {"en": "Names in other languages", "fr": "Noms dans d'autres langues",
                    "es": "Nombres en otros idiomas"},
    "types": {"en": "Types", "fr": "Types", "es": "Tipos"},
    "facts": {"en": "Facts", "fr": "Données", "es": "Datos"},
    "relations": {"en": "Relations", "fr": "Relations", "es": "Relaciones"},
    "incoming": {"en": "Referenced by", "fr": "Cité par", "es": "Citado por"},
    "diagram": {"en": "Neighbourhood", "fr": "Voisinage", "es": "Entorno"},
    "diagram_note": {"en": "This resource in the centre, what it links to and what links to it around it.",
                     "fr": "Cette ressource au centre, ce à quoi elle renvoie et ce qui renvoie à elle autour.",
                     "es": "Este recurso en el centro; alrededor, aquello a lo que enlaza y lo que enlaza a él."},
    "more_nodes": {"en": "more not drawn", "fr": "autres non dessinés", "es": "más sin dibujar"},
    "provenance": {"en": "Provenance", "fr": "Provenance", "es": "Procedencia"},
    "sources": {"en": "Source documents", "fr": "Documents sources", "es": "Documentos fuente"},
    "graphs": {"en": "Stated in the named graphs", "fr": "Énoncé dans les graphes nommés",
               "es": "Declarado en los grafos con nombre"},
    "quotes": {"en": "In the words of the sources", "fr": "Dans les mots des sources",
               "es": "En palabras de las fuentes"},
    "published_by": {"en": "published by", "fr": "publié par", "es": "publicado por"},
    "formats": {"en": "This description as data", "fr": "Cette description en données",
                "es": "Esta descripción como datos"},
    "iri": {"en": "IRI", "fr": "IRI", "es": "IRI"},
    "position": {"en": "position", "fr": "position", "es": "posición"},
    "inverse_of": {"en": "inverse of", "fr": "inverse de", "es": "inversa de"},
    "yes": {"en": "yes", "fr": "oui", "es": "sí"},
    "no": {"en": "no", "fr": "non", "es": "no"},
    "dataset": {"en": "The dataset", "fr": "Le jeu de données", "es": "El conjunto de datos"},
    "counts": {"en": "In numbers", "fr": "En chiffres", "es": "En cifras"},
    "triples": {"en": "statements (triples)", "fr": "énoncés (triplets)", "es": "declaraciones (tripletas)"},
    "resources": {"en": "resources", "fr": "ressources", "es": "recursos"},
    "overview": {"en": "Overview", "fr": "Vue d'ensemble", "es": "Vista general"},
    "overview_note": {"en": "Units, programmes, instruments and partners, and how they are related.",
                      "fr": "Unités, programmes, instruments et partenaires, et leurs relations.",
                      "es": "Unidades, programas, instrumentos y socios, y cómo se relacionan."},
    "by_class": {"en": "Resources by class", "fr": "Ressources par classe", "es": "Recursos por clase"},
    "class": {"en": "class", "fr": "classe", "es": "clase"},
    "count": {"en": "count", "fr": "nombre", "es": "número"},
    "use_it": {"en": "Use the data", "fr": "Utiliser les données", "es": "Usar los datos"},
    "void": {"en": "VoID description", "fr": "Description VoID", "es": "Descripción VoID"},
    "dcat": {"en": "DCAT-AP catalogue", "fr": "Catalogue DCAT-AP", "es": "Catálogo DCAT-AP"},
    "release": {"en": "Release", "fr": "Version publiée", "es": "Versión publicada"},
    "file": {"en": "File", "fr": "Fichier", "es": "Archivo"},
    "size": {"en": "Size", "fr": "Taille", "es": "Tamaño"},
    "media_type": {"en": "Media type", "fr": "Type de média", "es": "Tipo de medio"},
    "checksum": {"en": "SHA-256", "fr": "SHA-256", "es": "SHA-256"},
    "downloads_note": {"en": "Every file of the release, with its checksum (also in SHA256SUMS).",
                       "fr": "Chaque fichier de la version, avec sa somme de contrôle (aussi dans SHA256SUMS).",
                       "es": "Cada archivo de la versión, con su suma de comprobación (también en SHA256SUMS)."},
    "classes": {"en": "Classes", "fr": "Classes", "es": "Clases"},
    "object_properties": {"en": "Object properties", "fr": "Propriétés d'objet", "es": "Propiedades de objeto"},
    "datatype_properties": {"en": "Datatype properties", "fr": "Propriétés de données",
                            "es": "Propiedades de datos"},
    "annotation_properties": {"en": "Annotation properties", "fr": "Propriétés d'annotation",
                              "es": "Propiedades de anotación"},
    "other_terms": {"en": "Other terms", "fr": "Autres termes", "es": "Otros términos"},
    "definition": {"en": "Definition", "fr": "Définition", "es": "Definición"},
    "comment": {"en": "Note", "fr": "Note", "es": "Nota"},
    "domain": {"en": "Domain", "fr": "Domaine", "es": "Dominio"},
    "range": {"en": "Range", "fr": "Portée", "es": "Rango"},
    "subclass_of": {"en": "Sub-class of", "fr": "Sous-classe de", "es": "Subclase de"},
    "superclass_of": {"en": "Super-class of", "fr": "Super-classe de", "es": "Superclase de"},
    "subproperty_of": {"en": "Sub-property of", "fr": "Sous-propriété de", "es": "Subpropiedad de"},
    "superproperty_of": {"en": "Super-property of", "fr": "Super-propriété de", "es": "Superpropiedad de"},
    "inverse": {"en": "Inverse", "fr": "Inverse", "es": "Inversa"},
    "alignments": {"en": "Alignments", "fr": "Alignements", "es": "Alineaciones"},
    "disjoint_with": {"en": "Disjoint with", "fr": "Disjointe de", "es": "Disjunta de"},
    "characteristics": {"en": "Characteristics", "fr": "Caractéristiques", "es": "Características"},
    "one_of": {"en": "one of", "fr": "l'un de", "es": "uno de"},
    "version": {"en": "Version", "fr": "Version", "es": "Versión"},
    "namespace": {"en": "Namespace", "fr": "Espace de noms", "es": "Espacio de nombres"},
    "licence": {"en": "Licence", "fr": "Licence", "es": "Licencia"},
    "contents": {"en": "Contents", "fr": "Sommaire", "es": "Índice"},
    "error": {"en": "Error", "fr": "Erreur", "es": "Error"},
    "error_404": {"en": "Not found", "fr": "Introuvable", "es": "No encontrado"},
    "error_406": {"en": "Not acceptable", "fr": "Format non disponible", "es": "Formato no disponible"},
    "error_500": {"en": "Internal error", "fr": "Erreur interne", "es": "Error interno"},
    "error_other": {"en": "The request could not be answered", "fr": "La requête n'a pas pu aboutir",
                    "es": "No se pudo responder a la solicitud"},
    "back_home": {"en": "Back to the home page", "fr": "Retour à l'accueil", "es": "Volver al inicio"},
    "redirect": {"en": "This resource is described at", "fr": "Cette ressource est décrite à",
                 "es": "Este recurso se describe en"},
    "static_search": {"en": "Searching needs the server; the lists below name every resource.",
                      "fr": "La recherche demande le serveur ; les listes ci-dessous nomment chaque ressource.",
                      "es": "La búsqueda necesita el servidor; las listas siguientes nombran cada recurso."},
}


def messages(lang: str) -> dict[str, str]:
    """The words of the pages in ``lang`` (English for an unknown language)."""
    lang = lang if lang in LANGUAGES else DEFAULT
    return {key: texts[lang] for key, texts in MESSAGES.items()}
