"""NOTAM classification from the Q-code and the text, with the reason kept as evidence.

Only airspace matters for airspace status: a runway or taxiway closure is
``other``, while an FIR or ATS-route closure is a ``closure``.  Plain-language
Q-codes (``QAFXX``, ``QXXXX``) and missing Q-lines fall back to the text.
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

TEXT_RULES: list[tuple[re.Pattern[str], NotamClass, str]] = [
    (
        re.compile(r"\b(FIR|AIRSPACE)\b[^.]{0,60}\b(CLSD|CLOSED)\b"),
        NotamClass.CLOSURE,
        "airspace closed",
    ),
    (
        re.compile(r"\bPROHIBITED\s+AREA\b|\bFLIGHTS?\s+PROHIBITED\b"),
        NotamClass.PROHIBITED,
        "prohibited",
    ),
    (
        re.compile(r"\bTEMPORARY FLIGHT RESTRICTIONS?\b|\bRESTRICTED AREA\b"),
        NotamClass.RESTRICTED,
        "flight restriction",
    ),
    (re.compile(r"\bDANGER AREA\b|\bMISSILE\b|\bLIVE FIRING\b"), NotamClass.DANGER, "danger area"),
    (
        re.compile(
            r"\bSECURITY\b|\bHAZARDOUS SITUATION\b|\bMILITARY ACTIVITY\b|\bEXERCISE CAUTION\b"
            r"|\bCONFLICT ZONE\b|\bPOTENTIAL RISK\b"
        ),
        NotamClass.WARNING,
        "security or hazard warning",
    ),
]


def describe(qcode: str) -> str:
    """Human reading of a Q-code.

    >>> describe("QRTCA")
    'temporary restricted area activated'
    """
    subject, condition = qcode[1:3], qcode[3:5]
    return f"{SUBJECTS.get(subject, subject)} {CONDITIONS.get(condition, condition)}".strip()


def classify(qcode: str | None, text: str) -> tuple[NotamClass, str]:
    """Class and reason.

    >>> classify("QRTCA", "TEMPORARY FLIGHT RESTRICTIONS")[0].value
    'restricted'
    >>> classify("QMRLC", "RWY 08/26 CLSD")
    (<NotamClass.OTHER: 'other'>, 'Q-code QMRLC: runway closed (aerodrome item)')
    >>> classify(None, "ADVISORY FOR POTENTIALLY HAZARDOUS SITUATION ... SECURITY")[0].value
    'warning'
    """
    upper = text.upper()
    code = (qcode or "").upper().strip()
    if re.fullmatch(r"Q[A-Z]{4}", code):
        subject, condition = code[1:3], code[3:5]
        for subjects, conditions, cls in RULES:
            if subject in subjects and (conditions is None or condition in conditions):
                return cls, f"Q-code {code}: {describe(code)}"
        if subject[0] in "MFL" or subject in {"FA"}:
            return NotamClass.OTHER, f"Q-code {code}: {describe(code)} (aerodrome item)"
        if "XX" not in code:
            found = _from_text(upper)
            if found and found[0] in (NotamClass.WARNING, NotamClass.CLOSURE):
                return found
            return NotamClass.OTHER, f"Q-code {code}: {describe(code)}"
    found = _from_text(upper)
    if found:
        return found
    return NotamClass.OTHER, f"Q-code {code}: {describe(code)}" if code else "no Q-code, no keyword"


def _from_text(upper: str) -> tuple[NotamClass, str] | None:
    for pattern, cls, label in TEXT_RULES:
        match = pattern.search(upper)
        if match:
            return cls, f"text: {label} ({' '.join(match.group(0).split())!r})"
    return None
