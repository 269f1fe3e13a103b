"""Log filters for commands that a person watches (``demo``, ``record``).

APScheduler logs "skipped: maximum number of running instances reached" each time a poll is
still running when its next turn comes.  With ``max_instances=1`` that is the intended
behaviour, not a fault, and at demo speeds it scrolls the screen; the commands count the
skips and say how many there were at the end instead.
"""

from __future__ import annotations

import logging

SKIPPED_RUN = "maximum number of running instances reached"


class SkippedRuns(logging.Filter):
    """Count APScheduler's skipped-run warnings and drop them.

    >>> f = SkippedRuns()
    >>> rec = logging.LogRecord("apscheduler.scheduler", logging.WARNING, "", 0,
    ...     'Execution of job "x" skipped: maximum number of running instances reached (1)',
    ...     None, None)
    >>> f.filter(rec), f.count
    (False, 1)
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if SKIPPED_RUN in record.getMessage():
            self.count += 1
            return False
        return True

    def install(self) -> SkippedRuns:
        """On every handler of the root logger (where APScheduler's records end up)."""
        for handler in logging.getLogger().handlers:
            handler.addFilter(self)
        return self
