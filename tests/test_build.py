"""Builds: resources reload only when they change, derived links stay right incrementally, rebuilds swap."""

from __future__ import annotations

from pathlib import Path

import pytest

from radgraph.build import build, derive, load_resources, rebuild
from radgraph.store import open_store
from radgraph.store.base import Store
from radgraph.vocab import INFERRED_CASES, sparql_prefixes

RG = "https://example.org/radgraph/ontology/"
PVM = RG + "ParavertebralMass"
EMH = RG + "ExtramedullaryHematopoiesis"


def _case(folder: Path, name: str, findings: str, diagnosis: str) -> Path:
    path = folder / f"{name}.txt"
    path.write_text(
        f"Title\n\nA case\n\nFindings\n\n{findings}\n\nFinal Diagnosis\n\n{diagnosis}\n", encoding="utf-8"
    )
    return path


def _links(store: Store) -> set[tuple[str, str]]:
    rows = store.select(sparql_prefixes() + "SELECT DISTINCT ?d ?f WHERE { ?d rg:presentsWith ?f }")
    return {(r.text("d"), r.text("f")) for r in rows}


def _case_links(store: Store) -> set[tuple[str, str]]:
    q = sparql_prefixes() + (
        "SELECT ?d ?f WHERE { GRAPH ?g { ?d rg:presentsWith ?f } "
        f'FILTER(STRSTARTS(STR(?g), "{INFERRED_CASES}")) }}'
    )
    return {(r.text("d"), r.text("f")) for r in store.select(q)}


def test_resources_load_once_until_they_change() -> None:
    with open_store("memory:") as store:
        assert load_resources(store) is True
        size = len(store)
        assert load_resources(store) is False and len(store) == size  # same digest: nothing written
        assert load_resources(store, force=True) is True and len(store) == size


def test_incremental_links_equal_a_full_derive(tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    # pleural effusion and ascites are not in the curated profiles of these diagnoses: case links
    text = "Bilateral paravertebral masses. A small pleural effusion."
    a = _case(tmp_path, "a", text, "Extramedullary hematopoiesis")
    b = _case(tmp_path, "b", "Moderate ascites. A paravertebral mass.", "Lymphoma")
    with open_store("memory:") as store:
        build([a], store, nlp=nlp)
        assert _case_links(store) == {(EMH, RG + "PleuralEffusion")}
        build([b], store, nlp=nlp)  # incremental: only lymphoma's links are computed
        assert _case_links(store) == {(EMH, RG + "PleuralEffusion"), (RG + "Lymphoma", RG + "Ascites")}
        # case a changes its diagnosis: EMH loses the link only case a supported
        _case(tmp_path, "a", text, "Neurofibroma")
        build([a], store, nlp=nlp)
        incremental = _links(store)
        assert _case_links(store) == {(RG + "Neurofibroma", RG + "PleuralEffusion"), (RG + "Lymphoma", RG + "Ascites")}
        derive(store)  # a full recomputation gives the same links
        assert _links(store) == incremental
        assert (EMH, PVM) in incremental  # still there: curated knowledge says so


def test_rebuild_swaps_in_a_new_store_and_keeps_the_old_one_on_failure(tmp_path: Path, nlp) -> None:  # type: ignore[no-untyped-def]
    cases = tmp_path / "cases"
    cases.mkdir()
    _case(cases, "a", "Bilateral paravertebral masses.", "Extramedullary hematopoiesis")
    folder = tmp_path / "store"
    summary = rebuild([cases], folder, nlp=nlp)
    assert summary.imported == ["a"] and folder.is_dir()
    assert not (tmp_path / "store.rebuilding").exists() and not (tmp_path / "store.old").exists()
    _case(cases, "b", "A pleural effusion.", "Lymphoma")

    def boom(case_id: str) -> None:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        rebuild([cases], folder, nlp=nlp, progress=boom)
    assert not (tmp_path / "store.rebuilding").exists()
    with open_store(f"oxigraph:{folder}") as store:  # the old store, whole
        ids = {r.text("c") for r in store.select(sparql_prefixes() + "SELECT ?c WHERE { ?c a rg:Case }")}
        assert ids == {"https://example.org/radgraph/data/case/a"}
    summary = rebuild([cases], folder, nlp=nlp)
    assert sorted(summary.imported) == ["a", "b"]
    with open_store(f"oxigraph:{folder}") as store:
        assert len(store.select(sparql_prefixes() + "SELECT ?c WHERE { ?c a rg:Case }")) == 2
