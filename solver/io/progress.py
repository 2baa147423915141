"""Progress of long runs: sweep cases, time steps, Newton iterations.

On a terminal, one live status line is redrawn in place (at most ``refresh`` times a
second); otherwise (logs, pipes, batch jobs) plain lines are printed, status updates at
most every ``log_interval`` seconds so that a long time-dependent run does not flood its
log. Only rank 0 of the communicator prints, so give each case (or sweep group) its own
communicator::

    progress = Progress("sweep", total=12, comm=group)
    progress.status(case="a1b2c3", step="4/100", newton=3)   # live detail
    progress.advance(message="case 3 a1b2c3 done in 1.2 s")  # one more item finished
    progress.close()

Time-dependent solvers take an optional ``Progress`` and call ``status(step=..., t_s=...,
newton=...)`` once per step; ``Progress.quiet()`` is a no-op stand-in.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A counter of finished items with a free-form status, printed by rank 0 only."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        comm=None,
        stream: TextIO | None = None,
        refresh: float = 0.1,
        log_interval: float = 10.0,
        enabled: bool = True,
    ):
        self.label = label
        self.total = total
        self.done = 0
        self.fields: dict[str, object] = {}
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and (comm is None or comm.rank == 0)
        self.live = self.enabled and _is_tty(self.stream)
        self.refresh = refresh
        self.log_interval = log_interval
        self.start = time.perf_counter()
        self._last = -float("inf")
        self._width = 0

    @classmethod
    def quiet(cls) -> Progress:
        """A progress object that prints nothing."""
        return cls("", enabled=False)

    def status(self, **fields: object) -> None:
        """Update the detail fields (``step="4/100"``, ``newton=3``) and redraw."""
        self.fields.update(fields)
        now = time.perf_counter()
        if self.live and now - self._last >= self.refresh:
            self._draw(now)
        elif self.enabled and not self.live and now - self._last >= self.log_interval:
            self._print(self.line(now))
            self._last = now

    def advance(self, n: int = 1, message: str | None = None) -> None:
        """Count ``n`` more finished items; ``message`` is printed as a permanent line."""
        self.done += n
        if not self.enabled:
            return
        if message:
            self.log(message)
        now = time.perf_counter()
        if self.live:
            self._draw(now)
        elif not message:
            self._print(self.line(now))

    def log(self, message: str) -> None:
        """Print a permanent line above the live line (or a plain log line)."""
        if not self.enabled:
            return
        if self.live:
            self._clear()
            self._print(message)
            self._draw(time.perf_counter())
        else:
            self._print(f"{self.label}: {message}" if self.label else message)

    def line(self, now: float | None = None) -> str:
        """The status text: ``label  done/total  elapsed  key value ...``."""
        elapsed = (now or time.perf_counter()) - self.start
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        detail = "  ".join(f"{k} {v}" for k, v in self.fields.items())
        return "  ".join(p for p in (self.label, count, f"{elapsed:.0f} s", detail) if p)

    def close(self) -> None:
        """End the live line (the terminal cursor moves to a fresh line)."""
        if self.live:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
            self.live = False

    def _draw(self, now: float) -> None:
        text = self.line(now)
        pad = max(self._width - len(text), 0)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)
        self._last = now

    def _clear(self) -> None:
        self.stream.write("\r" + " " * self._width + "\r")
        self._width = 0

    def _print(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
