"""Problem codes: what programs branch on, kept through storage, counted in /metrics."""

from __future__ import annotations

from service.domain import Notam
from service.metrics import Metrics
from service.notam.parser import parse_notam
from service.notam.problems import Problem, ProblemCode, codes, count_problems


def test_every_problem_the_parser_gives_has_a_code():
    texts = [
        "",
        "hello",
        "(A0001/26 NOTAMN\nQ) SVZM/QXXXX/IV/BO/W/000/100/1030N06630W005\nA) SVZM B) 2613011200 "
        "C) 2601011200\nE) WI 3913N10025E 3914N 3915100026E 3916N10027E\nF) BANANA G) FL100)",
    ]
    for text in texts:
        for p in parse_notam(text).problems:
            assert isinstance(p, Problem) and p.code is not None, p
    found = codes(parse_notam(texts[2]).problems)
    assert {
        ProblemCode.TIME,
        ProblemCode.COORDINATE_UNPAIRED,
        ProblemCode.COORDINATE_UNREADABLE,
        ProblemCode.LIMIT,
    } <= found


def test_codes_survive_storage_as_text():
    stored = [str(p) for p in parse_notam("hello").problems]  # the JSON column keeps strings
    assert codes(stored) == {ProblemCode.FORMAT}


def test_problem_gauge_counts_notams_per_code():
    metrics = Metrics()
    bad = Problem(ProblemCode.GEOMETRY_OUTSIDE_QLINE, "x")
    notams = [
        Notam(id="1", number="", raw_text="", problems=(bad, bad)),
        Notam(id="2", number="", raw_text="", problems=(str(bad), "free text")),
        Notam(id="3", number="", raw_text=""),
    ]
    count_problems(metrics.notam_problems, notams)
    text = metrics.render().decode()
    assert 'firwatch_notam_problems{code="geometry.outside_qline"} 2.0' in text
    assert 'firwatch_notam_problems{code="other"} 1.0' in text
    count_problems(metrics.notam_problems, notams[2:])  # problems gone: the series goes too
    assert 'firwatch_notam_problems{code="geometry.outside_qline"}' not in metrics.render().decode()
