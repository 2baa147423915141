"""What the Li remeshings of 2D (``li_remesh``) and 3D (``li_remesh_3d``) cells share: the
trigger's quality, the new mesh built on rank 0 and broadcast, the new ``LithiumBody`` on it
and the state transfer (docs/moving_interface.md "Li remeshing", "Li remeshing in 3D").

Quality. q of ``li_smoothing.cell_quality`` (P2 triangles) or ``li_smoothing_3d.
cell_quality`` (P2 tetrahedra), by the mesh's topological dimension; a new mesh is kept only
if its smallest q exceeds the old one's.

Facet tags. Carried over facet by facet: a new facet takes the tag of the old facet with the
same vertices (their exact coordinates: the remeshings copy the boundary vertices; 2D: an
edge, its two end points; 3D: a triangle, its three corners), or of the old facet an
``aliases`` key names (2D: merged face edges and split halves).

Per-cell fields. Anand's S/σ0 (``body.strength``) and ε_eq of ``li_output`` are remapped by
point sampling: a new cell takes the value of the old cell that contains its vertex centroid
(straight-sided test, barycentric coordinates ≥ −``INSIDE``; the nearest old centroid if none
does, in a curved boundary sliver). Exact for a uniform field, not conservative.

Gmsh's mesh (``gmsh_mesh``). Both read the generated mesh as node coordinates and elements
whose rows index them: Gmsh's node tags mapped to 0 … N−1 in the order of ``getNodes``.

Parallel. Every rank holds the gathered old mesh (``li_gather``); the new mesh is built on
rank 0 (its refusal broadcast), ``create_mesh`` distributes it with the cell mesh's ghost
layer, and every rank tags and samples its own new cells (ghosts included) from the gathered
arrays: the new mesh and its fields do not depend on the number of ranks.
"""

from __future__ import annotations

from collections.abc import Callable

import gmsh
import numpy as np
import ufl
from basix.ufl import element
from dolfinx import mesh as dmesh
from mpi4py import MPI
from scipy.spatial import cKDTree

from lisse.solver.errors import SolverError
from lisse.solver.physics import li_smoothing, li_smoothing_3d
from lisse.solver.physics.li_gather import GatheredMesh
from lisse.solver.physics.li_hardening import Hardening
from lisse.solver.physics.li_sticking import Sticking
from lisse.solver.physics.li_vertex_contact import VertexContact
from lisse.solver.physics.lithium_body import LithiumBody

INSIDE = 1e-12  # barycentric slack of the point-in-cell test (dimensionless)
CELL = {2: "triangle", 3: "tetrahedron"}  # the P2 cell of a Li mesh by its dimension


def gmsh_mesh(element_type: int) -> tuple[np.ndarray, np.ndarray]:
    """(node coordinates (N, 3) [m], the elements of Gmsh type ``element_type`` (2: triangles,
    4: tetrahedra) as rows of indices into them) of the current Gmsh model's mesh: each node
    tag mapped to its position in ``getNodes``."""
    tags, coords, _ = gmsh.model.mesh.getNodes()
    _, elements = gmsh.model.mesh.getElementsByType(element_type)
    nodes = gmsh.model.mesh.getElementProperties(element_type)[3]  # per element
    where = np.zeros(int(tags.max()) + 1, dtype=np.int64)
    where[tags.astype(np.int64)] = np.arange(len(tags))
    return coords.reshape(-1, 3), where[elements.astype(np.int64)].reshape(-1, nodes)


