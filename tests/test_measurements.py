"""Vital signs and laboratory values: a value outside its reference range is a finding.

Every sentence here is synthetic.
"""

from __future__ import annotations

import pytest

from radgraph.errors import RuleError
from radgraph.measurements import read_measurement
from radgraph.model import Assertion, Report
from radgraph.nlp import extract
from radgraph.rules import MeasurementRule, load_rules


def _found(nlp, text: str) -> dict[str, tuple[Assertion, str]]:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("t", "History\n\n" + text))
    return {f.concept: (f.assertion, f.text) for f in ex.findings}


@pytest.mark.parametrize(
    ("text", "concept", "span"),
    [
        ("A 40-year-old man with SpO2 89% on room air.", "rg:Hypoxia", "SpO2 89%"),
        ("Labs: WBC is 14 x 10^9/L on admission.", "rg:Leukocytosis", "WBC is 14 x 10^9/L"),
        ("Labs: white count of 18,500.", "rg:Leukocytosis", "white count of 18,500"),  # per microlitre
        ("Plt 548, Na 128.", "rg:Thrombocytosis", "Plt 548"),
        ("Plt 548, Na 128.", "rg:Hyponatremia", "Na 128"),
        ("WBC 13.2 H/H 14/40 plt 123", "rg:Thrombocytopenia", "plt 123"),
        ("WBC 13.2 H/H 14/40 plt 123", "rg:Leukocytosis", "WBC 13.2"),  # "H/H" is no unit
        ("Temp 101.2 F on admission.", "rg:Fever", "Temp 101.2 F"),  # Fahrenheit
        ("Temperature 38.6 C.", "rg:Fever", "Temperature 38.6 C"),
        ("BP 85/50 and HR 48 in a 60-year-old woman.", "rg:Hypotension", "BP 85/50"),
        ("BP 85/50 and HR 48 in a 60-year-old woman.", "rg:Bradycardia", "HR 48"),
        ("Serum calcium 3.1 mmol/L.", "rg:Hypercalcemia", "Serum calcium 3.1 mmol/L"),
        ("Creatinine 210 umol/L.", "rg:ElevatedCreatinine", "Creatinine 210 umol/L"),
        ("CRP 4.5 mg/dL.", "rg:ElevatedInflammatoryMarkers", "CRP 4.5 mg/dL"),  # 45 mg/L
        ("Platelets were low.", "rg:Thrombocytopenia", "Platelets were low"),
        ("SpO2 < 90% on room air.", "rg:Hypoxia", "SpO2 < 90%"),  # a bound stated with a comparison
        ("RV:LV ratio greater than 1.0.", "rg:RightVentricularEnlargement", "RV:LV ratio greater than 1.0"),
        ("Raised CRP.", "rg:ElevatedInflammatoryMarkers", "Raised CRP"),
        ("Labs: AST 233/ Tbili 2.7.", "rg:ElevatedTransaminases", "AST 233"),
        ("Alk Phos: 118, Lipase: 129.", "rg:ElevatedLipase", "Lipase: 129"),
        ("Alk Phos: 118, Lipase: 129.", "rg:ElevatedAlkalinePhosphatase", "Alk Phos: 118"),
        ("Albumin 2.1 g/dL.", "rg:Hypoalbuminemia", "Albumin 2.1 g/dL"),
        ("Albumin 21 g/L.", "rg:Hypoalbuminemia", "Albumin 21 g/L"),  # grams per litre
        ("Lactate 4.5 mmol/L.", "rg:Hyperlactatemia", "Lactate 4.5 mmol/L"),
        ("Lactate 40 mg/dL.", "rg:Hyperlactatemia", "Lactate 40 mg/dL"),  # 4.4 mmol/L
        ("INR was 3.4 on warfarin.", "rg:ProlongedProthrombinTime", "INR was 3.4"),
        ("NT-proBNP 2300 pg/mL.", "rg:ElevatedNatriureticPeptide", "NT-proBNP 2300 pg/mL"),
        ("BNP: 218.", "rg:ElevatedNatriureticPeptide", "BNP: 218"),
        ("PSA 12.4 ng/mL.", "rg:ElevatedProstateSpecificAntigen", "PSA 12.4 ng/mL"),
        ("LDH 586, amylase 450 U/L.", "rg:ElevatedLactateDehydrogenase", "LDH 586"),
        ("Troponin was elevated.", "rg:ElevatedTroponin", "Troponin was elevated"),
        # tests named together share their result; each but the last keeps its name alone
        ("Amylase, lipase and LDH were elevated.", "rg:Hyperamylasemia", "Amylase"),
        ("Amylase, lipase and LDH were elevated.", "rg:ElevatedLactateDehydrogenase", "LDH were elevated"),
        ("D-dimer and troponin were both elevated.", "rg:ElevatedTroponin", "troponin were both elevated"),
        ("Serum lipase is more than ten times the upper limit of normal.", "rg:ElevatedLipase",
         "Serum lipase is more than ten times the upper limit of normal"),  # a multiple of the upper limit
        ("ALT 5 x ULN.", "rg:ElevatedTransaminases", "ALT 5 x ULN"),
        ("The transaminases are moderately elevated.", "rg:ElevatedTransaminases",
         "transaminases are moderately elevated"),  # a degree between the copula and the result
        ("Prolonged prothrombin time.", "rg:ProlongedProthrombinTime", "Prolonged prothrombin time"),
        # a result written before a list of tests is shared by all of them
        ("Elevations of serum bilirubin, transaminases and of prothrombin time.", "rg:Hyperbilirubinemia",
         "Elevations of serum bilirubin"),
        ("Elevations of serum bilirubin, transaminases and of prothrombin time.", "rg:ElevatedTransaminases",
         "transaminases"),
        ("Elevations of serum bilirubin, transaminases and of prothrombin time.", "rg:ProlongedProthrombinTime",
         "prothrombin time"),
        ("Elevated BNP and troponin.", "rg:ElevatedTroponin", "troponin"),
        # a blood test after a urine one in a list without punctuation
        ("Urine Glucose 500mg/dL Serum Glucose 313mg/dL", "rg:Hyperglycemia", "Serum Glucose 313mg/dL"),
        # a dash between the name and the value
        ("Na-145, GLU-109 WBC-13.4, Hgb-14.1", "rg:Leukocytosis", "WBC-13.4"),
    ],
)
def test_a_value_outside_its_range_names_a_finding(nlp, text: str, concept: str, span: str) -> None:  # type: ignore[no-untyped-def]
    assert _found(nlp, text).get(concept) == (Assertion.PRESENT, span)


