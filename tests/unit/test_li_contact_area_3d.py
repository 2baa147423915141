"""The sub-element contact area of a 3D Li bottom (solver.physics.li_contact_area_3d) against
closed forms: the corner triangle and its complement on one straight triangle, a tilted
plane over a triangulated square, and the exact 0 of a bottom wholly in contact."""

from __future__ import annotations

import numpy as np
import pytest

from lisse.solver.physics.li_contact_area_3d import open_area

TOLERANCE = 0.3


def triangle(heights) -> np.ndarray:
    """The right triangle (0, 0), (2, 0), (0, 2) (projected area 2) with corner heights."""
    return np.array([[[0, 0, heights[0]], [2, 0, heights[1]], [0, 2, heights[2]]]], float)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
def test_one_straight_triangle(order):
    """Heights (0, h, h): the part with z ≤ t is the corner triangle scaled by t/h, area
    2 (t/h)², so A_open = 2 (1 − (t/h)²); heights (0, 0, h): the part above t is the far
    corner scaled by 1 − t/h, A_open = 2 (1 − t/h)²; in any corner order."""
    h = 1.0
    one = np.array([0.0, h, h])[list(order)]
    assert open_area(triangle(one), TOLERANCE) == pytest.approx(
        2 * (1 - (TOLERANCE / h) ** 2), rel=1e-14)
    two = np.array([0.0, 0.0, h])[list(order)]
    assert open_area(triangle(two), TOLERANCE) == pytest.approx(
        2 * (1 - TOLERANCE / h) ** 2, rel=1e-14)
    assert open_area(triangle([0.0, 0.0, TOLERANCE]), TOLERANCE) == 0.0  # on t: in contact
    assert open_area(triangle([0.5, 0.4, 2.0]), TOLERANCE) == pytest.approx(2.0, rel=1e-15)


def test_tilted_plane_over_a_triangulated_square():
    """z = a x over the unit square cut into 2 × 8 × 8 triangles with random interior node
    positions: the part above t is x > t/a, of area 1 − t/a, whatever the triangles; the
    flat square (z = 0) has no open area at all (A_c/A exactly 1)."""
    rng = np.random.default_rng(3)
    n = 9
    gx, gy = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n), indexing="ij")
    inner = (slice(1, -1), slice(1, -1))
    gx[inner] += rng.uniform(-0.03, 0.03, gx[inner].shape)
    gy[inner] += rng.uniform(-0.03, 0.03, gy[inner].shape)
    corners = []
    for i in range(n - 1):
        for j in range(n - 1):
            p = [(gx[a, b], gy[a, b]) for a, b in ((i, j), (i + 1, j), (i + 1, j + 1),
                                                   (i, j + 1))]
            corners += [[p[0], p[1], p[2]], [p[0], p[2], p[3]]]
    xy = np.array(corners)
    slope = 0.8
    tilted = np.concatenate([xy, slope * xy[..., :1]], axis=2)
    assert open_area(tilted, TOLERANCE) == pytest.approx(1 - TOLERANCE / slope, rel=1e-12)
    flat = np.concatenate([xy, np.zeros_like(xy[..., :1])], axis=2)
    assert open_area(flat, TOLERANCE) == 0.0
