"""Boundary-edge subdivision before a Li remeshing (``li_remesh``; issue 12 item 4,
docs/moving_interface.md "Li remeshing").

Why. The remeshing keeps the old boundary vertices, so a cell with all three vertices on the
boundary can come back as it was: on the axisymmetric strip benchmark (docs/benchmarks.md)
the Li left under the collector at r ≈ 22–26 µm is a film 32–34 nm thick at the collector's
vertices, its curved P2 collector edge (2.7 µm long) sagging to 12 nm above the contact
vertices below it; cells spanning the film from contact to collector (smallest quality q
~ 4e-9) stop the run (Δt → 0, the strip limit of the folding contact cells).

Criterion. A cell whose three vertices are on the boundary and whose quality q
(``li_smoothing.cell_quality``) is below ``below`` (the remeshing's trigger, ``remesh_quality``
× the initial mesh's smallest q): its longest edge (chord) is split if it is a boundary edge,
but not on a side face x = min or max (the merge rule's, ``li_remesh._merge_face_vertices``,
unchanged). These are the cells a remeshing keeping the vertices cannot repair; a flat cell
is flat across its longest edge, and its mid node as a vertex halves the aspect ratio of the
cells Gmsh puts there. A short edge is not split: in a needle cell (two long interior edges)
that would not help and, split again at every remeshing, refined without end (tried: the
strip benchmark went to 2 350 cells and collector edges of 1 nm in 30 remeshings). Nor is
an edge shorter than ``SPLIT_FLOOR`` × the touching height (the contact tolerance, 1 nm by
default): where the Li film thins to nothing (the Li used up under the collector, as on the
strip benchmark at 1.907 mAh/cm²) the splitting would follow it without end (tried without
the floor: 18 409 cells, edges of 0.2 pm, 64 remeshings, and the same stall). Elsewhere
the boundary is kept, so the mesh size and the cost stay as they were.

Split. A P2 boundary edge (a, b, mid m) is the quadratic curve

    c(t) = a (1 − t)(1 − 2t) + 4 m t (1 − t) + b t (2t − 1),   t ∈ [0, 1],

and is split at c(1/2) = m into the P2 edges (a, m, c(1/4)) and (m, b, c(3/4)), with

    c(1/4) = (3a + 6m − b)/8,   c(3/4) = (−a + 6m + 3b)/8;

c(t/2) and c((1 + t)/2) are quadratic in t, so the halves are the old curve exactly (not an
approximation): the boundary integral ∮ x dy (∮ (r²/2) dz) and with it the Li volume are
unchanged to round-off, and m becomes a boundary vertex. The halves carry the old edge's tag
(their keys aliased to the old one). The split runs in ``li_remesh.p2_mesh`` on the gathered
arrays (rank 0; its aliases broadcast), so the new mesh is the same for any number of ranks.
"""

from __future__ import annotations

import numpy as np

from lisse.solver.physics.li_smoothing import EDGES, cell_quality

SPLIT_FLOOR = 10.0  # × the touching height: no shorter edge is split


def split_edges(x: np.ndarray, cells: np.ndarray, edges: np.ndarray, below: float,
                shortest: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The boundary ``edges`` (vertex, vertex, mid rows of the nodes ``x`` (N, 2) [m]) with
    the longest edge of each P2 cell of ``cells`` (C, 6) that has all three vertices on the
    boundary and quality < ``below`` split at its mid node if its chord is ``shortest`` [m]
    or longer (module docstring): (nodes (N + 2 S, 2), the new edges, the S old edges
    split)."""
    on = np.zeros(len(x), dtype=bool)
    on[edges[:, :2].ravel()] = True
    bad = cells[(cell_quality(x, cells) < below) & np.all(on[cells[:, :3]], axis=1)]
    sides = x[bad[:, EDGES[:, 0]]] - x[bad[:, EDGES[:, 1]]]  # (B, 3, 2): the cells' chords
    lengths = np.sum(sides**2, axis=2)
    longest = bad[np.arange(len(bad)), EDGES[np.argmax(lengths, axis=1), 2]]
    longest = longest[np.max(lengths, axis=1) >= shortest**2]
    split = np.isin(edges[:, 2], longest) & ~_on_side_face(x, edges)
    a, b, m = (x[edges[split, k]] for k in range(3))
    quarters = np.stack([3 * a + 6 * m - b, -a + 6 * m + 3 * b], axis=1) / 8  # c(1/4), c(3/4)
    first = len(x) + 2 * np.arange(len(a))
    halves = np.column_stack([edges[split, 0], edges[split, 2], first,
                              edges[split, 2], edges[split, 1], first + 1]).reshape(-1, 3)
    return (np.concatenate([x, quarters.reshape(-1, 2)]),
            np.concatenate([edges[~split], halves.astype(edges.dtype)]), edges[split])


def _on_side_face(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per edge: all three nodes on a side face x = min or max (within 1e-12 of the size)."""
    tol = 1e-12 * float(np.max(np.abs(x)))
    p = x[edges, 0]  # (E, 3)
    return np.any([np.all(np.abs(p - face) <= tol, axis=1)
                   for face in (np.min(x[:, 0]), np.max(x[:, 0]))], axis=0)
