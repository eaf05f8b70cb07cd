"""A streaming writer of compact JSON-LD for the release's generated context.

The release hands it one subject at a time, with the subject's statements as canonical N-Triples
terms (bytes), in sorted order; it writes one node object per line, so a graph of millions of
triples is written in one pass without holding it (rdflib's compaction held the whole graph as
Python objects and took half a minute per million triples).

The context is the one :func:`ilograph.release.jsonld_context` generates: prefixes, class terms
(``"Unit": "ilo:Unit"``), properties typed ``@id`` or with an XSD datatype, plain properties, and
language maps (``{"@container": "@language"}``). Compaction follows the JSON-LD 1.1 rules for
such a context: a value uses a property's term when the term's coercion fits it (an IRI for a
term typed ``@id``, a literal of the term's datatype, a language-tagged string for a language
map, a plain string or any value object for a plain term), and otherwise the property's compact
IRI with an expanded value (``{"@value": ..., "@type": ...}``). IRIs are written as compact IRIs
(``unit:coop``) where a prefix fits, blank nodes as ``_:label``. Literals are never turned into
JSON numbers or booleans, so every value round-trips exactly. The output is the same bytes for
the same input: keys ``id`` and ``type`` first, then sorted; values in the order given.

The lexical forms of canonical N-Triples are valid JSON string contents as they are (the only
escapes are ``\\t \\b \\n \\r \\f \\" \\\\`` and ``\\uXXXX``), so literals are copied, not re-encoded.
"""

from __future__ import annotations

import json
from typing import BinaryIO, Mapping

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_TYPE = b"<" + (RDF + "type").encode() + b">"
_XSD_STRING = b"http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = (RDF + "langString").encode()


