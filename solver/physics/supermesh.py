"""Exact mortar integrals between two triangulations of the same plane region (the supermesh;
the 3D contact transfer, ``contact_transfer_3d``). Numpy only.

Given a source triangulation {A} carrying a piecewise-linear density λ_h (values at each
triangle's corners) and a target triangulation {E} with P1 hats φ_k at its nodes k,

    F_k = Σ_A ∫_A λ_h φ_k dA = Σ_{A, E} ∫_{A ∩ E} λ_h φ_k dA     [density · m²],

each triangle counted with its area whatever the order of its corners (triangles of area <
``DEGENERATE`` size² are dropped).
Every A ∩ E is a convex polygon (Sutherland–Hodgman clipping of A by the three edges of E,
at most 6 corners), split into a fan of triangles, on each of which λ_h φ_k is a quadratic:
the edge-midpoint rule (weights area/3, exact to degree 2) integrates it exactly, so F_k is
exact up to round-off on any pair of meshes. Candidates are the pairs whose bounding boxes
overlap (strictly); pairs are visited in an order fixed by the inputs, so the same inputs
give the same sums bit for bit.

Since the hats sum to 1 on every E, Σ_k F_k = Σ_A ∫_A λ_h dA wherever {E} covers the
triangles A: the transfer conserves the load to round-off.
"""

from __future__ import annotations

import numpy as np

DEGENERATE = 1e-12  # projected area / size² below which a triangle is seen edge-on
_CHUNK = 256  # source triangles per strip of the bounding-box test


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def signed_areas(tri: np.ndarray) -> np.ndarray:
    """Signed areas [m²] of the triangles ``tri`` (rows of 3 corners × (x, y)) [m]."""
    return 0.5 * _cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])


def barycentric(tri: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Barycentric coordinates (k, 3) of the points ``q`` (k, 2) in the triangles ``tri``
    (k, 3, 2), row by row."""
    e1, e2, d = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0], q - tri[:, 0]
    det = _cross(e1, e2)
    l1, l2 = _cross(d, e2) / det, _cross(e1, d) / det
    return np.stack([1 - l1 - l2, l1, l2], axis=1)


def _pairs(a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) indices of the triangle pairs whose bounding boxes overlap: the
    sources in strips of ``_CHUNK`` by their lowest x, each against the targets that
    overlap the strip's box."""
    lo_a, hi_a, lo_e, hi_e = a.min(axis=1), a.max(axis=1), e.min(axis=1), e.max(axis=1)
    strips = np.argsort(lo_a[:, 0], kind="stable")
    rows, cols = [np.zeros(0, int)], [np.zeros(0, int)]
    for start in range(0, len(a), _CHUNK):
        strip = strips[start:start + _CHUNK]
        lo, hi = lo_a[strip], hi_a[strip]
        near = np.flatnonzero(np.all((lo_e < hi.max(axis=0)) & (hi_e > lo.min(axis=0)), axis=1))
        hit = np.all((lo[:, None] < hi_e[near][None]) & (hi[:, None] > lo_e[near][None]), axis=2)
        r, c = np.nonzero(hit)
        rows.append(strip[r])
        cols.append(near[c])
    return np.concatenate(rows), np.concatenate(cols)


def _clip(poly: np.ndarray, count: np.ndarray, a: np.ndarray, b: np.ndarray):
    """The convex polygons ``poly`` (k, slots, 2; ``count`` corners each, counter-clockwise)
    clipped to the left half-planes of the directed edges a → b (k, 2)."""
    k, slots = poly.shape[:2]
    side = _cross(b[:, None] - a[:, None], poly - a[:, None])  # ≥ 0: inside
    out, n, rows = np.zeros((k, 2 * slots, 2)), np.zeros(k, dtype=int), np.arange(k)
    for i in range(slots):
        valid = i < count
        j = np.where(i + 1 < count, i + 1, 0)
        p, q, dp, dq = poly[:, i], poly[rows, j], side[:, i], side[rows, j]
        keep = valid & (dp >= 0)
        out[rows[keep], n[keep]] = p[keep]
        n += keep
        cut = valid & ((dp >= 0) != (dq >= 0))
        t = dp / np.where(cut, dp - dq, 1.0)
        out[rows[cut], n[cut]] = (p + t[:, None] * (q - p))[cut]
        n += cut
    return out[:, :max(int(n.max(initial=0)), 1)], n


def mortar_forces(source: np.ndarray, density: np.ndarray, target: np.ndarray,
                  nodes: np.ndarray, n_nodes: int, size: float) -> np.ndarray:
    """F_k (module docstring) at ``n_nodes`` target nodes: ``source`` (a, 3, 2) triangles [m]
    with the corner values ``density`` (a, 3) of λ_h; ``target`` (e, 3, 2) triangles [m]
    with their node indices ``nodes`` (e, 3); ``size`` [m] the scale of ``DEGENERATE``."""
    area = signed_areas(source)
    keep = np.abs(area) > DEGENERATE * size**2
    source, density = source[keep], density[keep]
    flip = area[keep] < 0  # counter-clockwise corners
    source[flip] = source[flip][:, [0, 2, 1]]
    density[flip] = density[flip][:, [0, 2, 1]]
    target, nodes = target.copy(), nodes.copy()
    back = signed_areas(target) < 0
    target[back], nodes[back] = target[back][:, [0, 2, 1]], nodes[back][:, [0, 2, 1]]
    forces = np.zeros(n_nodes)
    ia, ie = _pairs(source, target)
    if ia.size == 0:
        return forces
    poly, count = source[ia].copy(), np.full(len(ia), 3)
    for edge in range(3):
        poly, count = _clip(poly, count, target[ie, edge], target[ie, (edge + 1) % 3])
    pair = np.zeros((len(ia), 3))
    for s in range(1, poly.shape[1] - 1):  # the fan (0, s, s + 1)
        on = s + 1 < count
        corners = np.stack([poly[:, 0], poly[:, s], poly[:, s + 1]], axis=1)
        weight = np.where(on, np.abs(signed_areas(corners)) / 3, 0.0)
        for m in range(3):  # edge midpoints: exact for the quadratic λ_h φ_k
            q = 0.5 * (corners[:, m] + corners[:, (m + 1) % 3])
            lam = np.sum(barycentric(source[ia], q) * density[ia], axis=1)
            pair += (weight * lam)[:, None] * barycentric(target[ie], q)
    np.add.at(forces, nodes[ie], pair)
    return forces
