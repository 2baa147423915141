"""Remeshing of the moving Li mesh of the coupled interface model in 3D cells (issue 12 item 4,
docs/moving_interface.md "Li remeshing in 3D"): ``li_remesh``'s design on P2 tetrahedra.

Why. The 3D smoothing (``li_smoothing_3d``) holds every node of a non-planar boundary face
(void roofs, the collector face) and moves the others with the topology fixed; the cells under
a void roof that descends onto the plane are flattened and stay so. When the smallest cell
quality q (``li_smoothing_3d.cell_quality``) is below ``evolution.remesh_quality`` × that of
the initial mesh at the start of a step, the Li is meshed anew (``CoupledEvolution._remesh``,
as in 2D).

New mesh. The boundary of the present P2 mesh (its faces: the P2 triangles in one cell only) is
kept as it is: Gmsh gets the straight triangles between the boundary vertices as the mesh of
one discrete surface (``gmsh.model.addDiscreteEntity``, ``mesh.addNodes``,
``mesh.addElementsByType``), bounds a volume by it (a surface loop) and tetrahedralises that
volume (``mesh.generate(3)``), which keeps a discrete surface's mesh: the new mesh has the old
boundary vertices (their coordinates copied exactly; Gmsh's may differ by its round-off) and
the old boundary triangles, checked, and interior vertices of its own (sizes interpolated from
the boundary's), after Gmsh's and Netgen's optimisers (``Mesh.OptimizeNetgen``; on the test's
distorted mesh, smallest q 0.011, the new mesh's is 0.189 with it, 0.046 without: Gmsh's own
optimiser leaves slivers, one with four boundary vertices). Its boundary edges get the old
mid-edge nodes (copied), its interior edges straight mid-edge nodes; the cells are ordered
positively (det ∂x/∂ξ > 0). Unlike 2D, no boundary piece is split or merged and no pocket
closed: the boundary is the old one node for node. A cell with all four vertices on the
boundary (over a descended roof) is Gmsh's to avoid; if the new mesh's smallest q is not above
the old one's, the old mesh is kept (``li_remesh_transfer.rebuild``).

Conservation. By the divergence theorem with ∇·x = 3 the Li volume is a sum over the cells of
(1/3) ∮ x·n dA over their P2 faces; an interior face is shared by two cells with the same six
nodes (the same quadratic parametrisation) and opposite orientation, so the sum is
(1/3) ∮ x·n dA over the boundary faces alone, which are the old ones node for node: the volume
is conserved to round-off (tests/verification/test_li_remesh_3d.py: < 1e-12 relative).

State transfer, facet tags (face by face, by the three corners), parallel (the gathered mesh
of ``li_gather``, Gmsh on rank 0, ``create_mesh`` distributing it: ``mpirun -n 2`` gives
serial's mesh), resume (``coupled_checkpoint`` rebuilds the checkpointed mesh) and output
(``li_remesh<k>.xdmf``): ``li_remesh_transfer`` and ``li_remesh``, as in 2D.
"""

from __future__ import annotations

import gmsh
import numpy as np
from scipy.spatial import cKDTree

from lisse.solver.errors import SolverError
from lisse.solver.physics.li_gather import GatheredMesh
from lisse.solver.physics.li_remesh_transfer import gmsh_mesh, rebuild
from lisse.solver.physics.li_smoothing_3d import EDGES, FACES
from lisse.solver.physics.lithium_body import LithiumBody

BOUNDARY_MATCH = 1e-12  # Gmsh's copy of a boundary vertex: within this × the body size [1]


def boundary_faces(cells: np.ndarray) -> np.ndarray:
    """Rows (a, b, c, m_bc, m_ac, m_ab) of the P2 faces in one cell only (``FACES`` order:
    corners, then the mid-nodes of the edges opposite them)."""
    faces = cells[:, FACES].reshape(-1, 6)
    corners = np.sort(faces[:, :3], axis=1)
    _, index, counts = np.unique(corners, axis=0, return_index=True, return_counts=True)
    return faces[np.sort(index[counts == 1])]


