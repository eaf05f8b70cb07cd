"""Look at a SPARQL request before anything runs it: what kind of operation it is, which graphs its
``FROM`` clauses name, and whether it must be refused.

The check works on tokens, not on regular expressions over the raw text: a tokenizer for the
terminals of the SPARQL 1.1 grammar (IRIs, the four kinds of strings, comments, prefixed names,
variables, language tags, numbers, punctuation) splits the text, so a keyword is only ever a bare
word outside strings, IRIs and comments, exactly as the grammar has it. That makes the decisions
exact where they matter:

- the query form is the first keyword after the prologue (``BASE``/``PREFIX``): ``SELECT``,
  ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``; an update keyword there, or anywhere, is an update;
- ``SERVICE`` and ``LOAD`` (the two ways SPARQL makes an engine fetch a URL) are refused wherever
  they appear; a ``FROM``/``FROM NAMED`` IRI with the ``file:`` scheme is refused;
- nesting deeper than a limit is refused (the engine's recursive parser would exhaust its stack),
  and so is a query of more than ``max_terms`` terms and operators (the data of ``VALUES`` blocks
  not counted): the engine builds a chain of ``UNION``, ``OPTIONAL``, ``BIND``, triple patterns or
  ``!``/``&&``/``+`` as a tree as deep as the chain is long, and takes time that grows with the
  square of its length to parse it, so a flat 30 KB query could crash a worker or hold it for
  seconds;
- ``LIMIT`` and ``OFFSET`` take a whole number that fits in 64 bits (the engine's own message for
  a larger one is unreadable);
- a backslash outside strings and IRIs is refused, so ``\\u`` escapes cannot spell a keyword that
  the tokenizer did not see.

Everything else (the full grammar) is left to the engine's parser, whose syntax errors carry the
line and column. Nothing here knows HTTP: the web layer maps the exceptions to status codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ..errors import QueryError

FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_WORDS = frozenset({"INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
                          "USING", "LOAD"})
FETCH_WORDS = frozenset({"SERVICE", "LOAD"})

_BASE_CHARS = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
               "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_U = _BASE_CHARS + "_"
_CHARS = _U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"\\[tbnrf\\\"']"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = rf"[{_BASE_CHARS}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"

_TOKEN = re.compile(rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]++|{_UCHAR})*+>)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]++|{_ECHAR}|{_UCHAR}))*'''
              |\"\"\"(?:(?:"|"")?(?:[^"\\]++|{_ECHAR}|{_UCHAR}))*\"\"\"
              |'(?:[^'\\\n\r]++|{_ECHAR}|{_UCHAR})*+'
              |"(?:[^"\\\n\r]++|{_ECHAR}|{_UCHAR})*+")
  | (?P<var>[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)
  | (?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
  | (?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)
  | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|<<|>>|\{{\||\|\}}|[{{}}()\[\];,.*/+\-!=<>^|?~])
  | (?P<bad>[\s\S])
""", re.X)
_OPEN = frozenset({"{", "(", "[", "<<", "{|"})
_CLOSE = frozenset({"}", ")", "]", ">>", "|}"})
_UNESCAPE = re.compile(_UCHAR)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
#: The largest LIMIT or OFFSET the engine takes (a signed 64-bit integer).
MAX_SLICE = 2**63 - 1
#: Terms and operators a query may have (the largest shipped query has about 130).
MAX_TERMS = 4000


class RefusedQuery(QueryError):
    """A request refused before execution. ``kind`` says why: ``lexical`` (not SPARQL at the level
    of its tokens; ``line`` and ``column`` say where), ``fetch`` (SERVICE, LOAD, a ``file:`` IRI or
    a graph the store does not hold), ``update`` (this service is read-only) or ``complex`` (too
    deeply nested)."""

    def __init__(self, kind: str, message: str, line: int | None = None, column: int | None = None) -> None:
        self.kind = kind
        self.line = line
        self.column = column
        super().__init__(message)


