"""The contact band of the coupled moving-interface model: the share of the reaction that Li
at a height g above the electrolyte plane carries (issue 12, docs/moving_interface.md
"Mesh convergence of the contact history in plane strain (convps)").

Li within the contact tolerance t of the plane reacts, Li higher up does not. With a share
that jumps from 1 to 0 at g = t, Li that cannot follow its consumption (low stack pressure:
the near-rigid Li rests on its least-consumed points) chatters at the tolerance: a node in
the band is stripped by the whole step's δ = Ω j Δt/F and leaves it, the body's descent
V = Ω ī/F (ī the mean current density over the resting contact) brings it back a few steps
later, and the counted contact toggles by the node's tributary length from step to step
(a relay with a dead zone of one step's consumption: the 0.06–0.07 pointwise difference of
the contact histories at h, h/2 and h/4 that did not fall with h).

The share falls linearly across the band,

    s(g) = 1 − g/t for 0 ≤ g ≤ t, 0 for g > t,

so the current into Li floating in the band goes to zero continuously as it rises. Such Li
has a stable height: with ĵ the local current density of full contact it rises at
(Ω/F) s(g) ĵ and descends with the body at V, so g* = t (1 − V/ĵ) < t where ĵ > V (Li
resting on the plane, g = 0, has s = 1: nothing changes there). The explicit step reaches g*
without overshoot while the consumption per step (Ω/F) ĵ Δt ≤ t (the map
g ← g + Δt ((Ω/F) ĵ (1 − g/t) − V) has slope 1 − (Ω/F) ĵ Δt / t), and converges while it
is < 2t; beyond that it oscillates again. The band is a regularisation of the contact (the
true contact has t → 0; the results are stated at t = 1 nm); the counted contact (sub-element
area with y ≤ t) is unchanged, and the floating Li at g* < t is in it at every step.

The same s multiplies the electrolyte node's contact share (its lumped contact weight) and
the Li node's consumption, so the transfer of the current to the Li stays conservative.
"""

from __future__ import annotations

import numpy as np


def band_share(height: np.ndarray, tolerance: float) -> np.ndarray:
    """s(g) = clip(1 − g/t, 0, 1): the reacting share of Li at height g [m] above the plane,
    t the contact tolerance [m]."""
    return np.clip(1.0 - np.asarray(height, dtype=float) / tolerance, 0.0, 1.0)
