"""OWL reasoning with owlready2's HermiT (optional extra ``[owl]``; needs Java).

Reasoning is a build and test step, never a query-time dependency. Each call uses a fresh
owlready2 ``World`` (never the global ``default_world``), and the input goes to owlready2 as
N-Triples, which it reads faithfully (it misreads Turtle).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from radgraph.errors import MissingExtraError, OntologyError
from radgraph.ontology import load_graph

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReasonerResult:
    """What HermiT concluded: consistency, and the inferred types of the given individuals."""

    consistent: bool
    inferred_types: dict[str, frozenset[str]]
    unsatisfiable: tuple[str, ...] = ()


def reason(extra: Iterable[tuple[URIRef, URIRef, URIRef]] = (), *, graph: Graph | None = None) -> ReasonerResult:
    """Run HermiT over the ontology plus *extra* triples (for example test individuals)."""
    try:
        import owlready2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("OWL reasoning needs owlready2: pip install 'radgraph[owl]'") from exc
    g = Graph(bind_namespaces="none")
    for t in graph if graph is not None else load_graph():
        g.add(t)
    individuals: set[str] = set()
    for s, p, o in extra:
        g.add((s, p, o))
        individuals.add(str(s))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "radgraph.nt"
        g.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return ReasonerResult(False, {})
        except FileNotFoundError as exc:  # no java
            raise OntologyError(f"HermiT needs Java on PATH: {exc}") from exc
        unsat = tuple(sorted(c.iri for c in world.inconsistent_classes()))
        inferred: dict[str, frozenset[str]] = {}
        for iri in individuals:
            ind = world[iri]
            if ind is not None and hasattr(ind, "is_a"):
                inferred[iri] = frozenset(c.iri for c in ind.is_a if hasattr(c, "iri"))
        world.close()
    return ReasonerResult(not unsat, inferred, unsat)
