"""Item-E text as a briefing officer reads it: unwrap broken coordinates, separate glued words.

NOTAM texts are wrapped at a fixed width by the systems that relay them, so a
coordinate can be cut in the middle (``…-N40`` ⏎ ``4001E1013000-…``), and the
last vertex is often glued to the closing words (``N3913E10025BACK TO START``).
Read naively, the first gives two wrong points or none and the second loses the
vertex.  A line break is removed only where the two halves are not coordinates
on their own and the joined run reads as whole coordinates; every other line
break becomes a space.
"""

from __future__ import annotations

import re
import unicodedata

from service.notam.coordinates import TOKEN

COORD_CHARS = "0123456789NSEW.°'\" "
# words a fixed-width wrap may cut that decide how an area is read
KEYWORDS = frozenset(
    [
        "CLOCKWISE",
        "ANTI-CLOCKWISE",
        "COUNTERCLOCKWISE",
        "CENTRED",
        "CENTERED",
        "CENTRE",
        "CENTER",
        "RADIUS",
        "CIRCLE",
        "BOUNDARY",
        "BOUNDED",
        "CORRIDOR",
        "EITHER",
        "WIDTH",
        "WITHIN",
        "POLYGON",
        "JOINING",
        "CONNECTING",
        "THENCE",
        "ALONG",
        "POINT",
        "AREA",
        "SECTOR",
    ]
)
_LETTERS_BEFORE = re.compile(r"[A-Z]+$")
_LETTERS_AFTER = re.compile(r"^[A-Z]+")
UNITS = ("NM", "KM", "MTR", "M", "FT", "DEG")
_GLUED_AFTER_DIGIT = re.compile(r"(?<=[\d\"'″°])(?=[A-Z]{2,})")
_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def _complete(run: str) -> bool:
    """Whether ``run`` is made of coordinate tokens only (separators aside)."""
    if not run:
        return False
    covered = [False] * len(run)
    for m in TOKEN.finditer(run):
        for i in range(m.start(), m.end()):
            covered[i] = True
    return all(c or ch in " -/,." for c, ch in zip(covered, run, strict=True))


def _run_before(text: str, end: int) -> str:
    start = end
    while start > 0 and text[start - 1] in COORD_CHARS and end - start < 40:
        start -= 1
    return text[start:end].lstrip()


def _run_after(text: str, start: int) -> str:
    end = start
    while end < len(text) and text[end] in COORD_CHARS and end - start < 40:
        end += 1
    return text[start:end].rstrip()


def unwrap(text: str) -> str:
    """Join line breaks that cut a coordinate; other line breaks become spaces.

    >>> unwrap("WI N404000E1013000-N40\\n4001E1013500-N4030E10140\\nBACK TO START")
    'WI N404000E1013000-N404001E1013500-N4030E10140 BACK TO START'
    >>> unwrap("391327N\\n1002500E")  # lat and lon on two lines: both whole, kept apart
    '391327N 1002500E'
    >>> unwrap("RADIUS 5NM CEN\\nTRED ON 3913N10025E AREA\\nBOUNDED")
    'RADIUS 5NM CENTRED ON 3913N10025E AREA BOUNDED'
    """
    out: list[str] = []
    pos = 0
    for m in _BREAK.finditer(text):
        left = _run_before(text, m.start())
        right = _run_after(text, m.end())
        join = bool(
            left
            and right
            and _complete(left + right)
            and not (_complete(left) and _complete(right))
        )
        if not join:  # a decimal cut at its point: "10" ⏎ ".60, -66.80", "151." ⏎ "18"
            before, after = text[max(0, m.start() - 2) : m.start()], text[m.end() : m.end() + 2]
            join = bool(
                (re.search(r"\d$", before) and re.match(r"\.\d", after))
                or (re.search(r"\d\.$", before) and re.match(r"\d", after))
            )
        if not join:
            a = _LETTERS_BEFORE.search(text, 0, m.start())
            b = _LETTERS_AFTER.match(text[m.end() :])
            join = bool(
                a
                and b
                and a[0] + b[0] in KEYWORDS
                and a[0] not in KEYWORDS
                and b[0] not in KEYWORDS
            )
        out.append(text[pos : m.start()])
        out.append("" if join else " ")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def separate_glued_words(text: str) -> str:
    """Put a space between a coordinate and a word glued to it (units such as ``5NM`` stay).

    >>> separate_glued_words("N3913E10025BACK TO START. 5NM RADIUS 500MTR 391327NBACK")
    'N3913E10025 BACK TO START. 5NM RADIUS 500MTR 391327N BACK'
    """
    pieces: list[str] = []
    pos = 0
    for m in _GLUED_AFTER_DIGIT.finditer(text):
        at = m.start()
        rest = text[at:]
        if any(re.match(rf"{u}\b", rest) for u in UNITS):
            continue
        run = _run_before(text, at)
        tail = re.split(r"[\s\-/,]", run)[-1]
        if text[at] in "NSEW" and (_complete(run + text[at]) or _complete(tail + text[at])):
            at += 1  # the hemisphere letter belongs to the coordinate
        pieces.append(text[pos:at])
        pieces.append(" ")
        pos = at
    pieces.append(text[pos:])
    return "".join(pieces)


def basic(text: str) -> str:
    """Unicode, case and punctuation the way the token reader expects them."""
    text = unicodedata.normalize("NFKC", text or "")
    for a, b in (
        ("…", "..."),
        ("–", "-"),
        ("—", "-"),
        ("‐", "-"),
        ("−", "-"),
        ("’", "'"),
        ("”", '"'),
    ):
        text = text.replace(a, b)
    return text.replace("\r", "").replace("\t", " ").upper()


def normalise(text: str, *, join_wrapped: bool = True) -> str:
    """The whole pipeline; ``join_wrapped=False`` treats every line break as a space.

    >>> normalise("AREA: N3913E10025-N39\\n14E10026-N3915E10024BACK TO START.")
    'AREA: N3913E10025-N3914E10026-N3915E10024 BACK TO START.'
    """
    text = basic(text)
    text = unwrap(text) if join_wrapped else _BREAK.sub(" ", text)
    return separate_glued_words(text)
