"""Findings named by verbs, participles and predicates; refinement by site; context edge cases.

Every sentence here is synthetic.
"""

from __future__ import annotations

import pytest

from radgraph.concepts import refine
from radgraph.context import Trigger, assign_context
from radgraph.model import Assertion, Laterality, Report, SectionCategory, Subject, Temporality
from radgraph.nlp import extract
from radgraph.rules import ContextCategory, ContextRule, Direction


def _findings(nlp, text: str):  # type: ignore[no-untyped-def]
    return extract(nlp, Report("t", "Findings\n\n" + text)).findings


def _concepts(nlp, text: str) -> dict[str, Assertion]:  # type: ignore[no-untyped-def]
    return {f.concept: f.assertion for f in _findings(nlp, text)}


def _diagnoses(nlp, text: str):  # type: ignore[no-untyped-def]
    """The diagnoses of a whole case text (with its own section headings)."""
    return extract(nlp, Report("t", text)).diagnoses


@pytest.mark.parametrize(
    "text,concept,assertion",
    [
        ("The spleen is enlarged to 17 cm.", "rg:Splenomegaly", Assertion.PRESENT),
        ("The liver is mildly enlarged.", "rg:Hepatomegaly", Assertion.PRESENT),
        ("The right ventricle is dilated.", "rg:RightVentricularEnlargement", Assertion.PRESENT),
        ("The main pancreatic duct is not dilated.", "rg:PancreaticDuctDilatation", Assertion.ABSENT),
        ("The mass narrows the canal and compresses the cord.", "rg:SpinalCanalStenosis", Assertion.PRESENT),
        ("The mass narrows the canal and compresses the cord.", "rg:SpinalCordCompression", Assertion.PRESENT),
        ("There is mild effacement of the left lateral ventricle.", "rg:VentricularEffacement", Assertion.PRESENT),
        ("The tumour displaces the left kidney.", "rg:Displacement", Assertion.PRESENT),
        ("The tumour extends into the epidural space.", "rg:EpiduralExtension", Assertion.PRESENT),
        ("This lesion does not enhance after gadolinium.", "rg:ContrastEnhancement", Assertion.ABSENT),
        ("There is no ring enhancement.", "rg:RingEnhancingLesion", Assertion.ABSENT),
        ("CT shows an expansile, multiloculated lytic lesion.", "rg:ExpansileLyticLesion", Assertion.PRESENT),
        ("MRI shows collapse of T11.", "rg:VertebralCollapse", Assertion.PRESENT),
        ("A 3 cm hypodensity is seen in the right kidney.", "rg:HypodenseLesion", Assertion.PRESENT),
        ("There is splenic vein thrombosis.", "rg:VenousThrombus", Assertion.PRESENT),
        ("Small gastric varices are present.", "rg:Varices", Assertion.PRESENT),
        ("The patient had no focal neurologic findings.", "rg:FocalNeurologicDeficit", Assertion.ABSENT),
        ("No fluid sign is identified, and the adjacent discs are preserved.", "rg:DiscSparing", Assertion.PRESENT),
        ("The mass remodels rather than destroys bone.", "rg:BoneRemodeling", Assertion.PRESENT),
        ("Symptoms:\n-ataxia\n-vertigo", "rg:Ataxia", Assertion.PRESENT),
    ],
)
def test_verb_and_predicate_findings(nlp, text, concept, assertion) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, text)
    assert concept in found, f"{concept} not in {sorted(found)} for {text!r}"
    assert found[concept] is assertion


def test_participle_without_a_site_is_no_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    assert not any(f.concept in ("rg:Enlargement", "rg:Dilatation") for f in _findings(nlp, "It is enlarged."))


def test_adjectival_signal_is_not_a_finding_of_its_own(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "Mammography shows an irregular high-density mass.")
    assert "rg:SignalFinding" not in found and "rg:HyperdenseLesion" not in found


def test_contrast_enhanced_technique_is_no_enhancement_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "Contrast-enhanced CT of the abdomen shows ascites.")
    assert "rg:ContrastEnhancement" not in found and "rg:Ascites" in found


def test_textbook_verb_enhancement_is_a_generic_finding() -> None:
    from radgraph.nlp import build_nlp

    nlp = build_nlp()
    ex = extract(nlp, Report("t", "Discussion\n\nActive lesions usually enhance."))
    enh = [f for f in ex.findings if f.concept == "rg:ContrastEnhancement"]
    assert enh and enh[0].subject is Subject.GENERIC


def test_first_named_site_wins_a_tie(ontology) -> None:  # type: ignore[no-untyped-def]
    sites = ["rg:PulmonaryHilum", "rg:SubcarinalSpace"]
    assert refine("rg:Lymphadenopathy", {"rg:locatedIn": sites}, ontology).curie == "rg:HilarLymphadenopathy"
    reversed_sites = {"rg:locatedIn": sites[::-1]}
    assert refine("rg:Lymphadenopathy", reversed_sites, ontology).curie == "rg:MediastinalLymphadenopathy"


def test_coordinated_sites_of_one_head_name_one_finding_per_kind(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "There is hilar, subcarinal and paratracheal lymphadenopathy.")
    by_concept = {f.concept: {s.concept for s in f.sites} for f in found}
    assert by_concept == {
        "rg:HilarLymphadenopathy": {"rg:PulmonaryHilum"},
        "rg:MediastinalLymphadenopathy": {"rg:SubcarinalSpace", "rg:ParatrachealRegion"},
    }
    found = _findings(nlp, "There is no rib or vertebral destruction.")
    assert {(f.concept, f.assertion) for f in found} == {
        ("rg:RibDestruction", Assertion.ABSENT),
        ("rg:BoneDestruction", Assertion.ABSENT),
    }
    # one kind for every site: one finding ("collapse of T10 and T11")
    assert [f.concept for f in _findings(nlp, "There is collapse of T10 and T11.")] == ["rg:VertebralCollapse"]
    # "pancreatic" names the pancreatic duct, sharing the noun of the next site
    found = _findings(nlp, "There is dilatation of the pancreatic and biliary ducts.")
    assert {f.concept for f in found} == {"rg:PancreaticDuctDilatation", "rg:BiliaryDilatation"}


def test_a_dilated_vessel_of_an_organ_is_no_organomegaly(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:Hepatomegaly" not in _concepts(nlp, "There is distention of the hepatic veins.")
    assert "rg:Nephromegaly" not in _concepts(nlp, "Dilation of both renal arteries is seen.")
    assert "rg:Hepatomegaly" in _concepts(nlp, "The liver is enlarged.")
    found = _concepts(nlp, "The inferior vena cava and hepatic veins dilate.")
    assert found == {"rg:IVCDilatation": Assertion.PRESENT, "rg:Dilatation": Assertion.PRESENT}


def test_definite_mention_after_a_lesion_is_no_new_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "A 2 cm hypodense lesion is seen in the left kidney. The well-circumscribed mass is stable.")
    assert [f.concept for f in found].count("rg:Mass") == 0


def test_negatives_take_no_side_from_the_section(nlp) -> None:  # type: ignore[no-untyped-def]
    found = {f.concept: f for f in _findings(nlp, "A left adnexal mass is seen. There is no ascites.")}
    assert found["rg:Ascites"].assertion is Assertion.ABSENT and found["rg:Ascites"].laterality is None


def test_a_site_before_with_belongs_to_the_head_before_it(nlp) -> None:  # type: ignore[no-untyped-def]
    found = {f.concept: [s.concept for s in f.sites] for f in _findings(
        nlp, "Heterogeneously enhancing mass in the right temporal lobe with central necrosis.")}
    assert found["rg:EnhancingMass"] == ["rg:TemporalLobe"]


@pytest.mark.parametrize(
    ("text", "site"),
    [("Mass in the R upper quadrant.", "rg:RightUpperQuadrant"), ("Opacity in the L lower lobe.", "rg:LeftLowerLobe"),
     ("Nodule in the rt lower lobe.", "rg:RightLowerLobe"),
     ("A 3 cm hemangioma-like lesion in segment VIII.", "rg:HepaticSegmentVIII")],  # a Couinaud segment
)
def test_a_side_abbreviated_in_a_sites_name(nlp, text: str, site: str) -> None:  # type: ignore[no-untyped-def]
    assert [[s.concept for s in f.sites] for f in _findings(nlp, text)] == [[site]]


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        # one signal finding per sequence named together
        ("Hyperintense on both T1WI and T2WI.", {"rg:T1Hyperintensity", "rg:T2Hyperintensity"}),
        ("Areas of high signal on T1- and T2-weighted images.", {"rg:T1Hyperintensity", "rg:T2Hyperintensity"}),
        ("The mass is hyperintense on T1- and T2-weighted images.",
         {"rg:Mass", "rg:T1Hyperintensity", "rg:T2Hyperintensity"}),
        ("The mass is T1 and T2 hyperintense.", {"rg:Mass", "rg:T1Hyperintensity", "rg:T2Hyperintensity"}),
        ("Low signal on T1WI and high signal on T2WI.", {"rg:T1Hypointensity", "rg:T2Hyperintensity"}),
        # each sequence keeps its own signal; a comma ends another phrase
        ("Low T1 and high T2 signal.", {"rg:T1Hypointensity", "rg:T2Hyperintensity"}),
        ("Enhancement with gadolinium on T1, T2 hyperintensity.", {"rg:ContrastEnhancement", "rg:T2Hyperintensity"}),
        # a compound sequence names one finding
        ("Low signal intensity on T2 weighted fat suppressed images.", {"rg:T2Hypointensity"}),
        ("Bright on T2W.", {"rg:T2Hyperintensity"}),  # a full stop after a sequence name
        # a signal said of a named finding qualifies it (annotation guideline)
        ("The mass is hyperintense on T2WI.", {"rg:Mass"}),
    ],
)
def test_signals_and_their_sequences(nlp, text: str, concepts: set[str]) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, text)
    assert {f.concept for f in found} == concepts
    assert all(f.laterality is None for f in found)  # "both" counts sequences, not sides


