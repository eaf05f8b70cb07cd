"""OWL 2 RL consistency with owlrl's answers, by targeted queries instead of the full closure.

owlrl (the reference, as :func:`ilograph.validate.run_owl_rl` runs it: ``OWLRL_Semantics``, no RDFS
closure, no axiomatic triples) computes the whole OWL RL closure of ontology + data and reports
inconsistencies as error messages. This module computes the same messages from the few facts they
depend on, with SPARQL on a :class:`ilograph.fastshacl.Mirror` (the data as rdflib sees it):

- ``cax-dw`` / ``cax-adc``: "Disjoint classes A and B have a common individual x", for every pair of
  ``owl:disjointWith`` and ``owl:AllDisjointClasses`` (in list order), and for the disjoint
  datatypes owlrl adds for the datatypes the graph uses. Membership follows owlrl's rules:
  asserted ``rdf:type``; ``rdfs:subClassOf`` / ``owl:equivalentClass`` (transitively) and
  ``owl:unionOf`` members; ``rdfs:domain`` / ``rdfs:range`` of the properties used, through
  ``rdfs:subPropertyOf``, ``owl:equivalentProperty``, ``owl:inverseOf`` and ``owl:SymmetricProperty``;
  a literal's own datatype (and, as owlrl does, its datatype's supertypes); ``owl:sameAs``, stated or
  inferred from ``owl:FunctionalProperty`` / ``owl:InverseFunctionalProperty`` (owlrl infers
  ``owl:sameAs`` between the two values, it reports no error), shares every type.
- ``cls-nothing2``: "x is defined of type 'Nothing'".
- ``dt-not-type``: "Lexical value of the literal 'v' does not match its datatype (dt)", checked
  with owlrl's own converters, for the OWL RL datatypes.

The graph may only use the OWL vocabulary above (and ``owl:Ontology``, declarations, annotations);
any other OWL construct (restrictions, property chains, transitive, irreflexive or asymmetric
properties, ``owl:differentFrom``...) makes :func:`check` run owlrl itself, and say so.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .fastshacl import Mirror, is_sources, mirror_of

__all__ = ["OwlOutcome", "check", "reference", "SPARQL", "OWLRL"]

SPARQL, OWLRL = "sparql", "owlrl"

# the OWL / RDFS vocabulary whose semantics this module reproduces (anything else: owlrl)
_PREDICATES = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.equivalentClass,
               OWL.equivalentProperty, OWL.inverseOf, OWL.unionOf, OWL.members, OWL.disjointWith, OWL.sameAs,
               OWL.versionInfo, OWL.versionIRI, OWL.priorVersion, OWL.backwardCompatibleWith,
               OWL.incompatibleWith, OWL.imports, OWL.deprecated}
_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.FunctionalProperty,
          OWL.InverseFunctionalProperty, OWL.SymmetricProperty, OWL.AllDisjointClasses, OWL.Ontology,
          OWL.NamedIndividual, OWL.Thing, OWL.Nothing, OWL.DeprecatedClass, OWL.DeprecatedProperty,
          OWL.OntologyProperty}
_META = (str(RDF), str(RDFS), str(OWL))


@dataclass
class OwlOutcome:
    """The error messages owlrl would report (sorted), which engine made them and why."""

    messages: list[str]
    engine: str
    reason: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def reference(graph: rdflib.Graph) -> list[str]:
    """owlrl's messages, as ilograph.validate.run_owl_rl computes them (on a copy of ``graph``)."""
    import owlrl
    from owlrl.Namespaces import ERRNS

    closed = rdflib.Graph()
    for t in graph:
        closed.add(t)
    from .rdflibstate import isolated
    with isolated():  # owlrl leaves converters behind that make later time-zoned years ill-typed
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False,
                               datatype_axioms=False).expand(closed)
    return sorted({str(m) for n in closed.subjects(RDF.type, ERRNS.ErrorMessage)
                   for m in closed.objects(n, ERRNS.error)})


