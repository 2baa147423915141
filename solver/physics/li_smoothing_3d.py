"""Mesh smoothing of the moving Li mesh in 3D coupled cells (issue 12 item 4;
docs/moving_interface.md "Li mesh smoothing", "3D"): ``li_smoothing`` on P2 tetrahedra.

Why. As in 2D, stripping removes Li at the contact nodes only: the bottom cell layer thins
by the stripped thickness, and the strip limit (``li_strip_limit``, 3/4 of the folding depth)
shrinks with it, so an unsmoothed 3D run stops by a time-step collapse after about the height
of its bottom cells (0.83 µm on the flat 12 × 12 µm cell; docs/ccd_validation.md "In 3D
cells").

Relocation. x = X0 + d, X0 the initial mesh and d the harmonic extension of the boundary
motion, ∇·(∇d) = 0 in Ω0, discretised by P1 on the eight straight sub-tetrahedra of each P2
tetrahedron of X0 (the four corner tetrahedra and the inner octahedron cut along the
diagonal between the mid-nodes of the edges 0–1 and 2–3; all ten nodes are unknowns). On the
boundary (faces: the P2 triangles in one cell only), with the cell box of X0
[x_min, x_max] × [y_min, y_max] and the contact plane z = 0 (z: ``body.up``):

* a face whose six nodes lie (to 1e-12 of the body size) on the contact plane, or on one of
  the lateral/symmetry planes x = x_min, x_max, y = y_min, y_max, is *planar*, with the
  normal axis of its plane;
* a node on planar faces only keeps its coordinates along their normal axes and is free in
  the others: in one plane it slides in it, on the line where two planes meet it slides
  along the line, at a corner of three it stays;
* every node of any other boundary face (collector face, void roofs off the plane) keeps its
  present position.

Conservation (proof). By the divergence theorem with ∇·x = 3 the Li volume is

    V = ∫_Ω dV = (1/3) ∮_∂Ω x·n dA,

a sum over the boundary faces; interior nodes do not enter it. A non-planar face keeps all
six nodes (each is a node of a fixed face), so its term is unchanged. On the planar faces of
a plane P = {x·e = c} (e a unit axis, the constant outer normal ±e), x·n = ±c, so their term
is ±(c/3) × the area they cover, the signed area of their P2 map into P. That area is, by
Green's theorem in P, a line integral (½∮ (a db − b da), a, b the in-plane coordinates) over
the outline of their union; the outline consists of edges shared with faces of other planes
(on the lines of two planes) or with fixed faces. The nodes of an edge shared with a fixed
face are fixed; the nodes of an edge on the line of two planes keep both coordinates of the
line, so the edge stays on that line, and a 1-form restricted to a line is exact: its
integral along the line depends only on the end points, which are corners (three planes) or
nodes of fixed faces, both fixed. Hence the outline integral, the area of every plane's
faces and V are unchanged: sliding conserves the Li exactly, to round-off and the 1e-12 ·
size tolerance of "on the plane" (as long as the faces are not folded; a relocation is kept
only if it raises the smallest quality, so no cell, hence no face, folds).
tests/verification/test_li_smoothing_3d.py checks it to 1e-12.

Sweeps. The harmonic step spreads the boundary motion smoothly but does not look at the
cells: where a void roof (fixed nodes) descends onto the plane, the few cells above it are
flattened (three vertices on the plane, the fourth 0.15 µm up, q 0.068 against the initial
0.257 at the end of the voided strip run of scripts/smoothing_3d_flat.py). After it, up to
``SWEEPS`` sweeps of a smart Laplacian: each vertex with a free coordinate, in ascending
gathered index, moves its free coordinates to the mean of its edge neighbours (vertices) and
the free coordinates of the mid-nodes of its edges to the new edge midpoints, kept only if the
smallest q of its cells rises. Only free coordinates move, so the conservation proof above
holds unchanged; the gathered order and arithmetic are the same on every rank. (A stiffened
extension, k = 1/V_e per sub-tetrahedron, was tried and not kept: voided run 0.037, flat
run 0.300 against 0.337 for k = 1; the 2D argument for k = 1 in ``li_smoothing`` holds.)

Quality. q = 12√3 min_p det J_p / (Σ l²)^{3/2} (det J of the P2 map at its ten nodes and
centroid, l the six vertex-tetrahedron edges; 1 for a regular straight tetrahedron, ≤ 0 for
an inverted one): the mean-ratio-like 6√2 V / l_rms³ of the vertex tetrahedron with V
replaced by the smallest det J_p / 6, the points where ``li_strip_limit`` checks det J.
Trigger, acceptance (kept only if the smallest q rises), the flow reset, the gathering in
the rank-independent numbering of ``li_gather`` (serial = mpirun) and the exclusion of Anand
hardening (per-cell state) are those of ``li_smoothing.LiSmoother``.
"""

