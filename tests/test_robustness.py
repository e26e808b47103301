"""Bad inputs: each row yields a clear one-line error or a best-effort extraction, and batches go on."""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radgraph.build import build
from radgraph.errors import InputError
from radgraph.model import Report
from radgraph.nlp import MAX_CHARS, extract
from radgraph.reports import iter_reports
from radgraph.store import open_store

CASE = "Findings\n\nBilateral paravertebral masses. No calcification.\n"


def _results(paths):  # type: ignore[no-untyped-def]
    out = list(iter_reports(paths))
    return [r.report for r in out if r.report], [r.failure for r in out if r.failure]


@pytest.mark.parametrize(
    "name,content,expect",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t \n", "only whitespace"),
        ("binary.bin.txt", bytes(range(256)) * 4, "binary content"),
    ],
)
def test_bad_files_fail_with_a_reason(tmp_path, name, content, expect) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.txt").write_text(CASE)
    reports, failures = _results([tmp_path])
    assert [r.id for r in reports] == ["good"]
    assert len(failures) == 1 and expect in failures[0].reason and "\n" not in failures[0].reason


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-8-sig"])
def test_encodings_are_read(nlp, tmp_path, encoding) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "c.txt").write_bytes(("Findings\n\nLéger ædème. " + CASE).encode(encoding))
    reports, failures = _results([tmp_path / "c.txt"])
    assert not failures
    ex = extract(nlp, reports[0])
    assert "rg:ParavertebralMass" in [f.concept for f in ex.findings]


def test_html_with_scripts_and_styles(nlp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    html = (
        "<html><style>.x{}</style><script>var mass=1;</script>"
        "<body><h3>Findings</h3><p>Left paravertebral mass.</p></body></html>"
    )
    (tmp_path / "p.html").write_text(html)
    reports, _ = _results([tmp_path / "p.html"])
    ex = extract(nlp, reports[0])
    assert [f.concept for f in ex.findings] == ["rg:ParavertebralMass"]
    assert "var mass" not in reports[0].text


def test_text_over_the_limit_is_a_clear_error(nlp) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="too long"):
        extract(nlp, Report("big", "mass " * (MAX_CHARS // 5 + 1)))


def test_large_file_fails_alone_and_batch_goes_on(tmp_path, nlp) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "big.txt"
    with big.open("w") as fh:  # a 50 MB file: read, then refused as one case text over the character limit
        fh.write("Findings\n\n")
        for _ in range(50):
            fh.write("Paravertebral mass. " * 52_429)
    (tmp_path / "ok.txt").write_text(CASE)
    with open_store("memory:") as store:
        summary = build([tmp_path], store, nlp=nlp)
    assert summary.imported == ["ok"]
    assert len(summary.failed) == 1 and "too long" in summary.failed[0].reason


def test_no_sections_and_a_20000_word_sentence(nlp) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("plain", "a paravertebral mass without calcification"))
    assert {f.concept for f in ex.findings} == {"rg:ParavertebralMass", "rg:Calcification"}
    words = " ".join(["mass"] + ["word"] * 19_998 + ["calcification"])
    t0 = time.perf_counter()
    ex = extract(nlp, Report("long", words))
    assert len(ex.findings) == 2 and time.perf_counter() - t0 < 60


def test_control_characters_and_lookalikes(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Find\x00ings\x07: p\u0430ravertebral mass\u200b. No\u00a0calcification\ufeff.\x1b[31m"
    ex = extract(nlp, Report("ctl", text))
    for f in ex.findings:
        assert text[f.start : f.end] == f.text


def test_malformed_json_line_mid_batch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = {"U_id": "A", "Case": {"Findings": "Left paravertebral mass."}}
    (tmp_path / "b.jsonl").write_text(json.dumps(good) + "\n{\"U_id\": \n" + json.dumps({**good, "U_id": "B"}) + "\n")
    reports, failures = _results([tmp_path / "b.jsonl"])
    assert [r.id for r in reports] == ["A", "B"] and failures[0].source.endswith(":2")


def test_file_that_vanishes_mid_batch(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import radgraph.reports as reports_mod

    for n in ("a", "b", "c"):
        (tmp_path / f"{n}.txt").write_text(CASE)
    real = reports_mod.read_file

    def vanishing(path):  # type: ignore[no-untyped-def]
        if path.name == "b.txt":
            path.unlink()
        return real(path)

    monkeypatch.setattr(reports_mod, "read_file", vanishing)
    reports, failures = _results([tmp_path])
    assert [r.id for r in reports] == ["a", "c"]
    assert "not found" in failures[0].reason


EXAMPLES = int(os.environ.get("RADGRAPH_HYPOTHESIS_EXAMPLES", "150"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.text(max_size=400)
    | st.lists(
        st.sampled_from(["no", "mass", "paravertebral", "bilateral", "T1", "hyperintense", "Findings\n\n", ".", ",",
                         "calcification", "cannot be excluded", "old", "fx", "the", "EMH", "\n\n\n", "-", "(", ")"]),
        max_size=60,
    ).map(" ".join)
)
def test_property_extraction_total_and_deterministic(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    a = extract(nlp, Report("h", text))
    b = extract(nlp, Report("h", text))
    assert a == b
    for f in a.findings:
        assert text[f.start : f.end] == f.text
    for d in a.diagnoses:
        assert text[d.start : d.end] == d.text
    for m in a.mentions:
        assert text[m.start : m.end] == m.text
