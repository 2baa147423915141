"""The Li mesh of the coupled interface model (2D; 3D for ``li_smoothing_3d``, ``li_remesh_3d``)
gathered on every rank in a rank-independent numbering (``li_smoothing``, ``li_remesh``;
docs/moving_interface.md "Li mesh smoothing", "Li remeshing", "Li remeshing in 3D").

Numbering. A geometry node is known by its input global index (``geometry.
input_global_indices``: its row in the node array the mesh was built from), which does not
depend on the number of ranks; the gathered nodes are these indices sorted, numbered 0 … N−1.
The owned cells of every rank, renumbered so, are sorted by their node rows
(lexicographically), and the owned boundary facets with their tags likewise: every rank holds
the same arrays whatever the number of ranks, and arithmetic on them (a relocation, a Gmsh
mesh) gives serial's answer.
"""

from __future__ import annotations

import numpy as np
from dolfinx import mesh as dmesh


class GatheredMesh:
    """The node numbering, cells and facets of a P2 triangle (or tetrahedron) mesh ``msh``
    gathered on every rank of ``comm`` (module docstring). ``cells`` (C, 6 or 10): node
    numbers, DOLFINx order; ``local``: the gathered number of every local node (ghosts
    included); ``dim``: the topological dimension (the coordinates kept by ``nodes``)."""

    def __init__(self, msh: dmesh.Mesh, comm):
        self.msh, self.comm = msh, comm
        geo = msh.geometry
        keys = geo.input_global_indices
        self.owned_nodes = geo.index_map().size_local
        self.dim = msh.topology.dim
        self.owned_cells = msh.topology.index_map(self.dim).size_local
        cells = np.concatenate(comm.allgather(keys[geo.dofmaps[0][: self.owned_cells]]))
        self.keys = np.unique(cells)
        cells = np.searchsorted(self.keys, cells)
        self.order = np.lexsort(cells.T[::-1])  # canonical order on every rank
        self.cells = cells[self.order]
        self.local = np.searchsorted(self.keys, keys)  # local node → gathered node

    def input_cells(self) -> np.ndarray:
        """``cells`` in the order of the cell array the mesh was built from
        (``topology.original_cell_index``): with ``nodes`` of the positions as built, the
        arrays ``create_mesh`` was given."""
        index = self.msh.topology.original_cell_index[: self.owned_cells]
        index = np.concatenate(self.comm.allgather(index))
        out = np.empty_like(self.cells)
        out[index[self.order]] = self.cells
        return out

    def nodes(self, x: np.ndarray) -> np.ndarray:
        """Positions (N, dim) [m] of all nodes in the gathered numbering, from the local
        positions ``x`` (the owned nodes')."""
        own = self.owned_nodes
        idx = np.concatenate(self.comm.allgather(self.local[:own]))
        pos = np.concatenate(self.comm.allgather(x[:own, :self.dim]))
        out = np.empty((len(self.keys), self.dim))
        out[idx] = pos
        return out

    def cell_values(self, values: np.ndarray) -> np.ndarray:
        """Per-cell values (local cell order, owned first) in the gathered cell order."""
        return np.concatenate(self.comm.allgather(values[: self.owned_cells]))[self.order]

    def facets(self, tags: dmesh.MeshTags) -> np.ndarray:
        """(vertices, mid nodes, tag) rows of the tagged facets of every rank (owned, each
        once), node rows sorted: (vertex, vertex, mid, tag) in 2D, the three vertices and
        three mid nodes of a P2 triangle in 3D (``dmesh.entities_to_geometry``'s order)."""
        fdim = self.dim - 1
        owned = self.msh.topology.index_map(fdim).size_local
        mine = tags.indices < owned
        nodes = dmesh.entities_to_geometry(self.msh, fdim, tags.indices[mine])
        nodes = nodes.reshape(-1, 3 * fdim)
        rows = np.column_stack([self.local[nodes], tags.values[mine]]).astype(np.int64)
        rows = np.concatenate(self.comm.allgather(rows)).reshape(-1, 3 * fdim + 1)
        return rows[np.lexsort(rows.T[::-1])]
