"""The step bound where the Li does not follow its consumption (issue 12, "follow";
docs/moving_interface.md "The contact band", "The default step").

Why. The coupled step is explicit in the contact set: the Li nodes within the contact
tolerance t of the plane at the start of a step are consumed by δ = (Ω/F) ĵ Δt for the
whole step. Where the Li creeps fast enough to follow a consumption that varies along the
contact (high stack pressure) the flow brings the consumed nodes back onto the plane within
the step and δ may be large. Where it cannot (low pressure: the near-rigid Li rests on its
least-consumed points, the rigid-Li limit) a step with δ ≫ t lifts the more consumed nodes
far out of the contact band in one step, the rest of the contact takes all the current in
the next, and the contact collapses: a step artefact. With δ ≤ t the band
(``li_contact_band``) holds such Li floating at g* < t inside the contact.

Rule (``left_contact``, ``follow_step``). A step in which

    a Li bottom node with height ≤ t at its start (without the contact band, 3D: on the
    plane) ends above t, and
    the step's largest consumption (Ω/F) |c| max|j| Δt exceeds t

(c the transfer factor of the current to the Li, j the contact nodes' current densities
[A/m²]) is retried from its start with Δt scaled so that the consumption is ``RETRY_SHARE``
t, and from then on the run keeps the consumption per step ≤ t (``bounded_step``; the
coupled model's ``follow`` flag, saved with its state). Where the Li follows, no touching
node leaves the band and the rule never triggers (the 2 MPa strip benchmark and the coupled
tests at 2 MPa keep their steps). With δ ≤ t no node can leave the band by its own
consumption (g + (1 − g/t) δ ≤ t), so the rule triggers at most once per run.

Without the band (3D, ``contact_band`` False) every node with g ≤ t is consumed by its full
δ, and bottom nodes may float inside the tolerance out of the active set (after a 3D
remeshing: 2–14 mid-edge nodes at 0.001–0.92 t on the voided strip of docs/moving_interface.md
"Li remeshing in 3D"; none without it): the flow carries such a node down with its
neighbours, so its gap drifts by the difference of their consumptions and crosses t now and
then (0.92 t → 1.13 t in a step of δ = 130 t; 0.50 t → 3.5 t at δ = 113 t), which is not the
Li failing to follow: the bound then held every later step to 2.47 s. So in 3D only a node on
the plane at the step's start (height ≤ ``ON_PLANE`` × the body size, the nodes the Li step
holds in contact) counts; one the Li does not follow ends at ~δ > t (at most once per run,
as in 2D: with δ ≤ t it ends ≤ t).

Cost. One comparison of the Li bottom heights per step; when it triggers, one repeated Li
step, and then steps of at most t F/(Ω |c| max|j|) (≈ 0.4 s at 1 mA/cm² with a crowding
factor of a few; 0.01 mAh/cm² then takes ~65 steps instead of 6–7).
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

RETRY_SHARE = 0.9  # of t: the consumption of the retried step
ON_PLANE = 1e-12  # × the body's largest |coordinate|: on the plane (as lithium_body's touching)


def left_contact(start: np.ndarray, end: np.ndarray, tolerance: float,
                 touching: float | None = None) -> bool:
    """Whether a node with height ``start`` ≤ ``touching`` [m] (default t) ends the step with
    height ``end`` > t [m] (heights of the same Li bottom nodes, this rank's)."""
    limit = tolerance if touching is None else touching
    return bool(np.any((start <= limit) & (end > tolerance)))


def follow_step(dt: float, consumption: float, tolerance: float) -> float:
    """The retried step [s]: Δt scaled so that the step's largest consumption
    ``consumption`` [m] (at Δt) becomes ``RETRY_SHARE`` × t."""
    return dt * RETRY_SHARE * tolerance / consumption


def bounded_step(dt: float, rate: float, tolerance: float) -> float:
    """Δt [s] capped so that the consumption ``rate`` × Δt ([m/s] × [s]) is ≤ t [m]."""
    return min(dt, tolerance / rate) if rate > 0 else dt


def bottom_heights(evo) -> np.ndarray:
    """Heights [m] of the Li bottom nodes (this rank's) of the coupled model ``evo``."""
    return evo.body.msh.geometry.x[np.unique(evo.bottom.nodes), evo.body.up]


def not_followed(evo, start: np.ndarray, consumption: float) -> bool:
    """The rule's trigger for the Li step just taken by the coupled model ``evo`` (the same
    on every rank): not yet bounded (``evo.follow``), the step's largest consumption [m]
    above t, and a bottom node with height ``start`` ≤ t (without the contact band: on the
    plane) at the step's start above t now."""
    tol = evo.settings.contact_tolerance
    if evo.follow or consumption <= tol:
        return False
    end = bottom_heights(evo)
    touching = tol if evo.contact_band else ON_PLANE * evo.comm.allreduce(
        float(np.max(np.abs(evo.body.msh.geometry.x), initial=0.0)), op=MPI.MAX)
    left = left_contact(start, end, tol, touching)
    return bool(evo.comm.allreduce(int(left), op=MPI.MAX))
