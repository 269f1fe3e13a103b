"""The emulator's scenario clock: frozen and stepped by tests, or running at N× for the demo."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from service.domain import ensure_utc


class ScenarioClock:
    """Scenario time = anchor + speed × wall seconds since the anchor, clamped to [start, end].

    >>> from datetime import UTC
    >>> c = ScenarioClock(datetime(2025, 11, 21, 12, tzinfo=UTC), datetime(2025, 11, 22, 4, tzinfo=UTC))
    >>> c.set(datetime(2025, 11, 21, 18, 10, tzinfo=UTC)); c.now().isoformat(), c.done
    ('2025-11-21T18:10:00+00:00', False)
    """

    def __init__(self, start: datetime, end: datetime, speed: float = 0.0):
        self.start = ensure_utc(start)
        self.end = ensure_utc(end)
        self._speed = float(speed)
        self._lock = threading.Lock()
        self._anchor = self.start
        self._anchor_wall = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._anchor_wall) * self._speed
            at = self._anchor + timedelta(seconds=elapsed)
        return min(max(at, self.start), self.end)

    def set(self, at: datetime) -> None:
        at = ensure_utc(at)
        with self._lock:
            self._anchor = min(max(at, self.start), self.end)
            self._anchor_wall = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        current = self.now()
        with self._lock:
            self._speed = float(value)
            self._anchor = current
            self._anchor_wall = time.monotonic()

    @property
    def done(self) -> bool:
        return self.now() >= self.end
