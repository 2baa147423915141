"""Contact measure and pocket closure of the Li bottom in a 3D cell (docs/moving_interface.md,
"Mesh convergence in 3D"): ``li_pockets`` on the Li bottom's straight sub-triangles (those of
the gaps, ``coupled_3d``).

* Contact area: A_c = A − A_open (``li_contact_area_3d``, in ``CoupledEvolution3D``).
* Pockets: the Li bottom nodes above the contact tolerance t, connected by the edges of the
  sub-triangles, that the contact traps: every bottom node next to them (their ring, within
  t) is pressed onto the plane (``pressed``): on it (z ≤ ``ON_PLANE`` × the largest
  |coordinate|, as ``lithium_body`` puts a node in its active set), or not consumed in the
  step (ĵ ≤ 0 there: rest or plating; nothing then lifts the Li off the plane and the stack
  pressure pushes it down, so a ring node within t is a roof still landing or a P2 vertex
  left up between landed neighbours), or, where the step strips it, landing within the
  step all the same, its flow outrunning its consumption: z + (v_z + Ω ĵ/F) Δt ≤ ``ON_PLANE``
  × size (v_z the step's vertical velocity, Ω the molar volume). A ring floating within t
  where the step strips it and the flow does not outrun the consumption does not seal: a
  node the crowded current of a low-pressure strip lifts above t, among nodes that float
  0.3–0.9 nm up, is the free bottom following the consumption, not a trapped pocket (its
  closure, on the plane between floating nodes, sent the contact active set of a 0.05 MPa
  strip cycling between 280 and 460 dofs: docs/moving_interface.md "Mesh convergence in
  3D").
  Its height h is its highest node's, its half-width r the largest distance (in the plane) from
  one of its nodes to the nearest bottom node within t, and the 2D criterion
  (``li_pockets.closing``) decides with the full width W = 2r: the edges meet,
  h ε̇(2γ/h) Δt ≥ r, and the roof comes down, W ε̇(p + 2γ/W) Δt ≥ h.
* Closure: the pocket's nodes and its ring are set on the plane, and the Li
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
from lisse.units import FARADAY

MATCH = 1e-6  # a node and its gathered copy: closer than MATCH × the contact tolerance


def pressed(z: np.ndarray, velocity: np.ndarray, current: np.ndarray, dt: float,
            plane: float, molar_volume: float) -> np.ndarray:
    """Whether Li bottom nodes within t at heights ``z`` [m] are pressed onto the plane
    (module docstring): on it (z ≤ ``plane`` [m]), not consumed in the step (``current``
    ĵ [A/m²] ≤ 0 there), or landing within ``dt`` [s] at their vertical ``velocity`` [m/s]
    less the recession Ω ĵ/F (``molar_volume`` Ω [m³/mol])."""
    recession = molar_volume * current / FARADAY
    return (z <= plane) | (current <= 0) | (z + (velocity + recession) * dt <= plane)


def pockets_3d(triangles: np.ndarray, tolerance: float, plane: float, sealing=None):
    """(points (rows x, y, z [m]) of the distinct corners of ``triangles`` (rows of 3 corners ×
    (x, y, z)), [(indices of a pocket's points with their sub-triangle neighbours, h, r)]) of
    the pockets whose ring is on the plane, z ≤ ``plane`` [m], or, if given,
    ``sealing(points)`` (a mask: pressed onto the plane, ``pressed``) (module docstring)."""
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
    seals = points[:, 2] <= plane
    floating = ~out & ~seals
    if sealing is not None and np.any(floating):
        seals[floating] = sealing(points[floating])
    found = []
    for k in range(label.max() + 1):
        members = inner[label == k]
        nodes = np.union1d(members, graph[members].indices)
        if np.all(seals[nodes[~out[nodes]]]):  # sealed by the contact
            half_width = float(contact.query(points[members, :2])[0].max())
            found.append((nodes, float(points[members, 2].max()), half_width))
    return points, found


class LiPockets3D(LiPockets):
    """``LiPockets`` for the P2 triangles of a 3D Li bottom (module docstring)."""

    def close(self, dt: float, current=None) -> int:
        """Close the pockets that close within ``dt`` [s] (``current``: the step's ĵ [A/m²],
        a callable of the coordinates (3, m), None at rest); returns how many."""
        x = self.body.msh.geometry.x
        size = self.body.comm.allreduce(float(np.max(np.abs(x), initial=0.0)), op=MPI.MAX)
        points, found = pockets_3d(self.bottom.segments(), self.tolerance, ON_PLANE * size,
                                   self._sealing(dt, current, ON_PLANE * size))
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

    def _sealing(self, dt: float, current, plane: float):
        """``sealing`` of ``pockets_3d``: ``pressed`` at the gathered points, with the step's
        vertical velocity of the Li bottom nodes (gathered from every rank by coordinates)."""
        nodes = self._bottom_nodes
        body = self.body
        at = np.concatenate(body.comm.allgather(body.msh.geometry.x[nodes]))
        vz = np.concatenate(body.comm.allgather(
            body.velocity()[body._node_to_dof[nodes], body.up]))

        def sealing(points: np.ndarray) -> np.ndarray:
            j = np.zeros(len(points)) if current is None else np.asarray(
                current(points.T), dtype=float)
            return pressed(points[:, 2], vz[cKDTree(at).query(points)[1]], j, dt, plane,
                           body.molar_volume)

        return sealing
