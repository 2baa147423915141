"""The coupled moving-interface model in 3D cells (issue 12; docs/moving_interface.md, "3D").

A 3D cell is the box [0, w] × [0, d] with z up: the electrolyte below the interface plane
z = 0, the Li above it, the lateral faces x = 0, w and y = 0, d symmetry planes. The Li body
(``lithium_body``, Taylor–Hood P2–P1 on a P2 tetrahedral mesh, ε̇ = sym ∇v) and the
evolution step (``coupled_interface``) are those of 2D; what is dimension-specific is here:

* the Li bottom surface (contact and void-roof facets) is a set of P2 triangles (6 nodes,
  basix order: vertices 0–2, mid-edge nodes of the edges 1–2, 0–2, 0–1). The volume change
  of the Li when its bottom nodes move vertically by δ_i is exactly −Σ_i W_i δ_i with

      W_i = s_f ∫_T φ_i det ∂(x, y)/∂(ξ, η) dξ dη   (summed over the facets f of node i),

  s_f = ±1 the orientation making the facet's projected area positive (the volume is
  ∮ z n_z dA, linear in the heights at fixed (x, y); φ_i quadratic and the Jacobian
  determinant quadratic: a degree-4 rule is exact);
* the gap g_k of an electrolyte interface node (x_k, y_k): the lowest height above it of the
  Li bottom, each P2 triangle taken as its four straight sub-triangles (as each P2 edge is
  two straight halves in 2D);
* the transfer ĵ(x, y) = c·J(x, y)·s(z) of the contact nodes' current density to the Li
  nodes on the plane (``CoupledEvolution._transfer``, one code path with 2D; s the contact
  band's share of the Li node's height, ``li_contact_band``): J is the piecewise-linear
  interpolant on the Delaunay triangulation of the contact nodes (the nearest contact node's
  value outside their hull), c as in 2D so that (Ω/F) Δt Σ W_i ĵ(x_i) = (Ω/F) i A Δt exactly;
* the Li pressure p_h of the stress-coupled kinetics at the interface nodes: the same
  interpolant of the Li's pressure nodes on the plane (``li_interface_pressure``);
* the void count: connected components of the interface nodes out of contact, connected by
  the edges of the electrolyte's interface triangles (a void cut by a symmetry plane counts
  once, as in 2D).

* the Li bookkeeping (validation E5): the Li volume V (∫ dV on the P2 mesh) is cubic in the
  node positions, so the implicit-midpoint motion conserves it to O(Δu³) per step only (plane
  strain: exactly), and while a void roof falls ~0.5 µm per step this defect reached 4.5 %
  of the step's throughput (docs/moving_interface.md, "3D"). After each step, the defect is
  returned through the collector face: its nodes (the top of the Li, whose vertical motion
  is the free rigid translation of the body under the follower pressure) move vertically by

      δ = (V_start − (Ω/F) i A Δt − V_end) / Σ_i W_i^top   [m],

  W_i^top the projected-area weights of the top triangles (as above): V is linear in the
  heights of the boundary nodes at fixed (x, y) (the lateral faces stay on their planes), so
  this is the exact projection onto the conservation constraint, V_end = V_start − (Ω/F) i A
  Δt (− Ω c_Li ΔV_f A, the Li of a growing interphase: ``coupled_interphase``). Its size
  (``volume_correction``; scripts/li_bookkeeping_3d.py) is ≤ 7e-12 m per step
  on the test cells, against a step's largest node motion of 0.1–0.7 µm and the 1 nm contact
  tolerance: the contact fraction and void count are unchanged, gaps move by ≤ Σδ ~ 3e-12 m.
  Chosen over bounding the step's motion, which would cost many more steps during a fast
  closure (the defect is cubic in Δu). 2D is not corrected (plane strain is exact,
  axisymmetric to 1e-5).

Everything is gathered onto every rank in a fixed (coordinate-sorted) order, so that
``mpirun -n 2`` gives serial's contact history.
"""

from __future__ import annotations

