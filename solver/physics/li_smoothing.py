"""Mesh smoothing (ALE relocation of the geometry nodes) of the moving Li mesh of the coupled
interface model (issue 12 item 4, docs/moving_interface.md "Li mesh smoothing").

Why. The Li mesh moves with the material (``lithium_body``). Stripping removes Li at the
contact nodes only, so the bottom cell layer thins by the stripped thickness Σδ, and the cells
at the tips of closed voids are squashed to heights of tens of nm; a step that strips ~0.1 µm
then inverts them (negative Jacobian determinant) and the Li volume is lost.

Relocation. The Li is a memoryless viscous body (power law: no state but the geometry), so
its interior nodes may be moved anywhere without a state transfer. The new node positions are
x = X0 + d, X0 the initial (good) mesh and d the harmonic extension of the boundary motion,

    ∇·(∇d) = 0 in Ω0   (k = 1: no Jacobian stiffening),

discretised by P1 on the four straight sub-triangles of each P2 cell of X0 (all six nodes are
unknowns; P1 on any triangulation reproduces a linear d exactly). Why k = 1: stripping thins
the Li layer, and a uniform thinning is a d linear in y, which k = 1 reproduces (every cell
squashed by the same ratio); the stiffening k = 1/A_e used before (small cells move rigidly)
put the thinning into the large cells at the collector face (in 1D the strain goes as 1/k),
which folded them after 0.8 mAh/cm² on the strip benchmark with the Δt bound of
li_strip_limit (smallest q −0.05 at 0.97 mAh/cm²; k = 1: 0.35 at 1 mAh/cm², 0.18 at 1.5;
k = 1/√A_e: folded at 1.3 mAh/cm²). On the boundary:

* nodes of straight pieces that the flow keeps straight slide along them: on the contact
  plane y = 0 (every node of both boundary edges at y ≤ 1e-12 of the body size), on the
  lateral face x = x_max and on the axis/symmetry face x = x_min (v_x = 0 there):
  d_x free and y kept (plane), d_y free and x kept (faces);
* every other boundary node (collector face, void roofs off the plane, the corners where two
  pieces meet) keeps its present position.

Conservation. The Li volume, A = ∫ dA (plane) or V = ∫ r dA (axisymmetric, 2π dropped), is
a boundary integral, ∮ x dy or ∮ (r²/2) dz: interior nodes do not enter it, and on a straight
piece y = 0 or x = const the integral along it depends on its end points only (0, or
x (y_b − y_a), or (r²/2)(z_b − z_a)), not on where the nodes sit on it. Sliding nodes along
those pieces with their corners fixed therefore conserves the Li exactly (to round-off and the
1e-12 · size tolerance of "on the plane"; tests/verification/test_li_smoothing.py).

Trigger and acceptance. Cell quality q = 2√3 min_k det J_k / Σ l² (det J of the P2 map at
its six nodes and centroid, l the vertex-triangle edges; 1 for an equilateral straight cell,
≤ 0 for an inverted one). After each Li step, if the smallest q falls below ``threshold``
× the initial mesh's smallest q, the mesh is relocated, and the relocation is kept only if
it raises the smallest q (else the mesh is left as it was). The flow field is then reset to
rest, so the next step's Newton starts from n = 1 (from the last flow, sampled at the moved
nodes, it failed to converge in 50 iterations on the strip benchmark); the stress coupling's
Δp for the next step was taken before (``li_interface_pressure``, "Across a smoothing").

Parallel. The Li mesh (2D, a few thousand nodes) is gathered on every rank in the numbering of
the geometry's input indices (``li_gather``), relocated there by the same arithmetic (cells
and sparse matrix in a canonical order) and scattered back to the owned and ghost nodes: the
answer is the serial one and the ghosts agree.

Not with Anand hardening: its deformation resistance S is a per-cell state that moves with
the material; the coupled model does not smooth when ``lithium.creep_law: anand``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from lisse.solver.physics.li_gather import GatheredMesh

# P2 triangle (DOLFINx/basix order): vertices 0, 1, 2; node 3 on edge (1, 2), 4 on (0, 2),
# 5 on (0, 1). Edges as (vertex, vertex, mid node) and the four straight sub-triangles.
EDGES = np.array([[1, 2, 3], [0, 2, 4], [0, 1, 5]])
SUB_TRIANGLES = np.array([[0, 5, 4], [5, 1, 3], [4, 3, 2], [5, 3, 4]])
_POINTS = np.array([[0, 0], [1, 0], [0, 1], [0.5, 0.5], [0, 0.5], [0.5, 0], [1 / 3, 1 / 3]])


def _shape_gradients() -> np.ndarray:
    """∂N_i/∂ξ of the six P2 shape functions at ``_POINTS``: shape (points, 6, 2)."""
    grads = np.zeros((len(_POINTS), 6, 2))
    dl = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])
    for p, (s, t) in enumerate(_POINTS):
        lam = np.array([1 - s - t, s, t])
        for v in range(3):
            grads[p, v] = (4 * lam[v] - 1) * dl[v]
        for a, b, m in EDGES:
            grads[p, m] = 4 * (lam[b] * dl[a] + lam[a] * dl[b])
    return grads


_GRADS = _shape_gradients()


def cell_quality(x: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """q = 2√3 min_k det J_k / Σ l² per P2 cell (module docstring): x (nodes, 2) [m], cells
    (cells, 6) node indices; dimensionless, 1 for an equilateral straight cell."""
    xc = x[cells]  # (cells, 6, 2)
    jac = np.einsum("cia,pib->cpab", xc, _GRADS)  # J = ∂x/∂ξ at each point
    det = jac[..., 0, 0] * jac[..., 1, 1] - jac[..., 0, 1] * jac[..., 1, 0]
    v = xc[:, :3]
    lengths = sum(np.sum((v[:, a] - v[:, b]) ** 2, axis=1) for a, b in ((0, 1), (1, 2), (2, 0)))
    return 2 * np.sqrt(3) * np.min(det, axis=1) / lengths


class LiSmoother:
    """Relocates the geometry nodes of ``body`` (a ``LithiumBody`` with a P2 triangle mesh)
    by the harmonic extension of its boundary motion from the initial mesh (module
    docstring). ``threshold``: smooth when min q < threshold × (min q of the initial mesh).
    3D: ``li_smoothing_3d.LiSmoother3D`` (``dim``, ``nodes_per_cell`` and the methods
    ``FACETS`` and the methods ``_quality``, ``_stiffness``, ``_free`` overridden)."""

    dim, nodes_per_cell = 2, 6  # P2 triangles
    FACETS = EDGES  # local nodes of each facet (corners first)

    def __init__(self, body, threshold: float = 0.5):
        self.body, self.comm, self.threshold = body, body.comm, threshold
        if (body.msh.topology.dim != self.dim
                or body.msh.geometry.dofmaps[0].shape[1] != self.nodes_per_cell):
            raise ValueError(f"{type(self).__name__} needs a P2 simplex geometry of "
                             f"dimension {self.dim}")
        self.mesh = GatheredMesh(body.msh, self.comm)  # rank-independent (li_gather)
        self.cells = self.mesh.cells
        self.x0 = self.mesh.nodes(body._initial[0])
        self.q0 = float(np.min(self._quality(self.x0)))
        self.size = float(np.max(np.abs(self.x0)))
        self.facets = self._boundary_facets()
        self.stiffness = self._stiffness()
        self.smoothings = 0  # relocations kept
        self.last_quality = self.q0  # min q after the last call

    def _quality(self, x: np.ndarray) -> np.ndarray:
        """The cell quality q of every cell at the gathered positions x."""
        return cell_quality(x, self.cells)

    def _boundary_facets(self) -> np.ndarray:
        """The boundary facets (in one cell only): rows of their nodes, corners first (2D:
        vertex, vertex, mid node), from the cell's local facet table ``FACETS``."""
        facets = self.cells[:, self.FACETS].reshape(-1, self.FACETS.shape[1])
        corners = np.sort(facets[:, :self.dim], axis=1)
        _, index, counts = np.unique(corners, axis=0, return_index=True, return_counts=True)
        return facets[np.sort(index[counts == 1])]

    def _stiffness(self) -> sp.csr_matrix:
        """P1 Laplacian (k = 1) on the straight sub-triangles of the initial mesh."""
        tri = self.cells[:, SUB_TRIANGLES].reshape(-1, 3)
        p = self.x0[tri]  # (t, 3, 2)
        e = np.stack([p[:, 2] - p[:, 1], p[:, 0] - p[:, 2], p[:, 1] - p[:, 0]], axis=1)
        area = 0.5 * (e[:, 0, 0] * e[:, 1, 1] - e[:, 0, 1] * e[:, 1, 0])
        # K_ab = A ∇φ_a·∇φ_b = e_a·e_b / (4 A), e_a the edge opposite node a
        local = np.einsum("tai,tbi->tab", e, e) / (4 * area[:, None, None])
        rows = np.repeat(tri, 3, axis=1).ravel()
        cols = np.tile(tri, (1, 3)).ravel()
        n = len(self.mesh.keys)
        return sp.coo_matrix((local.ravel(), (rows, cols)), shape=(n, n)).tocsr()

    def _free(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Masks of the nodes whose x and y are free in the relocation (module docstring)."""
        tol = 1e-12 * self.size
        lo, hi = float(np.min(self.x0[:, 0])), float(np.max(self.x0[:, 0]))
        pts = x[self.facets]  # (E, 3, 2)
        plane = np.all(pts[..., 1] <= tol, axis=1)
        sides = np.all(np.abs(pts[..., 0] - lo) <= tol, axis=1) | np.all(
            np.abs(pts[..., 0] - hi) <= tol, axis=1)
        kind = np.where(plane, 1, np.where(sides, 2, 3))  # 3: fixed (curved, collector)
        n = len(self.mesh.keys)
        seen = np.zeros((n, 4), dtype=bool)
        for k in (1, 2, 3):
            seen[self.facets[kind == k].ravel(), k] = True
        boundary = seen.any(axis=1)
        only = seen.sum(axis=1) == 1
        free_x = ~boundary | (only & seen[:, 1])
        free_y = ~boundary | (only & seen[:, 2])
        return free_x, free_y

    def relocate(self, x: np.ndarray) -> np.ndarray:
        """The relocated positions (N, dim) for the present positions x (gathered)."""
        new = x.copy()
        for comp, free in enumerate(self._free(x)):
            fixed = ~free
            d = x[:, comp] - self.x0[:, comp]
            k = self.stiffness
            rhs = -k[free][:, fixed] @ d[fixed]
            new[free, comp] = self.x0[free, comp] + spla.spsolve(k[free][:, free].tocsc(), rhs)
        return new

    def quality(self) -> float:
        """Smallest cell quality q of the present mesh (module docstring)."""
        return float(np.min(self._quality(self.mesh.nodes(self.body.msh.geometry.x))))

    def __call__(self, force: bool = False) -> bool:
        """Relocate the nodes if the mesh quality is below the threshold (or ``force``);
        returns whether the mesh was changed (the same on every rank)."""
        x = self.mesh.nodes(self.body.msh.geometry.x)
        before = float(np.min(self._quality(x)))
        self.last_quality = before
        if not force and before >= self.threshold * self.q0:
            return False
        new = self.relocate(x)
        after = float(np.min(self._quality(new)))
        if after <= before:
            return False
        self.body.msh.geometry.x[:, :self.dim] = new[self.mesh.local]
        # the last flow belongs to the old node positions: restart the next step's Newton
        # from rest (continuation in n from 1), which converges where the stale guess did not
        self.body.w.x.array[:] = 0.0
        self.smoothings += 1
        self.last_quality = after
        return True
