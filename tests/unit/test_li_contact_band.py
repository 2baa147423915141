"""The contact band of the coupled model (solver.physics.li_contact_band): the reacting share
s(g) = clip(1 − g/t, 0, 1), and why it removes the flicker of Li floating at the tolerance,
on the one-node map of the module docstring, g ← g + a s(g) − b (a = (Ω/F) ĵ Δt the
consumption of one step in full contact, b = V Δt the body's descent in one step)."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.solver.physics.li_contact_band import band_share

T = 1e-9  # contact tolerance [m]


def test_share_falls_linearly_across_the_band():
    g = np.array([-1e-12, 0.0, 0.25 * T, 0.5 * T, T, 2 * T])
    assert band_share(g, T) == pytest.approx([1.0, 1.0, 0.75, 0.5, 0.0, 0.0], abs=1e-15)
    assert band_share(g, np.inf) == pytest.approx(np.ones(6))  # no band: share 1


def iterate(share, a: float, b: float, steps: int = 200) -> np.ndarray:
    """Heights [m] of one floating node over ``steps`` steps from the plane."""
    g, out = 0.0, []
    for _ in range(steps):
        g = max(g + a * share(g) - b, 0.0)
        out.append(g)
    return np.array(out)


def test_band_gives_a_stable_height_where_the_step_share_chatters():
    """a = 0.9 t, b = 0.3 t (the local current 3 × the descent): with the band the node
    settles at g* = t (1 − b/a) = 2t/3 without overshoot and stays in the counted contact
    (g ≤ t); with the step share it enters and leaves the contact from step to step. With
    a = 2.5 t (one step consumes more than twice the band) the band's map oscillates too:
    the step bound (Ω/F) ĵ Δt ≤ t is still needed."""
    def step_share(g):
        return 1.0 if g <= T else 0.0

    def band(g):
        return float(band_share(g, T))

    settled = iterate(band, 0.9 * T, 0.3 * T)
    assert settled[-1] == pytest.approx(T * (1 - 0.3 / 0.9), rel=1e-9)
    assert np.all(np.diff(settled) >= -1e-24) and np.all(settled <= T)
    chatter = iterate(step_share, 0.9 * T, 0.3 * T)[100:] <= T
    assert chatter.any() and not chatter.all()
    wide = iterate(band, 2.5 * T, 0.3 * T)[100:]
    assert np.ptp(wide) > 0.1 * T