@pytest.mark.parametrize(
    "text",
    [
        "WBC 7.2, Plt 250, Na 140, CRP 3.",  # within range
        "A 3-year-old boy, HR 130, RR 30.",  # a child's rates
        "Distal pulses 2+ bilaterally.",  # a graded pulse is no rate
        "Urine glucose 500 mg/dL.",  # a urine test is not blood glucose
        "CSF white count of 98.",  # nor is a count in another fluid
        "Cell count revealed RBC 386, WBC 133.",
        "Normal heart rate and rhythm.",  # normal either way: names no one finding
        "AST 30, ALT 22, lipase 40, albumin 4.1, INR 1.0, lactate 1.1, BNP 45, PSA 1.2.",
        "A 12-year-old boy with alkaline phosphatase 300 U/L.",  # a growing child's bones
        "Troponin 0.5.",  # the limit depends on the assay: only words are read
        "Lactate 12 mg/dL.",  # 1.3 mmol/L
        "CSF LDH 900.",  # another specimen
        "Weak femoral pulses, and low pressures in both legs.",  # "and low" joins no second test name
        "MR spectroscopy shows that lactate is elevated.",  # a metabolite peak, not blood
        "Brain tissue shows elevated lactate.",
        "NAA to creatine ratios are increased, with relatively normal Cho and Cr.",  # MR spectroscopy
    ],
)
def test_values_within_range_or_not_values_name_nothing(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    assert _found(nlp, text) == {}


def test_a_low_haemoglobin_names_anaemia_a_condition_of_the_history(nlp) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("t", "History\n\nHb 85 g/L on admission."))  # grams per litre
    assert [(d.concept, d.text) for d in ex.diagnoses] == [("rg:Anemia", "Hb 85 g/L")]


