"""Step bound of the coupled model where the Li does not follow its consumption (issue 12,
docs/moving_interface.md "Mesh convergence of the contact history in plane strain").

A coupled step is explicit in the contact set: the Li nodes within the contact tolerance t
of the plane at its start are consumed by δ_i = Ω ĵ_i Δt/F for the whole step, the others not
at all. Where the Li creeps fast enough (MPa stack pressures) it follows the consumption and
the stripped nodes land back on the plane, whatever Δt. Where it cannot (a near-rigid Li at
~0.05 MPa, creeping at ~1e-11 /s), a node consumed by δ_i ≫ t leaves the contact band in one
step, the rest of the contact takes all the current in the next, and the contact collapses
onto a few points: with the default step growth (to 16 s) the TINY cell lost contact at 11 s
on one mesh and at 31 s on the other, and keeps it (contact ≈ 0.79) once δ per step ≤ t.

The bound: a step in which a node that was touching at its start ends above t while the
largest consumption of the step, δ_max = (Ω/F) max ĵ Δt, exceeds t is retried with
Δt ← 0.9 Δt t/δ_max, and from then on (the rest of the run) every step is bounded by
Δt ≤ t F/(Ω max |j|), i.e. δ_max ≤ t (to the transfer factor c of ``coupled_interface``,
c ≈ 1). Runs in which the Li follows never trigger it and take their usual steps.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from lisse.units import FARADAY


class ConsumptionBound:
    """The step bound of the module docstring for one ``CoupledEvolution`` ``evo``."""

    def __init__(self, evo):
        self.evo = evo
        self.active = False  # set by the first step whose consumption the Li did not follow

    def _rate(self, j: np.ndarray) -> float:
        """Largest recession speed (Ω/F) c max|j| of the present current [m/s] (global; 0
        at rest)."""
        evo = self.evo
        top = max(evo._max(np.abs(j)), 0.0)
        return evo.params.electrode.molar_volume / FARADAY * abs(evo.transfer_scale) * top

    def limit(self, dt: float, j: np.ndarray) -> float:
        """Δt bounded by t F/(Ω max|j|) once active [s]."""
        if not self.active:
            return dt
        rate = self._rate(j)
        return min(dt, self.evo.settings.contact_tolerance / rate) if rate > 0 else dt

    def shorter(self, start: np.ndarray, dt: float, j: np.ndarray) -> float | None:
        """The shorter Δt to retry a step from the Li geometry ``start`` with, if a node
        touching at the start left the contact band while δ_max > t; else None."""
        evo, body = self.evo, self.evo.body
        tolerance = evo.settings.contact_tolerance
        deepest = self._rate(j) * dt
        if deepest <= tolerance:
            return None
        nodes = body._surface_nodes
        touching = start[nodes, body.up] <= body.touching_height(evo.size)
        left = np.any(body.msh.geometry.x[nodes[touching], body.up] > tolerance)
        if not evo.comm.allreduce(int(left), op=MPI.MAX):
            return None
        self.active = True
        return 0.9 * dt * tolerance / deepest