def check(data: Any, kinds: Iterable[str] = ("ontology", "data")) -> OwlOutcome:
    """OWL RL consistency of ``data`` (Sources, an rdflib Graph, quads or a fastshacl Mirror)."""
    clock = time.perf_counter
    t0 = clock()
    if is_sources(data):
        with Mirror.borrowed(data, kinds) as mirror:
            return _check(mirror, {"mirror": clock() - t0})
    return _check(mirror_of(data, kinds), {"mirror": clock() - t0})


def _check(mirror: Mirror, timings: dict[str, float]) -> OwlOutcome:
    clock = time.perf_counter
    t0 = clock()
    predicates = [URIRef(p) for p in mirror.predicates] if mirror.predicates is not None else [
        URIRef(r["p"].value) for r in mirror.query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }")]
    why = _unsupported(mirror, predicates)
    if why:
        messages = reference(mirror.rdflib_graph())
        timings["owlrl"] = clock() - t0
        return OwlOutcome(messages=messages, engine=OWLRL, reason=why, timings=timings)
    messages = _Checker(mirror, predicates).messages()
    timings["sparql"] = clock() - t0
    return OwlOutcome(messages=messages, engine=SPARQL, timings=timings)


def _unsupported(m: Mirror, predicates: list[URIRef]) -> str | None:
    owl = str(OWL)
    for p in predicates:
        if p.startswith(owl) and p not in _PREDICATES:
            return f"the graph uses {p}"
    for r in m.query(f"""SELECT DISTINCT ?o WHERE {{ ?s a ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{owl}")) }}"""):
        if URIRef(r["o"].value) not in _TYPES:
            return f"the graph uses the type {r['o'].value}"
    meta = " ".join(f"<{p}>" for p in (RDFS.domain, RDFS.range, RDFS.subPropertyOf, OWL.inverseOf,
                                        OWL.equivalentProperty))
    for r in m.query(f"SELECT DISTINCT ?s WHERE {{ VALUES ?p {{ {meta} }} ?s ?p ?o FILTER(isIRI(?s)) }}"):
        if r["s"].value.startswith(_META):
            return f"the graph gives {r['s'].value} a domain, range, super-property or inverse"
    for r in m.query(f"SELECT DISTINCT ?o WHERE {{ ?s <{RDFS.subPropertyOf}>|<{OWL.equivalentProperty}>|"
                     f"<{OWL.inverseOf}> ?o FILTER(isIRI(?o)) }}"):
        if r["o"].value.startswith(_META):
            return f"the graph makes {r['o'].value} a super-property, equivalent or inverse"
    return None


