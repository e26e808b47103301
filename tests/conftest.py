from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from radgraph.nlp import build_nlp
from radgraph.ontology import Ontology, load_ontology

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent
SEED = REPO / "data" / "cases" / "seed-emh-thalassemia.txt"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture(scope="session")
def nlp():  # type: ignore[no-untyped-def]
    return build_nlp()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_extraction(nlp, seed_text):  # type: ignore[no-untyped-def]
    from radgraph.model import Report
    from radgraph.nlp import extract

    return extract(nlp, Report("seed-emh-thalassemia", seed_text))


@pytest.fixture()
def memory_store() -> Iterator[object]:
    from radgraph.store import open_store

    with open_store("memory:") as s:
        yield s


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, nlp):  # type: ignore[no-untyped-def]
    """A store built once from the bundled teaching set (read by query and DDx tests)."""
    from radgraph.build import build
    from radgraph.store import open_store

    store = open_store("memory:")
    summary = build([REPO / "data" / "cases"], store, nlp=nlp)
    assert not summary.failed, summary.failed
    yield store
    store.close()
