r"""The web edge: a SPARQL 1.1 Protocol endpoint, a small JSON API and a page for educators.

:func:`create_app` returns a Starlette application (the ``[web]`` extra):

* ``GET|POST /sparql``: the SPARQL 1.1 Protocol over the union of all graphs. This module
  writes the results itself, following the W3C result formats (JSON, XML, CSV, TSV). Graphs
  come back as Turtle, JSON-LD or N-Triples;
* ``GET /api/queries`` and ``GET /api/queries/{name}``: the named queries, run with typed
  parameters;
* ``POST /api/ddx``: a ranked differential diagnosis with the evidence for each candidate;
* ``GET /api/cases`` and ``GET /api/cases/{id}``: the cases, each case's text and the
  mentions extracted from it;
* ``GET /`` and ``GET /static/{file}``: the page, from the package folder ``web_static``.

The store is opened read-only. Queries on an on-disk store run in a small pool of worker
processes, and a worker that passes the time limit is killed. For ``memory:`` and remote
stores, a thread with a deadline answers 503 on time, but it cannot stop the query.
SPARQL UPDATE is refused unless the app was created with ``allow_update=True`` and a token.
Importing this module does no work.

>>> query_form("PREFIX rg: <https://example.org/radgraph/ontology/>\nASK { ?s ?p ?o }")
'ASK'
>>> negotiate("application/sparql-results+xml, */*;q=0.1", "SELECT").value
'application/sparql-results+xml'
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hmac
import io
import json
import logging
import os
import queue
import re
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from radgraph.errors import (
    CurieError,
    InputError,
    MissingExtraError,
    QueryError,
    RadgraphError,
    StoreError,
    StoreUnavailable,
    UnknownTermError,
)

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from rdflib import Graph
    from rdflib.term import Node
    from spacy.language import Language
    from starlette.applications import Starlette
    from starlette.datastructures import QueryParams
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from radgraph.knowledge import Knowledge
    from radgraph.model import Extraction
    from radgraph.queries import Param
    from radgraph.store.base import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Worker processes per app for an on-disk store (each holds one read-only handle).
WORKERS = 2
#: Threads per app that run queries on a ``memory:`` or remote store.
THREADS = 4
#: How long a new worker process may take to import radgraph and open the store.
WORKER_START_S = 60.0

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
TRUNCATED_HEADER = "X-Radgraph-Truncated"
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")
QUERY_FORMS = ("SELECT", "ASK", *GRAPH_FORMS)
DATASET_PARAMS = ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")

_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
)


# ---- errors --------------------------------------------------------------------------------


class HTTPError(Exception):
    """An error answered as ``{"error": message}`` with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class QueryTimeout(StoreError):
    """A query passed the time limit, or no query worker became free in time."""

    def __init__(self, seconds: float, *, busy: bool = False) -> None:
        what = "no query worker became free within" if busy else "the query exceeded the time limit of"
        super().__init__(f"{what} {seconds:g} s")


def _error_of(exc: BaseException) -> HTTPError:
    """Map an exception to the answer a client sees (never a stack trace)."""
    if isinstance(exc, HTTPError):
        return exc
    if isinstance(exc, QueryTimeout):
        return HTTPError(503, str(exc))
    if isinstance(exc, QueryError | UnknownTermError | CurieError | InputError):
        return HTTPError(400, str(exc))
    if isinstance(exc, StoreError):
        log.error("store error: %s", exc)
        return HTTPError(503, "the store is unavailable; try again later")
    log.error("unexpected error", exc_info=exc)
    return HTTPError(500, "internal server error")


# ---- SPARQL query forms and result formats -------------------------------------------------

_SKIP = re.compile(r"(?:\s+|#[^\r\n]*)*")
_WORD = re.compile(r"[A-Za-z]+")
_IRIREF = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_GAP = r"(?:\s|#[^\r\n]*)*"
_BASE_DECL = re.compile(_GAP + _IRIREF)
_PREFIX_DECL = re.compile(_GAP + r"[^\s:#<]*:" + _GAP + _IRIREF)


def query_form(text: str) -> str:
    """Return the form of a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE).

    Reads the prologue (``BASE`` and ``PREFIX`` declarations and comments) the way the grammar
    does. The form keyword must come right after it.

    Raises:
        QueryError: the text is not a query (an update, or not SPARQL at all).
    """
    pos = 0
    while True:
        pos = _SKIP.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
        word = _WORD.match(text, pos)
        keyword = word.group(0).upper() if word else ""
        if keyword in QUERY_FORMS:
            return keyword
        decl = {"BASE": _BASE_DECL, "PREFIX": _PREFIX_DECL}.get(keyword)
        found = decl.match(text, word.end()) if decl is not None and word is not None else None
        if found is None:
            start = text[pos : pos + 30].split("\n")[0]
            raise QueryError(
                f"not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE, found {start!r}"
                " (updates go in the 'update' parameter)"
            )
        pos = found.end()


class Output(StrEnum):
    """What a query answer is serialized as; the values are the media types."""

    JSON = "application/sparql-results+json"
    XML = "application/sparql-results+xml"
    CSV = "text/csv"
    TSV = "text/tab-separated-values"
    TURTLE = "text/turtle"
    JSONLD = "application/ld+json"
    NTRIPLES = "application/n-triples"
    TABLE = "application/x-radgraph-table"  # compact rows for the JSON API, never negotiated

    @property
    def content_type(self) -> str:
        """The Content-Type header value."""
        textual = (Output.CSV, Output.TSV, Output.TURTLE)
        return f"{self.value}; charset=utf-8" if self in textual else self.value


#: Offered media types in the server's order of preference, with the aliases clients send.
_RESULT_OFFERS: tuple[tuple[Output, tuple[str, ...]], ...] = (
    (Output.JSON, ("application/sparql-results+json", "application/json")),
    (Output.XML, ("application/sparql-results+xml",)),
    (Output.CSV, ("text/csv",)),
    (Output.TSV, ("text/tab-separated-values",)),
)
_GRAPH_OFFERS: tuple[tuple[Output, tuple[str, ...]], ...] = (
    (Output.TURTLE, ("text/turtle", "application/turtle", "application/x-turtle")),
    (Output.JSONLD, ("application/ld+json", "application/x-json+ld", "application/json")),
    (Output.NTRIPLES, ("application/n-triples", "text/plain")),
)


