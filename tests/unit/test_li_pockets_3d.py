"""The pockets of a 3D Li bottom (solver.physics.li_pockets_3d.pockets_3d) on a triangulated
square: a pocket is a connected set of nodes above the contact tolerance t that the contact
seals (every node next to it on the plane); the same lifted node among nodes floating within
t is no pocket (the low-pressure strip's stall, docs/moving_interface.md "Mesh convergence
in 3D")."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.solver.physics.li_pockets_3d import pockets_3d, pressed
from lisse.units import FARADAY

TOLERANCE = 1e-9  # t [m]
PLANE = 1e-17  # on the plane: z ≤ PLANE [m]
SPACING = 1e-6  # grid spacing [m]
CELLS = 6  # 6 × 6 squares, each cut into 2 triangles


def bottom(heights: np.ndarray) -> np.ndarray:
    """The triangles (rows of 3 corners × (x, y, z) [m]) of the grid with node heights
    ``heights`` ((CELLS + 1) × (CELLS + 1) [m])."""
    k = np.arange(CELLS + 1) * SPACING
    x, y = np.meshgrid(k, k, indexing="ij")
    nodes = np.stack([x, y, heights], axis=-1)
    triangles = []
    for i in range(CELLS):
        for j in range(CELLS):
            a, b, c, d = nodes[i, j], nodes[i + 1, j], nodes[i + 1, j + 1], nodes[i, j + 1]
            triangles += [[a, b, c], [a, c, d]]
    return np.array(triangles)


def test_a_sealed_pocket_and_a_floating_lift():
    """Two lifted nodes (a 2 × 1 pocket, 5 t high at (2, 2)–(3, 2) µm) amid a bottom on the
    plane: one pocket, its two nodes and their 8 neighbours, h = 5 t, r = 1 µm (the farthest
    member's distance to the nearest contact node); the same nodes amid a bottom floating at
    t/2 (the ring within t but not on the plane): no pocket. A bottom all above t has none."""
    heights = np.zeros((CELLS + 1, CELLS + 1))
    heights[2, 2], heights[3, 2] = 5 * TOLERANCE, 4 * TOLERANCE
    points, found = pockets_3d(bottom(heights), TOLERANCE, PLANE)
    assert len(found) == 1
    nodes, height, half_width = found[0]
    assert len(nodes) == 10 and height == 5 * TOLERANCE
    assert half_width == pytest.approx(SPACING, rel=1e-12)
    assert np.sum(points[nodes, 2] > TOLERANCE) == 2
    floating = np.where(heights > TOLERANCE, heights, TOLERANCE / 2)
    assert pockets_3d(bottom(floating), TOLERANCE, PLANE)[1] == []
    floating[0, 0] = 0.0  # one node on the plane far away: the ring still floats
    assert pockets_3d(bottom(floating), TOLERANCE, PLANE)[1] == []
    assert pockets_3d(bottom(heights + 2 * TOLERANCE), TOLERANCE, PLANE)[1] == []


def test_a_ring_floating_within_t_seals_where_the_li_is_pressed_onto_the_plane():
    """The same pocket amid a bottom floating at t/2 is sealed where ``pressed`` holds for the
    ring: at rest (ĵ = 0; the h/4 rest's 84 nm pocket whose ring node stayed 0.63 nm up for
    seconds), and in a strip where the flow outruns the consumption (a landing roof); not in
    a strip where the Li only follows it (the 0.05 MPa strip's stall)."""
    heights = np.full((CELLS + 1, CELLS + 1), TOLERANCE / 2)
    heights[2, 2], heights[3, 2] = 5 * TOLERANCE, 4 * TOLERANCE
    dt, omega = 0.5, 1.3e-5  # step [s], molar volume [m³/mol]
    stripping = 10.0  # ĵ [A/m²]: recession Ω ĵ/F = 1.35e-9 m/s, 0.67 nm per step
    following = -omega * stripping / FARADAY  # v_z of a Li following its consumption [m/s]

    def found(velocity: float, current: float):
        def sealing(points):
            n = len(points)
            return pressed(points[:, 2], np.full(n, velocity), np.full(n, current), dt, PLANE,
                           omega)
        return pockets_3d(bottom(heights), TOLERANCE, PLANE, sealing)[1]

    assert pockets_3d(bottom(heights), TOLERANCE, PLANE)[1] == []  # the rule on the plane only
    at_rest = found(0.0, 0.0)
    assert len(at_rest) == 1 and len(at_rest[0][0]) == 10 and at_rest[0][1] == 5 * TOLERANCE
    assert len(found(0.0, -stripping)) == 1  # plating
    assert found(following, stripping) == []  # floats: the free bottom
    assert found(0.0, stripping) == []
    landing = following - TOLERANCE / dt  # the flow brings t/2 down within the step
    assert len(found(landing, stripping)) == 1
    # the rule node by node: z + (v_z + Ω ĵ/F) Δt ≤ plane
    z = np.array([0.0, TOLERANCE / 2, TOLERANCE / 2, TOLERANCE / 2])
    v = np.array([0.0, 0.0, following, -TOLERANCE / dt + following])
    j = np.array([stripping, stripping, stripping, stripping])
    assert pressed(z, v, j, dt, PLANE, omega).tolist() == [True, False, False, True]
