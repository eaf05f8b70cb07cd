"""Which document of a resource to answer with: by extension (``/id/unit/coop.ttl``) or by
``Accept`` (q-values, wildcards, specificity) for the extensionless IRI; and the media types of
the documents. Shared by a server and by the static site's rules, so they agree.

>>> negotiate_document("text/turtle;q=0.9, application/ld+json")
'jsonld'
>>> negotiate_document("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
'html'
>>> negotiate_document("image/png") is None
True
>>> split_document("id/unit/coop.ttl"), split_document("id/unit/coop")
(('id/unit/coop', 'ttl'), ('id/unit/coop', None))
"""

from __future__ import annotations

#: document extension: (content type, media types that ask for it), in server preference order
DOCUMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "html": ("text/html; charset=utf-8", ("text/html", "application/xhtml+xml")),
    "ttl": ("text/turtle; charset=utf-8", ("text/turtle", "application/x-turtle")),
    "jsonld": ("application/ld+json", ("application/ld+json", "application/json")),
    "nt": ("application/n-triples", ("application/n-triples", "text/plain")),
    "rdf": ("application/rdf+xml; charset=utf-8", ("application/rdf+xml", "application/xml", "text/xml")),
}
EXTENSIONS = tuple(DOCUMENTS)


def split_document(path: str) -> tuple[str, str | None]:
    """(page, extension) of a request path under the base: ``id/unit/coop.ttl`` is the Turtle
    document of ``id/unit/coop``; a path without a known extension is the resource itself."""
    stem, dot, ext = path.rpartition(".")
    if dot and ext in DOCUMENTS and stem and not stem.endswith("/"):
        return stem, ext
    return path, None


def negotiate_document(accept: str | None, offered: tuple[str, ...] = EXTENSIONS) -> str | None:
    """The document (extension) that ``Accept`` prefers among ``offered``: highest q, then the most
    specific range, then the server's order (HTML first); an absent or empty header gives HTML.
    None when nothing offered is acceptable (a 406)."""
    if not accept or not accept.strip():
        return offered[0]
    ranges = []
    for index, part in enumerate(accept.split(",")[:64]):
        bits = part.split(";")
        media = bits[0].strip().lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in bits[1:]:
            key, _, val = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(val.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, q, specificity, index))
    if not ranges:
        return offered[0]
    best, best_rank = None, (0.0, -1, 0, 0)
    for order, ext in enumerate(offered):
        names = DOCUMENTS[ext][1]
        match = None
        for media, q, specificity, index in ranges:
            fits = media == "*/*" or media in names or (specificity == 1 and names[0].startswith(media[:-1]))
            if fits and (match is None or (specificity, -index) > (match[1], -match[2])):
                match = (q, specificity, index)
        if match is None or match[0] <= 0:
            continue
        # a type named as an alias (application/xml, text/plain, application/json) ranks below a
        # primary one at the same q, so a browser's application/xml;q=0.9 never beats text/html
        exact = 1 if any(m == names[0] for m, _, _, _ in ranges) else 0
        rank = (match[0], match[1], exact, -order)
        if rank > best_rank:
            best, best_rank = ext, rank
    return best


def content_type(ext: str) -> str:
    """The ``Content-Type`` of a document by its extension."""
    return DOCUMENTS[ext][0]
