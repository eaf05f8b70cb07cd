"""pySHACL as the reference, and a readable comparison of result multisets."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import pyoxigraph as ox
import pyshacl
import rdflib

from ilograph import fastshacl as fs
from ilograph.load import to_rdflib

# the options of ilograph.validate.run_shacl (the reference call)
OPTIONS = dict(inference="none", abort_on_first=False, allow_infos=True, allow_warnings=True, meta_shacl=False,
               advanced=True, js=False, debug=False)


def reference(data: rdflib.Graph, shapes: rdflib.Graph) -> list[fs.Result]:
    """pySHACL's results, normalized."""
    _, report, _ = pyshacl.validate(data_graph=data, shacl_graph=shapes, **OPTIONS)
    return fs.normalize_pyshacl(report, shapes)


def assert_same(fast: Iterable[fs.Result], ref: Iterable[fs.Result]) -> None:
    a, b = Counter(fs.comparable(fast)), Counter(fs.comparable(ref))
    if a != b:
        lines = [f"fast path: {sum(a.values())} results, pySHACL: {sum(b.values())}"]
        lines += [f"  only fast ({n}x): {k}" for k, n in sorted((a - b).items(), key=repr)[:20]]
        lines += [f"  only pySHACL ({n}x): {k}" for k, n in sorted((b - a).items(), key=repr)[:20]]
        raise AssertionError("\n".join(lines))


def graph_of(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """Quads as the rdflib graph ilograph gives pySHACL (Sources.to_rdflib)."""
    g = rdflib.Graph()
    for q in quads:
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g