@pytest.mark.parametrize(("who", "anaemic"), [("man", True), ("woman", False), ("patient", False)])
def test_haemoglobin_bounds_follow_the_patients_sex(nlp, who: str, anaemic: bool) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("t", f"History\n\nA 50-year-old {who}. Hb 12.5 g/dL."))
    assert any(d.concept == "rg:Anemia" for d in ex.diagnoses) is anaemic


def test_a_normal_result_rules_out_the_one_way_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _found(nlp, "There was no fever, and inflammatory markers were normal.")
    assert found["rg:ElevatedInflammatoryMarkers"] == (Assertion.ABSENT, "inflammatory markers were normal")
    assert found["rg:Fever"][0] is Assertion.ABSENT


def test_a_value_backing_a_named_finding_is_not_a_second_one(nlp) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("t", "History\n\nShe was tachycardic (HR 118) and tachypneic."))
    assert [f.text for f in ex.findings if f.concept == "rg:Tachycardia"] == ["tachycardic"]
    # a heart rate word is no site: "heart" must not place the neck-vein finding in the heart
    ex = extract(nlp, Report("t", "Exam\n\nNo jugular venous distention. Normal heart rate."))
    assert {f.concept for f in ex.findings} == {"rg:Dilatation"}


def test_a_value_backing_a_finding_of_the_sentence_is_not_a_second_one(nlp) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("t", "Findings\n\nThe RV is dilated with an RV:LV diameter ratio of 1.5."))
    assert [(f.concept, f.text) for f in ex.findings] == [("rg:RightVentricularEnlargement", "dilated")]


def test_negation_applies_to_a_measured_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _found(nlp, "Fever was ruled out; there was no SpO2 below 85% at any time.")
    assert found.get("rg:Hypoxia", (Assertion.ABSENT,))[0] is Assertion.ABSENT


def test_builtin_ranges_are_valid_and_name_known_concepts(ontology) -> None:  # type: ignore[no-untyped-def]
    rules = load_rules("builtin:measurements", MeasurementRule.from_dict)
    assert len({r.measure for r in rules}) == len(rules) >= 15
    for r in rules:
        assert r.measure in ontology and ontology.kind(r.measure).value == "measurement", r.id
        for c in (r.below, r.above):
            assert c is None or ontology.kind(c).value in ("finding", "condition"), (r.id, c)
        assert r.reference


