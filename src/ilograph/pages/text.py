"""Text from the data, made safe to show: HTML-escaped (by the templates' autoescape, or here),
with bidirectional and other control characters shown as visible escapes, and wrapped in
``<bdi>`` so that right-to-left text never reorders what stands around it."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: bidirectional formatting characters (Unicode 15, UAX #9) and the C0/C1 controls but tab and newline
_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u0000-\u0008\u000b-\u001f\u007f-\u009f]")
_LANG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def reveal_controls(text: str) -> str:
    """``text`` with every bidirectional or control character replaced by a visible ``<U+202E>``."""
    return _CONTROLS.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def plain(text: str) -> str:
    """Text for places where no markup may stand (``<title>``, attributes): controls revealed;
    the template escapes it."""
    return reveal_controls(" ".join(text.split()))


def lang_attr(tag: str | None) -> str | None:
    """A language tag fit for a ``lang`` attribute (well-formed BCP 47 shape), else None."""
    return tag if tag and _LANG.match(tag) else None


def literal_html(text: str, lang: str | None = None, page_lang: str | None = None) -> Markup:
    """``text`` as an isolated, escaped inline element: ``<bdi>`` with ``lang`` when the text's
    language differs from the page's (``lang=""`` for text without a language on a page that has
    one is not written: such values are codes, numbers and names)."""
    tag = lang_attr(lang)
    attr = Markup(' lang="{}"').format(tag) if tag and tag.lower() != (page_lang or "").lower() else Markup("")
    return Markup("<bdi{}>{}</bdi>").format(attr, escape(reveal_controls(text)))
