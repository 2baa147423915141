"""The step bound where the Li does not follow (solver.physics.li_follow): the rule's parts,
and the rule on a rigid two-node Li with current crowding, whose closed form is the
rigid-body recurrence g' = g + s(g) δ − min(g + s(g) δ) (s the contact band's share)."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.solver.physics.li_contact_band import band_share
from lisse.solver.physics.li_follow import RETRY_SHARE, bounded_step, left_contact

T = 1e-9  # contact tolerance [m]


def test_rule_parts():
    start = np.array([0.0, 0.5 * T, 2 * T])
    assert left_contact(start, np.array([0.0, 1.01 * T, 3 * T]), T)  # the 2nd leaves
    assert not left_contact(start, np.array([0.0, T, 3 * T]), T)  # at t: still touching
    assert not left_contact(start, np.array([0.0, 0.2 * T, 5 * T]), T)  # was already out
    assert bounded_step(8.0, 4 * T / 8.0, RETRY_SHARE * T) == pytest.approx(8.0 * RETRY_SHARE / 4)
    assert bounded_step(8.0, T / 2, T) == pytest.approx(2.0)  # 2 s: consumption = t
    assert bounded_step(1.0, T / 2, T) == 1.0  # already below the bound
    assert bounded_step(1.0, 0.0, T) == 1.0  # no current


def rigid(gap: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """One step of a rigid Li resting on its lowest points: node i consumed by s(g_i) δ_i."""
    shape = gap + band_share(gap, T) * delta
    return shape - shape.min()


def test_rule_keeps_a_rigid_li_with_crowding_in_contact():
    """Two nodes, the second consumed twice as fast (δ_2 = 2 δ_1). A step with δ_2 = 4t lifts
    it to 2t: out of the contact, the collapse of the explicit step; the rule retries it with
    δ_2 = 0.9 t and then keeps δ_2 ≤ t, and the node floats in the band at the height where
    its consumption equals the resting node's, s(g*) δ_2 = δ_1: g* = t/2 (closed form), never
    leaving the contact."""
    ratio = np.array([0.5, 1.0])  # δ_i / max δ
    gap = np.zeros(2)
    assert left_contact(gap, rigid(gap, 4 * T * ratio), T)
    dt = bounded_step(1.0, 4 * T, RETRY_SHARE * T)  # the step with max δ = 4t at 1 s, retried
    rate = 4 * T  # max δ per second
    heights = []
    for _ in range(100):
        new = rigid(gap, rate * dt * ratio)
        assert not left_contact(gap, new, T)
        gap = new
        heights.append(gap[1])
        dt = bounded_step(2 * dt, rate, T)  # the engine doubles, the bound caps
    assert rate * dt == pytest.approx(T)
    assert heights[0] == pytest.approx(0.45 * T)
    assert heights[-1] == pytest.approx(0.5 * T, rel=1e-9)
    assert max(heights) <= 0.5 * T * (1 + 1e-12)
