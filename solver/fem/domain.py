"""The electrolyte computational domain: a DOLFINx mesh with named facet tags.

The Li electrode is an equipotential (its conductivity is ~1e8 times the electrolyte's), so
the current distribution is solved on the electrolyte cells only: a submesh of the full cell
mesh, carrying the facet tags of the full mesh (contact, void floors, counter, sides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl
from dolfinx import mesh as dmesh
from mpi4py import MPI

from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS


@dataclass
class Domain:
    """A mesh, its facet tags (values from ``meshes.geometry.FACET_TAGS``) and whether the
    coordinates are (r, y) of an axisymmetric cell."""

    mesh: dmesh.Mesh
    facet_tags: dmesh.MeshTags
    axisymmetric: bool = False
    cell_tags: dmesh.MeshTags | None = None  # region of each cell (CELL_TAGS), if known

    @property
    def radius_weight(self):
        """The factor r in axisymmetric integrals (the 2π is left out everywhere), else 1."""
        return ufl.SpatialCoordinate(self.mesh)[0] if self.axisymmetric else 1.0

    def dx(self):
        return ufl.Measure("dx", domain=self.mesh)

    def ds(self):
        return ufl.Measure("ds", domain=self.mesh, subdomain_data=self.facet_tags)

    def facets(self, name: str) -> np.ndarray:
        """Local indices of the facets in the named physical group."""
        return self.facet_tags.find(FACET_TAGS[name])


# Regions that conduct Li ions: the solved domain (Li is an equipotential outside it).
CONDUCTING_REGIONS = ("electrolyte", "grain_boundary", "interlayer", "liquid")


def conducting_tags() -> tuple[int, ...]:
    """The cell tag values of ``CONDUCTING_REGIONS`` (``load_mesh(..., regions=…)``)."""
    return tuple(CELL_TAGS[name] for name in CONDUCTING_REGIONS)


def electrolyte_domain(msh: dmesh.Mesh, cell_tags: dmesh.MeshTags,
                       facet_tags: dmesh.MeshTags, axisymmetric: bool) -> Domain:
    """Extract the ion-conducting cells of a full-cell mesh (electrolyte, grain boundaries,
    interlayer, liquid) as a submesh with its facet and cell tags; a mesh of such cells
    only (read without the Li: ``conducting_tags``) is the domain itself."""
    tdim = msh.topology.dim
    cells = np.sort(np.concatenate([cell_tags.find(CELL_TAGS[name])
                                    for name in CONDUCTING_REGIONS]))
    everything = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    if msh.comm.allreduce(len(cells) == everything, op=MPI.LAND):  # read without the Li
        return Domain(msh, facet_tags, axisymmetric, cell_tags)
    sub, cell_map, vertex_map, _ = dmesh.create_submesh(msh, tdim, cells)
    msh.topology.create_connectivity(tdim - 1, tdim)
    sub_tags = dmesh.transfer_meshtags_to_submesh(facet_tags, sub, vertex_map, cell_map)
    sub.topology.create_connectivity(tdim - 1, tdim)
    region = np.zeros(msh.topology.index_map(tdim).size_local
                      + msh.topology.index_map(tdim).num_ghosts, dtype=np.int32)
    region[cell_tags.indices] = cell_tags.values
    nsub = sub.topology.index_map(tdim).size_local + sub.topology.index_map(tdim).num_ghosts
    sub_cells = np.arange(nsub, dtype=np.int32)
    parent = cell_map.sub_topology_to_topology(sub_cells, inverse=False)
    sub_cell_tags = dmesh.meshtags(sub, tdim, sub_cells, region[parent])
    return Domain(sub, sub_tags, axisymmetric, sub_cell_tags)


def lithium_submesh(msh: dmesh.Mesh, cell_tags: dmesh.MeshTags, facet_tags: dmesh.MeshTags):
    """The Li cells of a full-cell mesh as their own mesh, with the facet tags transferred
    (the creeping Li of the debonded-patch study and of the moving interface)."""
    tdim = msh.topology.dim
    cells = cell_tags.find(CELL_TAGS["lithium"])
    sub, cell_map, vertex_map, _ = dmesh.create_submesh(msh, tdim, cells)
    msh.topology.create_connectivity(tdim - 1, tdim)
    tags = dmesh.transfer_meshtags_to_submesh(facet_tags, sub, vertex_map, cell_map)
    sub.topology.create_connectivity(tdim - 1, tdim)
    return sub, tags


def node_coordinates(space) -> np.ndarray:
    """Coordinates (m), shape (dofs incl. ghosts, 3), of the dofs of a P1 Lagrange space on a
    first-order mesh: its geometry nodes' coordinates as read from the mesh, the same bits on
    every partition. ``tabulate_dof_coordinates`` recomputes them cell by cell (x = Σ φ_j(X)
    x_j), and which cell a shared vertex is taken from depends on the partition: up to
    3.4e-21 m apart between serial and ``mpirun -n 2`` on a 12 µm cell, enough to flip the
    Delaunay triangulation of cocircular interface nodes (``coupled_3d.plane_interpolant``)."""
    geo = space.mesh.geometry
    nodes, dofs = geo.dofmaps[0], space.dofmap.list
    if geo.cmaps[0].degree != 1 or nodes.shape != dofs.shape or space.dofmap.bs != 1:
        raise ValueError("node_coordinates needs a scalar P1 space on a first-order mesh")
    imap = space.dofmap.index_map
    x = np.empty((imap.size_local + imap.num_ghosts, 3))
    x[dofs.ravel()] = geo.x[nodes.ravel()]
    return x
