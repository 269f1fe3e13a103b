from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def CLOCK() -> datetime:
    return datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


class Recorded:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def __call__(self, record: dict[str, Any]) -> None:
        self.records.append(record)