def test_reading_uses_the_rule_alone() -> None:
    rule = MeasurementRule.from_dict(
        {"id": "x", "measure": "rg:HeartRate", "low": 60, "high": 100, "below": "rg:Bradycardia",
         "above": "rg:Tachycardia", "min_age": 16, "plausible": [20, 250], "reference": "test"},
        "t",
    )  # fmt: skip
    text = "HR: 130 bpm"
    r = read_measurement(rule, text, 0, 2, len(text), age=40)
    assert r is not None and (r.finding, text[r.start : r.end]) == ("rg:Tachycardia", "HR: 130 bpm")
    assert read_measurement(rule, text, 0, 2, len(text), age=5) is None  # a child
    assert read_measurement(rule, "HR 300", 0, 2, 6) is None  # not a heart rate


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "x", "measure": "HeartRate", "high": 1, "above": "rg:Tachycardia", "reference": "r"}', "CURIE"),
        ('{"id": "x", "measure": "rg:HeartRate", "high": 1, "reference": "r"}', "needs 'above'"),
        ('{"id": "x", "measure": "rg:HeartRate", "high": 1, "above": "rg:Tachycardia"}', "reference"),
        ('{"id": "x", "measure": "rg:HeartRate", "low": 5, "high": 1, "below": "rg:Bradycardia", '
         '"above": "rg:Tachycardia", "reference": "r"}', "must be below"),
        ('{"id": "x", "measure": "rg:HeartRate", "high": 1, "above": "rg:Tachycardia", "reference": "r", '
         '"rescale": [{"factor": 2, "unit": "("}]}', "rescale"),
        ('{"id": "x", "measure": "rg:HeartRate", "high": 1, "above": "rg:Tachycardia", "reference": "r", '
         '"plausible": [5]}', "plausible"),
        ('{"id": "x", "measure": "rg:HeartRate", "high": 1, "above": "rg:Tachycardia", "reference": "r", '
         '"by_sex": {"other": {"high": 2}}}', "by_sex"),
    ],
)
def test_bad_measurement_rules_are_rejected(tmp_path, line: str, message: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "m.jsonl"
    p.write_text(line + "\n")
    with pytest.raises(RuleError, match=message):
        load_rules(str(p), MeasurementRule.from_dict)


def test_a_childs_result_in_words_is_read_but_not_its_number(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _found(nlp, "A 15-year-old boy. Serum alkaline phosphatase is elevated. HR 110.")
    assert found == {"rg:ElevatedAlkalinePhosphatase": (Assertion.PRESENT, "Serum alkaline phosphatase is elevated")}


def test_a_result_written_on_the_line_before_is_not_this_tests(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _found(nlp, "Labs:\nLFTs normal\nLipase 300 U/L\nChem panel normal\nAmylase pending")
    assert found == {"rg:ElevatedLipase": (Assertion.PRESENT, "Lipase 300 U/L")}


def test_a_list_that_names_no_test_shares_no_result(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _found(nlp, "Decreased pain and temperature sensation in the trunk.")  # sensation, not a low temperature
    assert "rg:Hypothermia" not in found and "rg:Pain" in found


def test_a_result_is_a_fact_whatever_the_work_up_looked_for(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _found(nlp, "Labs to rule out pancreatitis: lipase was normal.") == {
        "rg:ElevatedLipase": (Assertion.ABSENT, "lipase was normal")}
    # a hypothetical result is still uncertain
    assert _found(nlp, "If the lipase is elevated, consider pancreatitis.") == {
        "rg:ElevatedLipase": (Assertion.UNCERTAIN, "lipase is elevated")}


def test_a_long_list_of_tests_shares_a_normal_result(nlp) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("t", "History\n\nESR, CRP, homocysteine, cardiolipin panel, RPR, lipid panel all wnl."))
    found = [(f.concept, f.assertion, f.text) for f in ex.findings]
    markers, absent = "rg:ElevatedInflammatoryMarkers", Assertion.ABSENT
    assert found == [(markers, absent, "ESR"), (markers, absent, "CRP")]


def test_tests_named_together_share_a_normal_result(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _found(nlp, "Amylase/lipase normal.")
    assert found == {"rg:Hyperamylasemia": (Assertion.ABSENT, "Amylase"),
                     "rg:ElevatedLipase": (Assertion.ABSENT, "lipase normal")}  # fmt: skip


def test_a_glasgow_coma_scale_below_15_is_a_reduced_level_of_consciousness(nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.model import Report
    from radgraph.nlp import extract

    def found(text: str) -> set[str]:
        return {f.concept for f in extract(nlp, Report("t", "History\n\n" + text)).findings}

    assert found("GCS 6 on arrival.") == {"rg:AlteredMentalStatus"}
    # a full score names nothing, and the scale's name is no coma
    assert found("His Glasgow Coma Score (GCS) was 15 when initially evaluated.") == set()
    assert found("GCS of 15.") == set()
