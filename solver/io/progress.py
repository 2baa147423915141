"""Progress of long work: meshing, solves, time steps, CCD trials, study and sweep cases.

The one place lisse shows progress. Two modes, chosen from the stream (``sys.stderr`` by
default) unless ``live=`` forces one:

* a terminal: ``rich`` progress bars, one per running task (a sweep's bar above the bar of
  its case's time steps above a meshing spinner), redrawn in place by rich's refresh thread,
  removed when the task closes; permanent messages print above the bars;
* anything else (logs, pipes, batch jobs): plain lines, ``label  done/total  elapsed
  detail``; status updates at most every ``log_interval`` seconds so that a long
  time-dependent run does not flood its log.

Only rank 0 of the communicator prints, so give each case (or sweep group) its own
communicator::

    progress = Progress("sweep", total=12, comm=group)
    progress.status(case="a1b2c3", step="4/100", newton=3)   # live detail
    progress.advance(message="case 3 a1b2c3 done in 1.2 s")  # one more item finished
    progress.close()

A task measured in something other than items (simulated time [h]) sets its position with
``update(done)``. ``Progress.quiet()`` is a no-op stand-in.
"""

from __future__ import annotations

import atexit
import math
import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


class _Display:
    """The one rich display of a stream shared by all live tasks: started with the first
    task, stopped when the last one closes (rich allows one live display per console)."""

    current: _Display | None = None

    def __init__(self, stream: TextIO, refresh: float):
        self.stream = stream
        self.console = Console(file=stream, force_terminal=True)
        self.bars = RichProgress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            TextColumn("{task.fields[count]}"), TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}"),
            console=self.console, transient=True,
            refresh_per_second=max(1.0, 1.0 / refresh) if refresh > 0 else 10.0)
        self.tasks = 0
        self.bars.start()
        # an error or Ctrl-C that skips close(): the terminal still gets its cursor back
        atexit.register(self.bars.stop)

    @classmethod
    def attach(cls, stream: TextIO, refresh: float) -> _Display | None:
        """The display of ``stream`` (started if none runs); None if another stream has it."""
        if cls.current is None:
            cls.current = cls(stream, refresh)
        elif cls.current.stream is not stream:
            return None
        cls.current.tasks += 1
        return cls.current

    def detach(self) -> None:
        self.tasks -= 1
        if self.tasks == 0:
            self.bars.stop()
            atexit.unregister(self.bars.stop)
            _Display.current = None


class Progress:
    """A counter of finished items with a free-form status, printed by rank 0 only.

    ``live``: True for bars, False for plain lines, None (default) for bars exactly when
    ``stream`` is a terminal. ``refresh``: seconds between redraws of the bars."""

    def __init__(
        self,
        label: str,
        total: float | None = None,
        comm=None,
        stream: TextIO | None = None,
        refresh: float = 0.1,
        log_interval: float = 10.0,
        enabled: bool = True,
        live: bool | None = None,
    ):
        self.label = label
        self.total = total
        self.done: float = 0
        self.fields: dict[str, object] = {}
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and (comm is None or comm.rank == 0)
        self.log_interval = log_interval
        self.start = time.perf_counter()
        self._last = -float("inf")
        self._display = None
        if self.enabled and (_is_tty(self.stream) if live is None else live):
            self._display = _Display.attach(self.stream, refresh)
        if self._display is not None:
            self._task = self._display.bars.add_task(label, total=total, count=self._count(),
                                                     detail="")

    @property
    def live(self) -> bool:
        """Whether this task is drawn as a bar (a terminal) rather than as plain lines."""
        return self._display is not None

    @classmethod
    def quiet(cls) -> Progress:
        """A progress object that prints nothing."""
        return cls("", enabled=False)

    def status(self, **fields: object) -> None:
        """Update the detail fields (``step="4/100"``, ``newton=3``) and redraw."""
        self.fields.update(fields)
        if self.live:
            self._refresh()
            return
        now = time.perf_counter()
        if self.enabled and now - self._last >= self.log_interval:
            self._print(self.line(now))
            self._last = now

    def update(self, done: float, **fields: object) -> None:
        """Set the position (``done`` of ``total``, e.g. simulated hours) and the detail."""
        self.done = done
        self.status(**fields)

    def advance(self, n: int = 1, message: str | None = None) -> None:
        """Count ``n`` more finished items; ``message`` is printed as a permanent line.
        Without a message a plain log gets the status line at most every ``log_interval``
        seconds, and after the last item."""
        self.done += n
        if not self.enabled:
            return
        if message:
            self.log(message)
        if self.live:
            self._refresh()
            return
        now = time.perf_counter()
        last = self.total is not None and self.done >= self.total
        if not message and (last or now - self._last >= self.log_interval):
            self._print(self.line(now))
            self._last = now

    def log(self, message: str) -> None:
        """Print a permanent line above the bars (or a plain log line)."""
        if not self.enabled:
            return
        if self.live:
            self._display.console.print(message, markup=False, highlight=False)
        else:
            self._print(f"{self.label}: {message}" if self.label else message)

    def line(self, now: float | None = None) -> str:
        """The status text: ``label  done/total  elapsed  key value ...``."""
        elapsed = (now or time.perf_counter()) - self.start
        detail = "  ".join(f"{k} {v}" for k, v in self.fields.items())
        return "  ".join(p for p in (self.label, self._count(), f"{elapsed:.0f} s", detail)
                         if p)

    def close(self) -> None:
        """End the task: its bar is removed (the display stops with the last one)."""
        if self.live:
            self._display.bars.remove_task(self._task)
            self._display.detach()
            self._display = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _count(self) -> str:
        if self.total is None:
            return f"{self.done:g}" if self.done else ""
        if float(self.total).is_integer() and float(self.done).is_integer():
            return f"{self.done:g}/{self.total:g}"
        # a measured position (simulated hours): fixed point, 3 significant digits of the
        # total (0.0000/0.0967, not 1.56566e-05/0.0966667)
        digits = max(0, 2 - math.floor(math.log10(abs(self.total)))) if self.total else 0
        return f"{self.done:.{digits}f}/{self.total:.{digits}f}"

    def _refresh(self) -> None:
        detail = "  ".join(f"{k} {v}" for k, v in self.fields.items())
        self._display.bars.update(self._task, completed=self.done, count=self._count(),
                                  detail=detail)

    def _print(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
