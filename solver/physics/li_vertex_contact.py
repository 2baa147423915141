"""Contact state of the P2 triangle vertices of the Li bottom in 3D: their spokes decide.

The contact of ``solver.physics.lithium_body`` is nodal, by a primal–dual active set on the
P2 z-velocity dofs of the Li bottom. On a flat P2 triangle the shape function of a vertex
integrates to zero, so a vertex dof carries no contact force (its λ is undefined) and its
state follows a partner, the nearest mid-edge dof (``LithiumBody._axis_partners``). When
that one partner stays a little above the plane, the vertex stays up although the mid-edge
dofs around it are on the plane: on the small test cell a vertex 0.169 µm up, 11 of its 12
mid-edge neighbours on the plane, fell by 5 nm in 400 s at 2 MPa (its P2 edges then dip
h/8 below the plane between the nodes; lowering it changes no Li volume, so the stack
pressure does no work on it), and the last void touched down only after ~210 s
(docs/moving_interface.md, "Void touchdown in 3D").

``VertexContact(body, facets)`` adds: a vertex is in contact also when at least half of its
spokes are, a spoke being a mid-edge dof on a bottom edge from the vertex, counted once per
bottom triangle that has that edge (``active spokes ≥ spokes / 2``). The counts are summed
over the triangles each rank owns and gathered at the vertex's owner (a rank may lack some
triangles around a vertex it holds), so the state does not depend on the partition. Entry
by penetration, leaving (never by force for a vertex) and the partner rule are unchanged.
"""

from __future__ import annotations

import basix
import numpy as np
from dolfinx import fem, la
from dolfinx import mesh as dmesh

_TET = basix.topology(basix.CellType.tetrahedron)
_FIRST_EDGE_DOF = 4  # P2 tetrahedron: dofs 0–3 at the vertices, 4 + e on edge e (basix)


def vertex_dofs(body, facets: np.ndarray) -> np.ndarray:
    """Indices into ``body._obstacle`` (local + ghost dofs) of the P2 triangle vertices of the
    Li bottom ``facets``: a vertex's shape function integrates to 0 on a flat triangle with
    straight edges, so its dof carries no contact force; on the bent triangles of a remeshed
    Li (``li_remesh_3d``: the old, curved boundary kept node for node) to O(curvature), up to
    5e-2 of the largest weight (docs/moving_interface.md "Li remeshing in 3D"), which is why
    they are found by topology and not by a weight threshold. 2D (``facets`` P2 edges): the
    edges' vertices, of which ``LithiumBody`` keeps the one on the axis (axisymmetric: ∫ φ r
    ds = 0 on a straight edge from r = 0, ~1e-2 of the largest on a bent one)."""
    topology = body.msh.topology
    topology.create_connectivity(topology.dim - 1, 0)
    topology.create_connectivity(0, topology.dim)
    vertices = dmesh.compute_incident_entities(topology, facets, topology.dim - 1, 0)
    dofs = fem.locate_dofs_topological(body.vy_space, 0, vertices)
    return np.flatnonzero(np.isin(body._obstacle[1], dofs))


class VertexContact:
    """The spoke rule above for a 3D ``LithiumBody``; joins ``body.vertex_hooks``."""

    def __init__(self, body, facets: np.ndarray):
        msh, space = body.msh, body.vy_space
        tdim = msh.topology.dim
        msh.topology.create_connectivity(tdim - 1, tdim)
        msh.topology.create_connectivity(tdim, tdim - 1)
        f2c = msh.topology.connectivity(tdim - 1, tdim)
        c2f = msh.topology.connectivity(tdim, tdim - 1)
        owned = facets[facets < msh.topology.index_map(tdim - 1).size_local]
        pairs = []  # (vertex dof, spoke dof) in the collapsed z space, per owned triangle
        for f in owned:
            cell = f2c.links(f)[0]
            corners = set(_TET[2][int(np.flatnonzero(c2f.links(cell) == f)[0])])
            dofs = space.dofmap.cell_dofs(cell)
            for e, (a, b) in enumerate(_TET[1]):
                if {a, b} <= corners:
                    pairs += [(dofs[a], dofs[_FIRST_EDGE_DOF + e]),
                              (dofs[b], dofs[_FIRST_EDGE_DOF + e])]
        self.pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        self.body, self._count = body, fem.Function(space)
        self._spokes = self._gathered(np.ones(len(self.pairs)))
        body.vertex_hooks.append(self)

    def _gathered(self, values: np.ndarray) -> np.ndarray:
        """Σ ``values`` over the pairs of each vertex, all ranks, at the body's weightless
        obstacle dofs (local + ghost)."""
        count = self._count.x
        count.array[:] = 0.0
        np.add.at(count.array, self.pairs[:, 0], values)
        count.scatter_reverse(la.InsertMode.add)
        count.scatter_forward()
        return count.array[self.body._obstacle[1][self.body._weightless]]

    def __call__(self, active: np.ndarray) -> np.ndarray:
        """Whether each weightless vertex has at least half of its spokes in ``active``
        (the obstacle dofs' contact state, local + ghost)."""
        state = np.zeros(len(self._count.x.array))
        state[self.body._obstacle[1]] = active
        on = self._gathered(state[self.pairs[:, 1]])
        return (self._spokes > 0) & (2 * on >= self._spokes)
