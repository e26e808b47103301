"""A remote store over the SPARQL 1.1 Protocol, Update and Graph Store Protocol (extra ``[remote]``).

``sparql:http://host:7878`` talks to any SPARQL 1.1 server whose endpoints are
``{base}/query``, ``{base}/update`` and ``{base}/store`` (Oxigraph's layout; give explicit URLs
with ``sparql:QUERY_URL|UPDATE_URL|STORE_URL`` for others, e.g. Fuseki's ``/ds/sparql``,
``/ds/update``, ``/ds/data``). radgraph's queries read the union of all named graphs as the
default graph: start Oxigraph with ``--union-default-graph`` (Fuseki: ``tdb2:unionDefaultGraph
true``; GraphDB does it by default).

Parameters travel as a ``VALUES`` block built by :func:`radgraph.queries.with_values` (rdflib
terms, escaped) — the same text the embedded store runs, so both backends answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Self

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from radgraph.errors import MissingExtraError, QueryError, StoreError, StoreUnavailable
from radgraph.store.base import Binding, Row, Triple, insert_data, nt_term, replace_update, split_nquads
from radgraph.vocab import new_graph

_RESULTS_JSON = "application/sparql-results+json"
_FORMATS = {"turtle": "text/turtle", "ttl": "text/turtle", "nt": "application/n-triples",
            "ntriples": "application/n-triples"}  # fmt: skip


def _inline(query: str, bindings: Binding | None) -> str:
    if not bindings:
        return query
    from radgraph.queries import MARKER, with_values

    if MARKER in query:
        return with_values(query, bindings)
    raise QueryError("bindings given but the query has no #@bind marker")


def _term(cell: dict[str, Any]) -> Node:
    kind, value = cell.get("type"), cell.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in cell:
            return Literal(value, lang=cell["xml:lang"])
        dt = cell.get("datatype")
        if dt and dt != "http://www.w3.org/2001/XMLSchema#string":
            return Literal(value, datatype=URIRef(dt))
        return Literal(value)
    raise StoreError(f"unexpected result term {cell!r}")


class SparqlStore:
    """A :class:`~radgraph.store.Store` on a remote SPARQL 1.1 server."""

    def __init__(self, url: str, *, read_only: bool = False, timeout: float = 60.0) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingExtraError("the sparql: store needs httpx: pip install 'radgraph[remote]'") from exc
        if not url.startswith(("http://", "https://")):
            raise StoreUnavailable(f"sparql: needs an http(s) URL, got {url!r}")
        parts = url.split("|")
        if len(parts) == 3:
            self.query_url, self.update_url, self.store_url = parts
        else:
            base = url.rstrip("/")
            self.query_url, self.update_url, self.store_url = f"{base}/query", f"{base}/update", f"{base}/store"
        self.descriptor = f"sparql:{url}"
        self.read_only = read_only
        self._client = httpx.Client(timeout=timeout)
        self._httpx = httpx

    # ---- transport ---------------------------------------------------------------------------

    def _post(self, url: str, *, data: dict[str, str] | None = None, content: bytes | None = None,
              headers: dict[str, str] | None = None) -> Any:  # fmt: skip
        try:
            r = self._client.post(url, data=data, content=content, headers=headers or {})
        except self._httpx.HTTPError as exc:
            raise StoreUnavailable(f"cannot reach {url}: {exc}") from None
        if r.status_code == 400:
            raise QueryError(f"the server rejected the request: {r.text.strip()[:300]}")
        if r.status_code >= 400:
            raise StoreError(f"{url} answered {r.status_code}: {r.text.strip()[:300]}")
        return r

    def _update(self, text: str) -> None:
        if self.read_only:
            raise StoreError(f"store {self.descriptor!r} is open read-only")
        self._post(self.update_url, data={"update": text})

    # ---- writing -----------------------------------------------------------------------------

    def add(self, triples: Iterable[Triple], *, graph: URIRef) -> None:
        """Add triples to a named graph (one INSERT DATA)."""
        if insert := insert_data(graph, triples):
            self._update(insert)

    def replace_graph(self, graph: URIRef, triples: Iterable[Triple]) -> None:
        """Replace a named graph (one update request)."""
        self.replace_graphs([(graph, list(triples))])

    def replace_graphs(self, graphs: Sequence[tuple[URIRef, Sequence[Triple]]]) -> None:
        """Replace several named graphs in one update request (atomic on servers that apply updates atomically)."""
        if graphs:
            self._update(replace_update(graphs))

    def replace_quads(self, data: str, graphs: Sequence[URIRef]) -> None:
        """Replace *graphs* with N-Quads *data* in one update request."""
        if graphs:
            self._update(replace_update(split_nquads(data, graphs)))

    def remove_graph(self, graph: URIRef) -> None:
        """Remove a named graph."""
        self._update(f"DROP SILENT GRAPH {nt_term(graph)}")

    def load(self, data: str, *, format: str, graph: URIRef, replace: bool = True) -> None:
        """Send an RDF document to a named graph with the Graph Store Protocol (PUT replaces, POST adds)."""
        if self.read_only:
            raise StoreError(f"store {self.descriptor!r} is open read-only")
        mime = _FORMATS.get(format.lower())
        if mime is None:
            raise StoreError(f"unsupported RDF format {format!r}; use one of {sorted(_FORMATS)}")
        try:
            method = self._client.put if replace else self._client.post
            r = method(self.store_url, params={"graph": str(graph)}, content=data.encode("utf-8"),
                       headers={"Content-Type": mime})  # fmt: skip
        except self._httpx.HTTPError as exc:
            raise StoreUnavailable(f"cannot reach {self.store_url}: {exc}") from None
        if r.status_code >= 400:
            raise StoreError(f"loading into <{graph}> failed ({r.status_code}): {r.text.strip()[:300]}")

    # ---- reading -----------------------------------------------------------------------------

    def _query(self, query: str, bindings: Binding | None, accept: str) -> Any:
        return self._post(self.query_url, data={"query": _inline(query, bindings)}, headers={"Accept": accept})

    def select(self, query: str, bindings: Binding | None = None) -> list[Row]:
        """Run a SELECT query."""
        data = self._query(query, bindings, _RESULTS_JSON).json()
        if "results" not in data:
            raise QueryError("not a SELECT query")
        names = tuple(data["head"].get("vars", []))
        return [
            Row(names, tuple(_term(b[n]) if n in b else None for n in names)) for b in data["results"]["bindings"]
        ]

    def ask(self, query: str, bindings: Binding | None = None) -> bool:
        """Run an ASK query."""
        data = self._query(query, bindings, _RESULTS_JSON).json()
        if "boolean" not in data:
            raise QueryError("not an ASK query")
        return bool(data["boolean"])

    def construct(self, query: str, bindings: Binding | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query."""
        r = self._query(query, bindings, "application/n-triples")
        g = new_graph()
        g.parse(data=r.text, format="nt")
        return g

    def graphs(self) -> list[URIRef]:
        """Return the named graphs."""
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r["g"] for r in rows if isinstance(r["g"], URIRef))  # type: ignore[misc]

    def __len__(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(str(rows[0]["n"])) if rows else 0

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["SparqlStore"]