def test_words_read_in_context(nlp) -> None:  # type: ignore[no-untyped-def]
    found = {f.concept: f for f in _findings(nlp, "A segmental area of non enhancement in the kidney. Protrusion of "
                                                  "brain through the skull defect. He had stones several years ago.")}
    assert found["rg:ContrastEnhancement"].assertion is Assertion.ABSENT
    assert "rg:DiscProtrusion" not in found  # a protrusion is a disc's only when the text says so
    assert found["rg:Calculus"].temporality is Temporality.HISTORICAL


def test_single_organs_and_shifts_take_no_side_from_the_section(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("A large left renal mass is seen. There is a small cyst. The spleen is enlarged. The heart is enlarged. "
            "There is spinal cord compression. There is 5 mm of midline shift.")
    side = {f.concept: f.laterality for f in _findings(nlp, text)}
    assert side["rg:RenalMass"] is Laterality.LEFT
    assert side["rg:RenalCyst"] is Laterality.LEFT  # a finding that names no organ still takes the section's side
    assert side["rg:Splenomegaly"] is None and side["rg:Cardiomegaly"] is None
    assert side["rg:SpinalCordCompression"] is None and side["rg:MidlineShift"] is None


def test_refine_through_an_intermediate_class(ontology) -> None:  # type: ignore[no-untyped-def]
    assert refine("rg:Enlargement", {"rg:locatedIn": ["rg:Spleen"]}, ontology).curie == "rg:Splenomegaly"
    assert refine("rg:Dilatation", {"rg:locatedIn": ["rg:RightVentricle"]}, ontology).curie == (
        "rg:RightVentricularEnlargement"
    )
    # a cervical lymphadenopathy needs a lymph node: an enlarged structure in the neck is not one
    assert refine("rg:Enlargement", {"rg:locatedIn": ["rg:Neck"]}, ontology).curie == "rg:Enlargement"
    # an enlarged part of an organ is no enlarged organ: a ventricle of the brain is no brain
    assert refine("rg:Enlargement", {"rg:locatedIn": ["rg:LateralVentricle"]}, ontology).curie == "rg:Ventriculomegaly"
    assert refine("rg:Enlargement", {"rg:locatedIn": ["rg:BronchialArtery"]}, ontology).curie != "rg:Organomegaly"
    # refinement goes down the hierarchy only: a midline shift never becomes a ventricular effacement
    assert refine("rg:MidlineShift", {"rg:locatedIn": ["rg:LateralVentricle"]}, ontology).curie == "rg:MidlineShift"


def test_refinement_is_remembered_per_ontology_and_takes_any_iterable(ontology) -> None:  # type: ignore[no-untyped-def]
    first = refine("rg:Enlargement", {"rg:locatedIn": ["rg:Spleen"], "rg:hasSignal": []}, ontology)
    assert refine("rg:Enlargement", {"rg:locatedIn": ["rg:Spleen"]}, ontology) is first
    # a generator of qualifier values is read once, for the key and for the answer
    assert refine("rg:Enlargement", {"rg:locatedIn": (s for s in ["rg:Spleen"])}, ontology) is first
    # the order of the sites is part of the question (the first named site wins a tie)
    assert refine("rg:Mass", {"rg:locatedIn": ["rg:Liver", "rg:Kidney"]}, ontology).curie == "rg:HepaticMass"
    assert refine("rg:Mass", {"rg:locatedIn": ["rg:Kidney", "rg:Liver"]}, ontology).curie == "rg:RenalMass"


def test_the_refinement_memo_is_bounded(ontology, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from radgraph import concepts

    monkeypatch.setattr(concepts, "REFINE_MEMO", 3)
    sites = ["rg:Liver", "rg:Kidney", "rg:Spleen", "rg:Lung", "rg:Brain", "rg:Pancreas"]
    answers = [refine("rg:Mass", {"rg:locatedIn": [s]}, ontology).curie for s in sites]
    assert len(ontology.memo("refine")) <= 3
    assert answers[:2] == ["rg:HepaticMass", "rg:RenalMass"]
    assert [refine("rg:Mass", {"rg:locatedIn": [s]}, ontology).curie for s in sites] == answers


def test_trigger_overlapping_the_start_of_a_target_scopes_over_it() -> None:
    neg = ContextRule("n", "no focal", ContextCategory.NEGATED, Direction.FORWARD, 5)
    # "no focal" (tokens 0-2) overlaps the target "focal deficit" (tokens 1-3)
    assert assign_context([(1, 3)], [Trigger(0, 2, neg)])[0].assertion is Assertion.ABSENT
    # a trigger wholly inside a target is part of its name
    assert assign_context([(0, 3)], [Trigger(0, 2, neg)])[0].assertion is Assertion.PRESENT


def test_rather_than_negates_the_alternative(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "The mass remodels rather than destroys bone.")
    assert found.get("rg:BoneDestruction") is Assertion.ABSENT


def test_coordinated_site_names_a_second_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "There is no epidural or paravertebral soft-tissue mass.")
    assert found.get("rg:EpiduralMass") is Assertion.ABSENT and found.get("rg:ParavertebralMass") is Assertion.ABSENT


def test_hemorrhage_condition_is_a_finding_only_in_the_findings(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:Hemorrhage" in _concepts(nlp, "There is acute subarachnoid hemorrhage.")
    ex = extract(nlp, Report("t", "Discussion\n\nSubarachnoid hemorrhage is a cause of sudden headache."))
    assert not any(f.concept == "rg:Hemorrhage" for f in ex.findings)


def test_normal_fat_of_a_region_is_no_fat_containing_lesion(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:FatContainingLesion" not in _concepts(nlp, "The mass lies in the retropharyngeal fat.")
    assert "rg:FatContainingLesion" in _concepts(nlp, "The mass contains macroscopic fat.")


def test_signal_range_describes_the_lesion(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "The masses are of intermediate-to-high signal on T2WI.")
    assert "rg:T2Hyperintensity" not in found and "rg:SignalFinding" not in found


@pytest.mark.parametrize(
    "text,concept",
    [
        ("There is a tear of the Achilles tendon.", "rg:AchillesTendonRupture"),
        ("The ACL is torn.", "rg:AnteriorCruciateLigamentTear"),
        ("Full thickness tear of the patellar tendon.", "rg:TendonTear"),
        ("Calcified granuloma in the right upper lobe.", "rg:Granuloma"),
        ("Fracture of the left femoral neck.", "rg:FemoralNeckFracture"),
    ],
)
def test_a_tear_or_fracture_takes_its_site(nlp, text: str, concept: str) -> None:  # type: ignore[no-untyped-def]
    assert concept in _concepts(nlp, text)


@pytest.mark.parametrize(
    "diagnosis,concept",
    [
        ("Tear of the Achilles tendon- almost complete", "rg:AchillesTendonRupture"),
        ("Fracture of the left femoral neck", "rg:FemoralNeckFracture"),
        ("Congenital Lobar Emphysema- radiographic findings", "rg:CongenitalLobarOverinflation"),
    ],
)
def test_a_final_diagnosis_named_by_a_finding_takes_its_site(nlp, diagnosis: str, concept: str) -> None:  # type: ignore[no-untyped-def]
    ex = extract(nlp, Report("t", "History\n\nPain.\n\nDiagnosis\n\n" + diagnosis + "\n"))
    assert [d.concept for d in ex.final_diagnoses()] == [concept]


def test_exam_shorthand_and_a_full_stop_after_it(nlp) -> None:  # type: ignore[no-untyped-def]
    # "no m/r/g." (murmurs, rubs, gallops) at the end of a sentence: the stop is not part of "m"
    assert _concepts(nlp, "Heart: RRR, no m/r/g.") == {"rg:HeartMurmur": Assertion.ABSENT}
    assert [t.text for t in nlp.make_doc("14 x 10^9/L.")][-2:] == ["L", "."]


def test_a_hanging_dash_is_its_own_token(nlp) -> None:  # type: ignore[no-untyped-def]
    words = [t.text for t in nlp.make_doc("Lobar Emphysema- findings at T11- T12; L4-L5")]
    assert words == ["Lobar", "Emphysema", "-", "findings", "at", "T11", "-", "T12", ";", "L4", "-", "L5"]


def test_a_descriptor_said_of_a_finding_names_the_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "The mass is necrotic.")["rg:NecroticMass"] is Assertion.PRESENT
    assert _concepts(nlp, "The mass is not necrotic.")["rg:NecroticMass"] is Assertion.ABSENT
    found = {f.concept: f for f in _findings(nlp, "The right renal mass is heterogeneous and cystic.")}
    assert {"rg:HeterogeneousMass", "rg:CysticMass"} <= set(found)
    assert [s.concept for s in found["rg:CysticMass"].sites] == ["rg:Kidney"]
    # a descriptor that forms no finding with the head word adds nothing
    assert set(_concepts(nlp, "The lesion is focal.")) == {"rg:Lesion"}


def test_citations_of_the_literature_are_not_read(nlp) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Discussion\n\nThe patient had headaches. Earlier work agrees. References: Smith JA. Headache and "
        "hydrocephalus in adults. Am J Neuroradiol. 2001 Feb15;63(4):685-92. Lee B. Lung masses. Radiology "
        "2005;235:444-53.\n\nFindings\n\nA lung mass in the right upper lobe.\n"
    )
    ex = extract(nlp, Report("t", text))
    spans = [text[f.start : f.end] for f in ex.findings]
    assert "headaches" in spans and "lung mass" in spans  # the case's own sentences are read
    assert "Headache" not in spans and "hydrocephalus" not in spans and "Lung masses" not in spans


def test_a_finding_placed_in_the_site_of_the_section_takes_its_concept(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "There is a 3 cm mass in the left putamen. A haematoma is also seen.")
    hematoma = next(f for f in found if f.text == "haematoma")
    assert hematoma.concept == "rg:IntraparenchymalHematoma"
    assert [s.concept for s in hematoma.sites] == ["rg:Putamen"]
    # a symptom takes no concept from the section's site
    clinical = _findings(nlp, "A mass in the left knee joint. Pain is reported.")
    assert all(f.concept != "rg:KneePain" for f in clinical)


@pytest.mark.parametrize(
    "text",
    ["Areas of haemorrhagic necrosis may be present.", "There is possibly a retropharyngeal mass."],
)
def test_possibility_stated_after_or_before_the_finding(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    found = [f for f in _findings(nlp, text) if f.concept in ("rg:TissueNecrosis", "rg:Mass")]
    assert found and all(f.assertion is Assertion.UNCERTAIN for f in found)


def test_the_signal_of_a_part_of_a_lesion_is_a_finding_of_its_own(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("There is a haematoma in the left putamen. On T1WI there is a thick hyperintense peripheral rim. "
            "On T2WI the centre remains hypointense.")  # fmt: skip
    found = {f.concept for f in _findings(nlp, text)}
    assert {"rg:T1Hyperintensity", "rg:T2Hypointensity"} <= found
    # the signal of the lesion itself only qualifies it
    assert {f.concept for f in _findings(nlp, "The mass is hyperintense on T2WI.")} == {"rg:Mass"}


@pytest.mark.parametrize(
    ("text", "concept", "assertion"),
    [
        ("The heart is enlarged.", "rg:Cardiomegaly", Assertion.PRESENT),  # the narrower place wins a tie
        ("The neural foramina are not widened.", "rg:WidenedNeuralForamen", Assertion.ABSENT),
        ("The mediastinum is widened.", "rg:MediastinalWidening", Assertion.PRESENT),
        # a dilated ventricle is an enlarged one, not a hypertrophied (thick-walled) one
        ("The left ventricle is dilated.", "rg:LeftVentricularEnlargement", Assertion.PRESENT),
        # a distended vein in the neck is no cervical lymphadenopathy
        ("No jugular venous distention.", "rg:Dilatation", Assertion.ABSENT),
        # a verb names the finding it does to its subject
        ("The inferior vena cava dilates.", "rg:IVCDilatation", Assertion.PRESENT),
        # gas placed in a space is the named collection there
        ("There is gas within the mediastinum.", "rg:Pneumomediastinum", Assertion.PRESENT),
        ("Gas within the mesenteric veins.", "rg:PortalVenousGas", Assertion.PRESENT),
    ],
)
def test_a_structure_said_to_be_enlarged_or_widened(nlp, text: str, concept: str, assertion: Assertion) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, text) == {concept: assertion}


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("The lesion is hyperdense on CT.", "rg:HyperdenseLesion"),  # a signal said of a finding
        ("The mass is ring-enhancing.", "rg:RingEnhancingLesion"),  # an enhancement said of a finding
        ("There is mild weakness of the left leg.", "rg:LowerExtremityWeakness"),  # a site defines the symptom
    ],
)
def test_signal_enhancement_and_site_name_a_more_specific_finding(nlp, text: str, concept: str) -> None:  # type: ignore[no-untyped-def]
    assert concept in _concepts(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "Surgery is advised unless the patient develops bone pain.",
        "Staging includes a search for further pulmonary nodules.",
        "The presence or absence of enhancement decides the management.",
        "Repair is done early to avoid rupture of the aneurysm.",
    ],
)
def test_a_finding_named_as_a_condition_or_a_thing_to_look_for_is_uncertain(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, text)
    assert found and all(f.assertion is Assertion.UNCERTAIN for f in found)


