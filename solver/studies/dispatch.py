"""The one dispatcher: a validated case → the run it asks for → its results folder.

A case with ``evolution.steps`` (or a staircase) is a time-dependent run
(``lisse.solver.studies.evolution``); any other case is a steady run
(``lisse.solver.studies.steady``). The command line (``lisse run``), the sweep engine (each
case) and the Python API (``lisse.run``) all come through here.
"""

from __future__ import annotations

from lisse.solver.config.params import Resolved
from lisse.solver.errors import UserError


def run_kind(params: Resolved) -> str:
    """"evolution" if the case has a protocol to run, else "steady"."""
    return "evolution" if params.evolution is not None and params.evolution.steps else "steady"


def run_case(params: Resolved, outdir, comm, resolved_config: dict,
             argv: list[str] | None = None, resume=None) -> dict:
    """Run the case into ``outdir`` (written atomically); returns its summary. ``resume``:
    the folder of an interrupted evolution run to go on from (docs/reliability.md)."""
    if run_kind(params) == "evolution":
        from lisse.solver.studies.evolution import run_evolution

        return run_evolution(params, outdir, comm, resolved_config, argv, resume=resume)
    if resume is not None:
        raise UserError(f"--resume {resume}: only time-dependent runs (evolution.steps) "
                        "write checkpoints")
    from lisse.solver.studies.steady import run_case as run_steady

    return run_steady(params, outdir, comm, resolved_config, argv)
