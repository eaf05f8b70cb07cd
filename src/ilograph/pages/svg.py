"""Diagrams drawn by the server as inline SVG: no script, no library, no external file.

* :func:`neighbourhood`: a radial layout. The resource is the centre; the resources it links to and
  that link to it sit on a circle around it (on two alternating rings when there are many, so
  labels do not collide), ordered by property so that the values of one property are neighbours;
  each edge carries the property's label along it, and an arrow gives the direction.
* :func:`overview`: a ring. Resources of a few classes sit on one circle, class after class, with a
  gap between classes; their links are curves through the middle, coloured by property (the legend
  is HTML next to the diagram: :class:`Diagram` gives its entries).

Colours are CSS classes (``kind-N`` for nodes, ``rel-N`` for properties), so the page needs no
inline style. Every text is escaped (``& < > " '``) and bidirectional control characters are
shown as visible escapes, so no label can break out of the SVG, reorder the text around it or
inject markup; links are given by the caller (already checked by :mod:`.links`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

from .text import reveal_controls


@dataclass(frozen=True)
class Node:
    key: str  # identity (the IRI)
    label: str
    href: str | None = None
    kind: int = 0  # colour class
    tip: str = ""  # tooltip: full label, type
    lang: str | None = None


@dataclass(frozen=True)
class Edge:
    source: str  # node key
    target: str
    label: str
    rel: int = 0  # colour class of the property


@dataclass
class Diagram:
    """An SVG drawing and its legend entries (class, label) for the HTML around it."""

    svg: str
    legend: list[tuple[str, str]] = field(default_factory=list)
    hidden: int = 0  # nodes left out (beyond the limit)


def _t(text: str, limit: int | None = None) -> str:
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(reveal_controls(text), quote=True)


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open_node(node: Node) -> tuple[str, str]:
    lang = f' xml:lang="{escape(node.lang)}"' if node.lang else ""
    if node.href:
        return f'<a href="{escape(node.href, quote=True)}"{lang}>', "</a>"
    return f"<g{lang}>", "</g>"


def neighbourhood(center: Node, nodes: list[Node], edges: list[Edge], *, title: str, uid: str = "n",
                  limit: int = 24) -> Diagram:
    """The radial diagram of ``center`` and its neighbours (see the module docstring).

    ``edges`` link ``center.key`` and a neighbour's key either way; neighbours beyond ``limit``
    (in the order given) are left out and counted in :attr:`Diagram.hidden`.
    """
    shown = nodes[:limit]
    hidden = len(nodes) - len(shown)
    keys = {n.key for n in shown}
    n = len(shown)
    radius = 120.0 + 7.0 * min(n, 24)
    two_rings = n > 10
    width = 2 * (radius + 200)
    height = 2 * (radius + 60)
    cx, cy = width / 2, height / 2
    places: dict[str, tuple[float, float, float]] = {}
    for i, node in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        r = radius if not two_rings or i % 2 == 0 else radius * 0.62
        places[node.key] = (cx + r * math.cos(angle), cy + r * math.sin(angle), angle)
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'role="img" aria-labelledby="{uid}-title">'),
           f'<title id="{uid}-title">{_t(title)}</title>',
           (f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>')]
    node_r, center_r = 9.0, 16.0
    out.append('<g class="edges">')
    for edge in edges:
        outward = edge.source == center.key
        other = edge.target if outward else edge.source
        if other not in keys:
            continue
        x, y, angle = places[other]
        dx, dy = x - cx, y - cy
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        x1, y1 = cx + ux * (center_r + 2), cy + uy * (center_r + 2)
        x2, y2 = x - ux * (node_r + 2), y - uy * (node_r + 2)
        if not outward:
            x1, y1, x2, y2 = x2, y2, x1, y1
        out.append(f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
                   f'class="edge rel-{edge.rel % 10}" marker-end="url(#{uid}-arrow)"/>')
    out.append('</g><g class="edge-labels">')
    drawn: set[tuple[str, str]] = set()
    for edge in edges:
        outward = edge.source == center.key
        other = edge.target if outward else edge.source
        if other not in keys or (other, edge.label) in drawn:
            continue
        drawn.add((other, edge.label))
        x, y, _angle = places[other]
        count = sum(1 for k, _ in drawn if k == other)
        mx, my = cx + (x - cx) * 0.55, cy + (y - cy) * 0.55
        degrees = math.degrees(math.atan2(y - cy, x - cx))
        if degrees > 90 or degrees < -90:
            degrees += 180
        shift = (count - 1) * 11
        out.append(f'<text x="{_num(mx)}" y="{_num(my - 3 + shift)}" class="edge-label" text-anchor="middle" '
                   f'transform="rotate({_num(degrees)} {_num(mx)} {_num(my)})">{_t(edge.label, 32)}</text>')
    out.append('</g><g class="nodes">')
    for node in shown:
        x, y, angle = places[node.key]
        c = math.cos(angle)
        anchor = "start" if c > 0.25 else "end" if c < -0.25 else "middle"
        tx = x + (node_r + 5) * (1 if anchor == "start" else -1 if anchor == "end" else 0)
        ty = y + 4 if anchor != "middle" else (y - node_r - 6 if math.sin(angle) < 0 else y + node_r + 15)
        start, end = _open_node(node)
        out.append(f'{start}<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(node_r)}" class="node kind-{node.kind % 8}"/>'
                   f'<text x="{_num(tx)}" y="{_num(ty)}" text-anchor="{anchor}" class="node-label">'
                   f'{_t(node.label, 30)}</text><title>{_t(node.tip or node.label)}</title>{end}')
    start, end = _open_node(center)
    out.append(f'{start}<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(center_r)}" '
               f'class="node center kind-{center.kind % 8}"/>'
               f'<text x="{_num(cx)}" y="{_num(cy + center_r + 16)}" text-anchor="middle" class="center-label">'
               f'{_t(center.label, 36)}</text><title>{_t(center.tip or center.label)}</title>{end}')
    out.append('</g></svg>')
    return Diagram("".join(out), hidden=hidden)


def overview(groups: list[list[Node]], edges: list[Edge], *, title: str, uid: str = "o") -> Diagram:
    """The ring diagram of ``groups`` of nodes (one class each) and the ``edges`` between them."""
    nodes = [n for g in groups for n in g]
    if not nodes:
        return Diagram("")
    slots = len(nodes) + len(groups)  # one empty slot between two classes
    radius = max(150.0, min(300.0, 9.0 * slots))
    margin = 190.0
    size = 2 * (radius + margin)
    c = size / 2
    places: dict[str, tuple[float, float, float]] = {}
    slot = 0
    for group in groups:
        for node in group:
            angle = -math.pi / 2 + 2 * math.pi * slot / slots
            places[node.key] = (c + radius * math.cos(angle), c + radius * math.sin(angle), angle)
            slot += 1
        slot += 1
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram overview" viewBox="0 0 {_num(size)} '
            f'{_num(size)}" role="img" aria-labelledby="{uid}-title">'),
           f'<title id="{uid}-title">{_t(title)}</title>', '<g class="edges">']
    for edge in edges:
        if edge.source not in places or edge.target not in places:
            continue
        x1, y1, _ = places[edge.source]
        x2, y2, _ = places[edge.target]
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        qx, qy = c + (mx - c) * 0.25, c + (my - c) * 0.25
        source = next(n for n in nodes if n.key == edge.source)
        target = next(n for n in nodes if n.key == edge.target)
        out.append(f'<path d="M{_num(x1)},{_num(y1)} Q{_num(qx)},{_num(qy)} {_num(x2)},{_num(y2)}" '
                   f'class="chord rel-{edge.rel % 10}"><title>{_t(source.label)} — {_t(edge.label)} → '
                   f'{_t(target.label)}</title></path>')
    out.append('</g><g class="nodes">')
    for node in nodes:
        x, y, angle = places[node.key]
        degrees = math.degrees(angle)
        right = math.cos(angle) >= 0
        rotate = degrees if right else degrees + 180
        tx = x + (10 if right else -10) * math.cos(angle) * (1 if right else -1)
        ty = y + (10 if right else -10) * math.sin(angle) * (1 if right else -1)
        anchor = "start" if right else "end"
        start, end = _open_node(node)
        out.append(f'{start}<circle cx="{_num(x)}" cy="{_num(y)}" r="6" class="node kind-{node.kind % 8}"/>'
                   f'<text x="{_num(tx)}" y="{_num(ty + 4)}" text-anchor="{anchor}" class="node-label" '
                   f'transform="rotate({_num(rotate)} {_num(tx)} {_num(ty)})">{_t(node.label, 28)}</text>'
                   f'<title>{_t(node.tip or node.label)}</title>{end}')
    out.append('</g></svg>')
    return Diagram("".join(out))
