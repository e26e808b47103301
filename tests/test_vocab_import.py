from __future__ import annotations

from click.testing import CliRunner

from radgraph.cli import main
from radgraph.model import Report
from radgraph.nlp import build_nlp, extract
from radgraph.ontology import build_ontology, ontology_triples


def test_radlex_import_adds_terms_under_mapped_concepts(tmp_path, ontology) -> None:  # type: ignore[no-untyped-def]
    csv_file = tmp_path / "radlex.csv"
    # RID3874 is "mass", which rg:Mass cross-references; RID99998 hangs below an unmapped term
    csv_file.write_text(
        "mass,RID3874,RID1\nglomus flux lesion,RID99999,RID3874\nunmapped thing,RID99997,RID42\n"
        "mass of the paravertebral region,RID99996,RID3874\n"
    )
    out = tmp_path / "extra.ttl"
    result = CliRunner().invoke(main, ["vocab", "import", "radlex", str(csv_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    onto = build_ontology(ontology_triples(extra=[out]))
    assert onto.lookup("glomus flux lesion") == "radlex:RID99999"
    assert "rg:Mass" in onto.ancestors("radlex:RID99999")
    assert onto.lookup("unmapped thing", strict=False) is None
    ex = extract(build_nlp(onto), Report("v", "Findings\n\nNo glomus flux lesion."))
    assert [(f.concept, f.assertion.value) for f in ex.findings] == [("radlex:RID99999", "absent")]
    assert ontology.lookup("glomus flux lesion", strict=False) is None  # the packaged ontology is unchanged
