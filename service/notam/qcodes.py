"""NOTAM classification from the Q-code and the text, with the reason kept as evidence.

Only airspace matters for airspace status: a runway or taxiway closure is
``other``, while an FIR or ATS-route closure is a ``closure``.  Plain-language
Q-codes (condition ``XX``, "see text") and missing Q-lines fall back to the text.
"""

from __future__ import annotations

import re

from service.domain import NotamClass

SUBJECTS = {
    "RT": "temporary restricted area",
    "RR": "restricted area",
    "RP": "prohibited area",
    "RD": "danger area",
    "RM": "military operating area",
    "RA": "airspace reservation",
    "AF": "FIR",
    "AR": "ATS route",
    "AE": "control area",
    "AC": "control zone",
    "FA": "aerodrome",
    "MR": "runway",
    "MX": "taxiway",
    "WU": "unmanned aircraft",
    "WM": "missile, gun or rocket firing",
    "WE": "exercises",
    "WC": "captive balloon or kite",
}
CONDITIONS = {
    "CA": "activated",
    "LC": "closed",
    "LW": "will take place",
    "AH": "hours of service changed",
    "XX": "see text",
}

# (subject codes, condition codes or None for any) → class
RULES: list[tuple[set[str], set[str] | None, NotamClass]] = [
    ({"RP"}, None, NotamClass.PROHIBITED),
    ({"AF", "AR", "AE"}, {"LC"}, NotamClass.CLOSURE),
    ({"RT", "RR", "RM", "RA"}, None, NotamClass.RESTRICTED),
    ({"RD", "WM", "WE", "WU", "WC"}, None, NotamClass.DANGER),
]

AIRSPACE_SUBJECTS = {"AF", "AR", "AE", "AC", "AT", "AP"}
"""Subjects whose plain-language (``XX``) NOTAMs speak about airspace, so "CLOSED" means closed."""

TEXT_RULES: list[tuple[re.Pattern[str], NotamClass, str]] = [
    (
        re.compile(r"\b(FIR|AIRSPACE|ATS ROUTES?)\b[^.]{0,60}\b(CLSD|CLOSED)\b"),
        NotamClass.CLOSURE,
        "airspace closed",
    ),
    (
        re.compile(r"\bPROHIBITED\s+AREA\b|\bFLIGHTS?\s+(?:ARE\s+)?PROHIBITED\b"),
        NotamClass.PROHIBITED,
        "prohibited",
    ),
    (
        re.compile(r"\bTEMPORARY FLIGHT RESTRICTIONS?\b|\bRESTRICTED AREA\b"),
        NotamClass.RESTRICTED,
        "flight restriction",
    ),
    (re.compile(r"\bDANGER AREA\b|\bMISSILE\b|\bLIVE FIRING\b"), NotamClass.DANGER, "danger area"),
]
WARNING_TERMS = re.compile(
    r"\bSECURITY\b|\bHAZARDOUS(?: SITUATION)?\b|\b(?:HEIGHTENED )?MILITARY ACTIVITY\b"
    r"|\bEXERCISE CAUTION\b|\bCONFLICT ZONE\b|\bPOTENTIAL RISK\b|\bGNSS (?:JAMMING|INTERFERENCE)\b"
)
AIRSPACE_XX_RULES: list[tuple[re.Pattern[str], NotamClass]] = [
    (re.compile(r"\b(?:CLSD|CLOSED|CLOSURE)\b"), NotamClass.CLOSURE),
    (re.compile(r"\bPROHIBITED\b"), NotamClass.PROHIBITED),
]


def describe(qcode: str) -> str:
    """Human reading of a Q-code.

    >>> describe("QRTCA")
    'temporary restricted area activated'
    >>> describe("QGAAK")
    'GA AK'
    """
    subject, condition = qcode[1:3], qcode[3:5]
    return f"{SUBJECTS.get(subject, subject)} {CONDITIONS.get(condition, condition)}".strip()


def classify(qcode: str | None, text: str) -> tuple[NotamClass, str]:
    """Class and the reason it was chosen (kept as alert evidence).

    The Q-code decides when it is specific; plain-language codes (``QAFXX``) and
    missing codes fall back to keywords in the text.

    >>> classify("QRTCA", "TEMPORARY FLIGHT RESTRICTIONS")
    (<NotamClass.RESTRICTED: 'restricted'>, 'Q-code QRTCA: temporary restricted area activated')
    >>> classify("QMRLC", "RWY 08/26 CLSD")
    (<NotamClass.OTHER: 'other'>, 'Q-code QMRLC: runway closed (aerodrome item)')
    >>> classify("QAFXX", "MAIQUETIA FIR CLOSED TO CIVIL TRAFFIC")
    (<NotamClass.CLOSURE: 'closure'>, "Q-code QAFXX: FIR see text; text: 'CLOSED'")
    >>> classify(None, "SECURITY...ADVISORY FOR POTENTIALLY HAZARDOUS SITUATION")
    (<NotamClass.WARNING: 'warning'>, 'text: SECURITY, HAZARDOUS SITUATION')
    """
    upper = " ".join(text.upper().split())
    code = (qcode or "").upper().strip()
    if re.fullmatch(r"Q[A-Z]{4}", code):
        subject, condition = code[1:3], code[3:5]
        label = f"Q-code {code}: {describe(code)}"
        for subjects, conditions, cls in RULES:
            if subject in subjects and (conditions is None or condition in conditions):
                return cls, label
        if subject[0] in "MFL":
            return NotamClass.OTHER, f"{label} (aerodrome item)"
        if subject in AIRSPACE_SUBJECTS and condition == "XX":
            for pattern, cls in AIRSPACE_XX_RULES:
                match = pattern.search(upper)
                if match:
                    return cls, f"{label}; text: {match.group(0)!r}"
        found = _from_text(upper)
        if found and (condition == "XX" or found[0] in (NotamClass.WARNING, NotamClass.CLOSURE)):
            return found[0], f"{label}; {found[1]}"
        return NotamClass.OTHER, label
    found = _from_text(upper)
    if found:
        return found
    return NotamClass.OTHER, "no Q-code and no keyword in the text"


def _from_text(upper: str) -> tuple[NotamClass, str] | None:
    for pattern, cls, label in TEXT_RULES:
        match = pattern.search(upper)
        if match:
            return cls, f"text: {label} ({match.group(0)!r})"
    terms = list(dict.fromkeys(m.group(0) for m in WARNING_TERMS.finditer(upper)))
    if terms:
        return NotamClass.WARNING, "text: " + ", ".join(terms)
    return None
