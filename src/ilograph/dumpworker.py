"""``python -m ilograph.dumpworker JOBS``: write dumps with pyoxigraph in a process of its own.

The release runs this while its own process writes the JSON-LD and counts for VoID, so the two
use both cores (pyoxigraph's parse-then-serialize holds the GIL: each statement passes through
Python). ``JOBS`` is a JSON list of ``[source, output, format extension, prefixes]``; the source is
N-Triples (``.nt``) or N-Quads (``.nq``). It prints a JSON object with the CPU seconds used; a
failure exits with status 1 and the error on stderr. Only pyoxigraph (and, for RDF/XML, the small
:mod:`ilograph.query`) is imported, so it starts fast.
"""

from __future__ import annotations

import json
import sys
import time


class XmlCarriageReturns:
    """A binary file wrapper for pyoxigraph's RDF/XML writer, which puts a literal's carriage
    returns in raw: XML parsers read a raw one as a line end (XML 1.0, 2.11), so each is written as
    the character reference ``&#13;``. Markup and IRIs never hold one, so every carriage return of
    the document is a literal's."""

    def __init__(self, raw) -> None:  # noqa: ANN001 - any binary file object
        from .query import xml_carriage_returns

        self.raw = raw
        self._escape = xml_carriage_returns

    def write(self, data: bytes) -> int:
        self.raw.write(self._escape(data))
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


def open_dump(path: str, fmt):  # noqa: ANN001, ANN201 - a pyoxigraph RdfFormat; a binary file
    """Open ``path`` to write a dump in ``fmt`` (RDF/XML through :class:`XmlCarriageReturns`)."""
    import pyoxigraph as ox

    out = open(path, "wb", buffering=1 << 20)  # noqa: SIM115 - closed by the caller
    return out, (XmlCarriageReturns(out) if fmt == ox.RdfFormat.RDF_XML else out)


def run(jobs: list[list]) -> float:
    """Write every job's output; returns the CPU seconds used."""
    import pyoxigraph as ox

    start = time.process_time()
    for source, output, extension, prefixes in jobs:
        fmt = ox.RdfFormat.from_extension(extension)
        kwargs = {"prefixes": prefixes} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else {}
        raw, out = open_dump(output, fmt)
        with raw:
            ox.serialize(ox.parse(path=source, format=ox.RdfFormat.from_extension(source.rsplit(".", 1)[-1])),
                         out, fmt, **kwargs)
    return time.process_time() - start


def main(argv: list[str]) -> int:
    try:
        cpu = run(json.loads(argv[0]))
    except (OSError, SyntaxError, ValueError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"cpu": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
