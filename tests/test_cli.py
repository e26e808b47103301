from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from radgraph.cli import main

from .conftest import REPO, SEED


@pytest.fixture(scope="module")
def store_desc(tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("cli") / "kg"
    desc = f"oxigraph:{path}"
    result = CliRunner().invoke(main, ["build", str(REPO / "data" / "cases"), "--store", desc, "--quiet"])
    assert result.exit_code == 0, result.output
    return desc


def test_extract_contract(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["extract", str(SEED)])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output.strip().splitlines()[0])
    assert set(obj) == {"case_id", "patient", "findings", "diagnoses"}
    assert obj["patient"] == {"age": 29, "sex": "male"}
    keys = {"concept", "label", "assertion", "temporality", "subject", "laterality", "sites", "sequence",
            "section", "text", "start", "end"}
    for f in obj["findings"]:
        assert keys <= set(f)
        assert f["assertion"] in ("present", "absent", "uncertain")
    assert {"concept": "rg:ExtramedullaryHematopoiesis", "role": "final"}.items() <= next(
        d for d in obj["diagnoses"] if d["role"] == "final"
    ).items()


def test_extract_text_option() -> None:
    result = CliRunner().invoke(main, ["extract", "--text", "Findings: no paravertebral mass."])
    assert result.exit_code == 0
    obj = json.loads(result.output)
    assert obj["findings"][0]["assertion"] == "absent"


def test_query_headline(store_desc) -> None:  # type: ignore[no-untyped-def]
    args = ["query", "diagnoses-presenting-with", "--param", "finding=paravertebral mass",
            "--param", "laterality=bilateral", "--format", "json", "--store", store_desc]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert any(r["diagnosis"] == "rg:ExtramedullaryHematopoiesis" and r["source"] == "case" for r in rows)


def test_query_list_and_unknown() -> None:
    result = CliRunner().invoke(main, ["query", "--list"])
    assert result.exit_code == 0 and "diagnoses-presenting-with" in result.output
    result = CliRunner().invoke(main, ["query", "nope"])
    assert result.exit_code == 4 and "no query named" in result.output


def test_ddx_json(store_desc) -> None:  # type: ignore[no-untyped-def]
    args = ["ddx", "--finding", "bilateral paravertebral mass", "--finding", "T1 hyperintensity",
            "--history", "thalassemia", "--format", "json", "--store", store_desc]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    ranked = json.loads(result.stdout)
    assert ranked[0]["concept"] == "rg:ExtramedullaryHematopoiesis"
    assert {"rank", "concept", "label", "score", "supporting", "against"} <= set(ranked[0])


def test_ddx_text(store_desc) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["ddx", "--text", SEED.read_text(), "--top", "3", "--store", store_desc])
    assert result.exit_code == 0, result.output
    assert "1. extramedullary hematopoiesis" in result.output


def test_bad_inputs_exit_nonzero(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(main, ["ddx", "--finding", "flux capacitor", "--store", "memory:"])
    assert r.exit_code == 4 and "flux capacitor" in r.output
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    r = CliRunner().invoke(main, ["build", str(empty), "--store", "memory:", "--quiet"])
    assert r.exit_code == 3 and "empty file" in r.output
    r = CliRunner().invoke(main, ["query", "diagnoses-presenting-with", "--store", "bogus:x"])
    assert r.exit_code in (4, 5)


def test_eval_extraction_prints_figures_and_writes_failures(tmp_path) -> None:  # type: ignore[no-untyped-def]
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    seed = next(line for line in (REPO / "data" / "gold" / "bundled.jsonl").read_text(encoding="utf-8").splitlines()
                if json.loads(line)["case_id"] == SEED.stem)  # fmt: skip
    (gold_dir / "seed.jsonl").write_text(seed + "\n", encoding="utf-8")
    out = tmp_path / "failures.tsv"
    args = ["eval", "extraction", "--gold", str(gold_dir), "--cases", str(REPO / "data" / "cases"),
            "--medpix-dev", str(tmp_path / "absent.jsonl"), "--failures", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "cases: 1" in result.output and "findings by section" in result.output
    failures = next(line for line in result.output.splitlines() if line.startswith("failures: "))
    counted = sum(int(part.split()[0]) for part in failures.removeprefix("failures: ").split(", "))
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == counted + 1 and f"{counted} failures written" in result.output
    assert all(row.split("\t")[0] == SEED.stem for row in rows[1:])
    empty = tmp_path / "none"
    empty.mkdir()
    result = CliRunner().invoke(main, ["eval", "extraction", "--gold", str(empty)])
    assert result.exit_code != 0 and "no gold files" in result.output
    # a failures file in a directory that does not exist is refused before the evaluation runs
    result = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "missing" / "f.tsv")])
    assert result.exit_code != 0 and "does not exist" in result.output and "Traceback" not in result.output