def _accept_ranges(header: str) -> list[tuple[str, str, float]]:
    ranges = []
    for part in header.split(","):
        media, *params = part.split(";")
        kind, slash, sub = media.strip().lower().partition("/")
        if not slash:
            continue
        q = 1.0
        for p in params:
            key, _, value = p.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((kind, sub.strip(), q))
    return ranges


def _quality(media_type: str, ranges: Sequence[tuple[str, str, float]]) -> float:
    """The q of the most specific range that matches *media_type* (0 when none does)."""
    kind, _, sub = media_type.partition("/")
    best_specificity, q = -1, 0.0
    for r_kind, r_sub, r_q in ranges:
        if (r_kind, r_sub) == (kind, sub):
            specificity = 2
        elif r_kind == kind and r_sub == "*":
            specificity = 1
        elif (r_kind, r_sub) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, q = specificity, r_q
    return q


def negotiate(accept: str | None, form: str) -> Output:
    """Pick the answer format for a query form from an ``Accept`` header.

    Raises:
        HTTPError: 406 when no offered format is acceptable.
    """
    offers = _GRAPH_OFFERS if form in GRAPH_FORMS else _RESULT_OFFERS
    if not accept or not accept.strip():
        return offers[0][0]
    ranges = _accept_ranges(accept)
    best: Output | None = None
    best_q = 0.0
    for output, media_types in offers:
        q = max(_quality(m, ranges) for m in media_types)
        if q > best_q:
            best, best_q = output, q
    if best is None:
        offered = ", ".join(o.value for o, _ in offers)
        raise HTTPError(406, f"cannot answer a {form} query as {accept!r}; acceptable: {offered}")
    return best


@dataclass(frozen=True, slots=True)
class Term:
    """An RDF term as the result formats see it (plain data, cheap to pass between processes)."""

    kind: str  # "uri" | "literal" | "bnode"
    value: str
    datatype: str | None = None
    lang: str | None = None


def term_of(node: Node | None) -> Term | None:
    """Convert an rdflib term to a :class:`Term` (``None`` stays unbound)."""
    from rdflib import BNode, Literal, URIRef

    if node is None:
        return None
    if isinstance(node, URIRef):
        return Term("uri", str(node))
    if isinstance(node, BNode):
        return Term("bnode", str(node))
    if isinstance(node, Literal):
        if node.language:
            return Term("literal", str(node), lang=node.language)
        dt = str(node.datatype) if node.datatype is not None else None
        return Term("literal", str(node), datatype=None if dt == XSD_STRING else dt)
    raise StoreError(f"unsupported RDF term in a result: {node!r}")


_ECHAR = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _escape_string(text: str) -> str:
    """Escape a string for N-Triples and SPARQL TSV (ECHAR escapes)."""
    for char, escaped in _ECHAR:
        text = text.replace(char, escaped)
    return text


def ntriples_term(t: Term) -> str:
    r"""Write a term in N-Triples syntax (also the term syntax of SPARQL TSV).

    >>> ntriples_term(Term("literal", 'say "hi"\n', lang="en"))
    '"say \\"hi\\"\\n"@en'
    """
    if t.kind == "uri":
        return "<" + t.value + ">"
    if t.kind == "bnode":
        return "_:" + t.value
    text = '"' + _escape_string(t.value) + '"'
    if t.lang:
        return text + "@" + t.lang
    if t.datatype:
        return text + "^^<" + t.datatype + ">"
    return text


def _json_term(t: Term) -> dict[str, str]:
    out = {"type": t.kind, "value": t.value}
    if t.lang:
        out["xml:lang"] = t.lang
    elif t.datatype:
        out["datatype"] = t.datatype
    return out


def results_json(variables: Sequence[str], rows: Sequence[Sequence[Term | None]]) -> bytes:
    """Serialize solutions as SPARQL 1.1 Query Results JSON."""
    bindings = [
        {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows
    ]
    doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_escape(text: str) -> str:
    """Escape text for XML 1.0 content and attributes (characters XML cannot hold become U+FFFD)."""
    text = _XML_INVALID.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        .replace("\r", "&#13;")
    )


def _xml_term(t: Term) -> str:
    value = _xml_escape(t.value)
    if t.kind == "uri":
        return f"<uri>{value}</uri>"
    if t.kind == "bnode":
        return f"<bnode>{value}</bnode>"
    if t.lang:
        return f'<literal xml:lang="{_xml_escape(t.lang)}">{value}</literal>'
    if t.datatype:
        return f'<literal datatype="{_xml_escape(t.datatype)}">{value}</literal>'
    return f"<literal>{value}</literal>"


_XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def results_xml(variables: Sequence[str], rows: Sequence[Sequence[Term | None]]) -> bytes:
    """Serialize solutions as SPARQL Query Results XML."""
    parts = [_XML_HEAD, "  <head>\n"]
    parts += [f'    <variable name="{_xml_escape(v)}"/>\n' for v in variables]
    parts.append("  </head>\n  <results>\n")
    for row in rows:
        parts.append("    <result>\n")
        for v, t in zip(variables, row, strict=True):
            if t is not None:
                parts.append(f'      <binding name="{_xml_escape(v)}">{_xml_term(t)}</binding>\n')
        parts.append("    </result>\n")
    parts.append("  </results>\n</sparql>\n")
    return "".join(parts).encode("utf-8")


def _csv_value(t: Term | None) -> str:
    if t is None:
        return ""
    return "_:" + t.value if t.kind == "bnode" else t.value


