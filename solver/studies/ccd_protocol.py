"""``lisse ccd`` with ``evolution.ccd.method: staircase``: the CCD read off one run of the
case's own protocol (``evolution.protocol``, ``steps`` or ``staircase``), as an experiment
reads it — the highest stripping current density carried through a whole step, with the
current of the step in which the interface failed as the upper end of the bracket
(``solver.studies.protocol_ccd``). Its precision is the protocol's step, not ``rtol``.
"""

from __future__ import annotations

import math

from lisse.solver.config.params import Resolved
from lisse.solver.errors import SolverError, UserError
from lisse.solver.io.progress import Progress
from lisse.solver.studies.ccd_search import CcdResult, Trial
from lisse.solver.studies.evolution import _engine, _settings, _with_closure_rate
from lisse.solver.studies.model import build_model
from lisse.solver.studies.protocol_ccd import protocol_ccd
from lisse.units import A_M2_PER_MA_CM2


def protocol_search(params: Resolved, comm, progress: Progress | None = None) -> CcdResult:
    """The CCD bracket [A/m²] of one run of the case's protocol."""
    settings = _settings(params)
    if not settings.steps:
        raise UserError("evolution.ccd.method: staircase reads the CCD off the case's "
                        "protocol: give evolution.protocol (or steps, or a staircase)")
    model = build_model(params, comm, "ccd")
    settings = _with_closure_rate(model, settings,
                                  progress.log if progress is not None else None)
    outcome = _engine(model, settings).run()
    ccd = protocol_ccd(outcome)
    if not outcome.failed or math.isnan(ccd.failed):
        state = (f"failed while not stripping ({outcome.failure_mode})" if outcome.failed
                 else "survived the whole protocol")
        raise SolverError(f"evolution.ccd.method: staircase: the interface {state}; "
                          "extend the protocol's stripping staircase")
    if ccd.survived <= 0:
        raise SolverError(f"evolution.ccd.method: staircase: the interface failed in its first "
                          f"stripping step ({ccd.failed / A_M2_PER_MA_CM2:g} mA/cm²): start "
                          f"the staircase lower ({outcome.failure_mode})")
    if progress is not None:
        progress.log(f"  carried {ccd.survived / A_M2_PER_MA_CM2:.4g} mA/cm², failed at "
                     f"{ccd.failed / A_M2_PER_MA_CM2:.4g}: {outcome.failure_mode}")
    failing = Trial(ccd.failed, False, outcome.failure_mode, outcome.failure_time,
                    outcome.failure_criterion, outcome.interface_failure)
    return CcdResult(ccd=ccd.survived, bracket=(ccd.survived, ccd.failed),
                     failure_mode=outcome.failure_mode, trials=[failing],
                     failure_criterion=outcome.failure_criterion,
                     interface_failure=outcome.interface_failure)
