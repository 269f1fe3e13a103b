"""Classification: Q-code first, text keywords as fallback, reason kept as evidence."""

from __future__ import annotations

import pytest

from service.domain import NotamClass
from service.notam.qcodes import classify


@pytest.mark.parametrize(
    ("qcode", "text", "expected", "in_reason"),
    [
        ("QRTCA", "TFR", NotamClass.RESTRICTED, "temporary restricted area activated"),
        ("QRRCA", "R-2508", NotamClass.RESTRICTED, "QRRCA"),
        ("QRPCA", "P-56", NotamClass.PROHIBITED, "prohibited area"),
        ("QRDCA", "D-123", NotamClass.DANGER, "danger area"),
        ("QWMLW", "FIRING", NotamClass.DANGER, "missile"),
        ("QWELW", "EXER", NotamClass.DANGER, "exercises"),
        ("QWULW", "UAS", NotamClass.DANGER, "unmanned"),
        ("QAFLC", "FIR CLSD", NotamClass.CLOSURE, "FIR closed"),
        ("QARLC", "UL417 CLSD", NotamClass.CLOSURE, "ATS route closed"),
        ("QFALC", "AD CLSD", NotamClass.OTHER, "aerodrome item"),
        ("QMRLC", "RWY 09/27 CLSD", NotamClass.OTHER, "aerodrome item"),
        ("QMXLC", "TWY A CLSD", NotamClass.OTHER, "aerodrome item"),
        ("QAFXX", "ALL FLIGHTS PROHIBITED IN THE FIR", NotamClass.PROHIBITED, "PROHIBITED"),
        ("QAFXX", "CONFLICT ZONE. EXERCISE CAUTION", NotamClass.WARNING, "CONFLICT ZONE"),
        ("QAFXX", "FIR CLOSED", NotamClass.CLOSURE, "CLOSED"),
        ("QAFXX", "NEW FREQ FOR ACC", NotamClass.OTHER, "QAFXX"),
        (None, "SECURITY...HAZARDOUS SITUATION", NotamClass.WARNING, "SECURITY"),
        (None, "AIRSPACE CLOSED", NotamClass.CLOSURE, "airspace closed"),
        (None, "TEMPORARY FLIGHT RESTRICTIONS", NotamClass.RESTRICTED, "flight restriction"),
        (None, "RWY 09 CLSD", NotamClass.OTHER, "no Q-code"),
        ("QXXXX", "MILITARY ACTIVITY IN THE AREA", NotamClass.WARNING, "MILITARY ACTIVITY"),
        ("garbage", "nothing", NotamClass.OTHER, "no Q-code"),
    ],
)
def test_classify(qcode, text, expected, in_reason):
    cls, reason = classify(qcode, text)
    assert cls == expected and in_reason in reason, reason


def test_reason_lists_every_warning_term():
    _, reason = classify(
        None,
        "SECURITY...ADVISORY FOR POTENTIALLY HAZARDOUS SITUATION ... EXERCISE CAUTION ... "
        "HEIGHTENED MILITARY ACTIVITY",
    )
    assert reason == (
        "text: SECURITY, HAZARDOUS SITUATION, EXERCISE CAUTION, HEIGHTENED MILITARY ACTIVITY"
    )
