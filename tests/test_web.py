"""The web edge: SPARQL 1.1 Protocol, JSON API, page, limits and the ``serve`` command."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import shutil
import socket
import threading
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from radgraph import queries
from radgraph.build import build
from radgraph.ontology import load_ontology
from radgraph.store import open_store
from radgraph.vocab import sparql_prefixes

from .serving import serving

pytest.importorskip("starlette")
with warnings.catch_warnings():  # Starlette 1.x prefers httpx2 for its test client; httpx still works
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from radgraph.web import create_app  # noqa: E402

REPO = Path(__file__).parent.parent
SRJ = "application/sparql-results+json"
SRX = "{http://www.w3.org/2005/sparql-results#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HEADLINE = {"finding": "paravertebral mass", "laterality": "bilateral"}
EMH = "https://example.org/radgraph/ontology/ExtramedullaryHematopoiesis"
SEED = "seed-emh-thalassemia"
SLOW = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CASE_DX = (
    sparql_prefixes() + "CONSTRUCT { ?case rg:hasFinalDiagnosis ?d } WHERE { ?case rg:hasFinalDiagnosis ?d }"
)
TOKEN = "correct horse battery staple"


def headline_query() -> str:
    text, _ = queries.bind(queries.load("diagnoses-presenting-with"), HEADLINE, load_ontology())
    return text


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, nlp) -> Path:  # type: ignore[no-untyped-def]
    """The bundled teaching cases, built once for this module into an on-disk store."""
    path = tmp_path_factory.mktemp("web") / "store"
    with open_store(f"oxigraph:{path}") as store:
        summary = build([REPO / "data" / "cases"], store, nlp=nlp)
    assert not summary.failed, summary.failed
    return path


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(f"oxigraph:{store_path}")) as c:
        yield c


@contextlib.contextmanager
def app_client(descriptor: str, **options: object) -> Iterator[TestClient]:
    with TestClient(create_app(descriptor, **options)) as c:  # type: ignore[arg-type]
        yield c


def bindings(response) -> list[dict[str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(SRJ)
    return response.json()["results"]["bindings"]  # type: ignore[no-any-return]


def assert_clean_error(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert "\n" not in body["error"]
    return body["error"]  # type: ignore[no-any-return]


# ---- SPARQL protocol -----------------------------------------------------------------------


def test_headline_question_get_json(client: TestClient) -> None:
    rows = bindings(client.get("/sparql", params={"query": headline_query()}))
    case_rows = [r for r in rows if r["diagnosis"]["value"] == EMH and r["source"]["value"] == "case"]
    assert any(r["case"]["value"].endswith("/case/" + SEED) for r in case_rows)
    assert any(r["evidence"]["value"] == "paravertebral masses" for r in case_rows)
    row = case_rows[0]
    assert row["diagnosis"]["type"] == "uri"
    assert row["diagnosisLabel"] == {
        "type": "literal",
        "value": "extramedullary hematopoiesis",
        "xml:lang": "en",
    }
    assert row["start"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert row["source"] == {"type": "literal", "value": "case"}  # a simple literal has no datatype


def test_post_form_and_direct_body_give_the_same_answer(client: TestClient) -> None:
    via_get = bindings(client.get("/sparql", params={"query": headline_query()}))
    via_form = bindings(client.post("/sparql", data={"query": headline_query()}))
    direct = client.post(
        "/sparql", content=headline_query().encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert via_get == via_form == bindings(direct)


def test_select_as_xml(client: TestClient) -> None:
    r = client.get(
        "/sparql", params={"query": headline_query()}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+xml"
    root = ET.fromstring(r.content)
    assert root.tag == SRX + "sparql"
    names = [v.get("name") for v in root.find(SRX + "head")]  # type: ignore[union-attr]
    assert names[:2] == ["diagnosis", "diagnosisLabel"]
    labels = root.findall(f".//{SRX}binding[@name='diagnosisLabel']/{SRX}literal")
    assert labels and all(x.get(XML_LANG) == "en" for x in labels)
    assert root.findall(f".//{SRX}binding[@name='diagnosis']/{SRX}uri")
    starts = root.findall(f".//{SRX}binding[@name='start']/{SRX}literal")
    assert starts[0].get("datatype") == "http://www.w3.org/2001/XMLSchema#integer"


def test_select_as_csv_and_tsv(client: TestClient) -> None:
    text = sparql_prefixes() + (
        "SELECT ?iri ?label ?n ?b WHERE { BIND(rg:Thalassemia AS ?iri)"
        ' BIND(STRLANG("a \\"b\\", c", "en") AS ?label) BIND(42 AS ?n) }'
    )
    r = client.get("/sparql", params={"query": text}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.text.endswith("\r\n") and r.text.count("\r\n") == 2
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows == [
        ["iri", "label", "n", "b"],
        ["https://example.org/radgraph/ontology/Thalassemia", 'a "b", c', "42", ""],
    ]
    r = client.get("/sparql", params={"query": text}, headers={"Accept": "text/tab-separated-values"})
    assert r.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    header, row = r.text.rstrip("\n").split("\n")
    assert header.split("\t") == ["?iri", "?label", "?n", "?b"]
    assert row.split("\t") == [
        "<https://example.org/radgraph/ontology/Thalassemia>",
        '"a \\"b\\", c"@en',
        '"42"^^<http://www.w3.org/2001/XMLSchema#integer>',
        "",
    ]


def test_special_characters_round_trip(client: TestClient) -> None:
    text = 'SELECT ?s ?b WHERE { BIND("tab\\there\\r\\nline <&> \\u00e9" AS ?s) BIND(BNODE() AS ?b) }'
    expected = "tab\there\r\nline <&> \u00e9"
    row = bindings(client.get("/sparql", params={"query": text}))[0]
    assert row["s"] == {"type": "literal", "value": expected}
    assert row["b"]["type"] == "bnode" and row["b"]["value"]
    xml = client.get("/sparql", params={"query": text}, headers={"Accept": "application/sparql-results+xml"})
    root = ET.fromstring(xml.content)
    assert root.find(f".//{SRX}binding[@name='s']/{SRX}literal").text == expected  # type: ignore[union-attr]
    assert root.find(f".//{SRX}binding[@name='b']/{SRX}bnode") is not None
    tsv = client.get("/sparql", params={"query": text}, headers={"Accept": "text/tab-separated-values"})
    cells = tsv.text.split("\n")[1].split("\t")
    assert cells[0] == '"tab\\there\\r\\nline <&> \u00e9"' and cells[1].startswith("_:")


def test_empty_result_still_names_its_variables(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?x ?y WHERE { ?x <http://example.org/none> ?y }"})
    assert r.json() == {"head": {"vars": ["x", "y"]}, "results": {"bindings": []}}


def test_ask(client: TestClient) -> None:
    ask = sparql_prefixes() + "ASK { ?d a rg:Case }"
    assert client.get("/sparql", params={"query": ask}).json() == {"head": {}, "boolean": True}
    r = client.get("/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+xml"})
    assert ET.fromstring(r.content).find(SRX + "boolean").text == "true"  # type: ignore[union-attr]


def test_construct_in_three_syntaxes(client: TestClient) -> None:
    graphs = {}
    for media, fmt in (
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
    ):
        r = client.get("/sparql", params={"query": CASE_DX}, headers={"Accept": media})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == media
        graphs[fmt] = Graph().parse(data=r.text, format=fmt)
    assert len(graphs["turtle"]) >= 60
    assert isomorphic(graphs["turtle"], graphs["json-ld"]) and isomorphic(graphs["turtle"], graphs["nt"])
    default = client.get("/sparql", params={"query": CASE_DX})
    assert default.headers["content-type"] == "text/turtle; charset=utf-8"


def test_describe(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": f"DESCRIBE <{EMH}>"})
    assert r.status_code == 200
    assert len(Graph().parse(data=r.text, format="turtle")) > 0


def test_content_negotiation(client: TestClient) -> None:
    q = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
    sparqlwrapper_json = (
        "application/sparql-results+json,application/json,text/javascript,application/javascript"
    )
    assert (
        client.get("/sparql", params={"query": q}, headers={"Accept": sparqlwrapper_json}).headers[
            "content-type"
        ]
        == SRJ
    )
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert (
        client.get("/sparql", params={"query": q}, headers={"Accept": browser}).headers["content-type"] == SRJ
    )
    preferred = "application/sparql-results+json;q=0.5, text/csv"
    assert (
        client.get("/sparql", params={"query": q}, headers={"Accept": preferred})
        .headers["content-type"]
        .startswith("text/csv")
    )
    error = assert_clean_error(
        client.get("/sparql", params={"query": q}, headers={"Accept": "image/png"}), 406
    )
    assert "application/sparql-results+json" in error
    assert_clean_error(client.get("/sparql", params={"query": CASE_DX}, headers={"Accept": "text/csv"}), 406)


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"method": "GET", "url": "/sparql"}, 400),
        ({"method": "GET", "url": "/sparql", "params": {"query": "SELEC ?x WHERE {}"}}, 400),
        ({"method": "GET", "url": "/sparql", "params": {"query": "SELECT ?x WHERE { ?x ?y }"}}, 400),
        ({"method": "GET", "url": "/sparql", "params": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 400),
        (
            {
                "method": "GET",
                "url": "/sparql",
                "params": {"query": "SELECT * {?s ?p ?o}", "default-graph-uri": "a:g"},
            },
            400,
        ),
        ({"method": "GET", "url": "/sparql", "params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),
        ({"method": "GET", "url": "/sparql", "params": {"update": "CLEAR ALL"}}, 405),
        (
            {
                "method": "POST",
                "url": "/sparql",
                "content": b"ASK {}",
                "headers": {"Content-Type": "text/plain"},
            },
            415,
        ),
        (
            {
                "method": "POST",
                "url": "/sparql",
                "content": b"\xff\xfe",
                "headers": {"Content-Type": "application/sparql-query"},
            },
            400,
        ),
        ({"method": "POST", "url": "/sparql", "data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400),
        ({"method": "DELETE", "url": "/sparql"}, 405),
        ({"method": "GET", "url": "/no/such/route"}, 404),
    ],
)
def test_bad_requests_get_one_line_json_errors(client: TestClient, request_kwargs: dict, status: int) -> None:  # type: ignore[type-arg]
    method = request_kwargs.pop("method")
    url = request_kwargs.pop("url")
    assert_clean_error(client.request(method, url, **request_kwargs), status)


def test_unexpected_errors_are_logged_not_shown(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> list[str]:
        raise RuntimeError("secret internals at /srv/radgraph")

    monkeypatch.setattr(queries, "names", broken)
    with caplog.at_level(logging.ERROR, logger="radgraph.web"):
        r = client.get("/api/queries")
    assert assert_clean_error(r, 500) == "internal server error"
    assert "secret" not in r.text
    assert any("secret internals" in (rec.exc_text or "") for rec in caplog.records)


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


# ---- updates -------------------------------------------------------------------------------

INSERT = (
    "INSERT DATA { GRAPH <https://example.org/test> { "
    "<https://example.org/s> <https://example.org/p> 'added' } }"
)
ADDED = "ASK { <https://example.org/s> <https://example.org/p> 'added' }"


def test_updates_are_refused_by_default(client: TestClient) -> None:
    error = assert_clean_error(client.post("/sparql", data={"update": INSERT}), 403)
    assert "read-only" in error
    direct = client.post(
        "/sparql",
        content=INSERT,
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer x"},
    )
    assert_clean_error(direct, 403)
    assert client.get("/sparql", params={"query": ADDED}).json()["boolean"] is False


def test_allow_update_needs_a_token() -> None:
    with pytest.raises(ValueError, match="token"):
        create_app("memory:", allow_update=True)


def test_updates_with_the_token_on_disk(store_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(store_path, copy)
    with app_client(f"oxigraph:{copy}", allow_update=True, token=TOKEN) as c:
        assert c.get("/sparql", params={"query": ADDED}).json()["boolean"] is False  # a worker is running
        for auth in (None, "Bearer wrong", f"Basic {TOKEN}", TOKEN):
            headers = {"Authorization": auth} if auth else {}
            assert_clean_error(c.post("/sparql", data={"update": INSERT}, headers=headers), 403)
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert_clean_error(c.post("/sparql", data={"update": "INSERT NONSENSE"}, headers=bearer), 400)
        unreachable = {"update": "LOAD <http://127.0.0.1:9/x.ttl>"}  # port 9 is refused before any connection
        assert_clean_error(c.post("/sparql", data=unreachable, headers=bearer), 400)
        r = c.post("/sparql", data={"update": INSERT}, headers=bearer)
        assert r.status_code == 204, r.text
        assert c.get("/sparql", params={"query": ADDED}).json()["boolean"] is True
        remove = INSERT.replace("INSERT", "DELETE")
        direct = {**bearer, "Content-Type": "application/sparql-update"}
        assert c.post("/sparql", content=remove, headers=direct).status_code == 204
        assert c.get("/sparql", params={"query": ADDED}).json()["boolean"] is False


def test_update_waits_until_no_query_runs(store_path: Path, tmp_path: Path) -> None:
    """Readers never hold the on-disk store open while it is written (Oxigraph leaves that undefined)."""
    copy = tmp_path / "store"
    shutil.copytree(store_path, copy)
    with app_client(f"oxigraph:{copy}", allow_update=True, token=TOKEN, timeout_s=1.0) as c:
        assert c.get("/sparql", params={"query": ADDED}).status_code == 200
        answers = {}
        slow = threading.Thread(target=lambda: answers.update(slow=c.get("/sparql", params={"query": SLOW})))
        slow.start()
        time.sleep(0.3)
        t0 = time.perf_counter()
        update = c.post("/sparql", data={"update": INSERT}, headers={"Authorization": f"Bearer {TOKEN}"})
        waited = time.perf_counter() - t0
        slow.join()
        assert update.status_code == 204 and waited > 0.4
        assert answers["slow"].status_code == 503
        assert c.get("/sparql", params={"query": ADDED}).json()["boolean"] is True


def test_memory_store_in_threads_with_updates() -> None:
    with app_client("memory:", allow_update=True, token=TOKEN) as c:
        assert c.get("/sparql", params={"query": ADDED}).json()["boolean"] is False
        r = c.post("/sparql", data={"update": INSERT}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 204
        assert c.get("/sparql", params={"query": ADDED}).json()["boolean"] is True


# ---- limits --------------------------------------------------------------------------------


def test_timeout_kills_the_query_and_the_next_query_works(store_path: Path) -> None:
    with app_client(f"oxigraph:{store_path}", timeout_s=0.5) as c:
        assert c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200  # worker started
        t0 = time.perf_counter()
        r = c.get("/sparql", params={"query": SLOW})
        elapsed = time.perf_counter() - t0
        error = assert_clean_error(r, 503)
        assert "time limit of 0.5 s" in error
        assert elapsed < 5.0
        assert c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_timeout_in_a_thread_for_memory_stores() -> None:
    data = " ".join(f"<https://example.org/s{i}> <https://example.org/p> {i} ." for i in range(2000))
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . FILTER(?c < ?f) }"
    with app_client("memory:", allow_update=True, token=TOKEN, timeout_s=0.2) as c:
        update = {"update": f"INSERT DATA {{ GRAPH <https://example.org/g> {{ {data} }} }}"}
        assert c.post("/sparql", data=update, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 204
        t0 = time.perf_counter()
        assert "time limit" in assert_clean_error(c.get("/sparql", params={"query": slow}), 503)
        assert time.perf_counter() - t0 < 2.0


def test_result_cap_marks_truncated_answers(store_path: Path) -> None:
    with app_client(f"oxigraph:{store_path}", max_results=3) as c:
        r = c.get("/sparql", params={"query": sparql_prefixes() + "SELECT ?case WHERE { ?case a rg:Case }"})
        assert len(bindings(r)) == 3 and r.headers["X-Radgraph-Truncated"] == "true"
        r = c.get("/sparql", params={"query": CASE_DX}, headers={"Accept": "application/n-triples"})
        assert len(r.text.strip().splitlines()) == 3 and r.headers["X-Radgraph-Truncated"] == "true"
        r = c.get("/sparql", params={"query": CASE_DX})
        assert len(Graph().parse(data=r.text, format="turtle")) == 3
        r = c.get("/api/queries/diagnoses-presenting-with", params=HEADLINE)
        assert len(r.json()["rows"]) == 3 and r.json()["truncated"] is True
        assert r.headers["X-Radgraph-Truncated"] == "true"
        small = c.get("/sparql", params={"query": "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"})
        assert len(bindings(small)) == 3 and "X-Radgraph-Truncated" not in small.headers


def test_request_size_cap(store_path: Path) -> None:
    with app_client(f"oxigraph:{store_path}", max_request_bytes=2000) as c:
        big = "ASK { ?s ?p ?o } # " + "x" * 3000
        assert_clean_error(c.post("/sparql", data={"query": big}), 413)
        assert_clean_error(c.get("/sparql", params={"query": big}), 413)

        def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it streams
            for _ in range(5):
                yield b"# " + b"x" * 998

        streamed = c.post("/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
        assert_clean_error(streamed, 413)
        assert_clean_error(c.post("/api/ddx", content=json.dumps({"text": "x" * 3000})), 413)
        assert c.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200


# ---- named queries -------------------------------------------------------------------------


def test_named_query_catalog(client: TestClient) -> None:
    catalog = {q["name"]: q for q in client.get("/api/queries").json()}
    assert set(catalog) == set(queries.names())
    q = catalog["diagnoses-presenting-with"]
    assert q["description"].startswith("Which diagnoses present with a finding?")
    assert q["form"] == "SELECT"
    assert q["params"] == [
        {"name": "finding", "type": "concept", "required": True},
        {
            "name": "laterality",
            "type": "laterality",
            "required": False,
            "choices": ["left", "right", "bilateral"],
        },
    ]
    assert q["text"].startswith("PREFIX rg:") and "#@bind" in q["text"]


def test_named_query_headline(client: TestClient) -> None:
    r = client.get("/api/queries/diagnoses-presenting-with", params=HEADLINE)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["variables"][:4] == ["diagnosis", "diagnosisLabel", "source", "case"]
    rows = [dict(zip(data["variables"], row, strict=True)) for row in data["rows"]]
    seed = [x for x in rows if x["case"] == f"rgd:case/{SEED}"]
    assert seed and seed[0]["diagnosis"] == "rg:ExtramedullaryHematopoiesis"
    assert seed[0]["evidence"] == "paravertebral masses" and seed[0]["side"] == "rg:Bilateral"
    assert "VALUES (?finding ?laterality)" in data["query"] and data["truncated"] is False
    optional_blank = client.get(
        "/api/queries/diagnoses-presenting-with", params={**HEADLINE, "laterality": ""}
    )
    assert len(optional_blank.json()["rows"]) >= len(rows)


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/queries/no-such-query", {}, 404),
        ("/api/queries/pyproject.rq", {}, 404),
        ("/api/queries/diagnoses-presenting-with", {}, 400),
        ("/api/queries/diagnoses-presenting-with", {"finding": "unicorn horn"}, 400),
        ("/api/queries/diagnoses-presenting-with", {"finding": "mass", "laterality": "sideways"}, 400),
        ("/api/queries/diagnoses-presenting-with", {"finding": "mass", "colour": "red"}, 400),
        ("/api/queries/diagnoses-presenting-with", {"finding": '"} } DROP ALL ; #'}, 400),
        ("/api/queries/diagnoses-presenting-with", [("finding", "mass"), ("finding", "mass")], 400),
    ],
)
def test_named_query_errors(client: TestClient, path: str, params: object, status: int) -> None:
    assert_clean_error(client.get(path, params=params), status)  # type: ignore[arg-type]


# ---- differential diagnosis ----------------------------------------------------------------


def test_ddx_from_findings_and_history(client: TestClient) -> None:
    body = {
        "findings": ["bilateral paravertebral mass", "T1 hyperintensity"],
        "history": ["thalassemia"],
        "top": 3,
    }
    r = client.post("/api/ddx", json=body)
    assert r.status_code == 200, r.text
    ranked = r.json()
    assert len(ranked) == 3 and [c["rank"] for c in ranked] == [1, 2, 3]
    top = ranked[0]
    assert (
        top["label"] == "extramedullary hematopoiesis" and top["concept"] == "rg:ExtramedullaryHematopoiesis"
    )
    labels = [c["label"] for c in top["supporting"]]
    assert "history of thalassemia" in labels
    evidence = [e for c in top["supporting"] for e in c["evidence"]]
    assert any(e.get("case") == SEED for e in evidence)


def test_ddx_from_case_text(client: TestClient) -> None:
    text = "Findings\n\nBilateral paravertebral masses, bright on T1. Known thalassemia."
    r = client.post("/api/ddx", json={"text": text})
    assert r.status_code == 200, r.text
    assert r.json()[0]["label"] == "extramedullary hematopoiesis"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({}).encode(),
        json.dumps({"findings": "mass"}).encode(),
        json.dumps({"findings": ["mass"], "top": 0}).encode(),
        json.dumps({"findings": ["mass"], "top": True}).encode(),
        json.dumps({"findings": ["mass"], "colour": "red"}).encode(),
        json.dumps({"findings": ["unicorn horn"]}).encode(),
        json.dumps({"findings": ["mass"], "history": ["unobtainium poisoning"]}).encode(),
    ],
)
def test_ddx_bad_requests(client: TestClient, body: bytes) -> None:
    assert_clean_error(client.post("/api/ddx", content=body), 400)


def test_ddx_unknown_term_names_it(client: TestClient) -> None:
    r = client.post("/api/ddx", json={"findings": ["unicorn horn"]})
    assert "unicorn horn" in assert_clean_error(r, 400)


# ---- cases ---------------------------------------------------------------------------------


def test_case_list(client: TestClient) -> None:
    cases = {c["id"]: c for c in client.get("/api/cases").json()}
    assert len(cases) >= 60
    assert cases[SEED]["title"] == "A 29Y/O man with back pain"
    assert cases[SEED]["diagnoses"] == [
        {"concept": "rg:ExtramedullaryHematopoiesis", "label": "extramedullary hematopoiesis"}
    ]


def test_case_text_and_mentions(client: TestClient) -> None:
    data = client.get(f"/api/cases/{SEED}").json()
    assert data["id"] == SEED
    assert data["text"] == (REPO / "data" / "cases" / f"{SEED}.txt").read_text(encoding="utf-8")
    mentions = data["mentions"]
    assert mentions and all(data["text"][m["start"] : m["end"]] == m["text"] for m in mentions)
    assert {"start", "end", "concept", "label", "kind", "assertion", "subject"} <= set(mentions[0])
    masses = [m for m in mentions if m["concept"] == "rg:ParavertebralMass" and m["subject"] == "patient"]
    assert masses and masses[0]["text"] == "paravertebral masses" and masses[0]["assertion"] == "present"
    absent = [m for m in mentions if m["assertion"] == "absent"]
    assert {m["label"] for m in absent} >= {"calcification"}
    assert any(m["subject"] == "generic" for m in mentions)
    assert any(f["concept"] == "rg:ParavertebralMass" for f in data["findings"])


@pytest.mark.parametrize("case_id", ["no-such-case", "..", "%2e%2e%2fetc"])
def test_unknown_case(client: TestClient, case_id: str) -> None:
    assert_clean_error(client.get(f"/api/cases/{case_id}"), 404)


# ---- the page and its files ----------------------------------------------------------------


def test_index_and_static_files(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200 and index.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/static/app.js" defer></script>' in index.text
    for name, media in (("app.js", "text/javascript"), ("app.css", "text/css"), ("index.html", "text/html")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)


def test_page_is_self_contained_and_writes_data_as_text() -> None:
    folder = REPO / "src" / "radgraph" / "web_static"
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, f"{path.name} refers to an external resource"
        assert "@import" not in text and "url(" not in text
    js = (folder / "app.js").read_text(encoding="utf-8")
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js


@pytest.mark.parametrize(
    "path",
    [
        "/static/%2e%2e/web.py",
        "/static/%2e%2e%2fweb.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/..%5cweb.py",
        "/static/%252e%252e%252fweb.py",
        "/static/sub/app.js",
        "/static/",
        "/static/.hidden",
        "/static/app.js%00.css",
        "/static/__init__.py",
    ],
)
def test_static_path_traversal_is_refused(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert_clean_error(r, 404)
    assert "import" not in r.text


# ---- a real server: SPARQLWrapper and raw HTTP ---------------------------------------------


def raw_get(base: str, path: str) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_real_server_with_sparqlwrapper(store_path: Path) -> None:
    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

    with serving(create_app(f"oxigraph:{store_path}")) as base:
        endpoint = SPARQLWrapper(f"{base}/sparql")
        endpoint.setQuery(headline_query())
        endpoint.setReturnFormat(JSON)
        result = endpoint.query().convert()
        rows = result["results"]["bindings"]  # type: ignore[index,call-overload]
        seed = [r for r in rows if r.get("case", {}).get("value", "").endswith("/case/" + SEED)]
        assert seed and seed[0]["diagnosis"]["value"] == EMH
        assert seed[0]["evidence"]["value"] == "paravertebral masses"

        endpoint.setMethod(POST)
        endpoint.setQuery(CASE_DX)
        endpoint.setReturnFormat(TURTLE)
        turtle = endpoint.query().convert()
        graph = Graph().parse(data=turtle, format="turtle")  # type: ignore[arg-type]
        assert len(graph) >= 60

        for path in ("/static/../web.py", "/static/..%2fweb.py", "/static/%2e%2e/%2e%2e/pyproject.toml"):
            response = raw_get(base, path)
            assert response.startswith(b"HTTP/1.1 404"), response[:80]
            assert b"import" not in response


# ---- the serve command (argument errors only; the maintainer registers it in cli.py) -------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--allow-update"], "--allow-update needs --token"),
        (["--port", "0"], "Invalid value for '--port'"),
        (["--port", "http"], "Invalid value for '--port'"),
        (["--timeout", "0"], "Invalid value for '--timeout'"),
        (["--max-results", "0"], "Invalid value for '--max-results'"),
    ],
)
def test_serve_argument_errors(args: list[str], message: str) -> None:
    from radgraph.cli_web import serve

    result = CliRunner().invoke(serve, args, env={"RADGRAPH_TOKEN": ""})
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_serve_without_a_store(tmp_path: Path) -> None:
    from radgraph.cli_web import serve

    result = CliRunner().invoke(serve, ["--store", f"oxigraph:{tmp_path / 'missing'}"])
    assert result.exit_code == 5
    assert "no store at" in result.output and "Traceback" not in result.output
