"""Check a curated knowledge file against the ontology and the other knowledge files.

Usage: python ontology/tools/check_knowledge.py src/radgraph/resources/knowledge/<file>.ttl

Checks: the file parses; every rg:FindingAssociation has exactly one rg:diagnosis (a diagnosis or
clinical condition), one rg:finding (a finding), one rg:frequency (rg:Common, rg:Uncommon, rg:Rare), a
dcterms:source, and optional rg:laterality / rg:locatedIn (site) / rg:observedOn (sequence or modality) /
rg:hasSignal (signal); every rg:ConditionAssociation has rg:diagnosis, rg:condition (a clinical
condition) and a source; every rg:DiagnosisProfile has rg:diagnosis, integer rg:ageMin <= rg:ageMax
and/or rg:sexPredilection rg:Male|rg:Female, and a source; IRIs follow rgk:{Diagnosis}_{Finding},
rgk:{Diagnosis}_cond_{Condition}, rgk:{Diagnosis}_profile; no IRI is defined in two files.
Prints counts: associations, diagnoses covered, conditions, profiles.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from radgraph.model import ConceptKind
from radgraph.ontology import load_ontology
from radgraph.vocab import RG, compress

FREQ = {RG.Common, RG.Uncommon, RG.Rare}


def main(argv: list[str]) -> int:
    target = Path(argv[1])
    onto = load_ontology()
    graphs = {}
    for f in sorted(target.parent.glob("*.ttl")):
        g = Graph()
        g.parse(f, format="turtle")
        graphs[f.name] = g
    g = graphs[target.name]
    problems: list[str] = []
    owners: dict[URIRef, list[str]] = defaultdict(list)
    for name, other in graphs.items():
        for s in set(other.subjects(RDF.type, None)):
            if isinstance(s, URIRef):
                owners[s].append(name)
    for s, names in owners.items():
        if target.name in names and len(names) > 1:
            problems.append(f"{compress(str(s))} defined in {names}")

    def concept(s: URIRef, p: URIRef, kinds: tuple[ConceptKind, ...], required: bool = True) -> str | None:
        values = list(g.objects(s, p))
        if not values:
            if required:
                problems.append(f"{compress(str(s))}: missing {compress(str(p))}")
            return None
        if len(values) > 1:
            problems.append(f"{compress(str(s))}: several {compress(str(p))}")
        c = compress(str(values[0]))
        if c not in onto:
            problems.append(f"{compress(str(s))}: {compress(str(p))} {c} is not an ontology concept")
            return None
        if kinds and onto.kind(c) not in kinds:
            problems.append(f"{compress(str(s))}: {compress(str(p))} {c} is a {onto.kind(c).value}, expected {[k.value for k in kinds]}")
        return c

    def source(s: URIRef) -> None:
        src = g.value(s, DCTERMS.source)
        if not isinstance(src, Literal) or len(str(src)) < 10:
            problems.append(f"{compress(str(s))}: missing or too short dcterms:source")

    dx_covered: set[str] = set()
    n_assoc = 0
    for s in sorted(g.subjects(RDF.type, RG.FindingAssociation)):
        n_assoc += 1
        d = concept(s, RG.diagnosis, (ConceptKind.CONDITION,))
        f = concept(s, RG.finding, (ConceptKind.FINDING,))
        if d:
            dx_covered.add(d)
        fr = g.value(s, RG.frequency)
        if fr not in FREQ:
            problems.append(f"{compress(str(s))}: rg:frequency must be rg:Common, rg:Uncommon or rg:Rare")
        concept(s, RG.laterality, (ConceptKind.LATERALITY,), required=False)
        concept(s, RG.locatedIn, (ConceptKind.SITE,), required=False)
        concept(s, RG.observedOn, (ConceptKind.SEQUENCE, ConceptKind.MODALITY), required=False)
        concept(s, RG.hasSignal, (ConceptKind.SIGNAL,), required=False)
        source(s)
        if d and f:
            local = str(s).rsplit("/", 1)[-1]
            if not local.startswith(d.split(":")[1] + "_"):
                problems.append(f"{compress(str(s))}: IRI should start with rgk:{d.split(':')[1]}_")
    n_cond = 0
    for s in sorted(g.subjects(RDF.type, RG.ConditionAssociation)):
        n_cond += 1
        concept(s, RG.diagnosis, (ConceptKind.CONDITION,))
        concept(s, RG.condition, (ConceptKind.CONDITION,))
        source(s)
    n_prof = 0
    for s in sorted(g.subjects(RDF.type, RG.DiagnosisProfile)):
        n_prof += 1
        concept(s, RG.diagnosis, (ConceptKind.CONDITION,))
        lo, hi = g.value(s, RG.ageMin), g.value(s, RG.ageMax)
        if (lo is None) != (hi is None):
            problems.append(f"{compress(str(s))}: give both rg:ageMin and rg:ageMax or neither")
        elif lo is not None and not (0 <= int(lo) <= int(hi) <= 110):
            problems.append(f"{compress(str(s))}: bad age range {lo}-{hi}")
        sex = g.value(s, RG.sexPredilection)
        if sex is not None and sex not in (RG.Male, RG.Female):
            problems.append(f"{compress(str(s))}: rg:sexPredilection must be rg:Male or rg:Female")
        source(s)
    for line in problems:
        print(line)
    print(f"{target.name}: {n_assoc} finding associations for {len(dx_covered)} diagnoses, "
          f"{n_cond} condition links, {n_prof} profiles; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