def test_a_tumour_named_as_a_class_in_a_textbook_sentence_is_no_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Findings\n\nA mass in the left femur.\n\nDiscussion\n\nOsteosarcoma is the most common primary malignant "
            "bone tumour of adolescents. Chondroblastoma accounts for 1% of all bone tumours. "
            "The typical appearance is a heterogeneous mass.")  # fmt: skip
    generic = [f for f in extract(nlp, Report("t", text)).findings if f.subject is Subject.GENERIC]
    assert [f.text for f in generic] == ["heterogeneous mass"]


def test_a_heterogeneous_signal_said_of_a_lesion_only_qualifies_it(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "There is a mass in the right frontal lobe. It is heterogeneously hyperintense on T2WI.")
    assert all(f.concept != "rg:HeterogeneousSignal" for f in found)


@pytest.mark.parametrize(
    ("text", "concept", "assertion"),
    [
        # a negated "not uncommon" affirms
        ("It is not uncommon to see calcified stones in the diverticulum.", "rg:Calculus", Assertion.PRESENT),
        # a negation ends at the verb of its clause ...
        ("Collections without a wall are acute peripancreatic fluid collections.", "rg:PeripancreaticFluid",
         Assertion.PRESENT),
        # ... but "nor is" negates what follows it, and a hypothetical "if" runs past the verb
        ("The bone is intact. Nor is there a soft tissue mass.", "rg:SoftTissueMass", Assertion.ABSENT),
        ("If the lesion is purely lytic, a simple cyst is likely.", "rg:LyticLesion", Assertion.UNCERTAIN),
        # a backward uncertainty does not reach over ", and" into the clause before
        ("Enhancement is typically strong, and necrosis is uncommon.", "rg:ContrastEnhancement", Assertion.PRESENT),
        ("Enhancement is typically strong, and necrosis is uncommon.", "rg:TissueNecrosis", Assertion.UNCERTAIN),
        # "may" with a verb of existence after the finding questions it; "may result in" only what follows
        ("Larger stones may form in the diverticulum.", "rg:Calculus", Assertion.UNCERTAIN),
        ("Nodes may calcify over time.", "rg:CalcifiedLymphNode", Assertion.UNCERTAIN),  # "nodes" are lymph nodes
        ("Obstruction may result in hydronephrosis.", "rg:Obstruction", Assertion.PRESENT),
        ("Obstruction may result in hydronephrosis.", "rg:Hydronephrosis", Assertion.UNCERTAIN),
        # an uncertainty verb questions its complement, even behind "areas of", not its subject
        ("Areas of low density are likely areas of necrosis.", "rg:TissueNecrosis", Assertion.UNCERTAIN),
        ("Areas of low density are likely areas of necrosis.", "rg:HypodenseLesion", Assertion.PRESENT),
        # "not specific" negates no finding
        ("The sign is not specific, and cortical destruction suggests a tumour.", "rg:CorticalDestruction",
         Assertion.PRESENT),
        # "occasionally", like "sometimes", states a finding (the guideline's convention)
        ("Meningeal enhancement is occasionally seen.", "rg:ContrastEnhancement", Assertion.PRESENT),
        # ... and so do "can" and "sometimes"; "may" and "could" question it
        ("Thin-walled cysts can result in pneumothorax.", "rg:Pneumothorax", Assertion.PRESENT),
        ("Appendicitis is sometimes accompanied by focal caecal thickening.", "rg:Thickening", Assertion.PRESENT),
        ("Thin-walled cysts could result in pneumothorax.", "rg:Pneumothorax", Assertion.UNCERTAIN),
        ("Calcification can be seen in a fifth of cases.", "rg:Calcification", Assertion.PRESENT),
        # a negation ends at the comma before the conclusion drawn, which keeps its own context
        ("Imperceptible walls and no enhancement, indicating a simple cyst.", "rg:SimpleCyst", Assertion.PRESENT),
        ("There is no enhancement, suggesting a cyst.", "rg:Cyst", Assertion.UNCERTAIN),
        # a condition reaches the end of a longer clause
        ("It is unknown if he had any of the other symptoms of the syndrome, such as acute mental status changes.",
         "rg:AlteredMentalStatus", Assertion.UNCERTAIN),
        # a denial covers a long review of systems; "suggested" questions what follows, "suggested by" does not
        ("She denies trauma, recent increases in activity, pain worse at night, recent illness, fevers, chills, new "
         "sexual contacts or a vesicular rash.", "rg:SkinRash", Assertion.ABSENT),
        ("Examination of the groin suggested an inguinal hernia.", "rg:InguinalHernia", Assertion.UNCERTAIN),
        ("Closed-loop obstruction is suggested by a U-shaped dilated loop and converging mesenteric vessels.",
         "rg:Dilatation", Assertion.PRESENT),
        # a result given after the list it covers, across "which"
        ("A head CT for bleeding and mass effect, which was negative, was done first.", "rg:MassEffect",
         Assertion.ABSENT),
        ("A head CT for bleeding and mass effect, which was negative, was done first.", "rg:Hemorrhage",
         Assertion.ABSENT),
        # a risk is a possibility, not a finding
        ("Biopsy is avoided because of the risk of bleeding.", "rg:Hemorrhage", Assertion.UNCERTAIN),
        ("Patients are at risk for hydrocephalus.", "rg:Hydrocephalus", Assertion.UNCERTAIN),
        # what a differential is for is seen; the candidates after its verb or colon are in question, to the end
        # of a long list
        ("The differential diagnosis of a solitary pulmonary nodule includes granuloma.", "rg:SolitaryPulmonaryNodule",
         Assertion.PRESENT),
        ("The differential diagnosis of a solitary pulmonary nodule includes granuloma.", "rg:Granuloma",
         Assertion.UNCERTAIN),
        ("It should be considered in the differential for a retropharyngeal mass.", "rg:Mass", Assertion.PRESENT),
        ("Differential for the mass: abscess, lymphoma or haematoma.", "rg:Hematoma", Assertion.UNCERTAIN),
        ("The lesion has a differential diagnosis of abscess or haematoma.", "rg:Abscess", Assertion.UNCERTAIN),
        ("The differential includes metastasis, nerve sheath tumour, primary bone tumour, myeloma, meningocele, "
         "cysts and abscesses.", "rg:Abscess", Assertion.UNCERTAIN),
        ("Such masses invoke a long list of differential diagnoses: lymphoma, myeloma, cysts and abscesses.", "rg:Cyst",
         Assertion.UNCERTAIN),
        # so are the items a diagnosis requires
        ("The diagnosis requires two of three criteria: typical pain, raised lipase and typical imaging.", "rg:Pain",
         Assertion.UNCERTAIN),
    ],
)
def test_negation_scope_and_pseudo_negation(nlp, text: str, concept: str, assertion: Assertion) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, text).get(concept) is assertion


