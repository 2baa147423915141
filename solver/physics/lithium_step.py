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
    solve from rest fails too.

    Within a step w holds the flow relative to a uniform descent: v = w + V̄ e_up with V̄ =
    ``body.descent``, set here to the median landing velocity of the active dofs
    (``descent``); the landing conditions become v_up − V̄ = −y_i/Δt − V̄ (between steps
    w = v and V̄ = 0, ``absolute``). A translation has ε̇ = 0 and ∇·v = 0, so the residual
    and its Jacobian are those of v; only the round-off changes. In scaled units
    V̄ = Ω j/(F R), R = ε̇0 (S/σ0)^n ∝ p^n: a flat contact stripped at 0.3 MPa lands at
    6.3e-5 m per unit scaled time (3000 × the 1 MPa value) and the body translates at the
    rest viscosity δ^((1−n)/n) (3.2e4 at n = 4, δ = 1e-6); with v
    itself as the unknown the residual's round-off floor, which grows as δ^((1−n)/n)·V̄
    (eps·V̄/h in the velocity gradient of a translation stored dof by dof), was 7e-20 at
    n = 4 (2.5e-21 at n = 2), above the absolute tolerance 2.5e-21, and the line search
    failed there (PETSc reason −6, issue 12). Relative to V̄ it is 2e-25."""
    warm = body.comm.allreduce(int(np.any(body.w.x.array)), op=MPI.MAX)
    shift = descent(body)
    _translate(body.w, body, body.descent - shift)
    body.descent = shift
    body._landing.x.array[:] -= shift
    total, failure = 0, None
    try:
        for path in ([body.exponent], None) if warm else (None,):
            if path is None:
                body.w.x.array[:] = 0.0
                path = [1.0, *continuation(body.exponent)]
            its, failure = _solve_path(body, path)
            total += its
            if failure is None:
                break
    finally:
        body._landing.x.array[:] += shift
    if failure is not None:
        absolute(body)
        raise SolverError(failure)
    body.w.x.scatter_forward()
    return total


def descent(body) -> float:
    """V̄ (scaled): the median landing velocity of the active obstacle dofs of all ranks
    (the contact's own descent; a mean would take in the few roof dofs landing fast as a
    void closes, and shift the Li resting on the contact instead); 0 without active dofs
    or if a fixed condition holds the up component (a translation is then not free)."""
    if body.up in (body.arguments.get("symmetry") or {}).values():
        return 0.0
    collapsed = body._obstacle[1]
    owned = body.active & (collapsed < body.vy_space.dofmap.index_map.size_local)
    landing = np.concatenate(body.comm.allgather(body._landing.x.array[collapsed[owned]]))
    return float(np.median(landing)) if landing.size else 0.0


def _translate(w, body, speed: float) -> None:
    """Add ``speed`` (scaled) to the up velocity dofs of the mixed function ``w``."""
    if speed != 0.0:
        w.x.array[np.asarray(body._velocity_dofs).reshape(-1, body.up + 1)[:, body.up]] += speed


def absolute(body) -> None:
    """w ← v = w + V̄ e_up and V̄ = 0: the state between steps (``LithiumBody.step`` ends with
    it), so that a run resumed or cut back from a saved flow repeats the uninterrupted one
    exactly; the next solve shifts w again."""
    _translate(body.w, body, body.descent)
    body.descent = 0.0


def set_flow(body, flow: np.ndarray) -> None:
    """Restore a flow saved between steps (w = v): w = ``flow``, V̄ = 0 (a step that failed
    after its solves leaves V̄ set)."""
    body.w.x.array[:] = flow
    body.descent = 0.0


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
