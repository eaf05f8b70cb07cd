"""The lexical spaces of the XML Schema datatypes RDF uses: is ``"abc"^^xsd:decimal`` a literal?

RDF 1.1 calls a literal whose lexical form is not in its datatype's lexical space *ill-typed*. The
rules here follow XML Schema 1.1 Part 2 (no whitespace is trimmed: ``" 12"`` is not an
``xsd:integer``), with the value checks a pattern cannot make (day of month, leap years, the
ranges of the bounded integer types). :func:`problem` says what is wrong with a literal, or None.
"""

from __future__ import annotations

import calendar
import difflib
import json
import re

XSD = "http://www.w3.org/2001/XMLSchema#"

_TZ = r"(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?"
_YEAR = r"-?(?:[1-9]\d{3,}|0\d{3})"
_TIME = r"(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?|24:00:00(?:\.0+)?)"
_DT = r"(?:T(?:\d+H(?:\d+M)?(?:\d+(?:\.\d+)?S)?|\d+M(?:\d+(?:\.\d+)?S)?|\d+(?:\.\d+)?S))"
_NAME_START = r"A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
_NAME_CHAR = _NAME_START + r"\-.0-9\u00B7\u0300-\u036F\u203F-\u2040"

#: datatype local name -> (pattern of the lexical space, an example of a valid literal)
_PATTERNS: dict[str, tuple[str, str]] = {
    "decimal": (r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", "12.5"),
    "integer": (r"[+-]?\d+", "12"),
    "float": (r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN", "1.5E3"),
    "double": (r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN", "1.5E3"),
    "boolean": (r"true|false|1|0", "true"),
    "date": (_YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ, "2017-03-29"),
    "dateTime": (_YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T" + _TIME + _TZ, "2017-03-29T10:30:00Z"),
    "dateTimeStamp": (_YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T" + _TIME + _TZ.rstrip("?"),
                      "2017-03-29T10:30:00Z"),
    "time": (_TIME + _TZ, "10:30:00"),
    "gYear": (_YEAR + _TZ, "2017"),
    "gYearMonth": (_YEAR + r"-(?:0[1-9]|1[0-2])" + _TZ, "2017-03"),
    "gMonth": (r"--(?:0[1-9]|1[0-2])" + _TZ, "--03"),
    "gDay": (r"---(?:0[1-9]|[12]\d|3[01])" + _TZ, "---29"),
    "gMonthDay": (r"--(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ, "--03-29"),
    "duration": (r"-?P(?=\d|T)(?:\d+Y)?(?:\d+M)?(?:\d+D)?" + _DT + "?", "P2Y"),
    "yearMonthDuration": (r"-?P(?=\d)(?:\d+Y)?(?:\d+M)?", "P2Y6M"),
    "dayTimeDuration": (r"-?P(?=\d|T)(?:\d+D)?" + _DT + "?", "P3DT4H"),
    "hexBinary": (r"(?:[0-9a-fA-F]{2})*", "0FB7"),
    "base64Binary": ((r"(?:(?:[A-Za-z0-9+/] ?){4})*(?:(?:[A-Za-z0-9+/] ?){3}[A-Za-z0-9+/]|(?:[A-Za-z0-9+/] ?){2}"
                      r"[AEIMQUYcgkosw048] ?=|[A-Za-z0-9+/] ?[AQgw] ?= ?=)?"), "SGVsbG8="),
    "language": (r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*", "en-GB"),
    "normalizedString": (r"[^\r\n\t]*", "a string on one line"),
    "token": (r"(?:[^\s](?:[^\r\n\t ]| (?! ))*[^\s]|[^\s])?", "one token"),
    "NMTOKEN": (f"[{_NAME_CHAR}:]+", "name-1"),
    "Name": (f"[{_NAME_START}:][{_NAME_CHAR}:]*", "name"),
    "NCName": (f"[{_NAME_START}][{_NAME_CHAR}]*", "name"),
}
_COMPILED = {name: re.compile(pattern) for name, (pattern, _) in _PATTERNS.items()}

#: the integer types derived from xsd:integer, with their inclusive bounds (None: unbounded)
_INTEGERS: dict[str, tuple[int | None, int | None, str]] = {
    "nonNegativeInteger": (0, None, "0"), "positiveInteger": (1, None, "1"),
    "nonPositiveInteger": (None, 0, "0"), "negativeInteger": (None, -1, "-1"),
    "long": (-2**63, 2**63 - 1, "12"), "int": (-2**31, 2**31 - 1, "12"), "short": (-2**15, 2**15 - 1, "12"),
    "byte": (-128, 127, "12"), "unsignedLong": (0, 2**64 - 1, "12"), "unsignedInt": (0, 2**32 - 1, "12"),
    "unsignedShort": (0, 2**16 - 1, "12"), "unsignedByte": (0, 255, "12"),
}
#: XSD datatypes whose lexical space is any string (or that RDF does not define): not checked
_UNCHECKED = {"string", "anyURI", "anySimpleType", "anyAtomicType", "QName", "NOTATION", "ID", "IDREF",
              "IDREFS", "ENTITY", "ENTITIES", "NMTOKENS", "anyType"}

KNOWN = set(_PATTERNS) | set(_INTEGERS) | _UNCHECKED


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def example(datatype: str) -> str | None:
    """A valid lexical form of an XSD datatype (by IRI), for hints."""
    name = datatype[len(XSD):] if datatype.startswith(XSD) else None
    if name in _INTEGERS:
        return _INTEGERS[name][2]
    return _PATTERNS[name][1] if name in _PATTERNS else None


def problem(lexical: str, datatype: str) -> str | None:
    """What is wrong with the literal ``lexical``^^``datatype``, or None when it is well typed (or
    its datatype is not an XSD datatype). An unknown name in the XSD namespace is a problem."""
    if not datatype.startswith(XSD):
        return None
    name = datatype[len(XSD):]
    if name in _UNCHECKED:
        return None
    if name not in KNOWN:
        close = [k for k in sorted(KNOWN) if k.lower() == name.lower()] or \
            difflib.get_close_matches(name, sorted(KNOWN), n=1, cutoff=0.6)
        return f"xsd:{name} is not an XML Schema datatype" + (f" (did you mean xsd:{close[0]}?)" if close else "")
    if lexical != lexical.strip():
        return f"{_quoted(lexical)} has spaces around it, which are not part of an xsd:{name}"
    if name in _INTEGERS:
        if not _COMPILED["integer"].fullmatch(lexical):
            return f"{_quoted(lexical)} is not a whole number"
        low, high, _ = _INTEGERS[name]
        value = int(lexical)
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (f"at least {low}" if high is None else f"at most {high}" if low is None
                      else f"between {low} and {high}")
            return f"{value} is out of range: an xsd:{name} is {bounds}"
        return None
    match = _COMPILED[name].fullmatch(lexical)
    if match is None:
        return f"{_quoted(lexical)} is not a valid xsd:{name}"
    if name in ("date", "dateTime", "dateTimeStamp", "gMonthDay"):
        year = 2000 if name == "gMonthDay" else int(lexical.lstrip("-")[:lexical.lstrip("-").index("-")])
        month, day = int(match.group(1)), int(match.group(2))
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        last = 29 if (month == 2 and leap) else calendar.monthrange(2001, month)[1]
        if day > last:
            return f"{_quoted(lexical)} is not a day of the calendar: {calendar.month_name[month]} has {last} days" + (
                f" in {year}" if month == 2 and name != "gMonthDay" else "")
    return None
