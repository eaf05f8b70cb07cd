"""rdflib's process-wide literal settings, kept from leaking out of the reference engines.

pySHACL sets ``rdflib.NORMALIZE_LITERALS`` to False and replaces the xsd:boolean converter while it
validates, and restores them only when it returns normally. owlrl's closure registers its own
lexical converters in ``rdflib.term._toPythonMapping`` and, when it is done, restores only those
rdflib has: its checkers for xsd:gYear, xsd:gYearMonth and the other ``g`` types stay, and they
refuse a time zone, so ``"1438-14:00"^^xsd:gYear`` is ill-typed for every later validation in the
same process (a server, a test run) and the fast engine, which mirrors rdflib's verdicts, then
reports a false violation. :func:`isolated` puts both back, whatever happened inside.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import rdflib
import rdflib.term


@contextmanager
def isolated() -> Iterator[None]:
    """Run the block, then restore rdflib's literal normalization flag and lexical converters."""
    normalize = rdflib.NORMALIZE_LITERALS
    converters = dict(rdflib.term._toPythonMapping)
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
        mapping = rdflib.term._toPythonMapping
        mapping.clear()
        mapping.update(converters)
