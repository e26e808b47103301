"""Check an ontology module against the core and the other modules.

Usage: python ontology/tools/check_module.py src/radgraph/resources/ontology/<module>.ttl

Checks: the file parses; every class has a label and at least one named parent declared somewhere;
no label, synonym or abbreviation is shared by two concepts (case-insensitive); every RadLex
cross-reference exists in the RadLex CSV; no IRI is declared in two files.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Namespace, URIRef

RG = Namespace("https://example.org/radgraph/ontology/")
RADLEX = "http://radlex.org/RID/"


def main(argv: list[str]) -> int:
    """Run the checks and print problems; exit status 1 when any is found."""
    target = Path(argv[1])
    folder = target.parent
    radlex_csv = Path(argv[2]) if len(argv) > 2 else Path("../shared/vocab/radlex.csv")
    rids = {row[1] for row in csv.reader(radlex_csv.open(encoding="utf-8"))} if radlex_csv.exists() else None
    graphs: dict[str, Graph] = {}
    for ttl in sorted(folder.glob("*.ttl")):
        g = Graph()
        g.parse(ttl, format="turtle")
        graphs[ttl.name] = g
    union = Graph()
    for g in graphs.values():
        union += g
    problems: list[str] = []
    declared: dict[URIRef, list[str]] = defaultdict(list)
    for name, g in graphs.items():
        for s in set(g.subjects(RDF.type, OWL.Class)) | set(g.subjects(RDF.type, OWL.NamedIndividual)):
            if isinstance(s, URIRef):
                declared[s].append(name)
    for s, files in declared.items():
        if len(files) > 1:
            problems.append(f"{s} declared in {files}")
    g = graphs[target.name]
    concepts = set(union.transitive_subjects(RDFS.subClassOf, RG.Concept))
    labels: dict[str, set[URIRef]] = defaultdict(set)
    for s, p, o in union.triples((None, None, None)):
        if p in (RDFS.label, SKOS.altLabel, SKOS.hiddenLabel, RG.abbreviation) and s in concepts:
            labels[str(o).lower()].add(s)
    for text, subjects in labels.items():
        if len(subjects) > 1 and any((s, RDF.type, OWL.Class) in g for s in subjects):
            problems.append(f"label {text!r} shared by {sorted(map(str, subjects))}")
    for s in g.subjects(RDF.type, OWL.Class):
        if not isinstance(s, URIRef):
            continue
        if not str(s).startswith(str(RG)):
            problems.append(f"class outside rg: namespace: {s}")
        if g.value(s, RDFS.label) is None:
            problems.append(f"{s} has no rdfs:label")
        parents = [p for p in union.objects(s, RDFS.subClassOf) if isinstance(p, URIRef)]
        if s == RG.Concept or (s not in concepts and target.name == "radgraph.ttl"):
            continue  # schema classes (Case, Patient, ...) are roots by design
        if not parents:
            problems.append(f"{s} has no named parent")
        for p in parents:
            if p not in declared:
                problems.append(f"{s} parent {p} is not declared")
        for p in union.objects(s, RG.partOf):
            if p not in declared:
                problems.append(f"{s} partOf {p} is not declared")
        for rel in (SKOS.exactMatch, SKOS.closeMatch):
            for x in g.objects(s, rel):
                if str(x).startswith(RADLEX) and rids is not None and str(x)[len(RADLEX):] not in rids:
                    problems.append(f"{s} RadLex xref {x} not in {radlex_csv}")
    n = len(set(g.subjects(RDF.type, OWL.Class)))
    for line in problems:
        print(line)
    print(f"{target.name}: {n} classes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