import basix
import numpy as np
from dolfinx import mesh as dmesh
from mpi4py import MPI
from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import QhullError, cKDTree

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.errors import SolverError
from lisse.solver.physics.contact_transfer_3d import interface_triangles
from lisse.solver.physics.coupled_interface import CoupledEvolution
from lisse.solver.physics.li_contact_area_3d import open_area
from lisse.solver.physics.li_pockets_3d import LiPockets3D
from lisse.solver.physics.li_remesh_3d import remesh
from lisse.solver.physics.li_smoothing_3d import LiSmoother3D
from lisse.units import FARADAY

_EDGES = ((1, 2), (0, 2), (0, 1))  # basix edges of the reference triangle
_SUBTRIANGLES = np.array([(0, 5, 4), (5, 1, 3), (4, 3, 2), (3, 4, 5)])  # of a P2 triangle
SIDE_Y = 117  # local facet tag of the Li's lateral faces y = 0, d (held in v_y)


class Surface3D:
    """P2 boundary triangles of the Li with some tags (owned facets): their geometry nodes
    in basix order, and integrals over their horizontal projection (module docstring)."""

    _ELEMENT = basix.create_element(basix.ElementFamily.P, basix.CellType.triangle, 2,
                                    basix.LagrangeVariant.equispaced)
    _POINTS, _GW = basix.make_quadrature(basix.CellType.triangle, 4)

    def __init__(self, body, tags: tuple[int, ...]):
        msh = body.msh
        owned = msh.topology.index_map(2).size_local
        facets = np.concatenate([body.tags.find(t) for t in tags]).astype(np.int32)
        facets = facets[facets < owned]
        self.body = body
        nodes = dmesh.entities_to_geometry(msh, 2, facets).reshape(-1, 6)
        self.nodes = _basix_order(nodes, msh.geometry.x)
        table = self._ELEMENT.tabulate(1, self._POINTS)  # (3, points, 6, 1)
        self._phi, self._dphi = table[0, :, :, 0], table[1:, :, :, 0]

    def weights(self) -> np.ndarray:
        """W_i [m²] at every geometry node (local + ghost; this rank's facets only)."""
        xy = self.body.msh.geometry.x[self.nodes][..., :2]  # (facets, 6, 2)
        jac = np.einsum("fkd,rqk->fqdr", xy, self._dphi)  # ∂x_d/∂ξ_r at the points
        det = jac[..., 0, 0] * jac[..., 1, 1] - jac[..., 0, 1] * jac[..., 1, 0]
        integral = np.einsum("q,qk,fq->fk", self._GW, self._phi, det)
        sign = np.sign(integral.sum(axis=1))
        w = np.zeros(self.body.msh.geometry.x.shape[0])
        np.add.at(w, self.nodes, integral * sign[:, None])
        return w

    def segments(self) -> np.ndarray:
        """The straight sub-triangles (rows of 3 corners × (x, y, z)) of every facet of every
        rank, in the order of the ranks."""
        x = self.body.msh.geometry.x
        own = x[self.nodes[:, _SUBTRIANGLES]].reshape(-1, 3, 3)
        return np.concatenate(self.body.comm.allgather(own)).reshape(-1, 3, 3)

    def mean_height(self) -> float:
        """Projected-area mean of z over the facets [m]."""
        comm, w = self.body.comm, self.weights()
        z = self.body.msh.geometry.x[:, 2]
        return comm.allreduce(float(w @ z), op=MPI.SUM) / comm.allreduce(float(w.sum()))


