"""Progress for long commands on any output: a bar on a terminal, plain lines elsewhere.

click's progress bar draws nothing but its label when the output is not a terminal, so a
replay in CI, under ``nohup`` or piped into ``tee`` looked stuck for minutes.  ``progress_bar``
keeps the bar's small interface (``length``, ``update``, a context manager) and, off a
terminal, writes one line per tenth of the work instead.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class PlainProgress:
    """One line per 10 % done (and the last one), with the rate; never a carriage return.

    >>> import io
    >>> out = io.StringIO()
    >>> with PlainProgress("replaying", out) as bar:
    ...     bar.length = 20
    ...     for _ in range(20):
    ...         bar.update(1)
    >>> lines = out.getvalue().splitlines()
    >>> len(lines), lines[0].startswith("replaying: 10 % (2 of 20"), lines[-1].startswith("replaying: 100 %")
    (10, True, True)
    """

    def __init__(self, label: str, file: TextIO, unit: str = "rounds") -> None:
        self.label = label
        self.file = file
        self.unit = unit
        self.length = 0
        self.done = 0
        self._shown = -1
        self._started = time.monotonic()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.done and self._shown < 10:
            self._line()

    def update(self, steps: int) -> None:
        self.done += steps
        if self.length <= 0:
            return
        tenth = min(10, self.done * 10 // self.length)
        if tenth > self._shown and tenth > 0:
            self._shown = tenth
            self._line()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        share = 100 * self.done // max(self.length, 1)
        print(
            f"{self.label}: {share} % ({self.done} of {self.length} {self.unit}, "
            f"{elapsed:.0f} s, {self.done / elapsed:.0f}/s)",
            file=self.file,
            flush=True,
        )


def progress_bar(label: str, file: TextIO | None = None, unit: str = "rounds") -> Any:
    """click's bar on a terminal, :class:`PlainProgress` anywhere else."""
    stream = file or sys.stderr
    if stream.isatty():
        import typer

        return typer.progressbar(length=1, label=label, file=stream)
    return PlainProgress(label, stream, unit)
