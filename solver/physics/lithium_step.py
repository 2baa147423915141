"""The report of one time step of the creeping Li body (``solver.physics.lithium_body``)."""

from __future__ import annotations

from dataclasses import dataclass


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
