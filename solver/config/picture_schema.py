"""``output.interface_picture_times_h``: the times [h] of the interface picture of a coupled
evolution run (``solver.studies.interface_picture``, docs/moving_interface.md "Outputs").

Each time must be a finite number ≥ 0 (``Number`` refuses NaN and ±inf), at most 6 of them,
none after the end of the protocol (the sum of its step lengths; a step bounded only by an
``until`` condition counts ``evolution.until_max_h``); repeated times are drawn once. The
picture is of the coupled model's Li: in a 2D cell (plane strain or axisymmetric) its
profile along the interface, in a 3D cell maps of the interface plane seen from above; with
the reduced interface model or without an evolution section the key is refused with one
line naming it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lisse.solver.config.base import _fail
from lisse.solver.config.evolution import protocol_steps
from lisse.units import SECONDS_PER_HOUR

if TYPE_CHECKING:
    from lisse.solver.config.schema import Case

FIELD = "output.interface_picture_times_h"
END_TOLERANCE = 1e-12  # relative: a time at the protocol's end (round-off) is allowed


def picture_times(times: list[float]) -> list[float]:
    """Field check: every time ≥ 0 (the error names the list index)."""
    for k, t in enumerate(times):
        if t < 0:
            _fail(f"must be >= 0 (got {t:g})", str(k))
    return times


def picture_seconds(times_h: list[float]) -> tuple[float, ...]:
    """The times in s, increasing, each once."""
    return tuple(sorted({t * SECONDS_PER_HOUR for t in times_h}))


def check_picture(case: Case) -> None:
    """The cross-section checks of the key (module docstring)."""
    times = case.output.interface_picture_times_h
    if not times:
        return
    evolution = case.evolution
    if evolution is None:
        _fail("needs an evolution section (the picture is of an evolution run's interface)",
              FIELD)
    if evolution.interface_model != "coupled":
        _fail("draws the coupled model's Li: needs evolution.interface_model: coupled "
              f"(got {evolution.interface_model})", FIELD)
    end = sum(step.duration for step in protocol_steps(evolution))
    for k, t in enumerate(times):
        if t * SECONDS_PER_HOUR > end * (1 + END_TOLERANCE):
            _fail(f"{t:g} h is after the end of the protocol ({end / SECONDS_PER_HOUR:.4g} h)",
                  f"{FIELD}.{k}")