def _basix_order(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The 6 geometry nodes of each P2 triangle as vertices 0–2, then the mid-edge nodes of
    the edges 1–2, 0–2, 0–1 (matched by position: each edge takes the mid node nearest its
    chord's midpoint, which must be a different one for each edge; the edges of a remeshed
    Li's boundary, ``li_remesh_3d``, are curved)."""
    out = nodes.copy()
    for e, (a, b) in enumerate(_EDGES):
        middle = 0.5 * (x[nodes[:, a]] + x[nodes[:, b]])
        dist = np.stack([np.linalg.norm(x[nodes[:, 3 + k]] - middle, axis=1) for k in range(3)])
        out[:, 3 + e] = nodes[np.arange(len(nodes)), 3 + dist.argmin(axis=0)]
    if not np.all(np.sort(out[:, 3:], axis=1) == np.sort(nodes[:, 3:], axis=1)):
        raise SolverError("the Li mesh's P2 facets' mid nodes do not match their edges")
    return out


def surface_height(triangles: np.ndarray, points: np.ndarray, size: float,
                   chunk: int = 256) -> np.ndarray:
    """Lowest height z of the triangulated surface ``triangles`` (rows of 3 corners ×
    (x, y, z)) above each of ``points`` (rows x, y) [m]; triangles seen edge-on (projected
    area < 1e-12 size²) are skipped; SolverError if a point is not under the surface."""
    a, b, c = (triangles[:, k] for k in range(3))
    ab, ac = b[:, :2] - a[:, :2], c[:, :2] - a[:, :2]
    area = ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]
    keep = np.abs(area) > 1e-12 * size**2
    a, b, c, ab, ac, area = a[keep], b[keep], c[keep], ab[keep], ac[keep], area[keep]
    height = np.empty(len(points))
    for start in range(0, len(points), chunk):
        d = points[start:start + chunk, None, :] - a[None, :, :2]
        l1 = (d[..., 0] * ac[:, 1] - d[..., 1] * ac[:, 0]) / area
        l2 = (ab[:, 0] * d[..., 1] - ab[:, 1] * d[..., 0]) / area
        l0 = 1 - l1 - l2
        inside = (l0 >= -1e-9) & (l1 >= -1e-9) & (l2 >= -1e-9)
        z = l0 * a[:, 2] + l1 * b[:, 2] + l2 * c[:, 2]
        height[start:start + chunk] = np.where(inside, z, np.inf).min(axis=1, initial=np.inf)
    if not np.all(np.isfinite(height)):
        raise SolverError("the Li surface no longer covers the interface plane")
    return height


def plane_interpolant(points: np.ndarray, values: np.ndarray, size: float):
    """f(q) (q rows x, y [m]): the piecewise-linear interpolant of ``values`` at ``points``
    on their Delaunay triangulation, the nearest point's value outside their hull. The
    points are sorted first, so the same set gives the same f on every rank and partition;
    "the same" is bitwise: the contact nodes of a void rim are cocircular, and Qhull breaks
    that tie by the last bits of their coordinates (``fem.domain.node_coordinates``)."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    pts, vals = points[order] / size, values[order]
    nearest = NearestNDInterpolator(pts, vals)
    try:
        linear = LinearNDInterpolator(pts, vals)
    except (QhullError, ValueError):  # fewer than 3 points, or all on a line
        linear = None

    def f(q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float).reshape(-1, 2) / size
        out = np.full(len(q), np.nan) if linear is None else linear(q)
        miss = np.isnan(out)
        if np.any(miss):
            out[miss] = nearest(q[miss])
        return out

    return f


def lateral_symmetry(msh: dmesh.Mesh, tags: dmesh.MeshTags):
    """The Li's facet tags with its lateral faces y = 0, d retagged ``SIDE_Y`` (those at
    x = 0, w keep ``side_lithium``) and the symmetry conditions {tag: velocity component
    held at 0}: v_x on x = 0, w, v_y on y = 0, d."""
    side = FACET_TAGS["side_lithium"]
    facets = tags.find(side)
    corners = dmesh.entities_to_geometry(msh, 2, facets)
    x = msh.geometry.x[corners]  # (facets, nodes, 3)
    flat_y = np.ptp(x[..., 1], axis=1) < 1e-9 * np.ptp(msh.geometry.x[:, 1])
    values = tags.values.copy()
    values[np.searchsorted(tags.indices, facets[flat_y])] = SIDE_Y
    retagged = dmesh.meshtags(msh, 2, tags.indices, values)
    return retagged, {side: 0, SIDE_Y: 1}


class CoupledEvolution3D(CoupledEvolution):
    """``CoupledEvolution`` on a 3D cell: the Li bottom as P2 triangles, the gaps of the
    interface nodes, the transfer of j to the Li and the void count in the plane z = 0
    (module docstring)."""

    surface = Surface3D
    pocket_model = LiPockets3D  # pocket closure on the sub-triangles (li_pockets_3d)
    smoother_model = LiSmoother3D  # ALE smoothing of the P2 tetrahedral Li mesh
    interface_interpolant = staticmethod(plane_interpolant)  # J and p_h over (x, y)

    def __init__(self, params, settings, current, body, comm=MPI.COMM_WORLD):
        super().__init__(params, settings, current, body, comm)
        self._components = _interface_graph(self)
        self.volume_correction = 0.0  # δ of the last step [m] (module docstring)

    _PIECES = (*CoupledEvolution._PIECES, "_collector_nodes")

    def _attach(self, body) -> None:
        """``CoupledEvolution._attach`` and the collector face's nodes (of any rank's facets),
        which ``_conserve`` moves: at the start and on the new mesh after a remeshing."""
        super()._attach(body)
        collector = body.tags.find(FACET_TAGS["collector"]).astype(np.int32)
        self._collector_nodes = body._obstacle_nodes(2, collector)

    def _gap(self) -> np.ndarray:
        return np.maximum(surface_height(self.bottom.segments(), self.x[:, :2], self.size), 0)

    def _new_body(self, trigger: float):
        """``li_remesh_3d.remesh`` of the Li body (no boundary split in 3D: ``trigger`` is
        not used): (new body, ε_eq per new cell) or None."""
        return remesh(self.body, self.li_output.strain)

    def contact_area(self) -> float:
        """A − the projected area of the Li bottom's sub-triangles above the contact
        tolerance [m²] (``li_contact_area_3d``; the triangles are gathered: every rank)."""
        return self.area - open_area(self.bottom.segments(), self.settings.contact_tolerance)

    def advance(self, applied: float, dt: float):
        """``CoupledEvolution.advance``, then the Li volume put back on the conservation
        constraint through the collector face (``_conserve``). The P2 triangle vertex dofs of
        the Li bottom (∫ φ dA = 0 on a flat triangle, a round-off weight on a curved one) get
        no nodal contact pressure (NaN: left out of ``max_contact_pressure``, 0 in the Li
        field); the partner rule of the contact state is not used here, its partner may
        differ between partitions."""
        start, film = self.body.volume(), self.li_interphase()
        result = super().advance(applied, dt)
        self.body.contact_pressure[self.body._weightless] = np.nan
        removed = self.params.electrode.molar_volume / FARADAY * applied * result[0]
        self._conserve(start - (removed + self.li_interphase() - film) * self.area)
        return result

    def _conserve(self, target: float) -> None:
        """Move the collector face's nodes vertically by δ = (target − V)/Σ W^top so that the
        Li volume V [m³] equals ``target`` (module docstring); δ [m] is kept in
        ``volume_correction``."""
        area = self.comm.allreduce(float(self.top.weights().sum()), op=MPI.SUM)
        self.volume_correction = (target - self.body.volume()) / area
        self.body.msh.geometry.x[self._collector_nodes, 2] += self.volume_correction

    def void_count(self) -> int:
        """Connected components of the interface nodes out of contact (module docstring)."""
        graph, order = self._components
        out = np.concatenate(self.comm.allgather(self.contact_share() <= 0))[order]
        if not np.any(out):
            return 0
        count, _ = connected_components(graph[out][:, out], directed=False)
        return int(count)


def interface_mesh(evo: CoupledEvolution3D) -> tuple[np.ndarray, np.ndarray]:
    """(the permutation sorting the gathered interface nodes (rank order) by (x, y), the
    electrolyte's interface triangles as rows of 3 indices into that sorted order) of every
    rank (collective)."""
    points = np.concatenate(evo.comm.allgather(evo.x[:, :2]))
    order = np.lexsort((points[:, 1], points[:, 0]))
    tree = cKDTree(points[order])
    corners = np.concatenate(evo.comm.allgather(
        interface_triangles(evo.cd.domain).reshape(-1, 2)))
    distance, index = tree.query(corners)
    if np.any(distance > 1e-9 * evo.size):
        raise SolverError("an interface facet corner is not an interface node")
    return order, index.reshape(-1, 3)


def _interface_graph(evo: CoupledEvolution3D):
    """(adjacency of all interface nodes by the edges of the electrolyte's interface
    triangles, in coordinate-sorted order; the permutation from the gathered rank order)."""
    order, tri = interface_mesh(evo)
    rows = np.concatenate([tri[:, 0], tri[:, 1], tri[:, 2]])
    cols = np.concatenate([tri[:, 1], tri[:, 2], tri[:, 0]])
    n = len(order)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    return graph, order