def test_a_terminator_can_end_the_scope_of_one_category_only() -> None:
    neg = Trigger(0, 1, ContextRule("neg", "no", ContextCategory.NEGATED))
    hyp = Trigger(0, 1, ContextRule("hyp", "if", ContextCategory.HYPOTHETICAL))
    verb = Trigger(2, 3, ContextRule("is", "is", ContextCategory.TERMINATE, Direction.FORWARD,
                                     ends=ContextCategory.NEGATED))  # fmt: skip
    assert assign_context([(3, 4)], [neg, verb])[0].assertion is Assertion.PRESENT
    assert assign_context([(3, 4)], [hyp, verb])[0].assertion is Assertion.UNCERTAIN


def test_a_container_noun_is_no_finding_of_its_own(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "There are several small foci of low density in the left parietal lobe.")
    assert [(f.concept, f.text) for f in found] == [("rg:HypodenseLesion", "low density")]
    # a site with no other finding in reach places a standalone enhancement
    (enh,) = _findings(nlp, "Areas of enhancement in the liver.")
    assert [s.concept for s in enh.sites] == ["rg:Liver"]


def test_a_bibliography_inside_an_imported_section_is_not_read(nlp) -> None:  # type: ignore[no-untyped-def]
    from radgraph.model import Section, SectionCategory
    from radgraph.rules import SectionRule, load_rules
    from radgraph.sections import split_references

    text = ("Discussion\n\nLung masses may cavitate.\n\nREFERENCES:\n\nGreen, A. et al.  Benign Bone Tumors.  "
            "Course Lectures, 45:p. 426-46, 1991.\n=====\nThe patient also had headaches.\n")  # fmt: skip
    sections = (Section(SectionCategory.DISCUSSION, "Discussion", 0, 12, len(text) - 1),)
    split = split_references(text, sections, load_rules("builtin:sections", SectionRule.from_dict))
    assert [s.category for s in split] == [SectionCategory.DISCUSSION, SectionCategory.REFERENCE,
                                           SectionCategory.DISCUSSION]  # fmt: skip
    spans = [text[f.start : f.end] for f in extract(nlp, Report("t", text, sections=sections)).findings]
    assert "Lung masses" in spans and "headaches" in spans and "Bone Tumors" not in spans


def test_a_textbook_finding_takes_the_place_of_the_patients_findings_of_its_kind(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Findings\n\nA 6 cm cyst in the spleen. No fracture.\n\nDiscussion\n\nMost cysts are incidental, and "
            "fractures are rare.")  # fmt: skip
    generic = {f.text: f.concept for f in extract(nlp, Report("t", text)).findings if f.subject is Subject.GENERIC}
    assert generic["cysts"] == "rg:SplenicCyst"
    assert generic["fractures"] == "rg:Fracture"  # the patient has no fracture to place it


def test_a_participle_before_a_comma_states_a_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    # right before a finding, a participle only qualifies it; across a comma it is a finding of its own
    attributive = _findings(nlp, "Dilated small bowel loops with air-fluid levels.")
    assert "rg:Dilatation" not in {f.concept for f in attributive}
    found = {f.concept: f for f in _findings(nlp, "Both lateral ventricles are dilated, with periventricular oedema.")}
    assert found["rg:Ventriculomegaly"].assertion is Assertion.PRESENT
    found = {f.concept for f in _findings(nlp, "Abdomen: distended, TTP in the left lower quadrant.")}
    assert {"rg:Dilatation", "rg:AbdominalTenderness"} <= found


def test_the_region_an_examination_covers_places_no_finding_of_its_own(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Contrast-enhanced CT of the chest, abdomen and pelvis shows a mass arising from the left kidney."
    (mass,) = _findings(nlp, text)
    assert mass.concept == "rg:RenalMass" and [s.concept for s in mass.sites] == ["rg:Kidney"]
    found = _findings(nlp, "CT abdomen/pelvis shows dilated jejunum.")
    assert [sorted(s.concept for s in f.sites) for f in found] == [["rg:Jejunum"]]
    # the one organ or joint an examination covers places a finding with no site of its own
    assert _concepts(nlp, "A radiograph of the hip shows no fracture.") == {"rg:HipFracture": Assertion.ABSENT}
    # a body region is too broad to
    assert [s.concept for f in _findings(nlp, "Chest CT shows a mass.") for s in f.sites] == []


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        # a descriptor or site before "and" / "or" shares the head of the finding after it
        ("There is no pleural or pericardial effusion.", {"rg:PleuralEffusion", "rg:PericardialEffusion"}),
        ("Silicosis gives centrilobular and subpleural upper zone nodules.",
         {"rg:CentrilobularNodules", "rg:SubpleuralNodule"}),
        ("There is bilateral hilar and mediastinal lymphadenopathy.",
         {"rg:HilarLymphadenopathy", "rg:MediastinalLymphadenopathy"}),
        ("There is no mediastinal, hilar or axillary lymphadenopathy.",
         {"rg:MediastinalLymphadenopathy", "rg:HilarLymphadenopathy", "rg:AxillaryLymphadenopathy"}),
        # ... and so does a plain word that names a finding of the same kind with the head's noun
        ("There is cytotoxic and vasogenic oedema.", {"rg:CytotoxicEdema", "rg:VasogenicEdema"}),
        ("There are areas of fluid and fat attenuation.", {"rg:FluidAttenuation", "rg:FatAttenuation"}),
        # commas between adjectives describe one thing, and a noun of a list is no adjective of the head
        ("A solid, heterogeneous mass.", {"rg:HeterogeneousMass"}),
    ],
)
def test_a_coordinated_descriptor_shares_the_head_after_it(nlp, text: str, concepts: set[str]) -> None:  # type: ignore[no-untyped-def]
    assert {f.concept for f in _findings(nlp, text)} == concepts


def test_a_site_ending_a_list_is_no_adjective_of_the_head_after_it(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "Angiomas of the liver and kidney and cysts of the pancreas are seen.")
    assert "rg:RenalCyst" not in found


@pytest.mark.parametrize(
    ("text", "invasion"),
    [
        ("The left pulmonary artery is seen crossing the mediastinum anterior to the oesophagus.", False),
        ("A catheter lies in the left pulmonary artery and extends into the inferior branch.", False),
        ("The lesion appears to be crossing the corpus callosum.", True),
        ("The tumour abuts the cavernous sinus but does not extend beyond the intercarotid line.", True),
        ("It extends along the tentorium without crossing the midline.", True),
    ],
)
def test_a_verb_of_spread_is_an_invasion_only_when_a_lesion_does_it(nlp, text: str, invasion: bool) -> None:  # type: ignore[no-untyped-def]
    assert ("rg:LocalInvasion" in _concepts(nlp, text)) is invasion


def test_extra_spaces_between_words_break_no_phrase(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "There is no  pleural  effusion.") == {"rg:PleuralEffusion": Assertion.ABSENT}
    found = extract(nlp, Report("t", "History\n\nThe patient has multiple  sclerosis."))
    assert [d.concept for d in found.diagnoses] == ["rg:MultipleSclerosis"] and not found.findings