def results_csv(variables: Sequence[str], rows: Sequence[Sequence[Term | None]]) -> bytes:
    """Serialize solutions as SPARQL 1.1 CSV (values only, CRLF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(variables)
    writer.writerows([_csv_value(t) for t in row] for row in rows)
    return buf.getvalue().encode("utf-8")


def results_tsv(variables: Sequence[str], rows: Sequence[Sequence[Term | None]]) -> bytes:
    """Serialize solutions as SPARQL 1.1 TSV (terms in SPARQL syntax)."""
    lines = ["\t".join("?" + v for v in variables)]
    lines += ["\t".join("" if t is None else ntriples_term(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def boolean_result(value: bool, output: Output) -> bytes:
    """Serialize an ASK answer (CSV and TSV follow the common ``_askResult`` convention)."""
    word = "true" if value else "false"
    if output is Output.XML:
        return (_XML_HEAD + f"  <head/>\n  <boolean>{word}</boolean>\n</sparql>\n").encode("utf-8")
    if output is Output.CSV:
        return f"_askResult\r\n{word}\r\n".encode()
    if output is Output.TSV:
        return f"?_askResult\n{word}\n".encode()
    return json.dumps({"head": {}, "boolean": value}).encode("utf-8")


_SOLUTION_WRITERS: dict[Output, Callable[[Sequence[str], Sequence[Sequence[Term | None]]], bytes]] = {
    Output.JSON: results_json,
    Output.XML: results_xml,
    Output.CSV: results_csv,
    Output.TSV: results_tsv,
}


def compact(t: Term | None) -> str | None:
    """Return a term as people read it: a CURIE where a prefix covers an IRI, else its text."""
    from radgraph.vocab import compress

    if t is None:
        return None
    if t.kind == "uri":
        try:
            return compress(t.value)
        except CurieError:
            return t.value
    return "_:" + t.value if t.kind == "bnode" else t.value


# ---- running queries -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryJob:
    """A query to run and the format to answer in."""

    text: str
    form: str
    output: Output
    max_results: int


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A serialized answer (``body``) or, for :attr:`Output.TABLE`, compact rows."""

    output: Output
    body: bytes = b""
    truncated: bool = False
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[str | None, ...], ...] = ()
    boolean: bool | None = None


@dataclass(frozen=True, slots=True)
class _Failure:
    """A query that failed in a worker: ``kind`` is "query", "unavailable" or "internal"."""

    kind: str
    message: str
    detail: str = ""


_READY = "ready"


def _projection(text: str) -> tuple[str, ...]:
    """Return the projected variables of a SELECT query (needed only when it has no solution)."""
    try:
        from rdflib.plugins.sparql import prepareQuery

        return tuple(str(v) for v in prepareQuery(text).algebra["PV"])
    except Exception:  # rdflib's parser is stricter than Oxigraph's; the answer is still valid
        log.debug("could not read the projection of a query with no solution", exc_info=True)
        return ()


def _select(store: Store, job: QueryJob) -> QueryResult:
    rows = store.select(job.text)
    variables = rows[0].variables if rows else _projection(job.text)
    truncated = len(rows) > job.max_results
    terms = [tuple(term_of(v) for v in r.values) for r in rows[: job.max_results]]
    if job.output is Output.TABLE:
        table = tuple(tuple(compact(t) for t in row) for row in terms)
        return QueryResult(job.output, truncated=truncated, variables=variables, rows=table)
    return QueryResult(job.output, _SOLUTION_WRITERS[job.output](variables, terms), truncated)


def _ask(store: Store, job: QueryJob) -> QueryResult:
    value = store.ask(job.text)
    if job.output is Output.TABLE:
        return QueryResult(job.output, boolean=value)
    return QueryResult(job.output, boolean_result(value, job.output), boolean=value)


def _triple_key(triple: tuple[Node, Node, Node]) -> tuple[str, ...]:
    return tuple(x.n3() for x in triple)


def _graph(store: Store, job: QueryJob) -> QueryResult:
    from radgraph.vocab import new_graph

    graph: Graph = store.construct(job.text)
    truncated = len(graph) > job.max_results
    if truncated or job.output in (Output.TABLE, Output.NTRIPLES):
        triples = sorted(graph, key=_triple_key)[: job.max_results]  # a stable cut and order
        if truncated:
            graph = new_graph()
            for t in triples:
                graph.add(t)
        terms = [tuple(term_of(x) for x in t) for t in triples]
        if job.output is Output.TABLE:
            table = tuple(tuple(compact(x) for x in t) for t in terms)
            variables = ("subject", "predicate", "object")
            return QueryResult(job.output, truncated=truncated, variables=variables, rows=table)
    if job.output is Output.NTRIPLES:
        body = "".join(" ".join(ntriples_term(x) for x in t if x is not None) + " .\n" for t in terms)
    elif job.output is Output.JSONLD:
        body = graph.serialize(format="json-ld")
    elif job.output is Output.TURTLE:
        body = graph.serialize(format="turtle")
    else:
        raise QueryError(f"a {job.form} query answers with a graph, not {job.output.value}")
    return QueryResult(job.output, body.encode("utf-8"), truncated)


def execute(store: Store, job: QueryJob) -> QueryResult:
    """Run one query on a store and serialize its answer, keeping at most ``max_results`` rows."""
    t0 = time.perf_counter()
    if job.form == "ASK":
        result = _ask(store, job)
    elif job.form in GRAPH_FORMS:
        result = _graph(store, job)
    else:
        if job.output in (Output.TURTLE, Output.JSONLD, Output.NTRIPLES):
            raise QueryError(f"a {job.form} query answers with solutions, not {job.output.value}")
        result = _select(store, job)
    log.debug("%s query answered in %.3f s", job.form, time.perf_counter() - t0)
    return result


def attempt(store: Store, job: QueryJob) -> QueryResult | _Failure:
    """Run :func:`execute`, turning every error into a :class:`_Failure` that pickles."""
    try:
        return execute(store, job)
    except (QueryError, UnknownTermError, CurieError) as exc:
        return _Failure("query", str(exc))
    except StoreUnavailable as exc:
        return _Failure("unavailable", str(exc))
    except Exception:
        return _Failure("internal", "query failed", traceback.format_exc())


