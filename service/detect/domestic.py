"""Which aircraft count as domestic to a watched airspace.

"No international aircraft over Venezuela" is a claim about foreign traffic, so a status
built on traffic counts the state's own aircraft apart.  The 24-bit ICAO address tells
which state registered an aircraft (ICAO Annex 10 Vol. III allocates each state a block);
``watch.domestic_addresses`` in config.yaml names the block(s) of each watched airspace's
state.  An airspace without blocks counts every aircraft as foreign — said in its status
evidence rather than guessed from a country name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def parse_block(text: str) -> tuple[int, int]:
    """``"0D8000-0DFFFF"`` → inclusive integer bounds.

    >>> [hex(v) for v in parse_block("0d8000-0DFFFF")]
    ['0xd8000', '0xdffff']
    >>> parse_block("0D8000")
    Traceback (most recent call last):
    ...
    ValueError: '0D8000' is not a block like 0D8000-0DFFFF
    """
    parts = text.strip().split("-")
    try:
        if len(parts) != 2 or any(len(p.strip()) != 6 for p in parts):
            raise ValueError
        low, high = (int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not a block like 0D8000-0DFFFF") from None
    if low > high:
        raise ValueError(f"{text!r}: the block ends before it starts")
    return low, high


class DomesticAddresses:
    def __init__(self, blocks: Mapping[str, Sequence[str]]):
        self.blocks = {code: tuple(parse_block(b) for b in texts) for code, texts in blocks.items()}
        self._all = tuple(b for bounds in self.blocks.values() for b in bounds)
        self._tables: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = {}

    def configured(self, airspace: str) -> bool:
        return bool(self.blocks.get(airspace))

    def is_domestic(self, airspace: str, icao24: str) -> bool:
        return _inside(int(icao24, 16), self.blocks.get(airspace, ()))

    def of_any(self, icao24: str) -> bool:
        """Registered in the state of some watched airspace (the map's square marks)."""
        return _inside(int(icao24, 16), self._all)

    def mask(self, airspace: str, addresses: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`is_domestic` over integer addresses."""
        out = np.zeros(addresses.shape, dtype=bool)
        for low, high in self.blocks.get(airspace, ()):
            out |= (addresses >= low) & (addresses <= high)
        return out

    def counts(
        self,
        codes: Sequence[str],
        points: np.ndarray,
        rows: np.ndarray,
        airborne: np.ndarray,
        addresses: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Foreign and domestic airborne aircraft in each airspace, from (point, airspace
        index into ``codes``) pairs, in one vectorised pass: with every FIR watched a
        per-airspace :meth:`mask` costs more than classifying the snapshot.

        >>> d = DomesticAddresses({"SVZM": ["0D8000-0DFFFF"]})
        >>> f, dom = d.counts(["SVZM", "TNCF"], np.array([0, 1, 0, 2]), np.array([0, 0, 1, 1]),
        ...                   np.ones(3, bool), np.array([0x0D8001, 0x400000, 0x0D8002]))
        >>> f.tolist(), dom.tolist()
        ([1, 2], [1, 0])
        """
        keep = airborne[points]
        rows, points = rows[keep], points[keep]
        domestic_pair = self.pair_mask(codes, points, rows, addresses)
        n = len(codes)
        return (
            np.bincount(rows[~domestic_pair], minlength=n),
            np.bincount(rows[domestic_pair], minlength=n),
        )

    def pair_mask(
        self, codes: Sequence[str], points: np.ndarray, rows: np.ndarray, addresses: np.ndarray
    ) -> np.ndarray:
        """Whether the aircraft of each (point, airspace index) pair is domestic there."""
        lows, highs, table, overlapping = self._table(tuple(codes))
        if overlapping:  # overlapping blocks: slow path
            domestic_pair = np.zeros(len(rows), dtype=bool)
            for i, code in enumerate(codes):
                here = rows == i
                domestic_pair[here] = self.mask(code, addresses[points[here]])
        else:
            # block index of each address (len(unique) = none), then a [airspace, block] table
            at = np.searchsorted(lows, addresses, side="right") - 1
            inside = (
                (at >= 0) & (addresses <= highs[np.clip(at, 0, None)])
                if len(lows)
                else (np.zeros(len(addresses), dtype=bool))
            )
            block = np.where(inside, at, len(lows))
            domestic_pair = table[rows, block[points]]
        return domestic_pair

    def _table(self, codes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """The blocks of ``codes`` sorted, and which airspace owns which (built once)."""
        found = self._tables.get(codes)
        if found is None:
            unique = sorted({b for code in codes for b in self.blocks.get(code, ())})
            lows = np.array([b[0] for b in unique], dtype=np.int64)
            highs = np.array([b[1] for b in unique], dtype=np.int64)
            position = {b: k for k, b in enumerate(unique)}
            table = np.zeros((len(codes), len(unique) + 1), dtype=bool)
            for i, code in enumerate(codes):
                for b in self.blocks.get(code, ()):
                    table[i, position[b]] = True
            overlapping = bool(len(unique) > 1 and (lows[1:] <= highs[:-1]).any())
            found = self._tables[codes] = (lows, highs, table, overlapping)
        return found


def _inside(value: int, blocks: Sequence[tuple[int, int]]) -> bool:
    return any(low <= value <= high for low, high in blocks)