@pytest.mark.parametrize(
    "text",
    [
        "An intradural mass is seen, isointense to the cord on T1WI.",
        "The adrenal lesion is of lower attenuation than the liver.",
        "The lesion is T1-bright relative to the spinal cord.",
    ],
)
def test_a_tissue_a_signal_is_compared_with_is_no_site(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    sites = {s.concept for f in _findings(nlp, text) for s in f.sites}
    assert not sites & {"rg:SpinalCord", "rg:Liver"}


def test_a_segment_of_the_spine_an_examination_covers_places_its_findings(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "MRI of the thoracic spine shows a dumbbell-shaped lesion, isointense to muscle on T1WI.")
    assert [[s.concept for s in f.sites] for f in found] == [["rg:ThoracicSpine"]]


def test_air_said_to_be_within_a_space_is_the_collection_there(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "On the axial images, air was noted within the bowel wall.")
    assert found == {"rg:PneumatosisIntestinalis": Assertion.PRESENT}


def test_a_multiword_site_shares_the_head_after_it(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "There is extensive bone marrow and surrounding soft tissue edema.")
    assert {"rg:BoneMarrowEdema", "rg:SoftTissueEdema"} <= set(found)
    # a site that is the object of a preposition is a noun, not an adjective of the head after it
    found = _findings(nlp, "Transverse fractures of the femoral neck, and compression fractures inferiorly.")
    assert not any(f.text.startswith("femoral neck") for f in found)


def test_a_side_named_before_one_item_of_a_list_is_that_items(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Symmetric bilateral hilar and right paratracheal lymphadenopathy."
    found = {f.concept: f.laterality for f in _findings(nlp, text)}
    assert found == {"rg:HilarLymphadenopathy": Laterality.BILATERAL, "rg:MediastinalLymphadenopathy": Laterality.RIGHT}


def test_the_site_that_names_the_other_finding_leaves_the_head(nlp) -> None:  # type: ignore[no-untyped-def]
    found = {f.concept: {s.concept for s in f.sites} for f in _findings(nlp, "No leptomeningeal or dural enhancement.")}
    assert found["rg:LeptomeningealEnhancement"] == {"rg:Leptomeninges"}
    assert "rg:Leptomeninges" not in found["rg:PachymeningealEnhancement"]


def test_an_uncertainty_runs_through_a_parenthesis_and_a_negation_stops_at_it(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "The differential includes subarachnoid hemorrhage (SAH), aneurysm and infarct.")
    assert found["rg:Aneurysm"] is Assertion.UNCERTAIN
    # a negation inside the parenthesis ends at it; one before it ends at it too
    found = _concepts(nlp, "There is a mass (no calcification) and a cyst.")
    assert found == {"rg:Mass": Assertion.PRESENT, "rg:Calcification": Assertion.ABSENT, "rg:Cyst": Assertion.PRESENT}
    found = _concepts(nlp, "Lack of symptoms (fever, weight loss), and laboratory abnormalities (hypercalcemia).")
    assert found["rg:Fever"] is Assertion.ABSENT and found["rg:Hypercalcemia"] is Assertion.PRESENT


def test_textbook_findings_take_the_place_that_covers_most_of_the_patients(nlp) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Findings\n\nCompression fracture of L1 with a depressed superior endplate and a fracture line at the "
        "endplate. A retropulsed fragment narrows the canal.\n\nDiscussion\n\nAcute fractures show marrow edema."
    )
    found = extract(nlp, Report("t", text)).findings
    textbook = [f for f in found if f.section is SectionCategory.DISCUSSION and f.text == "fractures"]
    assert [f.concept for f in textbook] == ["rg:VertebralFracture"]


def test_suggest_makes_what_follows_uncertain(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "These findings suggest a bland thrombus.") == {"rg:Thrombus": Assertion.UNCERTAIN}
    assert _concepts(nlp, "A bland thrombus is seen.") == {"rg:Thrombus": Assertion.PRESENT}


def test_findings_offered_as_alternatives_are_each_uncertain(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "The mass contains low-attenuation areas of necrosis or haemorrhage.")
    assert found["rg:TissueNecrosis"] is Assertion.UNCERTAIN and found["rg:Hemorrhage"] is Assertion.UNCERTAIN
    assert _concepts(nlp, "No pleural effusion or pneumothorax.") == {
        "rg:PleuralEffusion": Assertion.ABSENT, "rg:Pneumothorax": Assertion.ABSENT,
    }  # fmt: skip
    found = _concepts(nlp, "The mass contains areas of necrosis and haemorrhage.")
    assert found["rg:TissueNecrosis"] is Assertion.PRESENT and found["rg:Hemorrhage"] is Assertion.PRESENT


@pytest.mark.parametrize(
    "text,concept",
    [
        ("He reports blood in urine.", "rg:Hematuria"),
        ("She noticed blood in the stool.", "rg:Hematochezia"),
        ("Radiographs show sclerosis of the femoral heads.", "rg:BoneSclerosis"),
        ("She developed a pruritic rash over the trunk.", "rg:SkinRash"),
        ("Two weeks of fever, myalgias and lethargy.", "rg:Myalgia"),
        ("Two weeks of fever, myalgias and lethargy.", "rg:Lethargy"),
        ("There is upper lobe fibrosis with traction bronchiectasis.", "rg:FibroticChange"),
        ("A well-defined lucency in the distal femur.", "rg:Lucency"),
        ("Old infarct in the right frontal lobe.", "rg:Infarction"),
        ("A fistula connects the sigmoid colon and the bladder.", "rg:Fistula"),
        ("Diffuse fatty infiltration of the liver.", "rg:HepaticSteatosis"),
        ("Grade 3 laceration of the spleen.", "rg:Laceration"),
        ("Digital clubbing was noted.", "rg:Clubbing"),
        ("The left transverse sinus is hypoplastic.", "rg:Hypoplasia"),
        ("Duplication of the left collecting system.", "rg:Duplication"),
        ("There is mucosal hyperemia of the terminal ileum.", "rg:Hyperemia"),
    ],
)
def test_common_findings_named_on_their_own(nlp, text: str, concept: str) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, text).get(concept) is Assertion.PRESENT


def test_a_thickened_organ_wall_is_that_organs_wall_thickening(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "The gallbladder wall is thickened.") == {"rg:GallbladderWallThickening": Assertion.PRESENT}
    assert _concepts(nlp, "There is thickening of the bladder wall.") == {"rg:BladderWallThickening": Assertion.PRESENT}
    found = _findings(nlp, "The right gluteus medius tendon is thickened.")
    assert [(f.concept, [s.concept for s in f.sites]) for f in found] == [("rg:Thickening", ["rg:GluteusMediusTendon"])]


def test_a_symptom_adjective_is_where_the_finding_it_qualifies_is(nlp) -> None:  # type: ignore[no-untyped-def]
    found = {f.concept: f for f in _findings(nlp, "She noticed a firm, painless lump in her left breast.")}
    assert found["rg:BreastPain"].assertion is Assertion.ABSENT
    assert found["rg:BreastPain"].laterality is Laterality.LEFT
    # a full stop ends the phrase: the pain of one sentence is not the lump of the next
    found = {f.concept for f in _findings(nlp, "The mass is painless. There is a lump in the breast.")}
    assert "rg:Pain" in found and "rg:BreastPain" not in found
    found = {f.concept: f for f in _findings(nlp, "Painful erythematous nodules on both shins.")}
    assert found["rg:LimbPain"].laterality is Laterality.BILATERAL


def test_the_absence_of_a_structure_denies_no_finding_after_it(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "There is absence of the septum pellucidum as well as hypoplasia of the optic tracts.")
    assert found["rg:Hypoplasia"] is Assertion.PRESENT
    # a site that opens a longer name keeps the negation
    assert _concepts(nlp, "There is absence of liver lesions.") == {"rg:HepaticLesion": Assertion.ABSENT}
    found = _concepts(nlp, "The absence of renal insufficiency, steatorrhea, chronic diarrhea, and alkalosis.")
    assert found["rg:Diarrhea"] is Assertion.ABSENT


def test_an_outflow_obstruction_is_urinary_only_when_said_so(nlp) -> None:  # type: ignore[no-untyped-def]
    assert set(_concepts(nlp, "Hydrocephalus from CSF outflow obstruction.")) == {"rg:Hydrocephalus", "rg:Obstruction"}
    assert "rg:UrinaryTractObstruction" in _concepts(nlp, "Bladder outflow obstruction with a thick-walled bladder.")