def _unwrap(reply: object) -> QueryResult:
    if isinstance(reply, QueryResult):
        return reply
    if isinstance(reply, _Failure):
        if reply.kind == "query":
            raise QueryError(reply.message)
        if reply.kind == "unavailable":
            raise StoreUnavailable(reply.message)
        log.error("query failed:\n%s", reply.detail)
        raise HTTPError(500, "internal server error")
    raise StoreError(f"unexpected reply from a query worker: {type(reply).__name__}")


def apply_update(store: Store, text: str) -> None:
    """Apply a SPARQL UPDATE to a writable store.

    The :class:`~radgraph.store.Store` protocol has no ``update`` method yet. A backend that
    offers one is used. Otherwise :class:`~radgraph.store.oxigraph.OxigraphStore`'s pyoxigraph
    handle applies the update, in one transaction.

    Raises:
        QueryError: the text is not a valid SPARQL update, or it failed (a ``LOAD`` that cannot fetch).
        HTTPError: 501 when the backend cannot apply updates.
    """
    update = getattr(store, "update", None)
    if callable(update):
        update(text)
        return
    handle = getattr(store, "_store", None)  # OxigraphStore keeps its pyoxigraph store here
    if handle is None or not hasattr(handle, "update"):
        raise HTTPError(501, f"store {store.descriptor!r} cannot apply SPARQL UPDATE")
    try:
        handle.update(text)
    except SyntaxError as exc:
        message = f"invalid SPARQL update: {exc}"
    except OSError as exc:  # e.g. LOAD of a URL that cannot be fetched
        message = f"the update failed: {exc}"
    else:
        return
    finally:
        # The error's traceback keeps this frame alive. Without this, it would also keep the
        # writable handle alive, and with it the store's lock.
        del handle
    raise QueryError(message)


class Runner(Protocol):
    """Runs queries under a time limit, applies updates, and lends a store for in-process reads."""

    def run(self, job: QueryJob, timeout: float) -> QueryResult:
        """Answer a query within *timeout* seconds, or raise :class:`QueryTimeout`."""
        ...

    def update(self, text: str, timeout: float) -> None:
        """Apply a SPARQL UPDATE, waiting at most about *timeout* seconds for running queries."""
        ...

    def read(self, fn: Callable[[Store], T]) -> T:
        """Call *fn* with a readable store, in the calling thread."""
        ...

    def close(self) -> None:
        """Stop workers and release the store."""
        ...


class ThreadRunner:
    """Queries one store object in threads (``memory:`` and remote stores).

    A query that passes the time limit gets its answer (503) on time. Its thread cannot be
    stopped and runs on in the background.
    """

    def __init__(self, descriptor: str, threads: int = THREADS) -> None:
        self._descriptor = descriptor
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="radgraph-query")

    def _get(self) -> Store:
        from radgraph.store import open_store

        with self._lock:
            if self._store is None:
                self._store = open_store(self._descriptor, read_only=True)
            return self._store

    def run(self, job: QueryJob, timeout: float) -> QueryResult:
        """Answer a query within *timeout* seconds, or raise :class:`QueryTimeout`."""
        future = self._pool.submit(attempt, self._get(), job)
        try:
            reply = future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            log.warning("query passed %.1f s; its thread keeps running until it ends", timeout)
            raise QueryTimeout(timeout) from None
        return _unwrap(reply)

    def update(self, text: str, timeout: float) -> None:
        """Apply a SPARQL UPDATE to the store object (Oxigraph isolates it from running queries)."""
        apply_update(self._get(), text)

    def read(self, fn: Callable[[Store], T]) -> T:
        """Call *fn* with the store object."""
        return fn(self._get())

    def close(self) -> None:
        """Drop queued queries and close the store."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


@dataclass(eq=False, slots=True)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    generation: int


#: A worker is a fresh interpreter started with ``-c``: unlike multiprocessing's spawn, it never
#: re-imports the parent's ``__main__`` (a script without a main guard would run again).
_WORKER_CODE = "import sys, radgraph.web as w; w.worker_process(int(sys.argv[1]), sys.argv[2])"


def worker_process(fd: int, descriptor: str) -> None:
    """Entry point of a query worker interpreter: talk to the parent over the socket *fd*."""
    from multiprocessing.connection import Connection

    _worker_main(descriptor, Connection(fd))


def _worker_main(descriptor: str, conn: Connection) -> None:
    """Open the store read-only, then answer jobs until the parent goes away or says stop."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from radgraph.store import open_store

    try:
        store = open_store(descriptor, read_only=True)
    except RadgraphError as exc:
        conn.send(_Failure("unavailable", str(exc)))
        return
    conn.send(_READY)
    with store:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            if not isinstance(job, QueryJob):
                return
            conn.send(attempt(store, job))


