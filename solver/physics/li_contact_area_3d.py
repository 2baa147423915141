"""Contact area of the Li bottom in a 3D cell (docs/moving_interface.md, "Mesh convergence
in 3D"): the 3D form of the sub-element contact measure of ``li_pockets.contact_area``.

The Li bottom is taken, as for the gaps (``coupled_3d.surface_height``), as the straight
sub-triangles of its P2 triangles (four per triangle). On a straight triangle the height
z(x, y) is linear, so the part of its horizontal projection where z ≤ t (t the contact
tolerance) is cut off by a straight line, and its area is exact: with s_i = z_i − t at the
corners sorted s_a ≤ s_b ≤ s_c and |T| the projected area,

    s_c ≤ 0:            |T|
    s_a ≤ 0 < s_b:      |T| · s_a/(s_a − s_b) · s_a/(s_a − s_c)      (a corner triangle)
    s_b ≤ 0 < s_c:      |T| · (1 − s_c/(s_c − s_a) · s_c/(s_c − s_b))  (the rest of it)
    s_a > 0:            0

(the corner triangle at a has the sides a→b and a→c cut where s = 0, at the fractions
s_a/(s_a − s_b) and s_a/(s_a − s_c) of them). The bottom's projections tile the interface
(area A), so the contact area is A_c = A − A_open, A_open = Σ (|T| − the above) over the
sub-triangles [m²], and A_c/A, the contact fraction, is exactly 1 where every node touches.
Unlike the share of the electrolyte's interface nodes in contact (each node's hat area w_k
counted whole or not at all), whose error at a void rim is of the order of the rim's
length × half an interface element (first order in h), this measure's error is that of
the polygonal rim (second order; measured in the "Mesh convergence in 3D" section)."""

from __future__ import annotations

import numpy as np


def open_area(triangles: np.ndarray, tolerance: float) -> float:
    """Projected area A_open [m²] of the part of the triangulated surface ``triangles`` (rows
    of 3 corners × (x, y, z) [m]) at heights z > ``tolerance`` [m] (module docstring)."""
    a, b, c = (triangles[:, k] for k in range(3))
    area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                        - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))
    s = np.sort(triangles[:, :, 2] - tolerance, axis=1)
    sa, sb, sc = s[:, 0], s[:, 1], s[:, 2]
    share = np.zeros(len(s))
    share[sc <= 0] = 1.0
    one = (sa <= 0) & (sb > 0)
    share[one] = sa[one] / (sa[one] - sb[one]) * sa[one] / (sa[one] - sc[one])
    two = (sb <= 0) & (sc > 0)
    share[two] = 1 - sc[two] / (sc[two] - sa[two]) * sc[two] / (sc[two] - sb[two])
    return float(area @ (1 - share))