def test_a_lesion_placed_in_the_vertebral_arch_involves_the_posterior_elements(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "MRI shows low T1 signal throughout the T10 vertebral body and the left pedicle."
    (involved,) = [f for f in _findings(nlp, text) if f.concept == "rg:PosteriorElementInvolvement"]
    assert involved.assertion is Assertion.PRESENT and involved.text == "pedicle"
    assert involved.laterality is Laterality.LEFT
    text = "A lytic lesion destroys the right pedicle and transverse process of T7."
    assert _concepts(nlp, text).get("rg:PosteriorElementInvolvement") is Assertion.PRESENT
    # a lesion of the vertebral body alone, and a fracture of the arch, are no involvement by a lesion
    assert "rg:PosteriorElementInvolvement" not in _concepts(nlp, "A lytic lesion of the T7 vertebral body.")
    assert "rg:PosteriorElementInvolvement" not in _concepts(nlp, "There is a fracture of the right pedicle.")
    # "pars" of the eardrum is no part of a vertebra
    assert [s.concept for f in _findings(nlp, "A mass of the pars tensa.") for s in f.sites] == ["rg:ParsTensa"]


def test_two_verbs_share_their_object(nlp) -> None:  # type: ignore[no-untyped-def]
    found = {f.concept: f for f in _findings(nlp, "It compresses and posteriorly displaces the left L5 nerve root.")}
    assert found["rg:NerveRootCompression"].laterality is Laterality.LEFT
    assert "rg:SpinalNerveRoot" in {s.concept for s in found["rg:Displacement"].sites}


def test_height_loss_of_a_disc_and_enhancement_weaker_than_a_tissue(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:DiscSpaceNarrowing" in _concepts(nlp, "There is mild height loss of the L4-L5 disc.")
    assert "rg:VertebralCollapse" in _concepts(nlp, "There is height loss of the T10 vertebral body.")
    (weak,) = [f for f in _findings(nlp, "Macroadenomas enhance less than the normal gland.")
               if f.concept == "rg:HypoenhancingLesion"]  # fmt: skip
    assert weak.sites == ()  # the gland it is compared with is no place of the finding


def test_a_line_of_a_list_is_a_sentence_and_wrapped_prose_is_not(nlp) -> None:  # type: ignore[no-untyped-def]
    # a negation or a site does not run from one listed line into the next
    found = _concepts(nlp, "No murmurs, rubs or gallops\nMild tachypnea with decreased breath sounds")
    assert found["rg:HeartMurmur"] is Assertion.ABSENT and found["rg:Tachypnea"] is Assertion.PRESENT
    found = {f.concept: f for f in _findings(nlp, "Left pleural effusion\nIndistinct LV heart border on lateral CXR")}
    assert [s.concept for s in found["rg:PleuralEffusion"].sites] == ["rg:PleuralSpace"]
    # a line that ends in a word that goes on ("the") continues on the next, even before a capital
    (mass,) = _findings(nlp, "There is a mass in the\nRight lower lobe.")
    assert mass.concept == "rg:LungMass"
    # "non-distended" denies the distension
    assert _concepts(nlp, "Abdomen soft, nondistended.") == {"rg:Dilatation": Assertion.ABSENT}


def test_a_descriptor_offered_as_an_alternative_makes_both_findings_uncertain(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "There is a solid mass with small cystic or necrotic areas.")
    assert found["rg:TissueNecrosis"] is Assertion.UNCERTAIN and found["rg:Cyst"] is Assertion.UNCERTAIN
    found = _concepts(nlp, "There is a solid mass with small cystic and necrotic areas.")
    assert found["rg:TissueNecrosis"] is Assertion.PRESENT and found["rg:Cyst"] is Assertion.PRESENT


def test_a_verb_of_infiltration_and_the_body_mass_index(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "The tumour infiltrates into the surrounding fat.")
    assert found.get("rg:LocalInvasion") is Assertion.PRESENT
    assert "rg:PulmonaryInfiltrate" in _concepts(nlp, "There is a left lower lobe infiltrate.")
    assert _concepts(nlp, "Abundant subcutaneous fat, in keeping with a large body mass index.") == {}


def test_the_fat_around_a_lesion_is_anatomy(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:FatContainingLesion" not in _concepts(nlp, "A cervical mass with infiltrated surrounding fat.")
    assert "rg:FatContainingLesion" in _concepts(nlp, "A cystic mass containing calcification and adjacent fat.")


def test_weakness_of_one_side_is_a_hemiparesis(nlp) -> None:  # type: ignore[no-untyped-def]
    (weak,) = _findings(nlp, "He presented with sudden left-sided weakness.")
    assert weak.concept == "rg:Hemiparesis" and weak.laterality is Laterality.LEFT
    assert "rg:Hemiparesis" not in _concepts(nlp, "He reports weakness of the left leg.")


def test_an_aneurysmal_dilatation_of_the_bowel_is_a_dilated_bowel(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:SmallBowelDilatation" in _concepts(nlp, "There is aneurysmal dilatation of the small bowel.")
    assert "rg:Aneurysm" in _concepts(nlp, "An aneurysm of the superior mesenteric artery.")
    assert "rg:Aneurysm" in _concepts(nlp, "An aneurysm in the brain.")


def test_a_partial_resolution_leaves_the_finding_present(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "Partial resolution of the retrocardiac opacity.") == {"rg:Opacity": Assertion.PRESENT}
    assert _concepts(nlp, "The opacity has partially resolved.") == {"rg:Opacity": Assertion.PRESENT}
    assert _concepts(nlp, "Complete resolution of the retrocardiac opacity.") == {"rg:Opacity": Assertion.ABSENT}


def test_thinning_occlusion_density_and_metabolism_words(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:CorticalThinning" in _concepts(nlp, "The bony cortex is thinned over the lesion.")
    assert "rg:Thinning" in _concepts(nlp, "There is thinning of the anterior talofibular ligament.")
    assert "rg:ArterialOcclusion" in _concepts(nlp, "The superior mesenteric artery is occluded at its origin.")
    assert "rg:HyperdenseLesion" in _concepts(nlp, "Increased densities in the anterior mediastinum.")
    assert "rg:IncreasedFDGUptake" in _concepts(nlp, "Focal increased FDG metabolism in the distal oesophagus.")
    found = _concepts(nlp, "Axial T2 images show high intensity signal between the gastrocnemius and the soleus.")
    assert "rg:T2Hyperintensity" in found


def test_secondary_to_is_no_metastasis_but_secondaries_are(nlp) -> None:  # type: ignore[no-untyped-def]
    def diagnoses(text: str) -> set[str]:
        return {d.concept for d in _diagnoses(nlp, "Findings\n\n" + text)}

    assert "rg:Metastasis" not in diagnoses("Decreased range of motion secondary to pain.")
    assert "rg:BoneMetastasis" in diagnoses("Bone secondaries are seen in the spine.")


def test_a_negation_ends_where_and_opens_a_new_predicate(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "He had no neurologic symptoms and had a palpable mass over the right hip.")
    assert found["rg:NeurologicSymptom"] is Assertion.ABSENT
    assert [a for c, a in found.items() if c != "rg:NeurologicSymptom"] == [Assertion.PRESENT]
    assert _concepts(nlp, "No fever and has a cough.") == {"rg:Fever": Assertion.ABSENT, "rg:Cough": Assertion.PRESENT}


def test_what_is_looked_for_is_uncertain_but_the_symptom_worked_up_is_present(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "Radiographs are obtained to look for calcifications and paravertebral masses.")
    assert found == {"rg:Calcification": Assertion.UNCERTAIN, "rg:ParavertebralMass": Assertion.UNCERTAIN}
    assert _concepts(nlp, "Groin examination with evaluation for a large hematoma.") == {
        "rg:Hematoma": Assertion.UNCERTAIN}
    assert _concepts(nlp, "She came for MRI evaluation for symptoms of headache.") == {
        "rg:Headache": Assertion.PRESENT}
    assert _concepts(nlp, "CT was ordered looking for other causes of abdominal pain.") == {
        "rg:AbdominalPain": Assertion.PRESENT}


def test_low_t1_signal_of_marrow_is_a_low_marrow_signal(nlp) -> None:  # type: ignore[no-untyped-def]
    (f,) = _findings(nlp, "There is diffuse low T1 signal replacing the entire vertebral body.")
    assert f.concept == "rg:LowMarrowSignal" and f.sequence is not None
    assert "rg:LowMarrowSignal" in _concepts(nlp, "The bone marrow is T1 hypointense.")
    assert "rg:T1Hypointensity" in _concepts(nlp, "A band-like zone of low T1 signal in L1.")
    assert _concepts(nlp, "Fatigue-type stress fractures of the metatarsals.") == {
        "rg:StressFracture": Assertion.PRESENT}


def test_a_definite_mention_in_a_new_place_is_a_new_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "The commonest site is the metatarsals (march fracture). These calcaneal stress fractures"
                           " are vertical.")  # fmt: skip
    assert [(f.concept, [s.concept for s in f.sites]) for f in found] == [
        ("rg:StressFracture", ["rg:Metatarsal"]), ("rg:StressFracture", ["rg:Calcaneus"])]
    # the same place named again is the same finding
    assert len(_findings(nlp, "A stress fracture of the calcaneus. The calcaneal stress fracture is vertical.")) == 1


def test_common_misspellings_are_read_as_the_word(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:SaccularAneurysm" in _concepts(nlp, "There is a saccular aneurism of the basilar tip.")
    assert "rg:Agenesis" in _concepts(nlp, "Conjenital absence of the left kidney.")
    assert "rg:HypoechoicLesion" in _concepts(nlp, "A hypoechogenic lesion in the thyroid.")


def test_preserved_height_foci_and_silhouetting(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "The vertebral body height is preserved.") == {"rg:VertebralCollapse": Assertion.ABSENT}
    assert _concepts(nlp, "A sclerotic focus in the distal humeral metaphysis.") == {
        "rg:ScleroticLesion": Assertion.PRESENT}
    assert "rg:SilhouetteSign" in _concepts(nlp, "Silhouetting of the left hemidiaphragm.")


def test_a_final_diagnosis_the_differential_listed_keeps_both_roles(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("History\n\nAnkle pain after running.\n\nDifferential Diagnosis\n\nStress fracture\nAnkle sprain\n\n"
            "Case Diagnosis\n\nStress fracture\n")  # fmt: skip
    roles = sorted((d.concept, d.role.value) for d in _diagnoses(nlp, text))
    assert ("rg:StressFracture", "final") in roles and ("rg:StressFracture", "differential") in roles
    assert [r for c, r in roles if c == "rg:StressFracture"].count("differential") == 1


def test_a_differential_list_with_double_dashes_and_shorthand(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Differential Diagnosis\n\n--Left ventricular noncompaction\n--Dilated cardiomyopathy\n--Hamartoma\n"
            "--Pneumocystis carinii\n--Primary pulmonary malignancy\nMets\n")  # fmt: skip
    found = {d.concept for d in _diagnoses(nlp, text) if d.role.value == "differential"}
    assert found == {"rg:LeftVentricularNoncompaction", "rg:DilatedCardiomyopathy", "rg:Hamartoma",
                     "rg:PneumocystisPneumonia", "rg:LungCancer", "rg:Metastasis"}  # fmt: skip


def test_a_differential_diagnosis_is_placed_in_the_organ_of_the_case(nlp) -> None:  # type: ignore[no-untyped-def]
    def differential(findings: str, final: str) -> set[str]:
        text = (f"Findings\n\n{findings}\n\nDifferential Diagnosis\n\nMetastasis\nLymphoma\n\n"
                f"Case Diagnosis\n\n{final}\n")  # fmt: skip
        return {d.concept for d in _diagnoses(nlp, text) if d.role.value == "differential"}

    assert "rg:BoneMetastasis" in differential("A lytic lesion of the distal femur with periosteal reaction.",
                                               "Osteosarcoma")  # fmt: skip
    assert "rg:LiverMetastasis" in differential("A 3 cm hypervascular mass in the right lobe of the liver.",
                                                "Hepatocellular carcinoma")  # fmt: skip
    # with no finding of the patient in the organ, the name stays as written
    assert "rg:Metastasis" in differential("No abnormality is seen.", "Osteosarcoma")


def test_the_growth_of_a_lesion_is_an_enlargement(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "The nodule has grown since the prior study.") == {
        "rg:Nodule": Assertion.PRESENT, "rg:Enlargement": Assertion.PRESENT}
    assert "rg:Enlargement" in _concepts(nlp, "The stenosis worsens as the tumor enlarges.")
    assert "rg:Splenomegaly" in _concepts(nlp, "Interval increase in size of the spleen.")
    # growth said of no lesion, or of a lump in a history, is no finding of its own
    assert _concepts(nlp, "Tumors that grow slowly.") == {"rg:Mass": Assertion.PRESENT}
    assert "rg:Enlargement" not in _concepts(nlp, "The child grew normally.")
    (mass, growth) = _findings(nlp, "A mass of the distal right clavicle, slowly increasing in size.")
    assert mass.concept == "rg:BoneMass" and growth.concept == "rg:Enlargement" and not growth.sites


def test_outline_after_with_ballooned_bone_and_fresh_blood(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:SpiculatedMass" in _concepts(nlp, "An irregular, high-density mass with spiculated margins.")
    assert "rg:SpiculatedMass" in _concepts(nlp, "The mass has spiculated margins.")
    assert "rg:ExpansileLyticLesion" in _concepts(nlp, "Radiographs show a lytic, ballooned lesion of the rib.")
    assert "rg:CorticalThinning" in _concepts(nlp, "There is adjacent bone thinning.")
    assert "rg:AcuteHemorrhage" in _concepts(nlp, "Fresh hemorrhage is present in the ventricle.")


def test_signal_shorthand_oedematous_and_intrarenal(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "The lesion has low T1, high T2 and some enhancement.")
    assert found.get("rg:T1Hypointensity") is Assertion.PRESENT
    assert found.get("rg:T2Hyperintensity") is Assertion.PRESENT
    assert "rg:BoneMarrowEdema" in _concepts(nlp, "L1 shows an oedematous band in the vertebral body marrow.")
    assert "rg:RenalMass" in _concepts(nlp, "A large heterogeneous solid intrarenal mass.")


def test_a_compressed_or_effaced_structure_is_mass_effect_on_it(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "The spinal cord is compressed.") == {"rg:SpinalCordCompression": Assertion.PRESENT}
    assert _concepts(nlp, "The sulci are effaced.") == {"rg:SulcalEffacement": Assertion.PRESENT}
    assert _concepts(nlp, "The fourth ventricle is not compressed.") == {"rg:VentricularEffacement": Assertion.ABSENT}
    assert _concepts(nlp, "Compressed air was used.") == {}
    assert _concepts(nlp, "A mass in consolidated but non compressed lung.").get("rg:MassEffect") is Assertion.ABSENT


def test_angiography_is_a_technique_and_what_cannot_be_told_apart_is_uncertain(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "Time-of-flight and contrast enhanced MRA of the neck.") == {}
    found = _concepts(nlp, "The CT does not allow differentiation of tumor from hemorrhagic consolidation.")
    assert set(found.values()) == {Assertion.UNCERTAIN} and "rg:Consolidation" in found
    assert _concepts(nlp, "It is difficult to distinguish tumor from abscess.") == {
        "rg:Mass": Assertion.UNCERTAIN, "rg:Abscess": Assertion.UNCERTAIN}


def test_a_flattened_interventricular_septum_is_right_heart_strain(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:RightHeartStrain" in _concepts(nlp, "The interventricular septum is flattened and bowed to the left.")
    assert "rg:RightHeartStrain" in _concepts(nlp, "Flattening of the interventricular septum.")


def test_a_disease_named_by_a_word_before_a_slash_or_or(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Differential Diagnosis\n\nSmall/Large Bowel obstruction\nPyogenic or tuberculous spondylitis\n"
    found = {d.concept for d in _diagnoses(nlp, text)}
    assert {"rg:SmallBowelObstruction", "rg:LargeBowelObstruction", "rg:Spondylodiscitis"} <= found
    # a word that is no disease with the name's end adds nothing
    text = "Differential Diagnosis\n\nAcute/chronic pancreatitis\n"
    assert {d.concept for d in _diagnoses(nlp, text)} <= {
        "rg:AcutePancreatitis", "rg:ChronicPancreatitis", "rg:Pancreatitis"}


def test_hiv_negative_skin_cancer_and_prior_radiation(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "History\n\nHe is HIV negative. She has no history of skin cancer or prior radiation to the neck.\n"
    found = {d.concept: d.assertion for d in _diagnoses(nlp, text)}
    assert found == {"rg:HIVInfection": Assertion.ABSENT, "rg:SkinCancer": Assertion.ABSENT,
                     "rg:PriorRadiationTherapy": Assertion.ABSENT}  # fmt: skip
    found = {d.concept: d.assertion for d in _diagnoses(nlp, "History\n\nAn HIV-positive man.\n")}
    assert found == {"rg:HIVInfection": Assertion.PRESENT}


def test_engorged_vessels_necrotic_areas_and_a_narrowed_differential(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "The right superior ophthalmic vein is engorged.")
    assert [(f.concept, [s.concept for s in f.sites]) for f in found] == [("rg:Dilatation", ["rg:Vein"])]
    assert "rg:PulmonaryVascularCongestion" in _concepts(nlp, "There is mild pulmonary venous engorgement.")
    assert _concepts(nlp, "The mass has a central necrotic area.").get("rg:TissueNecrosis") is Assertion.PRESENT
    # a list of possibilities is narrowed, not a lumen; a named artery is
    assert _concepts(nlp, "The differential diagnosis can be narrowed by the imaging.") == {}
    assert _concepts(nlp, "The arteries are displaced but not narrowed.").get("rg:Stenosis") is Assertion.ABSENT


def test_orbital_fat_and_periorbital_tissue_are_places(nlp) -> None:  # type: ignore[no-untyped-def]
    assert "rg:FatContainingLesion" not in _concepts(nlp, "There is increased retrobulbar fat.")
    found = _findings(nlp, "Bilateral periorbital edema.")
    assert [(f.concept, [s.concept for s in f.sites]) for f in found] == [("rg:Edema", ["rg:PreseptalSpace"])]
    text = "Differential Diagnosis\n\nPeriorbital / orbital cellulitis\nCoronary and peripheral artery disease\n"
    found = {d.concept for d in _diagnoses(nlp, text)}
    assert {"rg:PreseptalCellulitis", "rg:OrbitalCellulitis", "rg:IschemicHeartDisease"} <= found


def test_ti_is_a_misread_t1(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "The nodules are of low signal intensity on TI-weighted images.")
    assert found == {"rg:Nodule": Assertion.PRESENT, "rg:T1Hypointensity": Assertion.PRESENT}


def test_a_kind_of_lesion_said_before_a_bare_noun_is_one_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "Axial CT shows a lytic mass of the right femoral head.")
    assert [(f.concept, f.text, [s.concept for s in f.sites]) for f in found] == [
        ("rg:LyticLesion", "lytic mass", ["rg:FemoralHead"])]
    assert [f.concept for f in _findings(nlp, "A fat density mass.")] == ["rg:FatContainingLesion"]


def test_a_landmark_beside_a_finding_is_not_its_site(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "There is a mass anterior to the transverse colon.")
    assert [(f.concept, f.sites) for f in found] == [("rg:Mass", ())]
    found = _findings(nlp, "A lobulated lesion lies lateral to the retromandibular vein.")
    assert [(f.concept, f.sites) for f in found] == [("rg:Lesion", ())]
    assert _concepts(nlp, "There is a mass in the left kidney.") == {"rg:RenalMass": Assertion.PRESENT}


def test_opacified_sinus_sellar_tumour_and_signal_said_with_in(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "The left maxillary sinus is opacified.") == {"rg:SinusOpacification": Assertion.PRESENT}
    assert _concepts(nlp, "The contrast-opacified vertebral artery is normal.") == {}
    assert _concepts(nlp, "An intrasellar tumor with suprasellar extension.").get("rg:SellarMass") is Assertion.PRESENT
    assert _concepts(nlp, "The mass is slightly higher in signal than brain on T2WI.") == {
        "rg:Mass": Assertion.PRESENT, "rg:T2Hyperintensity": Assertion.PRESENT}
    assert [f.concept for f in _findings(nlp, "Multiple punched-out lucencies of the skull.")] == [
        "rg:PunchedOutLyticLesion"]


def test_the_part_of_a_sided_organ(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "A 2 cm hypodensity in the inferior pole of the right kidney.")
    assert [(f.concept, f.laterality, [s.concept for s in f.sites]) for f in found] == [
        ("rg:HypodenseLesion", Laterality.RIGHT, ["rg:LowerPoleOfKidney"])]
    found = _findings(nlp, "A mass in the upper lobe of the left lung.")
    assert [(f.laterality, [s.concept for s in f.sites]) for f in found] == [(Laterality.LEFT, ["rg:LeftUpperLobe"])]


def test_lateral_masses_false_lumens_and_low_lung_volumes(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "Moderate displacement of the right lateral mass.")
    assert [(f.concept, [s.concept for s in f.sites]) for f in found] == [
        ("rg:Displacement", ["rg:LateralMassOfVertebra"])]
    assert _concepts(nlp, "Contrast fills the true and false lumens.") == {"rg:DoubleLumen": Assertion.PRESENT}
    assert _concepts(nlp, "Hypoinflation of the lungs with increased pulmonary vascular markings.") == {
        "rg:LowLungVolumes": Assertion.PRESENT, "rg:PulmonaryVascularCongestion": Assertion.PRESENT}


def test_a_word_sharing_the_end_of_the_next_finding_and_dilated_lumens(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "Stress fractures are of fatigue or insufficiency type fractures.")
    assert "rg:Fatigue" not in found and {"rg:StressFracture", "rg:InsufficiencyFracture"} <= set(found)
    assert _concepts(nlp, "There is no fat or fluid attenuation.") == {
        "rg:FatAttenuation": Assertion.ABSENT, "rg:FluidAttenuation": Assertion.ABSENT}
    assert "rg:Fatigue" in _concepts(nlp, "Fatigue and weight loss.")
    # a dilated vessel or duct inside an organ is no enlarged organ
    assert _concepts(nlp, "The hepatic sinusoids dilate.") == {"rg:Dilatation": Assertion.PRESENT}
    assert _concepts(nlp, "No pancreatic ductal dilation.") == {"rg:PancreaticDuctDilatation": Assertion.ABSENT}
    assert _concepts(nlp, "Fat planes with the aorta are preserved.") == {}


def test_each_signal_takes_the_sequence_that_introduces_it(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "T1-weighted images show low signal and T2-weighted images show high signal."
    assert _concepts(nlp, text) == {"rg:T1Hypointensity": Assertion.PRESENT, "rg:T2Hyperintensity": Assertion.PRESENT}
    text = "Diffusion weighted imaging shows increased signal; the ADC map shows decreased signal."
    assert _concepts(nlp, text) == {
        "rg:DWIHyperintensity": Assertion.PRESENT, "rg:DiffusionRestriction": Assertion.PRESENT}
    text = "T2-weighted images and STIR sequences show high signal intensity in the left sciatic nerve."
    found = _findings(nlp, text)
    assert [(f.concept, f.laterality, [s.concept for s in f.sites]) for f in found] == [
        ("rg:T2Hyperintensity", Laterality.LEFT, ["rg:SciaticNerve"]),
        ("rg:STIRHyperintensity", Laterality.LEFT, ["rg:SciaticNerve"])]
    # a sequence said after "on" belongs to the phrase before it
    text = "On T1WI the lesion is dark, with bright foci on STIR images, and it shows high-signal striations."
    assert "rg:STIRHyperintensity" not in _concepts(nlp, text)


def test_what_a_prior_study_did_not_show_is_new_not_absent(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "A heterogeneous mass in the left abdominal wall, not present on a prior CT of the abdomen."
    assert _concepts(nlp, text) == {"rg:HeterogeneousMass": Assertion.PRESENT}
    text = "Two new foci of calcification, not seen previously."
    assert _concepts(nlp, text) == {"rg:Calcification": Assertion.PRESENT}
    assert _concepts(nlp, "The mass is not present.") == {"rg:Mass": Assertion.ABSENT}


def test_a_described_lesion_in_a_textbook_sentence_is_a_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Discussion\n\nAdenocarcinomas typically are well-defined masses in a peripheral location.\n"
    found = [(f.concept, f.subject) for f in extract(nlp, Report("t", text)).findings]
    assert found == [("rg:Mass", Subject.GENERIC)]
    # a bare lesion noun that names the disease is not
    text = "Discussion\n\nThese masses are usually treated with surgery.\n"
    assert [f.concept for f in extract(nlp, Report("t", text)).findings] == []


def test_what_a_finding_is_told_apart_from_is_uncertain(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _concepts(nlp, "Gadolinium is used to distinguish a sequestered fragment from a tumor.")
    assert found == {"rg:SequesteredDiscFragment": Assertion.PRESENT, "rg:SoftTissueMass": Assertion.UNCERTAIN}
    found = _concepts(nlp, "Differentiating portal venous from biliary gas may be difficult.")
    assert found == {"rg:Pneumobilia": Assertion.UNCERTAIN}
    # the reason given after the alternatives is stated, not questioned
    found = _concepts(nlp, "It can be differentiated from the others as it often has calcifications.")
    assert found == {"rg:Calcification": Assertion.PRESENT}
    # the thing whose causes are told apart is given
    found = _concepts(nlp, "The aim is to distinguish it from benign causes of a pulmonary nodule.")
    assert found == {"rg:PulmonaryNodule": Assertion.PRESENT}


def test_a_discussion_sentence_about_this_patient_is_the_patients(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Discussion\n\nIn this case, the CT showed no bleeding. Hemorrhage is usually seen after trauma. "
            "The patient may have symptoms of sinusitis. This patient had no history of hypertension.\n")
    ex = extract(nlp, Report("t", text))
    assert [(f.concept, f.assertion, f.subject) for f in ex.findings] == [
        ("rg:Hemorrhage", Assertion.ABSENT, Subject.PATIENT), ("rg:Hemorrhage", Assertion.PRESENT, Subject.GENERIC)]
    assert [(d.concept, d.role.value, d.assertion) for d in ex.diagnoses] == [
        ("rg:Hypertension", "history", Assertion.ABSENT)]
    # "he or she" is anyone
    text = "Discussion\n\nIf he or she has fever, an abscess is likely.\n"
    assert {f.subject for f in extract(nlp, Report("t", text)).findings} == {Subject.GENERIC}


def test_a_denied_history_yields_to_the_differential_list(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Differential Diagnosis\n\nVasculitis\n\nDiscussion\n\nShe had no history of vasculitis.\n"
    found = [(d.concept, d.role.value) for d in _diagnoses(nlp, text)]
    assert found == [("rg:Vasculitis", "differential")]


def test_a_signal_said_as_or_by_qualifies_the_finding_before_it(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "Complete replacement of the normal marrow by low T1 signal throughout the vertebral body.")
    assert [(f.concept, [s.concept for s in f.sites]) for f in found] == [
        ("rg:MarrowInfiltration", ["rg:VertebralBody"])]
    assert found[0].signal is not None and found[0].signal.concept == "rg:LowSignal"
    assert _concepts(nlp, "MRI shows the lesion as low signal on T1WI.") == {"rg:Lesion": Assertion.PRESENT}
    # a sign named after "by" is a finding of its own
    found = _concepts(nlp, "Fat in the mass is shown by chemical shift artifact.")
    assert "rg:ChemicalShiftArtifact" in found


def test_an_enlarged_bone_is_bone_expansion_and_a_growing_tumour_is_not(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "The sella is minimally expanded.") == {"rg:BoneExpansion": Assertion.PRESENT}
    assert _concepts(nlp, "No other vertebra is enlarged.") == {"rg:BoneExpansion": Assertion.ABSENT}
    found = _concepts(nlp, "The tumor will continue to enlarge during growth of the femur.")
    assert found.get("rg:Enlargement") is Assertion.PRESENT and "rg:BoneExpansion" not in found
    # a participle does not qualify a noun phrase that a determiner opens
    found = _concepts(nlp, "The liver is enlarged and the mass is large.")
    assert found.get("rg:Hepatomegaly") is Assertion.PRESENT
    assert _concepts(nlp, "There is no nipple retraction.") == {"rg:NippleRetraction": Assertion.ABSENT}


def test_a_structure_said_to_be_absent_is_a_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "Coronal images demonstrate absence of the septum pellucidum as well as hypoplasia.")
    assert [(f.concept, f.assertion, f.text) for f in found] == [
        ("rg:AbsentStructure", Assertion.PRESENT, "absence of the septum pellucidum"),
        ("rg:Hypoplasia", Assertion.PRESENT, "hypoplasia")]
    assert found[0].sites[0].concept == "rg:SeptumPellucidum"
    found = _findings(nlp, "Absent left kidney.")
    assert [(f.concept, f.laterality) for f in found] == [("rg:AbsentStructure", Laterality.LEFT)]
    # a site that opens a longer name keeps the negation
    assert _concepts(nlp, "There is absence of liver lesions.") == {"rg:HepaticLesion": Assertion.ABSENT}


def test_the_thin_cortex_of_a_lymph_node_is_no_bone_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Left axillary lymph nodes are normal in size with thin cortices and preserved fatty hila."
    assert "rg:CorticalThinning" not in _concepts(nlp, text)
    assert _concepts(nlp, "The expanded rib has a thin cortex.").get("rg:CorticalThinning") is Assertion.PRESENT


def test_a_negation_ends_where_and_opens_a_described_finding(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "No pleural effusion and mild cardiomegaly.") == {
        "rg:PleuralEffusion": Assertion.ABSENT, "rg:Cardiomegaly": Assertion.PRESENT}
    assert _concepts(nlp, "No fracture and a large joint effusion.") == {
        "rg:Fracture": Assertion.ABSENT, "rg:JointEffusion": Assertion.PRESENT}
    # a plain "and" keeps the negation
    assert _concepts(nlp, "No consolidation and pleural effusion.") == {
        "rg:Consolidation": Assertion.ABSENT, "rg:PleuralEffusion": Assertion.ABSENT}


def test_findings_listed_with_commas_are_not_merged(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "No evidence of fracture, dislocation or effusion.") == {
        "rg:Fracture": Assertion.ABSENT, "rg:Dislocation": Assertion.ABSENT, "rg:Effusion": Assertion.ABSENT}
    assert _concepts(nlp, "CT shows an expansile, multiloculated lytic lesion.") == {
        "rg:ExpansileLyticLesion": Assertion.PRESENT}


def test_a_side_inside_a_findings_words_and_a_participle_before_with(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "Small bilateral pleural effusions.")
    assert [(f.concept, f.laterality) for f in found] == [("rg:PleuralEffusion", Laterality.BILATERAL)]
    assert [f.laterality for f in _findings(nlp, "Right heart strain.")] == [None]
    found = _concepts(nlp, "The gallbladder is distended with wall thickening.")
    assert found.get("rg:GallbladderDistension") is Assertion.PRESENT
    found = _concepts(nlp, "Interval increase in the size of the spleen.")
    assert found == {"rg:Splenomegaly": Assertion.PRESENT}


def test_a_side_in_a_sites_name_and_a_dilated_appendix(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "Stable 4 mm nodule in the right upper lobe.")
    assert [(f.concept, f.laterality) for f in found] == [("rg:PulmonaryNodule", Laterality.RIGHT)]
    # the chambers of the heart and the lobes of the liver are no sides of the body
    assert [f.laterality for f in _findings(nlp, "Thrombus in the right atrium.")] == [None]
    assert _concepts(nlp, "The appendix is dilated to 12 mm.") == {"rg:DilatedAppendix": Assertion.PRESENT}


def test_prominent_nodes_and_organs_are_enlarged(nlp) -> None:  # type: ignore[no-untyped-def]
    assert _concepts(nlp, "Mildly prominent mediastinal lymph nodes.") == {
        "rg:MediastinalLymphadenopathy": Assertion.PRESENT}
    assert _concepts(nlp, "Prominent ovaries.") == {"rg:OvarianEnlargement": Assertion.PRESENT}
    assert _concepts(nlp, "Prominent sulci and vessels.") == {}
    assert _concepts(nlp, "The pulmonary manifestations are prominent.") == {}
    assert _concepts(nlp, "Cerebral atrophy is prominent in the brain.") == {"rg:CerebralAtrophy": Assertion.PRESENT}


def test_what_has_resolved_or_is_no_longer_seen_is_absent(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Findings\n\nResolved right lower lobe pneumonia. The previously seen nodule is no longer visualized.\n"
    ex = extract(nlp, Report("t", text))
    assert [(d.concept, d.assertion) for d in ex.diagnoses] == [("rg:Pneumonia", Assertion.ABSENT)]
    assert [(f.concept, f.assertion) for f in ex.findings] == [("rg:Nodule", Assertion.ABSENT)]
    assert _concepts(nlp, "Partially resolved pneumothorax.") == {"rg:Pneumothorax": Assertion.PRESENT}


def test_bibasilar_and_biapical_are_both_sides(nlp) -> None:  # type: ignore[no-untyped-def]
    found = _findings(nlp, "Mild bibasilar atelectasis.")
    assert [(f.concept, f.laterality, [s.concept for s in f.sites]) for f in found] == [
        ("rg:Atelectasis", Laterality.BILATERAL, ["rg:LungBase"])]
    assert [f.laterality for f in _findings(nlp, "Basilar artery thrombosis.")] == [None]