class _Checker:
    def __init__(self, mirror: Mirror, predicates: list[URIRef]) -> None:
        from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions, OWL_RL_Datatypes
        self.m = mirror
        self.predicates = predicates
        self._literals: list[Literal] | None = None
        # rdflib gives plain and language-tagged literals no datatype: only these are typed by owlrl
        self.rl_datatypes = set(OWL_RL_Datatypes) - {RDF.langString}
        self.subsumptions = {k: list(v) for k, v in OWL_Datatype_Subsumptions.items()}

    # -- reading the mirror

    def rows(self, query: str, *names: str) -> list[tuple]:
        return [tuple(self.m.decode(r[n]) for n in names) for r in self.m.query(query)]

    def pairs(self, p: URIRef) -> list[tuple]:
        return self.rows(f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{p}> ?o }}", "s", "o")

    def subjects_of_type(self, c: URIRef) -> list:
        return [x for (x,) in self.rows(f"SELECT DISTINCT ?x WHERE {{ ?x a <{c}> }}", "x")]

    def objects(self, s: Any, p: Any) -> list:
        """Objects of one node (blank nodes too: read by label, which SPARQL cannot name)."""
        from .fastshacl import _ILL
        out: list = []
        if isinstance(s, Literal):  # no triple has a literal subject in the data
            return out
        for q in self.m.store.quads_for_pattern(self.m.encode(s), self.m.encode(p), None, None):
            if q.graph_name != _ILL:
                o = self.m.decode(q.object)
                if o not in out:
                    out.append(o)
        return out

    def subjects(self, p: Any, o: Any) -> list:
        from .fastshacl import _ILL
        out = []
        for q in self.m.store.quads_for_pattern(None, self.m.encode(p), self.m.encode(o), None):
            if q.graph_name != _ILL:
                s = self.m.decode(q.subject)
                if s not in out:
                    out.append(s)
        return out

    def list(self, head: Any) -> list:
        """An RDF list, as rdflib's Graph.items reads it."""
        out, node, seen = [], head, set()
        while node is not None and node != RDF.nil and node not in seen:
            seen.add(node)
            first = self.objects(node, RDF.first)
            if first:
                out.append(first[0])
            rest = self.objects(node, RDF.rest)
            node = rest[0] if rest else None
        return out

    def term(self, t: Any) -> str:
        return self.m.sparql(t)

    def literals(self) -> list[Literal]:
        """The distinct literals that have a datatype for rdflib (not plain, not language-tagged),
        read once: owlrl types them with their datatype (dt-type2) and checks their lexical form."""
        if self._literals is None and self.m.typed_literals is not None:
            self._literals = [self.m.decode(o) for o in self.m.typed_literals]
        if self._literals is None:
            self._literals = [self.m.decode(r["o"]) for r in self.m.query(
                "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && LANG(?o) = \"\" "
                f"&& !sameTerm(DATATYPE(?o), <{XSD.string}>)) }}")]
        return self._literals

    # -- the checks

    def messages(self) -> list[str]:
        out: set[str] = set()

        # class hierarchy: D -> E when owlrl types every instance of D with E
        up_edges: dict[Any, set] = defaultdict(set)
        for d, e in self.pairs(RDFS.subClassOf):
            up_edges[d].add(e)
        for d, e in self.pairs(OWL.equivalentClass):
            up_edges[d].add(e)
            up_edges[e].add(d)
        for u, head in self.pairs(OWL.unionOf):
            for member in self.list(head):
                up_edges[member].add(u)
        # scm-cls: every owl:Class is a subclass of owl:Thing, and owl:Nothing of every owl:Class (so
        # an instance of owl:Nothing is in all of them)
        classes = set(self.subjects_of_type(OWL.Class)) | {OWL.Thing, OWL.Nothing}
        for c in classes:
            up_edges[c].add(OWL.Thing)
        up_edges[OWL.Nothing].update(classes)

        def up(start: Iterable) -> set:
            seen, todo = set(), list(start)
            while todo:
                x = todo.pop()
                if x not in seen:
                    seen.add(x)
                    todo.extend(up_edges.get(x, ()))
            return seen

        # disjoint pairs, in owlrl's order (its messages name them in this order)
        pairs: list[tuple] = list(self.pairs(OWL.disjointWith))
        for node in self.subjects_of_type(OWL.AllDisjointClasses):
            for head in self.objects(node, OWL.members):
                classes = self.list(head)
                pairs.extend((classes[i], c2) for i in range(len(classes) - 1) for c2 in classes[i + 1:])
        pairs.extend(self.datatype_pairs())
        relevant = {c for pair in pairs for c in pair} | {OWL.Nothing}

        # properties: what a triple (x p y) implies, through sub-properties, inverses, symmetry
        sup: dict[Any, set] = defaultdict(set)
        for p, q in self.pairs(RDFS.subPropertyOf):
            sup[p].add(q)
        for p, q in self.pairs(OWL.equivalentProperty):
            sup[p].add(q)
            sup[q].add(p)
        inverse: dict[Any, set] = defaultdict(set)
        for p, q in self.pairs(OWL.inverseOf):
            inverse[p].add(q)
            inverse[q].add(p)
        symmetric = set(self.subjects_of_type(OWL.SymmetricProperty))
        domain: dict[Any, set] = defaultdict(set)
        for p, c in self.pairs(RDFS.domain):
            domain[p].add(c)
        rng: dict[Any, set] = defaultdict(set)
        for p, c in self.pairs(RDFS.range):
            rng[p].add(c)

        def derived(p: Any) -> set[tuple[int, Any]]:
            """(+1, q): x p y gives x q y; (-1, q): x p y gives y q x."""
            seen, todo = set(), [(1, p)]
            while todo:
                d, q = todo.pop()
                if (d, q) in seen:
                    continue
                seen.add((d, q))
                todo.extend((d, s) for s in sup.get(q, ()))
                todo.extend((-d, i) for i in inverse.get(q, ()))
                if q in symmetric:
                    todo.append((-d, q))
            return seen

        used = [p for p in self.predicates if p != RDF.type]
        closure = {p: derived(p) for p in used}
        subject_types = {p: up(set().union(*[domain.get(q, set()) if d > 0 else rng.get(q, set())
                                              for d, q in closure[p]])) for p in used}
        object_types = {p: up(set().union(*[rng.get(q, set()) if d > 0 else domain.get(q, set())
                                             for d, q in closure[p]])) for p in used}

        # the members of each relevant class
        asserted = {c for (c,) in self.rows("SELECT DISTINCT ?c WHERE { ?x a ?c }", "c")}
        asserted_up = {c: up({c} | set(self.subsumptions.get(c, ()) if c in self.rl_datatypes else ()))
                       for c in asserted}
        literal_up = {dt: up({dt} | set(self.subsumptions.get(dt, ()))) for dt in self.rl_datatypes}
        def members_of(c: Any) -> set:
            branches = []
            direct = [d for d, ups in asserted_up.items() if c in ups and not isinstance(d, BNode)]
            if direct:
                branches.append(f"{{ ?x a ?_c VALUES ?_c {{ {' '.join(self.term(d) for d in direct)} }} }}")
            subj = [p for p in used if c in subject_types[p]]
            if subj:
                branches.append(f"{{ ?x ?_p [] VALUES ?_p {{ {' '.join(self.term(p) for p in subj)} }} }}")
            obj = [p for p in used if c in object_types[p]]
            if obj:
                branches.append(f"{{ [] ?_p ?x VALUES ?_p {{ {' '.join(self.term(p) for p in obj)} }} }}")
            found: set = set()
            for lit in self.literals():  # a literal's own datatype (dt-type2) and its supertypes
                if c in literal_up.get(lit.datatype, ()):
                    found.add(lit)
            if branches:
                found |= {x for (x,) in self.rows(f"SELECT DISTINCT ?x WHERE {{ {' UNION '.join(branches)} }}", "x")}
            for d, ups in asserted_up.items():  # blank-node classes (owl:unionOf...) cannot be named in SPARQL
                if c in ups and isinstance(d, BNode):
                    found.update(self.subjects(RDF.type, d))
            return found

        # owl:sameAs, stated or inferred (prp-fp, prp-ifp): a group shares every type, so every
        # relevant class's members are needed at once; else each class's members are read when a
        # pair first needs them and let go after the last pair naming the class (the members of
        # big classes are millions of nodes)
        same = self.same_as(used, closure)
        members: dict[Any, set] = {}
        if same:
            members = {c: members_of(c) for c in relevant}
            for group in same:
                for c in relevant:
                    if members[c] & group:
                        members[c] |= group
        last = {c: i for i, pair in enumerate(pairs) for c in pair}
        for i, (c1, c2) in enumerate(pairs):
            for c in (c1, c2):
                if c not in members:
                    members[c] = members_of(c)
            for z in members[c1] & members[c2]:
                out.add("Disjoint classes %s and %s have a common individual %s" % (c1, c2, z))
            if not same:
                for c in (c1, c2):
                    if last[c] == i and c != OWL.Nothing:
                        members.pop(c, None)
        if OWL.Nothing not in members:
            members[OWL.Nothing] = members_of(OWL.Nothing)
        for z in members.get(OWL.Nothing, ()):
            out.add("%s is defined of type 'Nothing'" % z)
        out |= self.ill_literals()
        return sorted(out)

    def same_as(self, used: list, closure: dict) -> list[set]:
        """Groups of nodes owlrl makes owl:sameAs: stated, or two values of a functional property
        (two subjects of an inverse-functional one), until nothing changes (owlrl copies the
        triples of a node to the nodes it is the same as, which can merge further values)."""
        parent: dict[Any, Any] = {}

        def find(x: Any) -> Any:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a: Any, b: Any) -> bool:
            ra, rb = find(a), find(b)
            if ra == rb:
                return False
            parent[ra] = rb
            return True

        for s, o in self.pairs(OWL.sameAs):
            union(s, o)
        rules = []  # (contributing (q, direction) pairs, forward)
        for prop, forward in ([(p, True) for p in self.subjects_of_type(OWL.FunctionalProperty)]
                              + [(p, False) for p in self.subjects_of_type(OWL.InverseFunctionalProperty)]):
            contrib = sorted({(q, d) for q in used for d, r in closure[q] if r == prop}, key=lambda x: (str(x[0]), x[1]))
            if not contrib:
                continue
            rules.append((contrib, forward))
            # (x prop y) comes from (x q y) when d = +1, from (y q x) when d = -1
            branches = " UNION ".join(f"{{ ?x {self.term(q)} ?y }}" if d > 0 else f"{{ ?y {self.term(q)} ?x }}"
                                      for q, d in contrib)
            key, val = ("?x", "?y") if forward else ("?y", "?x")
            found: dict[Any, set] = defaultdict(set)
            for k, v in self.rows(f"SELECT DISTINCT {key} {val} WHERE {{ {{ SELECT {key} WHERE {{ {branches} }} "
                                  f"GROUP BY {key} HAVING (COUNT(DISTINCT {val}) > 1) }} {branches} }}",
                                  key[1:], val[1:]):
                found[k].add(v)
            for vs in found.values():
                first, *rest = list(vs)
                for v in rest:
                    union(first, v)
        changed = True
        while changed and rules:
            changed = False
            for group in self.groups(parent, find):
                for contrib, forward in rules:
                    values: set = set()
                    for x in group:
                        for q, d in contrib:
                            if (d > 0) == forward:
                                values.update(self.objects(x, q))
                            else:
                                values.update(self.subjects(q, x))
                    if len(values) > 1:
                        first, *rest = list(values)
                        for v in rest:
                            changed |= union(first, v)
        return self.groups(parent, find)

    @staticmethod
    def groups(parent: dict, find: Any) -> list[set]:
        out: dict[Any, set] = defaultdict(set)
        for x in list(parent):
            out[find(x)].add(x)
        return [g for g in out.values() if len(g) > 1]

    def datatype_pairs(self) -> list[tuple]:
        """The datatype disjointness owlrl adds for the (top-level) datatypes the graph uses."""
        from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
        used: set = set()
        for real in {lit.datatype for lit in self.literals()}:
            if real in self.rl_datatypes:
                used.add(real)
                used.update(self.subsumptions.get(real, ()))
        for (c,) in self.rows("SELECT DISTINCT ?c WHERE { ?s a ?c }", "c"):
            if c in self.rl_datatypes:
                used.add(c)
                used.update(self.subsumptions.get(c, ()))
        return [(a, b) for a, _, b in OWLRL_Datatypes_Disjointness if a in used and b in used]

    def ill_literals(self) -> set[str]:
        """dt-not-type, with owlrl's converters, on rdflib's lexical form (as owlrl does)."""
        from owlrl.DatatypeHandling import AltXSDToPYTHON
        out = set()
        for lit in self.literals():
            if lit.datatype not in self.rl_datatypes:
                continue
            converter = AltXSDToPYTHON.get(lit.datatype)
            if converter is None:
                continue
            try:
                converter(str(lit))
            except ValueError:
                out.add("Lexical value of the literal '%s' does not match its datatype (%s)" % (lit, lit.datatype))
        return out