def cell_quality(x: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """q per P2 cell (``li_smoothing.cell_quality`` for triangles, x (N, 2) [m], cells
    (C, 6); ``li_smoothing_3d.cell_quality`` for tetrahedra, x (N, 3), cells (C, 10))."""
    module = li_smoothing if cells.shape[1] == 6 else li_smoothing_3d
    return module.cell_quality(x, cells)


def min_quality(body: LithiumBody) -> float:
    """Smallest cell quality q of the body's P2 mesh over all ranks (each rank its owned
    cells)."""
    msh = body.msh
    dim = msh.topology.dim
    cells = msh.geometry.dofmaps[0][: msh.topology.index_map(dim).size_local]
    q = cell_quality(msh.geometry.x[:, :dim], cells)
    return body.comm.allreduce(float(np.min(q, initial=np.inf)), op=MPI.MIN)


def rebuild(body: LithiumBody, strain, old: GatheredMesh, x: np.ndarray, facets: np.ndarray,
            build: Callable) -> tuple[LithiumBody, np.ndarray] | None:
    """A new ``LithiumBody`` on the mesh ``build(x, old.cells)`` → (nodes, cells, aliases)
    makes of the gathered nodes ``x`` [m] (rank 0 only; a SolverError there is raised on every
    rank), its facets tagged from the gathered tagged ``facets``, its strength and ε_eq per
    new local cell (DG0 array) sampled from ``body.strength`` and ``strain`` (DG0 Function of
    the old mesh); None if its smallest q does not exceed the old mesh's."""
    comm, dim = body.comm, old.dim
    nodes = np.zeros((0, body.msh.geometry.dim))
    cells, built = np.zeros((0, old.cells.shape[1]), dtype=np.int64), None
    if comm.rank == 0:
        try:
            nodes, cells, aliases = build(x, old.cells)
            better = np.min(cell_quality(nodes, cells)) > np.min(cell_quality(x, old.cells))
            built = aliases if better else None
        except SolverError as err:
            built = SolverError(str(err))
    built = comm.bcast(built, root=0)
    if isinstance(built, SolverError):
        raise built
    if built is None:
        return None
    fresh = body_on(body, nodes, cells, x, facets, built)
    geo = fresh.msh.geometry  # every local cell (ghosts too) samples the gathered old cells
    parent = remap(x, old.cells, geo.x[:, :dim], geo.dofmaps[0])
    dofs = fresh.strength.function_space.dofmap.list[: len(geo.dofmaps[0]), 0]
    fresh.strength.x.array[dofs] = old.cell_values(_cell_values(body.strength))[parent]
    strain_new = np.zeros_like(fresh.strength.x.array)
    strain_new[dofs] = old.cell_values(_cell_values(strain))[parent]
    return fresh, strain_new


def body_on(body: LithiumBody, nodes: np.ndarray, cells: np.ndarray, x: np.ndarray,
            facets: np.ndarray, aliases: dict) -> LithiumBody:
    """A ``LithiumBody`` with ``body``'s arguments, time and hooks on the P2 mesh of
    ``nodes`` (M, gdim) [m] and ``cells`` (T, 6 or 10, DOLFINx order), given on rank 0
    (empty on the others; ``create_mesh`` distributes them, with the cell mesh's ghost
    layer), its facets tagged from the gathered tagged ``facets`` (vertices, mid nodes, tag)
    of the nodes ``x`` by their vertices (``_facet_tags``). A remeshing builds the new body
    so, and a resume its checkpointed mesh (``coupled_checkpoint``)."""
    comm, gdim = body.comm, body.msh.geometry.dim
    coordinates = element("Lagrange", CELL[body.msh.topology.dim], 2, shape=(gdim,))
    partitioner = dmesh.create_cell_partitioner(dmesh.GhostMode.shared_facet, 2) if (
        comm.size > 1) else None  # the ghost layer of the cell mesh (meshes.cache)
    new = dmesh.create_mesh(comm, cells.astype(np.int64), ufl.Mesh(coordinates),
                            nodes[:, :gdim], partitioner)
    fresh = LithiumBody(new, _facet_tags(new, x, facets, aliases), **body.arguments)
    fresh.midpoint_rtol, fresh.time = body.midpoint_rtol, body.time
    for hook in body.step_hooks:
        owner = hook.__self__
        if not isinstance(owner, Hardening):
            raise SolverError(f"Li remeshing: cannot carry the step hook {owner!r}")
        Hardening(fresh, owner.law, owner.s0, owner.rate0)
    for hook in body.contact_hooks:
        if not isinstance(hook.__self__, Sticking):
            raise SolverError(f"Li remeshing: cannot carry the contact hook {hook!r}")
        Sticking(fresh)
    for hook in body.vertex_hooks:  # 3D: the spoke rule of the P2 vertices
        if not isinstance(hook, VertexContact):
            raise SolverError(f"Li remeshing: cannot carry the vertex hook {hook!r}")
        VertexContact(fresh, fresh.obstacle_facets)
    return fresh


def facet_key(*points: np.ndarray) -> tuple:
    """An order-free key of a facet from its vertices' exact coordinates; a facet of a d-D
    mesh has d vertices, so their first d coordinates (an edge in the plane: x, y)."""
    dim = len(points)
    return tuple(sorted(tuple(p[:dim].tolist()) for p in points))


def remap(old_x: np.ndarray, old_cells: np.ndarray, new_x: np.ndarray,
          new_cells: np.ndarray) -> np.ndarray:
    """For every new cell, the old cell containing its vertex centroid (straight-sided
    test: barycentric coordinates ≥ −``INSIDE``; the nearest old centroid where none does).
    ``old_x``, ``new_x``: (N, d) [m]; cells: node rows, vertices first."""
    dim = old_x.shape[1]
    centres = old_x[old_cells[:, :dim + 1]].mean(axis=1)
    points = new_x[new_cells[:, :dim + 1]].mean(axis=1)
    k = min(16, len(centres))
    _, near = cKDTree(centres).query(points, k=k)
    near = near.reshape(len(points), k)
    found = near[:, 0].copy()
    for j in range(k)[::-1]:
        v = old_x[old_cells[near[:, j], :dim + 1]]  # (points, d + 1, d)
        edges = np.transpose(v[:, 1:] - v[:, :1], (0, 2, 1))  # columns v_i − v_0
        regular = np.linalg.det(edges) != 0  # a cell closed flat: no barycentric coordinates
        lam = np.full((len(points), dim), -1.0)
        lam[regular] = np.linalg.solve(edges[regular],
                                       (points - v[:, 0])[regular][..., None])[..., 0]
        inside = np.all(lam >= -INSIDE, axis=1) & (lam.sum(axis=1) <= 1 + INSIDE)
        found[inside] = near[inside, j]
    return found


def _cell_values(func) -> np.ndarray:
    """DG0 values per local cell (local order)."""
    return func.x.array[func.function_space.dofmap.list[:, 0]]


def _facet_tags(new: dmesh.Mesh, x: np.ndarray, facets: np.ndarray,
                aliases: dict) -> dmesh.MeshTags:
    """The old facet tags (gathered ``facets``: vertices, mid nodes, tag; nodes ``x``) on the
    new mesh's local facets (ghosts too) with the same vertices (an ``aliases`` key: the
    tag of the old facet it names)."""
    dim = new.topology.dim
    value = {facet_key(*x[row[:dim]]): row[-1] for row in facets}
    value |= {new_key: value[old_key] for new_key, old_key in aliases.items()
              if old_key in value}
    new.topology.create_connectivity(dim - 1, dim)
    index_map = new.topology.index_map(dim - 1)
    every = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
    y = new.geometry.x
    corners = dmesh.entities_to_geometry(new, dim - 1, every)[:, :dim]
    keys = [facet_key(*y[row]) for row in corners]
    keep = np.array([k in value for k in keys], dtype=bool)
    values = np.array([value[k] for k in keys if k in value], dtype=np.int32)
    return dmesh.meshtags(new, dim - 1, every[keep], values)
