"""Contact measure and pocket closure of the Li bottom in a 3D cell (docs/moving_interface.md,
"Mesh convergence in 3D"): ``li_pockets`` on the Li bottom's straight sub-triangles (those of
the gaps, ``coupled_3d``).

* Contact area: A_c = A − A_open (``li_contact_area_3d``, in ``CoupledEvolution3D``).
* Pockets: the Li bottom nodes above the contact tolerance t, connected by the edges of the
  sub-triangles, that the contact traps: every bottom node next to them (their ring, within
  t) is on the plane (z ≤ ``ON_PLANE`` × the largest |coordinate|, the Li pressed on the
  electrolyte, as ``lithium_body`` puts a node in its active set). A ring floating within t
  does not seal: a node the crowded current of a low-pressure strip lifts above t, among nodes
  that float 0.3–0.9 nm up, is the free bottom following the consumption, not a trapped
  pocket (its closure, on the plane between floating nodes, sent the contact active set of a
  0.05 MPa strip cycling between 280 and 460 dofs: docs/moving_interface.md "Mesh convergence
  in 3D").
  Its height h is its highest node's, its half-width r the largest distance (in the plane) from
  one of its nodes to the nearest bottom node within t, and the 2D criterion
  (``li_pockets.closing``) decides with the full width W = 2r: the edges meet,
  h ε̇(2γ/h) Δt ≥ r, and the roof comes down, W ε̇(p + 2γ/W) Δt ≥ h.
* Closure: the pocket's nodes are set on the plane (its ring is there already), and the Li
  this adds, ΔV = Σ W_i z_i (exact for vertical moves of P2 boundary nodes), is
  taken off the collector face (``li_pockets.settle``): the Li volume is unchanged to
  round-off.

Everything is decided on the gathered sub-triangles, identical on every rank (nodes matched by
their coordinates), so ``mpirun -n 2`` closes the same pockets as serial."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from lisse.solver.physics.li_pockets import LiPockets, closing, settle
from lisse.solver.physics.lithium_body import ON_PLANE

MATCH = 1e-6  # a node and its gathered copy: closer than MATCH × the contact tolerance


def pockets_3d(triangles: np.ndarray, tolerance: float, plane: float):
    """(points (rows x, y, z [m]) of the distinct corners of ``triangles`` (rows of 3 corners ×
    (x, y, z)), [(indices of a pocket's points with their sub-triangle neighbours, h, r)]) of
    the pockets whose ring is on the plane, z ≤ ``plane`` [m] (module docstring)."""
    points, index = np.unique(triangles.reshape(-1, 3), axis=0, return_inverse=True)
    tri = index.reshape(-1, 3)
    out = points[:, 2] > tolerance
    if not np.any(out) or np.all(out):
        return points, []
    rows = np.concatenate([tri[:, 0], tri[:, 1], tri[:, 2]])
    cols = np.concatenate([tri[:, 1], tri[:, 2], tri[:, 0]])
    n = len(points)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    graph = graph + graph.T
    inner = np.flatnonzero(out)
    _, label = connected_components(graph[inner][:, inner], directed=False)
    contact = cKDTree(points[~out, :2])
    found = []
    for k in range(label.max() + 1):
        members = inner[label == k]
        nodes = np.union1d(members, graph[members].indices)
        if np.all(points[nodes[~out[nodes]], 2] <= plane):  # sealed by the contact
            half_width = float(contact.query(points[members, :2])[0].max())
            found.append((nodes, float(points[members, 2].max()), half_width))
    return points, found


class LiPockets3D(LiPockets):
    """``LiPockets`` for the P2 triangles of a 3D Li bottom (module docstring)."""

    def close(self, dt: float) -> int:
        """Close the pockets that close within ``dt`` [s]; returns how many."""
        x = self.body.msh.geometry.x
        size = self.body.comm.allreduce(float(np.max(np.abs(x), initial=0.0)), op=MPI.MAX)
        points, found = pockets_3d(self.bottom.segments(), self.tolerance, ON_PLANE * size)
        shut = [nodes for nodes, h, r in found
                if closing([(0.0, 2 * r, h, 2)], self.rate, dt, self.body.stress_scale)]
        if not shut:
            return 0
        nodes = self._bottom_nodes
        distance, index = cKDTree(points).query(x[nodes])
        chosen = np.zeros(len(points), dtype=bool)
        chosen[np.concatenate(shut)] = True
        moved = np.zeros(len(x), dtype=bool)
        same = distance <= MATCH * self.tolerance  # the same node (gathered copies)
        moved[nodes[same & chosen[index]]] = True
        area = self.body.comm.allreduce(float(np.sum(self.top.weights())), op=MPI.SUM)
        self.closed += settle(self.body, moved, self._top_nodes, self.bottom.weights(), area)
        return len(shut)
