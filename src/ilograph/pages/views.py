"""What the templates are given: terms as labelled links (:class:`Ref`), literal values as text
(:class:`Value`), and the label of anything in the reader's language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from .lang import format_date, format_duration, messages
from .links import Links
from .publication import ACRONYM, LABEL, PREF_LABEL, TITLE, XSD, Publication

#: labels of common standard terms (the vocabulary labels its own terms)
STANDARD_LABELS: dict[str, tuple[str, str, str]] = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": ("type", "type", "tipo"),
    "http://www.w3.org/2000/01/rdf-schema#label": ("label", "libellé", "etiqueta"),
    "http://www.w3.org/2000/01/rdf-schema#comment": ("comment", "commentaire", "comentario"),
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": ("see also", "voir aussi", "véase también"),
    "http://www.w3.org/2000/01/rdf-schema#isDefinedBy": ("defined by", "défini par", "definido por"),
    "http://www.w3.org/2002/07/owl#versionInfo": ("version", "version", "versión"),
    "http://www.w3.org/2002/07/owl#versionIRI": ("version IRI", "IRI de version", "IRI de versión"),
    "http://www.w3.org/2002/07/owl#sameAs": ("same as", "identique à", "igual a"),
    "http://www.w3.org/2002/07/owl#equivalentClass": ("equivalent class", "classe équivalente", "clase equivalente"),
    "http://www.w3.org/2002/07/owl#equivalentProperty": ("equivalent property", "propriété équivalente",
                                                          "propiedad equivalente"),
    "http://www.w3.org/2004/02/skos/core#broadMatch": ("broader match", "correspondance plus large",
                                                       "equivalencia más amplia"),
    "http://www.w3.org/2004/02/skos/core#narrowMatch": ("narrower match", "correspondance plus étroite",
                                                        "equivalencia más estrecha"),
    "http://www.w3.org/2004/02/skos/core#relatedMatch": ("related match", "correspondance associée",
                                                         "equivalencia relacionada"),
    "http://www.w3.org/2004/02/skos/core#prefLabel": ("preferred label", "libellé préféré", "etiqueta preferida"),
    "http://www.w3.org/2004/02/skos/core#altLabel": ("alternative label", "autre libellé", "etiqueta alternativa"),
    "http://www.w3.org/2004/02/skos/core#definition": ("definition", "définition", "definición"),
    "http://www.w3.org/2004/02/skos/core#exactMatch": ("exact match", "correspondance exacte", "equivalencia exacta"),
    "http://www.w3.org/2004/02/skos/core#closeMatch": ("close match", "correspondance proche", "equivalencia cercana"),
    "http://www.w3.org/2004/02/skos/core#notation": ("notation", "notation", "notación"),
    "http://purl.org/dc/terms/title": ("title", "titre", "título"),
    "http://purl.org/dc/terms/description": ("description", "description", "descripción"),
    "http://purl.org/dc/terms/publisher": ("publisher", "éditeur", "editor"),
    "http://purl.org/dc/terms/creator": ("creator", "créateur", "creador"),
    "http://purl.org/dc/terms/date": ("date", "date", "fecha"),
    "http://purl.org/dc/terms/created": ("created", "créé", "creado"),
    "http://purl.org/dc/terms/modified": ("modified", "modifié", "modificado"),
    "http://purl.org/dc/terms/issued": ("issued", "publié", "publicado"),
    "http://purl.org/dc/terms/identifier": ("identifier", "identifiant", "identificador"),
    "http://purl.org/dc/terms/license": ("licence", "licence", "licencia"),
    "http://purl.org/dc/terms/source": ("source", "source", "fuente"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": ("derived from", "dérivé de", "derivado de"),
    "http://xmlns.com/foaf/0.1/homepage": ("home page", "page d'accueil", "página de inicio"),
    "http://xmlns.com/foaf/0.1/page": ("page", "page", "página"),
}
_LANG_INDEX = {"en": 0, "fr": 1, "es": 2}
_WORDS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass
class Ref:
    """A term as a link: its label (in ``lang``, None when the label has no language), where it
    points (None: not clickable, shown as text), and a short note (an acronym, a prefixed name)."""

    iri: str
    label: str
    lang: str | None
    href: str | None
    note: str = ""
    position: int | None = None
    blank: bool = False


@dataclass
class Value:
    """A value of a property: a literal as text (``when`` is its machine-readable date for
    ``<time>``, ``datatype`` the prefixed datatype worth showing), or a term as a :class:`Ref`."""

    text: str = ""
    lang: str | None = None
    when: str | None = None
    datatype: str | None = None
    ref: Ref | None = None
    graphs: list[str] = field(default_factory=list)


@dataclass
class Group:
    """The values of one property: the property as a link, its label, whether its values are an
    ordered list (every value has an ``ilo:position``), and a note (``inverse``)."""

    prop: Ref
    values: list[Value]
    ordered: bool = False
    inverse: bool = False


def _lang_of(literal: ox.Literal) -> str | None:
    return literal.language or None


def _matches(literal: ox.Literal, lang: str) -> bool:
    return (literal.language or "").split("-")[0].lower() == lang


def pick(literals: list[ox.Literal], lang: str) -> ox.Literal | None:
    """The literal to show in ``lang``: one in ``lang``, else English, else one without a
    language, else the first (literals are sorted by language and text)."""
    for want in (lang, "en"):
        for lit in literals:
            if _matches(lit, want):
                return lit
    for lit in literals:
        if not lit.language:
            return lit
    return literals[0] if literals else None


def label_of(pub: Publication, iri: str, lang: str) -> tuple[str, str | None]:
    """The label of ``iri`` in ``lang`` (falling back to English, then any), with its language:
    ``skos:prefLabel``, ``rdfs:label``, ``dcterms:title``, ``ilo:acronym``, a standard term's own
    label, else a prefixed name or the IRI's last segment."""
    info = pub.term(iri)
    by_key = [info.literals(PREF_LABEL), info.literals(LABEL), info.literals(TITLE)]
    for want in (lang, "en"):
        for literals in by_key:
            for lit in literals:
                if _matches(lit, want):
                    return lit.value, _lang_of(lit)
    for literals in by_key:
        found = pick(literals, lang)
        if found is not None:
            return found.value, _lang_of(found)
    acronyms = info.literals(ACRONYM)
    if acronyms:
        return acronyms[0].value, None
    if iri in STANDARD_LABELS:
        return STANDARD_LABELS[iri][_LANG_INDEX.get(lang, 0)], lang
    curie = pub.curie(iri)
    if curie != iri:
        return curie, None
    if iri.startswith(pub.base):
        tail = iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        return (tail or iri), None
    return iri, None


