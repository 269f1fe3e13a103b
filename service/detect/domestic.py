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


def _inside(value: int, blocks: Sequence[tuple[int, int]]) -> bool:
    return any(low <= value <= high for low, high in blocks)