from __future__ import annotations

from collections import defaultdict

import basix
import numpy as np
import scipy.sparse as sp

from lisse.solver.physics.li_smoothing import LiSmoother

# P2 tetrahedron (DOLFINx/basix order): vertices 0–3, then the mid-nodes of the edges
# (2,3), (1,3), (1,2), (0,3), (0,2), (0,1) as nodes 4–9.
EDGES = np.array([[2, 3, 4], [1, 3, 5], [1, 2, 6], [0, 3, 7], [0, 2, 8], [0, 1, 9]])
FACES = np.array([[1, 2, 3, 4, 5, 6], [0, 2, 3, 4, 7, 8], [0, 1, 3, 5, 7, 9],
                  [0, 1, 2, 6, 8, 9]])  # opposite vertex 0, 1, 2, 3: corners, mid-nodes
SWEEPS = 3  # smart-Laplacian sweeps after the harmonic step (module docstring, "Sweeps")
SUB_TETRAHEDRA = np.array([[0, 9, 8, 7], [1, 9, 6, 5], [2, 8, 6, 4], [3, 7, 5, 4],
                           [9, 4, 8, 7], [9, 4, 7, 5], [9, 4, 5, 6], [9, 4, 6, 8]])


def _shape_gradients() -> np.ndarray:
    """∂N_i/∂ξ of the ten P2 shape functions at their nodes and the centroid: shape
    (points, 10, 3)."""
    cell = basix.CellType.tetrahedron
    element = basix.create_element(basix.ElementFamily.P, cell, 2,
                                   basix.LagrangeVariant.equispaced)
    points = np.vstack([element.points, np.mean(basix.geometry(cell), axis=0)])
    return np.moveaxis(element.tabulate(1, points)[1:, :, :, 0], 0, -1)


_GRADS = _shape_gradients()