@dataclass(frozen=True)
class Inspection:
    """What the tokens of a request say.

    ``form`` is SELECT, CONSTRUCT, DESCRIBE or ASK, or None when the text does not start like a
    query (the engine's parser then reports the error); ``from_graphs`` and ``from_named`` are the
    resolved IRIs of its ``FROM`` and ``FROM NAMED`` clauses; ``prefixes`` its declarations (for
    readable Turtle); ``normalized`` the tokens joined by single spaces, without comments (a cache
    key that ignores layout).
    """

    form: str | None
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    prefixes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    normalized: str = ""
    limit: int | None = None
    opening: tuple[str, int, int] = ("", 1, 1)
    uses_graph: bool = True

    @property
    def has_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def resolve(base: str, reference: str) -> str:
    """``reference`` resolved against ``base`` (an absolute IRI is kept as written; an empty
    fragment, as in ``<http://e/ns#>``, is kept)."""
    if _SCHEME.match(reference):
        return reference
    joined = urljoin(base, reference)
    return joined + "#" if reference.endswith("#") and not joined.endswith("#") else joined


def unescape_iri(token: str) -> str:
    """The IRI of an ``<...>`` token, with ``\\u`` escapes decoded."""
    return _UNESCAPE.sub(lambda m: chr(int(m.group()[2:], 16)), token[1:-1])


def inspect(text: str, *, base: str, max_depth: int = 64, max_terms: int = MAX_TERMS) -> Inspection:
    """Tokenize ``text`` and classify it (see the module docstring).

    Raises :class:`RefusedQuery` for a lexical error, an update, a fetch, nesting deeper than
    ``max_depth``, more than ``max_terms`` terms and operators outside ``VALUES`` data, or a
    ``LIMIT``/``OFFSET`` that is not a whole number below 2^63.
    """
    tokens: list[tuple[str, str, int]] = []
    depth = 0
    limit_at = -1
    terms = 0
    values = 0  # 1: after VALUES, before its block; 2: inside the block
    values_depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "bad"
        if kind == "ws" or kind == "comment":
            continue
        value = m.group()
        if kind == "bad":
            line, column = position(text, m.start())
            what = "a backslash escape outside a string or an IRI" if value == "\\" else f"character {value!r}"
            if value in "\"'":
                what = "a string that is not closed on its line"
            raise RefusedQuery("lexical", f"syntax error at line {line}, column {column}: unexpected {what}",
                               line, column)
        if kind == "punct":
            if value in _OPEN:
                depth += 1
                if depth > max_depth:
                    line, column = position(text, m.start())
                    raise RefusedQuery("complex", f"the query nests groups more than {max_depth} levels deep "
                                       f"(at line {line}, column {column}); simplify it", line, column)
                if values == 1 and value == "{":
                    values, values_depth = 2, depth
            elif value in _CLOSE:
                if values == 2 and depth == values_depth:
                    values = 0
                depth -= 1
        elif kind == "word":
            word = value.upper()
            if word == "VALUES":
                values = 1
            elif depth == 0 and word == "LIMIT":
                limit_at = len(tokens) + 1
        if values != 2:
            terms += 1
            if terms > max_terms:
                line, column = position(text, m.start())
                raise RefusedQuery("complex", f"the query has more than {max_terms} terms and operators (at line "
                                   f"{line}, column {column}); split it into smaller queries, or pass long lists "
                                   "of values in a VALUES block (not counted)", line, column)
        tokens.append((kind, value, m.start()))
    _check_slices(text, tokens)
    limit = None
    if 0 < limit_at < len(tokens) and tokens[limit_at][0] == "number" and tokens[limit_at][1].isdigit():
        limit = _whole(tokens[limit_at][1])
    return _classify(text, tokens, base, limit)


