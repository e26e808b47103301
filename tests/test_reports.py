from __future__ import annotations

import json

import pytest

from radgraph.errors import InputError
from radgraph.model import SectionCategory
from radgraph.reports import decode, html_to_text, iter_reports, report_from_medpix, split_list


def _medpix(uid: str = "SYN1") -> dict:  # type: ignore[type-arg]
    return {
        "U_id": uid,
        "Case": {"Title": "Synthetic case", "History": "45 yo woman with cough.", "Findings": "Right hilar mass.",
                 "Differential Diagnosis": "• Lymphoma\n• Sarcoidosis", "Case Diagnosis": "Lymphoma",
                 "Discussion": None},
        "Topic": {"ACR Code": "6.3", "Category": "Neoplasm, malignant", "Disease Discussion": "Lymphoma is common.",
                  "Title": "Lymphoma", "Reference": "A textbook."},
    }


def test_medpix_sections_have_exact_offsets() -> None:
    r = report_from_medpix(_medpix(), "x.jsonl:1")
    assert r.meta.acr_code == "6.3" and r.meta.differentials == ("Lymphoma", "Sarcoidosis")
    cats = [s.category for s in r.sections]
    assert SectionCategory.FINDINGS in cats and SectionCategory.DISCUSSION in cats
    findings = next(s for s in r.sections if s.category is SectionCategory.FINDINGS)
    assert r.text[findings.body_start : findings.end] == "Right hilar mass."


def test_batch_goes_on_past_a_malformed_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "batch.jsonl"
    p.write_text(json.dumps(_medpix("A")) + "\n{not json\n" + json.dumps(_medpix("B")) + "\n")
    results = list(iter_reports([p]))
    assert [r.report.id for r in results if r.report] == ["A", "B"]
    failures = [r.failure for r in results if r.failure]
    assert len(failures) == 1 and failures[0].source.endswith(":2") and "malformed JSON" in failures[0].reason


def test_html_drops_scripts_and_boilerplate() -> None:
    html = ("<html><head><style>p{}</style></head><body><nav>Home</nav><h2>Findings</h2>"
            "<p>Left paravertebral mass.</p><script>alert(1)</script>"
            "<p>This email address is being protected from spambots.</p><p>Go to top</p></body></html>")
    text = html_to_text(html)
    assert "Left paravertebral mass." in text and "Findings" in text
    assert "alert" not in text and "Home" not in text and "spambots" not in text and "Go to top" not in text


def test_decode_errors_and_encodings() -> None:
    with pytest.raises(InputError, match="empty"):
        decode(b"", "f")
    with pytest.raises(InputError, match="whitespace"):
        decode(b"  \n ", "f")
    with pytest.raises(InputError, match="binary"):
        decode(b"\x00\x01\x02abc", "f")
    assert decode("Ödem".encode("latin-1"), "f") == "Ödem"
    assert decode("\ufeffmass".encode("utf-16"), "f").strip("\ufeff") == "mass"


def test_split_list() -> None:
    assert split_list("1. Schwannoma 2. Neurofibroma") == ("Schwannoma", "Neurofibroma")
    assert split_list("Schwannoma, neurofibroma, lymphoma") == ("Schwannoma", "neurofibroma", "lymphoma")


def test_missing_paths_are_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    results = list(iter_reports([tmp_path / "nope.txt", str(tmp_path / "*.txt")]))
    assert all(r.failure for r in results) and len(results) == 2