class CompactWriter:
    """Write ``{"@context": ..., "@graph": [node, ...]}`` to ``out``: call :meth:`node` for each
    subject (in the order wanted in the file), then :meth:`close`."""

    def __init__(self, out: BinaryIO, context: Mapping[str, object]) -> None:
        self._out = out
        ctx = dict(context)
        self._prefixes: dict[bytes, bytes] = {}  # namespace: prefix
        self._plain: dict[bytes, bytes] = {}  # IRI: term without coercion (classes, plain properties)
        self._ids: dict[bytes, bytes] = {}  # IRI: term typed @id
        self._typed: dict[bytes, tuple[bytes, bytes]] = {}  # IRI: (term, datatype IRI)
        self._maps: dict[bytes, bytes] = {}  # IRI: language-map term
        self._id_key, self._type_key = b"@id", b"@type"
        for term, value in ctx.items():
            if value == "@id":
                self._id_key = term.encode()
            elif value == "@type":
                self._type_key = term.encode()
            elif isinstance(value, str) and value[-1:] in ("/", "#") and ":" in value and "//" in value:
                self._prefixes[value.encode()] = term.encode()
        self._namespaces = sorted(self._prefixes, key=len, reverse=True)
        for term, value in ctx.items():
            t = term.encode()
            if isinstance(value, str):
                if value.encode() not in self._prefixes and not value.startswith("@"):
                    self._plain.setdefault(self._expand(value), t)
            elif isinstance(value, dict) and isinstance(value.get("@id"), str):
                iri = self._expand(value["@id"])
                if value.get("@container") == "@language":
                    self._maps.setdefault(iri, t)
                elif value.get("@type") == "@id":
                    self._ids.setdefault(iri, t)
                elif isinstance(value.get("@type"), str):
                    self._typed.setdefault(iri, (t, self._expand(value["@type"])))
                elif "@type" not in value and "@container" not in value:
                    self._plain.setdefault(iri, t)
        self._compact: dict[bytes, bytes] = {}
        self._keys: dict[bytes, tuple] = {}
        self._first = True
        self._nodes = 0
        context_text = json.dumps(ctx, indent=2, sort_keys=True, ensure_ascii=False)
        out.write(b'{\n  "@context": ' + context_text.replace("\n", "\n  ").encode() + b',\n  "@graph": [\n')

    @property
    def nodes(self) -> int:
        """Node objects written so far."""
        return self._nodes

    def _expand(self, value: str) -> bytes:
        prefix, colon, local = value.partition(":")
        if colon and not local.startswith("//"):
            for ns, p in self._prefixes.items():
                if p == prefix.encode():
                    return ns + local.encode()
        return value.encode()

    def iri(self, term: bytes) -> bytes:
        """A subject or object term (``<iri>`` or ``_:label``) as a JSON string: a compact IRI
        where a prefix fits, else the IRI; a blank node as ``_:label``."""
        found = self._compact.get(term)
        if found is None:
            if term[:1] == b"<":
                iri = term[1:-1]
                found = b'"' + iri + b'"'
                for ns in self._namespaces:
                    if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith(b"//"):
                        found = b'"' + self._prefixes[ns] + b":" + iri[len(ns):] + b'"'
                        break
            else:
                found = b'"' + term + b'"'
            if len(self._compact) < 1_000_000:
                self._compact[term] = found
        return found

    def _vocab(self, iri_term: bytes) -> bytes:
        """A class or datatype IRI term (``<iri>``) as a JSON string, by its term if it has one."""
        term = self._plain.get(iri_term[1:-1])
        return b'"' + term + b'"' if term is not None else self.iri(iri_term)

    def _key(self, predicate: bytes) -> tuple:
        """(compact IRI key, plain term, @id term, (typed term, datatype), language-map term)."""
        found = self._keys.get(predicate)
        if found is None:
            iri = predicate[1:-1]
            typed = self._typed.get(iri)
            found = (self.iri(predicate), _quoted(self._plain.get(iri)), _quoted(self._ids.get(iri)),
                     (_quoted(typed[0]), typed[1]) if typed else None, _quoted(self._maps.get(iri)))
            self._keys[predicate] = found
        return found

    def node(self, subject: bytes, statements: Mapping[bytes, list[bytes]]) -> None:
        """Write the node object of ``subject`` (a term as in N-Triples) with its statements:
        predicate term to its object terms (canonical N-Triples, e.g. ``"x"@en``)."""
        fields: dict[bytes, list[bytes]] = {}
        maps: dict[bytes, dict[bytes, list[bytes]]] = {}
        types: list[bytes] = []
        for predicate, objects in statements.items():
            curie, plain, ids, typed, language_map = self._key(predicate)
            for o in objects:
                first = o[:1]
                if first == b"<" or first == b"_":
                    if predicate == _TYPE:
                        types.append(self._vocab(o) if first == b"<" else b'"' + o + b'"')
                    elif ids is not None:
                        fields.setdefault(ids, []).append(self.iri(o))
                    else:
                        fields.setdefault(plain or curie, []).append(b'{"' + self._id_key + b'": ' + self.iri(o) + b"}")
                    continue
                end = o.rfind(b'"')
                lexical, suffix = o[:end + 1], o[end + 1:]
                if not suffix:
                    fields.setdefault(plain or curie, []).append(lexical)
                elif suffix[:1] == b"@":
                    language = suffix[1:]
                    if language_map is not None:
                        maps.setdefault(language_map, {}).setdefault(language, []).append(lexical)
                    else:
                        fields.setdefault(plain or curie, []).append(
                            b'{"@value": ' + lexical + b', "@language": "' + language + b'"}')
                else:
                    datatype = suffix[3:-1]
                    if typed is not None and typed[1] == datatype:
                        fields.setdefault(typed[0], []).append(lexical)
                    elif datatype == _XSD_STRING:
                        fields.setdefault(plain or curie, []).append(lexical)
                    else:
                        fields.setdefault(plain or curie, []).append(
                            b'{"@value": ' + lexical + b', "@type": ' + self._vocab(suffix[2:]) + b"}")
        parts = [b'"' + self._id_key + b'": ' + self.iri(subject)]
        if types:
            parts.append(b'"' + self._type_key + b'": ' + _value(types))
        for key, language_values in maps.items():
            fields[key] = [b"{" + b", ".join(b'"' + lang + b'": ' + _value(language_values[lang])
                                             for lang in sorted(language_values)) + b"}"]
        for key in sorted(fields):
            parts.append(key + b": " + _value(fields[key]))
        self._out.write((b"    {" if self._first else b",\n    {") + b", ".join(parts) + b"}")
        self._first = False
        self._nodes += 1

    def close(self) -> None:
        self._out.write(b"\n  ]\n}\n")


def _quoted(term: bytes | None) -> bytes | None:
    return None if term is None else b'"' + term + b'"'


def _value(values: list[bytes]) -> bytes:
    return values[0] if len(values) == 1 else b"[" + b", ".join(values) + b"]"