def property_label(pub: Publication, iri: str, lang: str) -> tuple[str, str | None]:
    """A property's label: its own (the vocabulary's ``rdfs:label``), a standard term's, else its
    local name in words (``foundingDate`` reads "founding date")."""
    info = pub.term(iri)
    labels = info.literals(LABEL) + info.literals(PREF_LABEL)
    if labels:
        chosen = pick(labels, lang)
        assert chosen is not None
        return chosen.value, _lang_of(chosen)
    if iri in STANDARD_LABELS:
        return STANDARD_LABELS[iri][_LANG_INDEX.get(lang, 0)], lang
    local = re.split(r"[#/]", iri.rstrip("#/"))[-1]
    return (_WORDS.sub(" ", local).lower() or iri), None


def ref(pub: Publication, links: Links, term: ox.NamedNode | ox.BlankNode | str, lang: str, *,
        with_acronym: bool = False) -> Ref:
    """``term`` as a labelled link."""
    if isinstance(term, ox.BlankNode):
        return Ref(str(term), "[ ]", None, None, blank=True)
    iri = term if isinstance(term, str) else term.value
    label, label_lang = label_of(pub, iri, lang)
    info = pub.term(iri)
    note = ""
    if with_acronym:
        acronyms = [a.value for a in info.literals(ACRONYM) if a.value != label]
        note = ", ".join(acronyms)
    return Ref(iri, label, label_lang, links.href(iri), note=note, position=info.position)


def value(pub: Publication, links: Links, term: ox.NamedNode | ox.BlankNode | ox.Literal, lang: str) -> Value:
    """A value as the page shows it: dates, durations and booleans in words; other literals as
    written (with their language, or their datatype when it says something); terms as links."""
    if not isinstance(term, ox.Literal):
        return Value(ref=ref(pub, links, term, lang, with_acronym=True))
    datatype = term.datatype.value
    text, when, shown = term.value, None, None
    if datatype.startswith(XSD):
        local = datatype[len(XSD):]
        if local in ("date", "dateTime", "gYear", "gYearMonth"):
            text, when = format_date(term.value, local, lang), term.value
        elif local == "duration":
            text = format_duration(term.value, lang)
        elif local == "boolean":
            words = messages(lang)
            text = words["yes"] if term.value in ("true", "1") else words["no"] if term.value in ("false", "0") else term.value
        elif local not in ("string",):
            shown = None  # numbers and other XSD values read well as they are
    elif datatype != "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString":
        shown = pub.curie(datatype)
    return Value(text=text, lang=term.language or None, when=when, datatype=shown)
