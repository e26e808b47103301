"""Patient age and sex from case text.

>>> patient_from_text("A 29Y/O man complains from acute back pain")
Patient(age=29, sex=<Sex.MALE: 'male'>)
>>> patient_from_text("Gender : Female\\nAge : 54")
Patient(age=54, sex=<Sex.FEMALE: 'female'>)
>>> patient_from_text("58 yo M with neck pain").age
58
"""

from __future__ import annotations

import re

from radgraph.model import Patient, Sex

_FIELD_SEX = re.compile(r"^\s*(?:gender|sex)\s*:\s*(male|female|m|f|man|woman)\b", re.IGNORECASE | re.MULTILINE)
_FIELD_AGE = re.compile(r"^\s*age\s*:\s*(\d{1,3})\b", re.IGNORECASE | re.MULTILINE)
_AGE_PHRASE = re.compile(
    r"\b(\d{1,3})\s*(?:-\s*)?(?:y\s*/\s*o|y\.o\.?|yo|yrs?|years?|year)\b(?:[\s-]*old)?"
    r"(?:\s*[,-]?\s*(man|woman|male|female|boy|girl|gentleman|lady|m|f)\b)?",
    re.IGNORECASE,
)
_MONTHS = re.compile(r"\b(\d{1,2})\s*(?:-\s*)?(?:month|mo)s?\b(?:[\s-]*old)?", re.IGNORECASE)
_SEX_WORD = re.compile(
    r"\b(man|woman|male|female|boy|girl|gentleman|lady|he|she|his|her)\b", re.IGNORECASE
)
_SEX_MAP = {
    "male": Sex.MALE, "m": Sex.MALE, "man": Sex.MALE, "boy": Sex.MALE, "gentleman": Sex.MALE,
    "he": Sex.MALE, "his": Sex.MALE,
    "female": Sex.FEMALE, "f": Sex.FEMALE, "woman": Sex.FEMALE, "girl": Sex.FEMALE, "lady": Sex.FEMALE,
    "she": Sex.FEMALE, "her": Sex.FEMALE,
}  # fmt: skip


def patient_from_text(text: str) -> Patient:
    """Return the age (years) and sex stated in *text* (fields first, then phrases)."""
    age: int | None = None
    sex: Sex | None = None
    if m := _FIELD_AGE.search(text):
        age = int(m.group(1))
    if m := _FIELD_SEX.search(text):
        sex = _SEX_MAP[m.group(1).lower()]
    if age is None or sex is None:
        for m in _AGE_PHRASE.finditer(text):
            if age is None and 0 < int(m.group(1)) < 120:
                age = int(m.group(1))
            if sex is None and m.group(2):
                sex = _SEX_MAP[m.group(2).lower()]
            if age is not None and sex is not None:
                break
    if age is None and _MONTHS.search(text):
        age = 0
    if sex is None and (m := _SEX_WORD.search(text)):
        sex = _SEX_MAP[m.group(1).lower()]
    if age is not None and not 0 <= age < 120:
        age = None
    return Patient(age=age, sex=sex)