class ProcessRunner:
    """Queries an on-disk store in a small pool of worker processes, killing one on timeout.

    Each worker holds a read-only handle. Oxigraph does not define what a reader sees while
    another process writes, so an update is exclusive. It takes every slot, waiting for
    running queries (each is bounded by its time limit), retires the workers, and writes with
    a handle held only for that call. The next query starts a worker that sees the new data.
    """

    def __init__(self, descriptor: str, size: int = WORKERS) -> None:
        self._descriptor = descriptor
        self._size = size
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._update_lock = threading.Lock()
        self._generation = 0
        self._closed = False

    def run(self, job: QueryJob, timeout: float) -> QueryResult:
        """Answer a query within *timeout* seconds, or kill its worker and raise :class:`QueryTimeout`."""
        if not self._slots.acquire(timeout=timeout):
            raise QueryTimeout(timeout, busy=True)
        try:
            worker = self._checkout()
            try:
                reply = self._exchange(worker, job, timeout)
            except BaseException:
                self._retire(worker)
                raise
            self._checkin(worker)
        finally:
            self._slots.release()
        return _unwrap(reply)

    def _exchange(self, worker: _Worker, job: QueryJob, timeout: float) -> object:
        try:
            worker.conn.send(job)
            if not worker.conn.poll(timeout):
                log.warning("query passed %.1f s; stopping worker %s", timeout, worker.process.pid)
                raise QueryTimeout(timeout)
            return worker.conn.recv()
        except (EOFError, OSError) as exc:
            raise StoreUnavailable(f"the query worker stopped ({exc.__class__.__name__})") from None

    def _checkout(self) -> _Worker:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return self._start()
            if worker.generation == self._generation and worker.process.poll() is None:
                return worker
            self._retire(worker)

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            keep = not self._closed and worker.generation == self._generation
        if keep:
            self._idle.put(worker)
        else:
            self._retire(worker)

    def _start(self) -> _Worker:
        from multiprocessing import Pipe

        parent, child = Pipe()  # a socket pair; the child end is inherited as a plain descriptor
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(child.fileno()), self._descriptor],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            child.close()
        worker = _Worker(process, parent, self._generation)
        try:
            if not parent.poll(WORKER_START_S):
                raise StoreUnavailable(f"a query worker did not start within {WORKER_START_S:g} s")
            hello = parent.recv()
        except (EOFError, OSError):
            self._retire(worker)
            raise StoreUnavailable("a query worker stopped while starting") from None
        except StoreUnavailable:
            self._retire(worker)
            raise
        if isinstance(hello, _Failure):
            self._retire(worker)
            raise StoreUnavailable(hello.message)
        log.debug("query worker %s started", process.pid)
        return worker

    @staticmethod
    def _retire(worker: _Worker) -> None:
        worker.conn.close()
        if worker.process.poll() is None:
            worker.process.kill()  # read-only handle: nothing to flush
        try:
            worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.warning("query worker %s did not stop", worker.process.pid)

    def invalidate(self) -> None:
        """Retire every worker: the next query opens a fresh read-only handle."""
        with self._lock:
            self._generation += 1
        while True:
            try:
                self._retire(self._idle.get_nowait())
            except queue.Empty:
                return

    @contextlib.contextmanager
    def _slots_taken(self, count: int, timeout: float) -> Iterator[None]:
        """Hold *count* slots (all of them: no worker runs) or raise :class:`QueryTimeout`."""
        deadline = time.monotonic() + timeout
        taken = 0
        try:
            for _ in range(count):
                if not self._slots.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
                    raise QueryTimeout(timeout, busy=True)
                taken += 1
            yield
        finally:
            for _ in range(taken):
                self._slots.release()

    def update(self, text: str, timeout: float) -> None:
        """Apply a SPARQL UPDATE while no worker runs, with a writable handle held only for this call."""
        from radgraph.store import open_store

        with self._update_lock, self._slots_taken(self._size, timeout + 5.0):
            self.invalidate()  # every worker is idle now: none keeps a read-only handle open
            with open_store(self._descriptor) as store:
                apply_update(store, text)

    def read(self, fn: Callable[[Store], T]) -> T:
        """Call *fn* with a read-only handle opened in this process (never during an update)."""
        from radgraph.store import open_store

        with self._slots_taken(1, WORKER_START_S), open_store(self._descriptor, read_only=True) as store:
            return fn(store)

    def close(self) -> None:
        """Stop every worker (busy ones are stopped when they come back)."""
        with self._lock:
            self._closed = True
        self.invalidate()


def runner_for(descriptor: str) -> Runner:
    """Choose how queries run: worker processes for ``oxigraph:PATH`` (on POSIX), threads otherwise.

    Raises:
        StoreUnavailable: the descriptor is unknown, or names a folder that does not exist.
    """
    kind, sep, arg = descriptor.partition(":")
    if kind == "oxigraph" and sep:
        if not arg or not Path(arg).is_dir():
            raise StoreUnavailable(f"no store at {arg!r}: run 'radgraph build --store {descriptor}' first")
        return ProcessRunner(descriptor) if os.name == "posix" else ThreadRunner(descriptor)
    if kind in ("memory", "sparql") and sep:
        return ThreadRunner(descriptor)
    raise StoreUnavailable(f"unknown store descriptor {descriptor!r}; use memory:, oxigraph:PATH, sparql:URL")


# ---- small helpers -------------------------------------------------------------------------


class Lazy(Generic[T]):
    """A value made on first use, once, even when several threads ask at the same time."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """Return the value, making it first if needed."""
        value = self._value
        if value is not None:
            return value
        with self._lock:
            if self._value is None:
                self._value = self._make()
            return self._value

    def reset(self) -> None:
        """Forget the value (it is made again on next use)."""
        with self._lock:
            self._value = None


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of an app."""

    timeout_s: float = 10.0
    max_results: int = 10_000
    max_request_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, not {self.timeout_s!r}")
        if self.max_results < 1:
            raise ValueError(f"max_results must be at least 1, not {self.max_results!r}")
        if self.max_request_bytes < 1:
            raise ValueError(f"max_request_bytes must be at least 1, not {self.max_request_bytes!r}")