def cell_quality(x: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """q = 12√3 min_p det J_p / (Σ l²)^{3/2} per P2 tetrahedron (module docstring): x (nodes,
    3) [m], cells (cells, 10) node indices; dimensionless, 1 for a regular straight cell."""
    xc = x[cells]  # (cells, 10, 3)
    det = np.linalg.det(np.einsum("cia,pib->cpab", xc, _GRADS))  # det ∂x/∂ξ at each point
    v = xc[:, :4]
    lengths = sum(np.sum((v[:, a] - v[:, b]) ** 2, axis=1) for a, b in EDGES[:, :2])
    return 12 * np.sqrt(3) * np.min(det, axis=1) / lengths**1.5


class LiSmoother3D(LiSmoother):
    """``LiSmoother`` for a ``LithiumBody`` with a P2 tetrahedral mesh (module docstring)."""

    dim, nodes_per_cell = 3, 10
    FACETS = FACES  # six nodes of each face, corners first

    def __init__(self, body, threshold: float = 0.5):
        super().__init__(body, threshold)
        mids = self.x0[self.cells[:, EDGES[:, 2]]]
        ends = 0.5 * (self.x0[self.cells[:, EDGES[:, 0]]] + self.x0[self.cells[:, EDGES[:, 1]]])
        inner = ~np.isin(self.cells[:, EDGES[:, 2]], self.facets[:, 3:])  # a remeshed Li
        # (li_remesh_3d) keeps the run's curved boundary edges: the interior ones are checked
        if np.max(np.abs(mids - ends)[inner], initial=0.0) > 1e-9 * self.size:
            raise ValueError("Li mesh smoothing needs straight-edged P2 tetrahedra in basix "
                             "node order")

    def _quality(self, x: np.ndarray) -> np.ndarray:
        return cell_quality(x, self.cells)

    def relocate(self, x: np.ndarray) -> np.ndarray:
        """The harmonic relocation (``LiSmoother.relocate``) followed by up to ``SWEEPS``
        sweeps of the smart Laplacian (module docstring, "Sweeps")."""
        return self._sweep(super().relocate(x))

    def _sweep(self, x: np.ndarray) -> np.ndarray:
        """Smart Laplacian on the gathered positions x (N, 3) [m]: each vertex with a free
        coordinate, in ascending gathered index, moves its free coordinates to the mean of
        its edge neighbours' vertices, the free coordinates of the mid-nodes of its edges to
        the new edge midpoints; kept only if the smallest q of its cells rises. Up to
        ``SWEEPS`` sweeps, fewer if one moves nothing."""
        free = np.stack(self._free(x), axis=1)  # (N, 3)
        edges = np.unique(self.cells[:, EDGES].reshape(-1, 3), axis=0)
        neighbours = defaultdict(list)  # vertex → [(vertex, mid node)], ascending
        for a, b, mid in np.concatenate([edges, edges[:, [1, 0, 2]]]).tolist():
            neighbours[a].append((b, mid))
        around = defaultdict(list)  # vertex → its cells
        for c, row in enumerate(self.cells[:, :4].tolist()):
            for v in row:
                around[v].append(c)
        movable = [v for v in sorted(around) if free[v].any()]
        x = x.copy()
        for _ in range(SWEEPS):
            moved = 0
            for v in movable:
                cells = self.cells[around[v]]
                ends = np.array([b for b, _ in neighbours[v]])
                mids = np.array([m for _, m in neighbours[v]])
                before = np.min(cell_quality(x, cells))
                old_v, old_mids = x[v].copy(), x[mids].copy()
                x[v] = np.where(free[v], np.mean(x[ends], axis=0), x[v])
                x[mids] = np.where(free[mids], 0.5 * (x[v] + x[ends]), x[mids])
                if np.min(cell_quality(x, cells)) > before:
                    moved += 1
                else:
                    x[v], x[mids] = old_v, old_mids
            if not moved:
                break
        return x

    def _stiffness(self) -> sp.csr_matrix:
        """P1 Laplacian (k = 1) on the straight sub-tetrahedra of the initial mesh:
        K_ab = V ∇λ_a·∇λ_b, ∇λ_1..3 the rows of E⁻¹ (E: the edge vectors from corner 0 as
        columns), ∇λ_0 = −Σ ∇λ_1..3, V = |det E| / 6."""
        tet = self.cells[:, SUB_TETRAHEDRA].reshape(-1, 4)
        p = self.x0[tet]  # (t, 4, 3)
        edges = np.transpose(p[:, 1:] - p[:, :1], (0, 2, 1))  # columns x_k − x_0
        inverse = np.linalg.inv(edges)  # rows ∇λ_1..3
        grads = np.concatenate([-inverse.sum(axis=1, keepdims=True), inverse], axis=1)
        volume = np.abs(np.linalg.det(edges)) / 6
        local = np.einsum("tai,tbi->tab", grads, grads) * volume[:, None, None]
        rows = np.repeat(tet, 4, axis=1).ravel()
        cols = np.tile(tet, (1, 4)).ravel()
        n = len(self.mesh.keys)
        return sp.coo_matrix((local.ravel(), (rows, cols)), shape=(n, n)).tocsr()

    def _free(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """Masks of the nodes whose x, y, z are free in the relocation (module docstring)."""
        tol, up = 1e-12 * self.size, self.body.up
        pts = x[self.facets]  # (faces, 6, 3)
        on = np.zeros((len(self.facets), 3), dtype=bool)  # planar face, by its normal axis
        on[:, up] = np.all(pts[..., up] <= tol, axis=1)
        for axis in (a for a in range(3) if a != up):
            for side in (np.min(self.x0[:, axis]), np.max(self.x0[:, axis])):
                on[:, axis] |= np.all(np.abs(pts[..., axis] - side) <= tol, axis=1)
        n = len(self.mesh.keys)
        held = np.zeros((n, 3), dtype=bool)  # coordinate kept by a plane
        fixed = np.zeros(n, dtype=bool)  # node of a non-planar face
        boundary = np.zeros(n, dtype=bool)
        boundary[self.facets.ravel()] = True
        fixed[self.facets[~on.any(axis=1)].ravel()] = True
        for axis in range(3):
            held[self.facets[on[:, axis]].ravel(), axis] = True
        return tuple(~boundary | (~fixed & ~held[:, axis]) for axis in range(3))