def _whole(digits: str) -> int:
    """The value of a string of digits, however many (Python refuses to convert more than 4,300
    digits at once; a number that long is only ever compared with a limit)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 20 else 10 ** 20


def _check_slices(text: str, tokens: list[tuple[str, str, int]]) -> None:
    """Each LIMIT and OFFSET is followed by a whole number the engine can hold."""
    for j, (kind, value, start) in enumerate(tokens):
        if kind != "word" or value.upper() not in ("LIMIT", "OFFSET"):
            continue
        following = tokens[j + 1] if j + 1 < len(tokens) else None
        if following is not None and following[0] == "number" and following[1].isdigit() \
                and _whole(following[1]) <= MAX_SLICE:
            continue
        where = following[2] if following is not None else start
        line, column = position(text, where)
        shown = f"{following[1][:30]!r}" if following is not None else "nothing"
        if following is not None and following[1] == "-":
            shown = "a negative number"
        raise RefusedQuery("lexical", f"{value.upper()} takes a whole number from 0 to {MAX_SLICE}, found {shown} "
                           f"(line {line}, column {column})", line, column)


def _classify(text: str, tokens: list[tuple[str, str, int]], base: str, limit: int | None) -> Inspection:
    prefixes: dict[str, str] = {}
    i, n = 0, len(tokens)
    while i < n and tokens[i][0] == "word" and tokens[i][1].upper() in ("BASE", "PREFIX"):
        if tokens[i][1].upper() == "BASE" and i + 1 < n and tokens[i + 1][0] == "iri":
            base = resolve(base, unescape_iri(tokens[i + 1][1]))
            i += 2
        elif i + 2 < n and tokens[i + 1][0] == "pname" and tokens[i + 1][1].endswith(":") \
                and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1][:-1]] = resolve(base, unescape_iri(tokens[i + 2][1]))
            i += 3
        else:
            break  # malformed prologue: the engine's parser will say where
    form = None
    if i < n and tokens[i][0] == "word":
        first = tokens[i][1].upper()
        if first in FORMS:
            form = first
    from_graphs: list[str] = []
    from_named: list[str] = []
    uses_graph = False
    for j in range(i, n):
        kind, value, start = tokens[j]
        if kind != "word":
            continue
        word = value.upper()
        if word == "GRAPH":
            uses_graph = True
        if word in FETCH_WORDS:
            line, column = position(text, start)
            if word == "SERVICE":
                message = ("SERVICE is refused: this endpoint never calls other SPARQL services; "
                           "query each service directly and combine the results")
            else:
                message = "LOAD is refused: this endpoint never fetches URLs or reads files, and it is read-only"
            raise RefusedQuery("fetch", f"{message} (line {line}, column {column})", line, column)
        if word in UPDATE_WORDS:
            line, column = position(text, start)
            raise RefusedQuery("update", f"this SPARQL service is read-only: {word} (line {line}, column {column}) "
                               "is part of SPARQL Update, which it does not accept", line, column)
        if word == "FROM" and j + 1 < n:
            k = j + 1
            named = tokens[k][0] == "word" and tokens[k][1].upper() == "NAMED"
            if named:
                k += 1
            iri = _resolve(tokens[k], prefixes, base) if k < n else None
            if iri is None:
                continue  # not an IRI: a syntax error the engine reports
            if iri.lower().startswith("file:"):
                line, column = position(text, tokens[k][2])
                raise RefusedQuery("fetch", f"FROM <{iri}> is refused: this endpoint never reads local files "
                                   f"(line {line}, column {column})", line, column)
            (from_named if named else from_graphs).append(iri)
    normalized = " ".join(t[1] for t in tokens)
    opening = (tokens[i][1], *position(text, tokens[i][2])) if i < n else ("", *position(text, len(text)))
    return Inspection(form=form, from_graphs=tuple(from_graphs), from_named=tuple(from_named),
                      prefixes=prefixes, normalized=normalized, limit=limit,
                      opening=opening, uses_graph=uses_graph)


def _resolve(token: tuple[str, str, int], prefixes: dict[str, str], base: str) -> str | None:
    kind, value, _ = token
    if kind == "iri":
        return resolve(base, unescape_iri(value))
    if kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
    return None


def looks_like_update(text: str) -> bool:
    """True when the first keyword after the prologue is an update keyword (for ``update=``
    requests, which are refused whatever they contain; this only sharpens the message)."""
    for m in _TOKEN.finditer(text):
        if m.lastgroup == "word":
            word = m.group().upper()
            if word not in ("BASE", "PREFIX"):
                return word in UPDATE_WORDS
    return False
