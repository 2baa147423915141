"""Critical current density: the largest stripping current density an interface survives.

Each trial is a whole simulation: strip at the trial current density for the capacity of
the search (``evolution.ccd``) and check the failure criteria (contact fraction, voltage
cut-off, void runaway). The search brackets the CCD by doubling or halving from the start
value, then bisects geometrically until the bracket [survived, failed] is narrower than the
relative precision rtol: the reported CCD is the largest surviving current and the true
limit lies in [ccd, ccd·(1 + rtol)). The search is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from lisse.solver.errors import SolverError


@dataclass(frozen=True)
class CcdSettings:
    """capacity [C/m²] each trial strips; start, maximum [A/m²]; rtol: relative precision."""

    capacity: float = 3.6e4
    start: float = 1.0
    maximum: float = 1000.0
    rtol: float = 0.05
    method: str = "bisection"  # or "staircase" (solver.studies.ccd_protocol)


@dataclass
class Trial:
    current_density: float  # A/m²
    survived: bool
    failure_mode: str
    failure_time: float  # s (nan if survived)
    failure_criterion: str = ""  # solver.physics.failure.CRITERIA
    interface_failure: bool = False  # False for a voltage cut-off of an intact interface
    steps: int = 0  # time steps of the trial's run


@dataclass
class CcdResult:
    """ccd [A/m²]: the largest surviving current; bracket (survived, failed) [A/m²]."""

    ccd: float
    bracket: tuple[float, float]
    failure_mode: str
    trials: list[Trial] = field(default_factory=list)
    failure_criterion: str = ""  # of the failing trial at the upper end of the bracket
    interface_failure: bool = False


def find_ccd(trial: Callable[[float], Trial], start: float, maximum: float,
             rtol: float) -> CcdResult:
    """Bracket and bisect on ``trial(j) -> Trial`` between start/1024 and ``maximum``."""
    trials: list[Trial] = []

    def run(j: float) -> Trial:
        result = trial(j)
        trials.append(result)
        return result

    first = run(start)
    if first.survived:
        low, high, failed = start, None, None
        while high is None:
            j = 2 * low
            if j > maximum:
                raise SolverError(f"the interface survives {low / 10:g} mA/cm² and the search "
                                  f"stops at evolution.ccd.max_mA_cm2 = {maximum / 10:g}")
            result = run(j)
            if result.survived:
                low = j
            else:
                high, failed = j, result
    else:
        high, failed, low = start, first, None
        while low is None:
            j = high / 2
            if j < start / 1024:
                who = "interface" if failed.interface_failure else "cell"
                raise SolverError(f"the {who} fails even at {j / 10:g} mA/cm²: "
                                  f"{failed.failure_mode}")
            result = run(j)
            if result.survived:
                low = j
            else:
                high, failed = j, result
    while high / low - 1 > rtol:
        j = math.sqrt(low * high)
        result = run(j)
        if result.survived:
            low = j
        else:
            high, failed = j, result
    return CcdResult(ccd=low, bracket=(low, high), failure_mode=failed.failure_mode,
                     trials=trials, failure_criterion=failed.failure_criterion,
                     interface_failure=failed.interface_failure)
