"""Structured parse problems: a stable code for programs, a sentence for people.

A :class:`Problem` is a ``str`` (``"<code>: <message>"``) so it stores, serialises
and prints exactly as the plain problem strings did, and it carries its
``code`` so callers branch on the code, never on the wording.  Text read back
from storage becomes a :class:`Problem` again with :meth:`Problem.from_text`.
"""

from __future__ import annotations

import enum
import re


class ProblemCode(enum.StrEnum):
    """Every check that can fail.  The ``geometry.*`` codes come from the self-checks."""

    EMPTY = "text.empty"
    FORMAT = "text.format"
    TRUNCATED = "text.truncated"
    HEADER = "text.header"
    ITEM_MISSING = "text.item_missing"
    QLINE = "qline.unreadable"
    QCODE = "qline.qcode"
    TIME = "time.unreadable"
    TIME_ORDER = "time.order"
    START_MISSING = "time.start_missing"
    LIMIT = "limit.unreadable"
    NO_FIR = "fir.not_named"
    PARSER_ERROR = "parser.error"
    COORDINATE_RANGE = "coordinate.out_of_range"
    COORDINATE_UNPAIRED = "coordinate.unpaired"
    COORDINATE_UNREADABLE = "coordinate.unreadable"
    GEOMETRY_INVALID = "geometry.invalid"
    GEOMETRY_UNUSED = "geometry.unused_coordinates"
    GEOMETRY_OUTSIDE_QLINE = "geometry.outside_qline"
    GEOMETRY_FEW_VERTICES = "geometry.too_few_vertices"
    GEOMETRY_ARC = "geometry.arc_radius_mismatch"
    GEOMETRY_UNKNOWN_FIR = "geometry.unknown_fir"
    GEOMETRY_BOUNDARY = "geometry.boundary_not_followed"
    GEOMETRY_NONE = "geometry.none"
    NAVAID_UNKNOWN = "geometry.unknown_navaid"
    NAVAID_AMBIGUOUS = "geometry.ambiguous_navaid"
    NAVAID_VARIATION = "geometry.navaid_variation_unknown"
    NAVAID_BEARING = "geometry.bearing_reference_assumed"
    COUNTRY_BY_FIRS = "geometry.country_by_firs"
    COUNTRY_UNKNOWN = "geometry.unknown_country"
    FAA_ITEM = "faa.item"


CODE_PREFIX = re.compile(r"^(?P<code>[a-z]+\.[a-z_]+): ")


class Problem(str):
    """``Problem(ProblemCode.GEOMETRY_UNUSED, "2 coordinates ...")``.

    >>> p = Problem(ProblemCode.GEOMETRY_UNUSED, "1 coordinate not in the area")
    >>> p, p.code is ProblemCode.GEOMETRY_UNUSED, p.message
    ('geometry.unused_coordinates: 1 coordinate not in the area', True, '1 coordinate not in the area')
    >>> Problem.from_text("geometry.outside_qline: 40 km out").code.value
    'geometry.outside_qline'
    >>> Problem.from_text("an old free-text problem").code is None
    True
    """

    code: ProblemCode | None
    message: str

    def __new__(cls, code: ProblemCode | None, message: str) -> Problem:
        self = super().__new__(cls, f"{code.value}: {message}" if code else message)
        self.code = code
        self.message = message
        return self

    @classmethod
    def from_text(cls, text: str) -> Problem:
        if isinstance(text, Problem):
            return text
        m = CODE_PREFIX.match(text)
        if m:
            try:
                return cls(ProblemCode(m["code"]), text[m.end() :])
            except ValueError:
                pass
        return cls(None, text)

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code.value if self.code else None, "message": self.message}


def codes(problems: tuple[str, ...] | list[str]) -> set[ProblemCode]:
    """The codes among ``problems`` (plain strings are read with :meth:`Problem.from_text`)."""
    return {c for p in problems if (c := Problem.from_text(p).code) is not None}


def count_problems(gauge, notams) -> None:
    """Set a labelled gauge to how many ``notams`` carry each problem code (a NOTAM once per code)."""
    counts: dict[str, int] = {}
    for notam in notams:
        for code in {Problem.from_text(p).code for p in notam.problems}:
            key = code.value if code is not None else "other"
            counts[key] = counts.get(key, 0) + 1
    gauge.clear()
    for key, n in counts.items():
        gauge.labels(key).set(n)