def _json(data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse(data, status_code=status, headers=dict(headers or {}))


def _error_response(error: HTTPError) -> Response:
    return _json({"error": error.message}, error.status)


def _truncation(truncated: bool) -> dict[str, str]:
    return {TRUNCATED_HEADER: "true"} if truncated else {}


def _too_large(limit: int) -> HTTPError:
    return HTTPError(413, f"request larger than the limit of {limit:,} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """Read a request body, refusing more than *limit* bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPError(400, "the request body is not UTF-8") from None


def _parse_form(body: bytes) -> dict[str, list[str]]:
    try:
        text = body.decode("utf-8")
        return urllib.parse.parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise HTTPError(400, "the form body is not valid application/x-www-form-urlencoded UTF-8") from None


def _one(values: Sequence[str], name: str) -> str:
    if not values:
        raise HTTPError(400, f"give the SPARQL text in a '{name}' parameter")
    if len(values) > 1:
        raise HTTPError(400, f"give one '{name}' parameter, not {len(values)}")
    if not values[0].strip():
        raise HTTPError(400, f"the '{name}' parameter is empty")
    return values[0]


def _reject_dataset(names: Sequence[str]) -> None:
    given = sorted(set(names) & set(DATASET_PARAMS))
    if given:
        raise HTTPError(400, f"{', '.join(given)} is not supported: queries run over the union of all graphs")


@dataclass(frozen=True, slots=True)
class Operation:
    """A SPARQL protocol request: a query or an update, with its text."""

    kind: str  # "query" | "update"
    text: str


async def protocol_operation(request: Request, limit: int) -> Operation:
    """Read the SPARQL 1.1 Protocol operation of a request (GET, form POST or direct POST)."""
    if request.method == "GET":
        params = request.query_params
        if "update" in params:
            raise HTTPError(405, "a SPARQL update must be sent with POST")
        _reject_dataset(list(params.keys()))
        return Operation("query", _one(params.getlist("query"), "query"))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_body(request, limit)
    if content_type == "application/x-www-form-urlencoded":
        form = _parse_form(body)
        _reject_dataset(list(form))
        if "query" in form and "update" in form:
            raise HTTPError(400, "give either 'query' or 'update', not both")
        if "update" in form:
            return Operation("update", _one(form["update"], "update"))
        return Operation("query", _one(form.get("query", []), "query"))
    _reject_dataset(list(request.query_params.keys()))
    if content_type == "application/sparql-query":
        return Operation("query", _one([_utf8(body)], "query"))
    if content_type == "application/sparql-update":
        return Operation("update", _one([_utf8(body)], "update"))
    raise HTTPError(
        415,
        "send application/x-www-form-urlencoded (query= or update=), application/sparql-query "
        "or application/sparql-update",
    )


# ---- request bodies and answers of the JSON API --------------------------------------------


@dataclass(frozen=True, slots=True)
class DdxRequest:
    """A differential-diagnosis request as validated from JSON."""

    findings: tuple[str, ...]
    text: str
    history: tuple[str, ...]
    top: int


def _strings(data: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HTTPError(400, f"'{key}' must be a list of strings")
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def parse_ddx_request(data: object) -> DdxRequest:
    """Validate the JSON body of ``POST /api/ddx``."""
    if not isinstance(data, dict):
        raise HTTPError(400, "the body must be a JSON object with 'findings', 'text', 'history' and 'top'")
    unknown = sorted(set(data) - {"findings", "text", "history", "top"})
    if unknown:
        raise HTTPError(400, f"unknown field(s) {unknown}; use findings, text, history, top")
    text = data.get("text") or ""
    if not isinstance(text, str):
        raise HTTPError(400, "'text' must be a string")
    top = data.get("top", 5)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 100:
        raise HTTPError(400, "'top' must be an integer from 1 to 100")
    findings = _strings(data, "findings")
    if not findings and not text.strip():
        raise HTTPError(400, "give at least one finding or a case text")
    return DdxRequest(findings, text, _strings(data, "history"), top)


def _param_json(p: Param) -> dict[str, object]:
    from radgraph.model import Laterality, Sex

    out: dict[str, object] = {"name": p.name, "type": p.type, "required": p.required}
    choices = {"laterality": [x.value for x in Laterality], "sex": [x.value for x in Sex]}.get(p.type)
    if choices:
        out["choices"] = choices
    return out


def query_catalog() -> list[dict[str, object]]:
    """Return the named queries: name, description, form, parameters and text (with prefixes)."""
    from radgraph import queries
    from radgraph.vocab import sparql_prefixes

    out: list[dict[str, object]] = []
    for name in queries.names():
        q = queries.load(name)
        out.append(
            {
                "name": q.name,
                "description": q.description,
                "form": q.form,
                "params": [_param_json(p) for p in q.params],
                "text": sparql_prefixes() + q.text,
            }
        )
    return out


def _single(params: QueryParams) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in params.keys():
        values = params.getlist(key)
        if len(values) > 1:
            raise HTTPError(400, f"parameter {key!r} is given {len(values)} times")
        out[key] = values[0]
    return out


def cases_json(result: QueryResult) -> list[dict[str, object]]:
    """Group the rows of the ``case-diagnoses`` query by case: id, title and diagnoses."""
    titles: dict[str, str] = {}
    diagnoses: dict[str, list[dict[str, str]]] = {}
    for row in result.rows:
        values = dict(zip(result.variables, row, strict=True))
        case_id = (values.get("case") or "").rsplit("/", 1)[-1]
        titles.setdefault(case_id, values.get("title") or case_id)
        found = diagnoses.setdefault(case_id, [])
        concept = values.get("diagnosis")
        if concept and all(d["concept"] != concept for d in found):
            found.append({"concept": concept, "label": values.get("diagnosisLabel") or concept})
    order = sorted(titles, key=lambda c: (titles[c].casefold(), c))
    return [{"id": c, "title": titles[c], "diagnoses": diagnoses[c]} for c in order]


def mentions_json(ex: Extraction) -> list[dict[str, object]]:
    """Return the concept mentions of an extraction with their offsets and context."""
    from radgraph.ontology import load_ontology

    onto = load_ontology()
    return [
        {
            "start": m.start,
            "end": m.end,
            "text": m.text,
            "concept": m.concept,
            "label": onto.label(m.concept) if m.concept in onto else m.concept,
            "kind": m.kind.value,
            "assertion": m.assertion.value,
            "subject": m.subject.value,
            "temporality": m.temporality.value,
            "section": m.section.value,
        }
        for m in ex.mentions
    ]


#: The source text and title of one case; ``?source`` and ``?case`` are bound by VALUES.
_CASE_SOURCE = """SELECT ?text ?title
WHERE {
  #@bind
  ?source rg:sourceText ?text .
  OPTIONAL { ?case rg:caseTitle ?title }
}"""

_STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.(html|js|css|svg|png|ico|txt)")
_STATIC_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
    "txt": "text/plain; charset=utf-8",
}


def static_file(name: str) -> tuple[bytes, str] | None:
    """Return a file of the package folder ``radgraph/web_static`` and its media type.

    Only plain file names are served: no folders, no ``..``, no absolute or encoded paths.

    >>> static_file("../web.py") is None
    True
    """
    m = _STATIC_NAME.fullmatch(name)
    if m is None:
        return None
    from importlib.resources import files

    resource = files("radgraph").joinpath("web_static").joinpath(name)
    if not resource.is_file():
        return None
    return resource.read_bytes(), _STATIC_TYPES[m.group(1)]


# ---- the application -----------------------------------------------------------------------


Endpoint = Callable[["Request"], Awaitable["Response"]]


def guarded(endpoint: Endpoint) -> Endpoint:
    """Wrap an endpoint so that every error is a JSON answer and no stack trace leaves the server."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:
            return _error_response(_error_of(exc))

    return wrapper


class LimitMiddleware:
    """ASGI middleware: refuses oversized requests early (413) and adds security headers."""

    def __init__(self, app: ASGIApp, max_request_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes

    def _oversized(self, scope: Scope) -> bool:
        if len(scope.get("query_string", b"")) > self.max_request_bytes:
            return True
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.max_request_bytes:
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if self._oversized(scope):
            response = _error_response(_too_large(self.max_request_bytes))
            await response(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


class Service:
    """The endpoints of one app and the state they share: runner, limits, NLP, knowledge."""

    def __init__(self, runner: Runner, limits: Limits, token: str | None, *, preload: bool = False) -> None:
        self.runner = runner
        self.limits = limits
        self._token = token
        self._preload = preload
        self._nlp: Lazy[Language] = Lazy(self._build_nlp)
        self._nlp_lock = threading.Lock()
        self._knowledge: Lazy[Knowledge] = Lazy(self._load_knowledge)

    # ---- shared state ----------------------------------------------------------------------

    @staticmethod
    def _build_nlp() -> Language:
        from radgraph.nlp import build_nlp

        t0 = time.perf_counter()
        nlp = build_nlp()
        log.info("NLP pipeline built in %.1f s", time.perf_counter() - t0)
        return nlp

    def _load_knowledge(self) -> Knowledge:
        from radgraph.build import full_knowledge

        return self.runner.read(full_knowledge)

    def extract_text(self, text: str, report_id: str) -> Extraction:
        """Run the pipeline on a text (one extraction at a time per app)."""
        from radgraph.nlp import extract
        from radgraph.reports import report_from_text

        nlp = self._nlp.get()
        with self._nlp_lock:
            return extract(nlp, report_from_text(text, report_id))

    def warm_up(self) -> None:
        """Build the NLP pipeline and read the DDx knowledge now rather than on first use."""
        try:
            self._nlp.get()
            self._knowledge.get()
        except Exception:
            log.exception("warm-up failed; the first DDx or case request will try again")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Start the warm-up (when asked) and stop the query workers at shutdown."""
        if self._preload:
            threading.Thread(target=self.warm_up, name="radgraph-warm-up", daemon=True).start()
        try:
            yield
        finally:
            self.runner.close()

    async def run(self, text: str, form: str, output: Output) -> QueryResult:
        """Run a query in the runner, off the event loop, under the app's limits."""
        from starlette.concurrency import run_in_threadpool

        job = QueryJob(text, form, output, self.limits.max_results)
        return await run_in_threadpool(self.runner.run, job, self.limits.timeout_s)

    # ---- SPARQL protocol -------------------------------------------------------------------

    async def sparql(self, request: Request) -> Response:
        """``GET|POST /sparql``: answer a query, or apply an authorized update."""
        from starlette.responses import Response

        op = await protocol_operation(request, self.limits.max_request_bytes)
        if op.kind == "update":
            return await self._update(request, op.text)
        form = query_form(op.text)
        output = negotiate(request.headers.get("accept"), form)
        result = await self.run(op.text, form, output)
        headers = {"Vary": "Accept", **_truncation(result.truncated)}
        return Response(result.body, media_type=output.content_type, headers=headers)

    def _authorize(self, request: Request) -> None:
        if self._token is None:
            raise HTTPError(403, "SPARQL UPDATE is disabled: this endpoint is read-only")
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        given = credential.strip().encode("utf-8")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self._token.encode("utf-8")):
            raise HTTPError(403, "SPARQL UPDATE needs the header 'Authorization: Bearer <token>'")

    async def _update(self, request: Request, text: str) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import Response

        self._authorize(request)
        await run_in_threadpool(self.runner.update, text, self.limits.timeout_s)
        self._knowledge.reset()
        log.info("applied a SPARQL UPDATE of %d characters", len(text))
        return Response(status_code=204)

    # ---- named queries ---------------------------------------------------------------------

    async def list_queries(self, request: Request) -> Response:
        """``GET /api/queries``: the named queries with their parameters."""
        from starlette.concurrency import run_in_threadpool

        return _json(await run_in_threadpool(query_catalog))

    async def run_query(self, request: Request) -> Response:
        """``GET /api/queries/{name}?param=value``: run a named query with typed parameters."""
        from starlette.concurrency import run_in_threadpool

        from radgraph import queries
        from radgraph.ontology import load_ontology

        name = request.path_params["name"]
        if name not in queries.names():
            raise HTTPError(404, f"no query named {name!r}")
        nq = queries.load(name)
        optional = {p.name for p in nq.params if not p.required}
        values = {k: v for k, v in _single(request.query_params).items() if v.strip() or k not in optional}
        text, _ = await run_in_threadpool(lambda: queries.bind(nq, values, load_ontology()))
        result = await self.run(text, nq.form, Output.TABLE)
        body: dict[str, object] = {
            "name": name,
            "form": nq.form,
            "variables": list(result.variables),
            "rows": [list(r) for r in result.rows],
            "truncated": result.truncated,
            "query": text,
        }
        if result.boolean is not None:
            body["boolean"] = result.boolean
        return _json(body, headers=_truncation(result.truncated))

    # ---- differential diagnosis ------------------------------------------------------------

    def rank(self, spec: DdxRequest) -> list[dict[str, object]]:
        """Rank a differential for a validated request (blocking: NLP and ranking)."""
        from radgraph.ddx import queries_from_extraction, rank, suspected_from_extraction
        from radgraph.jsonio import ranked_json
        from radgraph.ontology import load_ontology
        from radgraph.terms import parse_term

        onto = load_ontology()
        nlp = self._nlp.get()
        with self._nlp_lock:
            findings = [parse_term(t, onto, nlp) for t in spec.findings]
        history = [onto.lookup(h) for h in spec.history]
        age, sex, suspected = None, None, []
        if spec.text.strip():
            ex = self.extract_text(spec.text, "text")
            extra, known = queries_from_extraction(ex)
            findings += extra
            history += known
            age, sex, suspected = ex.patient.age, ex.patient.sex, suspected_from_extraction(ex)
        ranked = rank(findings, self._knowledge.get(), history=history, top_k=spec.top, ontology=onto,
                      age=age, sex=sex, suspected=suspected)  # fmt: skip
        return [ranked_json(r) for r in ranked]

    async def ddx(self, request: Request) -> Response:
        """``POST /api/ddx``: a ranked differential for findings, a case text and a history."""
        from starlette.concurrency import run_in_threadpool

        body = await read_body(request, self.limits.max_request_bytes)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HTTPError(400, "the body must be JSON") from None
        return _json(await run_in_threadpool(self.rank, parse_ddx_request(data)))

    # ---- cases -----------------------------------------------------------------------------

    async def list_cases(self, request: Request) -> Response:
        """``GET /api/cases``: case ids, titles and final diagnoses."""
        from radgraph import queries
        from radgraph.vocab import sparql_prefixes

        text = sparql_prefixes() + queries.load("case-diagnoses").text
        return _json(cases_json(await self.run(text, "SELECT", Output.TABLE)))

    async def case(self, request: Request) -> Response:
        """``GET /api/cases/{id}``: a case's text and the mentions extracted from it."""
        from starlette.concurrency import run_in_threadpool

        from radgraph.jsonio import extraction_json
        from radgraph.queries import with_values
        from radgraph.vocab import case_iri, source_iri, sparql_prefixes

        case_id = request.path_params["case_id"]
        try:
            bound = {"source": source_iri(case_id), "case": case_iri(case_id)}
        except CurieError:
            raise HTTPError(404, f"no case {case_id!r}") from None
        result = await self.run(sparql_prefixes() + with_values(_CASE_SOURCE, bound), "SELECT", Output.TABLE)
        text = result.rows[0][0] if result.rows else None
        if text is None:
            raise HTTPError(404, f"no case {case_id!r}")
        title = result.rows[0][1]

        def describe() -> dict[str, object]:
            ex = self.extract_text(text, case_id)
            return {
                "id": case_id,
                "title": title or ex.report.meta.title,
                "text": text,
                "mentions": mentions_json(ex),
                "findings": extraction_json(ex)["findings"],
            }

        return _json(await run_in_threadpool(describe))

    # ---- the page --------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        """``GET /``: the page."""
        return self._static("index.html")

    async def static(self, request: Request) -> Response:
        """``GET /static/{name}``: a file of the package folder ``web_static``."""
        return self._static(request.path_params["path"])

    @staticmethod
    def _static(name: str) -> Response:
        from starlette.responses import Response

        found = static_file(name)
        if found is None:
            raise HTTPError(404, "not found")
        data, media_type = found
        return Response(data, media_type=media_type, headers={"Cache-Control": "no-cache"})


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Answer Starlette's own errors (unknown route, wrong method) as JSON."""
    from starlette.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        messages = {404: "not found", 405: "method not allowed"}
        response = _json({"error": messages.get(exc.status_code, str(exc.detail))}, exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    return _error_response(_error_of(exc))


def create_app(
    store_descriptor: str,
    *,
    allow_update: bool = False,
    token: str | None = None,
    timeout_s: float = 10.0,
    max_results: int = 10_000,
    max_request_bytes: int = 1_000_000,
    preload: bool = False,
) -> Starlette:
    """Create the web application over a store.

    Args:
        store_descriptor: ``oxigraph:PATH`` (queries run in worker processes), ``memory:`` or
            ``sparql:URL`` (queries run in threads).
        allow_update: accept SPARQL UPDATE from requests that carry ``Authorization: Bearer <token>``.
        token: the update token (required with *allow_update*).
        timeout_s: time limit of a query. Past it, the answer is 503.
        max_results: most rows or triples in one answer. A cut answer carries
            ``X-Radgraph-Truncated: true``.
        max_request_bytes: largest request body or query string. A larger one gets 413.
        preload: build the NLP pipeline and the DDx knowledge in the background at startup.

    Returns:
        The Starlette application. Its lifespan stops the query workers.

    Raises:
        MissingExtraError: Starlette is not installed (``pip install radgraph[web]``).
        StoreUnavailable: the descriptor is unknown, or an on-disk store does not exist.
        ValueError: *allow_update* without a token, or a limit that is not positive.
    """
    try:
        from starlette.applications import Starlette
        from starlette.exceptions import HTTPException
        from starlette.middleware import Middleware
        from starlette.routing import Route
    except ImportError:
        raise MissingExtraError("install radgraph[web]") from None
    if allow_update and not token:
        raise ValueError("allow_update needs a token (updates need 'Authorization: Bearer <token>')")
    limits = Limits(timeout_s, max_results, max_request_bytes)
    service = Service(runner_for(store_descriptor), limits, token if allow_update else None, preload=preload)
    routes = [
        Route("/", guarded(service.index), methods=["GET"]),
        Route("/sparql", guarded(service.sparql), methods=["GET", "POST"]),
        Route("/api/queries", guarded(service.list_queries), methods=["GET"]),
        Route("/api/queries/{name}", guarded(service.run_query), methods=["GET"]),
        Route("/api/ddx", guarded(service.ddx), methods=["POST"]),
        Route("/api/cases", guarded(service.list_cases), methods=["GET"]),
        Route("/api/cases/{case_id}", guarded(service.case), methods=["GET"]),
        Route("/static/{path:path}", guarded(service.static), methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(LimitMiddleware, max_request_bytes=limits.max_request_bytes)],
        exception_handlers={HTTPException: _http_exception, Exception: _http_exception},
        lifespan=service.lifespan,
    )
    app.state.radgraph = service
    log.info("radgraph web app over %s (updates %s)", store_descriptor, "on" if allow_update else "off")
    return app


__all__ = [
    "HTTPError",
    "Output",
    "QueryJob",
    "QueryResult",
    "QueryTimeout",
    "Term",
    "create_app",
    "execute",
    "negotiate",
    "query_form",
    "static_file",
]