def tetrahedralize(x: np.ndarray,
                   triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gmsh tetrahedralisation of the volume bounded by the closed triangulated surface
    ``triangles`` (T, 3) of the nodes ``x`` (N, 3) [m], the surface mesh kept: (vertex
    coordinates (M, 3), tetrahedra (C, 4), the gathered number of each vertex or −1 for a new
    interior one), the boundary vertices' coordinates the given ones exactly."""
    corners = np.unique(triangles)
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("li_remesh_3d")
        gmsh.option.setNumber("Mesh.OptimizeNetgen", 1)  # slivers (module docstring)
        surface = gmsh.model.addDiscreteEntity(2)
        gmsh.model.mesh.addNodes(2, surface, corners + 1, x[corners].ravel())
        gmsh.model.mesh.addElementsByType(surface, 2, [], (triangles + 1).ravel())
        loop = gmsh.model.geo.addSurfaceLoop([surface])
        gmsh.model.geo.addVolume([loop])
        gmsh.model.geo.synchronize()
        gmsh.model.mesh.generate(3)
        coords, tets = gmsh_mesh(4)
    finally:
        gmsh.finalize()
    points = coords.copy()
    distance, near = cKDTree(points).query(x[corners])
    if np.any(distance > BOUNDARY_MATCH * float(np.max(np.abs(x)))):
        raise SolverError("Li remeshing: Gmsh moved a boundary vertex of the Li")
    points[near] = x[corners]
    gathered = np.full(len(points), -1, dtype=np.int64)
    gathered[near] = corners
    return points, tets, gathered


def p2_tet_mesh(x: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """A new P2 mesh of the domain of the P2 tetrahedral mesh (x (N, 3) [m], cells (C, 10),
    DOLFINx order) with its boundary faces node for node (module docstring): (nodes (M, 3),
    cells (T, 10) positively oriented, DOLFINx order, {} (no facet aliases))."""
    faces = boundary_faces(cells)
    points, tets, gathered = tetrahedralize(x, faces[:, :3])
    p = points[tets]
    turn = np.einsum("ci,ci->c", p[:, 1] - p[:, 0],
                     np.cross(p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]))
    tets[turn < 0] = tets[turn < 0][:, [1, 0, 2, 3]]
    old_mid = {}  # boundary edge (sorted gathered vertices) → its mid node
    for a, b, c, m_bc, m_ac, m_ab in faces.tolist():
        for u, v, m in ((b, c, m_bc), (a, c, m_ac), (a, b, m_ab)):
            old_mid[(min(u, v), max(u, v))] = m
    pairs = np.sort(tets[:, EDGES[:, :2]].reshape(-1, 2), axis=1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    mids = 0.5 * (points[unique[:, 0]] + points[unique[:, 1]])
    ends = gathered[unique]
    for k in np.flatnonzero(np.all(ends >= 0, axis=1)):
        m = old_mid.get((int(min(ends[k])), int(max(ends[k]))))
        if m is not None:
            mids[k] = x[m]
    new = np.column_stack([tets, len(points) + inverse.reshape(-1, 6)])
    kept = np.sort(gathered[boundary_faces(new)[:, :3]], axis=1)
    if {tuple(r) for r in kept.tolist()} != {tuple(r) for r in np.sort(faces[:, :3], axis=1)
                                             .tolist()}:
        raise SolverError("Li remeshing: Gmsh changed the Li boundary triangulation")
    return np.concatenate([points, mids]), new, {}


def remesh(body: LithiumBody, strain) -> tuple[LithiumBody, np.ndarray] | None:
    """A new ``LithiumBody`` on a new mesh of ``body``'s Li (``p2_tet_mesh`` of the gathered
    mesh), its strength and hooks carried over, and ε_eq per new local cell (DG0 array) from
    ``strain`` (DG0 Function of the old mesh); None if the new mesh is not better
    (``li_remesh_transfer.rebuild``)."""
    old = GatheredMesh(body.msh, body.comm)
    facets = old.facets(body.tags)
    return rebuild(body, strain, old, old.nodes(body.msh.geometry.x), facets, p2_tet_mesh)
