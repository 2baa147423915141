"""The critical current density read from one run of an experiment-like protocol (a current
staircase, or cycling at rising currents), as the papers read it: the highest stripping
current density the interface carried through a whole step, with the current of the step in
which it failed as the upper end of the bracket.

Unlike the bisection of ``ccd_search`` (each trial a fresh interface stripping one constant
current), a staircase carries its history from step to step; where the failure does not
depend on that history (e.g. the vacancy route below its limit leaves no pores) the two
agree within their step sizes (tests/integration/test_protocols.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lisse.solver.physics.evolution_settings import Outcome


@dataclass(frozen=True)
class ProtocolCcd:
    """survived: the highest stripping current density [A/m²] of a completed step (0 if
    none); failed: the stripping current density of the step that failed [A/m²] (nan if
    the run did not fail while stripping); criterion and interface: of the failure
    (``solver.physics.failure``)."""

    survived: float
    failed: float
    criterion: str
    interface: bool


def protocol_ccd(outcome: Outcome) -> ProtocolCcd:
    """The CCD bracket of a run that ended with ``outcome``, from its records: the records
    of the failing step are the last run of records with the step's label; every earlier
    record belongs to a step the interface carried to its end (or to its until condition).
    """
    records = outcome.records
    n = len(records)
    if outcome.failed and records:
        while n > 0 and records[n - 1].step == records[-1].step:
            n -= 1
    survived = max((r.applied_current_density for r in records[:n]), default=0.0)
    last = records[-1].applied_current_density if records else 0.0
    failed = last if outcome.failed and last > 0 else math.nan
    return ProtocolCcd(max(survived, 0.0), failed, outcome.failure_criterion,
                       outcome.interface_failure)
