"""Token normalization shared by the lexicon and the text: spelling variants and plurals.

The matcher compares normalized forms (``Token.norm_``), so *haematomas*, *hematoma* and
*hematomata* meet, and *vertebrae* matches *vertebra*.

>>> [norm(w) for w in ["Haemorrhage", "vertebrae", "masses", "bodies", "foci", "oedema", "was", "tumours"]]
['hemorrhage', 'vertebra', 'mass', 'body', 'focus', 'edema', 'was', 'tumor']
>>> [norm(w) for w in ["homogenous", "enhancment", "appearence"]]
['homogeneous', 'enhancement', 'appearance']
"""

from __future__ import annotations

import re
from functools import lru_cache

_IRREGULAR = {
    "foci": "focus",
    "metastases": "metastasis",
    "secondaries": "metastasis",  # so that the adjective "secondary" is not read as a plural of it
    "diagnoses": "diagnosis",
    "hila": "hilum",
    "hilae": "hilum",
    "diverticula": "diverticulum",
    "emboli": "embolus",
    "thrombi": "thrombus",
    "bronchi": "bronchus",
    "nuclei": "nucleus",
    "calculi": "calculus",
    "fungi": "fungus",
    "bacilli": "bacillus",
    "appendices": "appendix",
    "vertices": "vertex",
    "cortices": "cortex",
    "apices": "apex",
    "indices": "index",
    "sequelae": "sequela",
    "ganglia": "ganglion",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "media": "media",
    "femora": "femur",
    "viscera": "viscus",
    "menisci": "meniscus",
    "sulci": "sulcus",
    "gyri": "gyrus",
    "loci": "locus",
    "alveoli": "alveolus",
    "villi": "villus",
    "lumina": "lumen",
    "foramina": "foramen",
    "data": "data",
    "testes": "testis",
    "pelves": "pelvis",
    "ovaries": "ovary",
    "arteries": "artery",
    "bodies": "body",
    "lesions": "lesion",
}

# Frequent misspellings in teaching files, mapped to the word meant.
_MISSPELT = {
    "homogenous": "homogeneous",
    "homogenously": "homogeneously",
    "heterogenous": "heterogeneous",
    "heterogenously": "heterogeneously",
    "hetergenously": "heterogeneously",
    "hetergeneous": "heterogeneous",
    "appearence": "appearance",
    "enhancment": "enhancement",
    "enhacement": "enhancement",
    "enhancemnt": "enhancement",
    "dilitation": "dilatation",
    "dilitated": "dilated",
    "aneurismal": "aneurysmal",
    "penumatosis": "pneumatosis",
    "pnuematosis": "pneumatosis",
    "cytoxic": "cytotoxic",
    "hemmorhage": "hemorrhage",
    "hemorrage": "hemorrhage",
    "hemmorrhage": "hemorrhage",
    "fractues": "fractures",
    "sagital": "sagittal",
    "saggital": "sagittal",
    "metastses": "metastases",
    "calcfication": "calcification",
    "calcificaton": "calcification",
    "lymphadenopthy": "lymphadenopathy",
    "efect": "effect",
    "luceny": "lucency",
    "lucensy": "lucency",
    "collosum": "callosum",
    "colosum": "callosum",
    "ehnace": "enhance",
    "ehnances": "enhances",
    "conjenital": "congenital",
    "spongioform": "spongiform",
    "intramedulary": "intramedullary",
    "embyronal": "embryonal",
    "aquired": "acquired",
    "suseptibility": "susceptibility",
    "protusion": "protrusion",
    "menigioma": "meningioma",
    "menigiomas": "meningiomas",
    "metastisis": "metastasis",
    "aneurism": "aneurysm",
    "aneurisms": "aneurysms",
    "azygous": "azygos",
    "subpendymoma": "subependymoma",
    "paranchyma": "parenchyma",
    "lucenies": "lucencies",
    "supression": "suppression",
    "eleveated": "elevated",
    "hypoechogenic": "hypoechoic",
    "hyperechogenic": "hyperechoic",
}

# British spellings to American, applied to word stems.
_SPELLING = (
    (re.compile(r"^haem"), "hem"),
    (re.compile(r"^(an|hyper|hypo|leuk|isch|septic|bacter|tox|ur|glyc|lipid|kal|natr|calc)aem"), r"\1em"),
    (re.compile(r"aemia"), "emia"),
    (re.compile(r"^oedem"), "edem"),
    (re.compile(r"^oesoph"), "esoph"),
    (re.compile(r"^oestr"), "estr"),
    (re.compile(r"^paed"), "ped"),
    (re.compile(r"^orthopaed"), "orthoped"),
    (re.compile(r"^aetiol"), "etiol"),
    (re.compile(r"^faec"), "fec"),
    (re.compile(r"^caec"), "cec"),
    (re.compile(r"^coeli"), "celi"),
    (re.compile(r"^foet"), "fet"),
    (re.compile(r"^gynaec"), "gynec"),
    (re.compile(r"^dyspnoe"), "dyspne"),
    (re.compile(r"^diarrhoe"), "diarrhe"),
    (re.compile(r"^apnoe"), "apne"),
    (re.compile(r"(tum|col|behavi|hum|rig|fav)our"), r"\1or"),
    (re.compile(r"(cent|met|lit|fib)re$"), r"\1er"),
    (re.compile(r"(cent|met|lit|fib)res$"), r"\1ers"),
    (re.compile(r"(anal|paral)yse"), r"\1yze"),
    (re.compile(r"isation"), "ization"),
    (re.compile(r"ised$"), "ized"),
)

_KEEP_S = re.compile(r"(ss|us|is|as|ys|os|xs|ps)$")


def _spell(w: str) -> str:
    if len(w) > 3 and w.isalpha():
        for pattern, repl in _SPELLING:
            if pattern.search(w):
                w = pattern.sub(repl, w)
    return w


def _singular(w: str) -> str:
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ae") and len(w) > 5:
        return w[:-1]
    if w.endswith("sses"):
        return w[:-2]
    if w.endswith("ies") and len(w) > 5:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes")):
        return w[:-2]
    if w.endswith("s") and not _KEEP_S.search(w) and len(w) > 4:
        return w[:-1]
    return w


@lru_cache(maxsize=65536)
def norm(word: str) -> str:
    """Return the normalized form of one token: lowercase, American spelling, singular."""
    w = word.lower()
    return _singular(_spell(_MISSPELT.get(w, w)))


@lru_cache(maxsize=65536)
def is_plural(word: str) -> bool:
    """Tell whether a noun looks plural.

    >>> [is_plural(w) for w in ["masses", "oedema", "foci", "mass", "vertebrae"]]
    [True, False, True, False, True]
    """
    w = word.lower()
    spelled = _spell(_MISSPELT.get(w, w))
    return _singular(spelled) != spelled
