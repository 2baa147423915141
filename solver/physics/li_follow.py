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

Rule (``left_contact``, ``bounded_step``). A step in which

    a Li bottom node with height ≤ t at its start ends above t, and
    the step's largest consumption (Ω/F) |c| max|j| Δt exceeds t

(c the transfer factor of the current to the Li, j the contact nodes' current densities
[A/m²]) is retried from its start with Δt scaled so that the consumption is ``RETRY_SHARE``
t, and from then on the run keeps the consumption per step ≤ t (``bounded_step``; the
coupled model's ``follow`` flag, saved with its state). The interphase film's consumption
counts with the current's (``coupled_interphase.FilmConsumption.bounded``). Where the Li
follows, no touching node leaves the band and the rule never triggers (the 2 MPa strip
benchmark and the coupled tests at 2 MPa keep their steps). With δ ≤ t no node can leave
the band by its own consumption (g + (1 − g/t) δ ≤ t), so the rule triggers at most once
per run.

Cost. One comparison of the Li bottom heights per step; when it triggers, one repeated Li
step, and then steps of at most t F/(Ω |c| max|j|) (≈ 0.4 s at 1 mA/cm² with a crowding
factor of a few; 0.01 mAh/cm² then takes ~65 steps instead of 6–7).
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

RETRY_SHARE = 0.9  # of t: the consumption of the retried step


def left_contact(start: np.ndarray, end: np.ndarray, tolerance: float) -> bool:
    """Whether a node with height ``start`` ≤ t [m] ends the step with height ``end`` > t
    (heights of the same Li bottom nodes, this rank's)."""
    return bool(np.any((start <= tolerance) & (end > tolerance)))


def bounded_step(dt: float, rate: float, tolerance: float) -> float:
    """Δt [s] capped so that the consumption ``rate`` × Δt ([m/s] × [s]) is ≤ t [m]."""
    return min(dt, tolerance / rate) if rate > 0 else dt


def bottom_heights(evo) -> np.ndarray:
    """Heights [m] of the Li bottom nodes (this rank's) of the coupled model ``evo``."""
    return evo.body.msh.geometry.x[np.unique(evo.bottom.nodes), evo.body.up]


def not_followed(evo, start: np.ndarray, consumption: float) -> bool:
    """The rule's trigger for the Li step just taken by the coupled model ``evo`` (the same
    on every rank): not yet bounded (``evo.follow``), the step's largest consumption [m]
    above t, and a bottom node with height ``start`` ≤ t at the step's start above t now."""
    tol = evo.settings.contact_tolerance
    if evo.follow or consumption <= tol:
        return False
    left = left_contact(start, bottom_heights(evo), tol)
    return bool(evo.comm.allreduce(int(left), op=MPI.MAX))
