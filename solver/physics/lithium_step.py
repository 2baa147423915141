"""One time step of the creeping Li body (``solver.physics.lithium_body``): the Newton solve
of its flow and the step's report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

from lisse.solver.errors import SolverError
from lisse.solver.physics.patch_flow import continuation


@dataclass(frozen=True)
class StepReport:
    """One time step: midpoint fixed-point iterations, Newton iterations in all, active-set
    passes, active contact dofs (global), total contact force (N, per m depth in plane
    strain; N/(2π) axisymmetric) and the largest penetration (m) at a P2 dof."""

    midpoint_iterations: int
    newton_iterations: int
    active_set_passes: int
    active: int
    contact_force: float
    penetration: float


def solve_flow(body) -> int:
    """Newton solves of the flow of ``body`` (a ``LithiumBody``); returns the iterations.
    From rest (w = 0) along the continuation in n from 1; else from the present w (the last
    solve's flow) at n. A warm start that fails is restarted once from rest along the
    continuation: the stale flow can be outside Newton's basin at n = 6.67 whatever Δt
    (plating at 0.5 MPa, docs/moving_interface.md "Voids appear and merge"), and a smaller
    step does not bring it closer, since the flow is quasi-static. SolverError if the
    solve from rest fails too."""
    warm = body.comm.allreduce(int(np.any(body.w.x.array)), op=MPI.MAX)
    total, failure = 0, None
    for path in ([body.exponent], None) if warm else (None,):
        if path is None:
            body.w.x.array[:] = 0.0
            path = [1.0, *continuation(body.exponent)]
        its, failure = _solve_path(body, path)
        total += its
        if failure is None:
            body.w.x.scatter_forward()
            return total
    raise SolverError(failure)


def _solve_path(body, path: list[float]) -> tuple[int, str | None]:
    """Newton solves at the exponents ``path`` in turn, each from the last; returns
    (iterations, None) or (iterations, the failure's message) at the first failure."""
    snes, total = body.problem.solver, 0
    for n in path:
        body.n.value = n
        body.problem.solve()
        reason, its = snes.getConvergedReason(), snes.getIterationNumber()
        total += its
        if reason < 0:
            return total, (f"Li creep flow (n = {n:g}) did not converge after {its} "
                           f"Newton iterations (PETSc reason {reason})")
    return total, None
