"""The Li's contact load on the electrolyte's interface nodes in 3D cells: the transfer of
``contact_transfer`` (issue 12) with the interface the plane z = 0, used by the pore law's
contact pressure (``coupled_cavities.SubgridPores``).

The Li's contact reactions R_i [N] at its active obstacle dofs (``LithiumBody.reactions``,
the obstacle's force on the Li; a dof floating in the contact band carries no load) are
moved onto the electrolyte's interface nodes k in two conservative steps, in the horizontal
projection (x, y) of the Li's bottom (contact and void-roof P2 triangles, each taken as its
straight vertex triangle T of projected area |T|, counted once as in ``coupled_3d.Surface3D``:
the facets' corner order on the mesh says nothing of the side they face):

1. onto the Li's bottom vertices v: a vertex dof gives its reaction to its vertex, a P2
   mid-edge dof half of its reaction to each end vertex of its edge,

       R_v = R_{i=v} + ½ Σ_{mid-edge i on an edge at v} R_i,    λ_v = R_v / W_v,
       W_v = ∫ χ_v dA = Σ_{T ∋ v} |T|/3   [m²],

   χ_v the P1 hat of v on the projected triangles;
2. onto the electrolyte nodes by the mortar integral of that density over the supermesh
   (``supermesh.mortar_forces``: exact),

       p_k = F_k / w_k,   F_k = ∫ λ_h φ_k dA,   λ_h = Σ_v λ_v χ_v,   w_k = ∫_Γ φ_k dA,

   φ_k the P1 hat of node k on the electrolyte's interface triangles, w_k its interface
   weight (the engine's ``weights``).

Conservative: the hats φ_k sum to 1 and cover the plane, and Σ_v χ_v = 1 on every T, so
Σ_k p_k w_k = Σ_T ∫_T λ_h dA = Σ_v λ_v W_v = Σ_v R_v = Σ_i R_i, to round-off.

Consistent (a uniform pressure on a flat P2 bottom comes out uniform). On a flat P2 triangle
T the vertex functions integrate to zero and the mid-edge ones to |T|/3, so a uniform contact
pressure λ gives R_i = λ ∫ ψ_i dA = 0 at the vertex dofs and λ Σ_{T ∋ i} |T|/3 at the
mid-edge dofs. A vertex v has two of its triangle T's three mid-edge dofs on edges at v,
each giving half of λ|T|/3: R_v = Σ_{T ∋ v} 2 · ½ · λ|T|/3 = λ W_v, so λ_v = λ at every
vertex, λ_h ≡ λ, F_k = λ ∫ φ_k dA = λ w_k and p_k = λ on any electrolyte mesh of the same
plane, to round-off. More generally step 1 is R_v = ∫ λ χ_v dA for any λ, as the P1 hat is
χ_v = ψ_v + ½ Σ ψ_mid in the P2 basis, and p_k = λ(x_k) + O(h |∇λ|) for a linear λ
(tests/unit/test_contact_transfer_3d.py: ≤ |∇λ| (h_Li + h_E)/2, h the longest edges).

Rank independence: the Li's bottom triangles (by the input indices of their geometry nodes),
the reactions, the electrolyte's nodes and triangles are gathered from all ranks and sorted
(indices, coordinates), so ``mpirun -n 2`` gives serial's p_k up to the round-off of the
assembled weights w_k. The matching of nodes to triangle corners uses scipy's k-d tree (a
dependency already, ``coupled_3d``); the integrals are numpy only.
"""

from __future__ import annotations

import numpy as np
from dolfinx import mesh as dmesh
from scipy.spatial import cKDTree

from lisse.solver.errors import SolverError
from lisse.solver.physics.supermesh import DEGENERATE, mortar_forces, signed_areas

_EDGES = ((1, 2), (0, 2), (0, 1))  # basix edges of the reference triangle: mid-edge 3, 4, 5


def vertex_density(ids: np.ndarray, corners: np.ndarray, dofs: np.ndarray,
                   reactions: np.ndarray, size: float) -> np.ndarray:
    """λ_v [Pa] at the corners of the Li's bottom triangles (step 1), shape (t, 3): ``ids``
    (t, 6) the node labels of the P2 triangles (vertices, then the mid-edge nodes of the
    edges 1–2, 0–2, 0–1), ``corners`` (t, 3, 2) their vertices' (x, y) [m], ``dofs`` the
    node labels of the reactions ``reactions`` [N] (each once), ``size`` [m] the scale of
    ``supermesh.DEGENERATE``."""
    t = len(ids)
    node = np.concatenate([ids[:, :3].ravel()] + [ids[:, 3 + e] for e in range(3)] * 2)
    vertex = np.concatenate([ids[:, :3].ravel()] + [ids[:, a] for a, _ in _EDGES]
                            + [ids[:, b] for _, b in _EDGES])
    share = np.concatenate([np.ones(3 * t), np.full(6 * t, 0.5)])
    rule, first = np.unique(np.stack([node, vertex], axis=1), axis=0, return_index=True)
    share = share[first]  # each (dof, end vertex) once, however many triangles share it
    labels = np.unique(ids)
    if not np.all(np.isin(dofs, labels)):
        raise SolverError("a Li contact reaction is not on the Li's bottom triangles")
    force = np.zeros(len(labels))
    np.add.at(force, np.searchsorted(labels, dofs), reactions)
    vertices = np.unique(ids[:, :3])
    r_v = np.zeros(len(vertices))
    np.add.at(r_v, np.searchsorted(vertices, rule[:, 1]),
              share * force[np.searchsorted(labels, rule[:, 0])])
    area = np.abs(signed_areas(corners))
    area = np.where(np.abs(area) > DEGENERATE * size**2, area, 0.0)
    w_v = np.zeros(len(vertices))
    np.add.at(w_v, np.searchsorted(vertices, ids[:, :3]), np.repeat(area[:, None] / 3, 3, 1))
    tiny = DEGENERATE * size**2
    if np.any((w_v <= tiny) & (r_v != 0)):
        raise SolverError("a loaded Li bottom vertex has no projected area")
    density = np.divide(r_v, w_v, out=np.zeros(len(vertices)), where=w_v > tiny)
    return density[np.searchsorted(vertices, ids[:, :3])]


def transfer(comm, li: tuple, electrolyte: tuple, size: float) -> np.ndarray:
    """p_k [Pa] (module docstring) at this rank's electrolyte nodes from this rank's share of
    the data, everything gathered and sorted first: ``li`` = (ids (t, 6) labels of the owned
    bottom triangles' nodes, corners (t, 3, 2) [m], labels of the owned active reaction dofs,
    reactions [N]); ``electrolyte`` = (nodes (n, 2) [m], weights w_k (n,) [m²], owned
    interface triangles (m, 3, 2) [m])."""
    def gather(a):
        return np.concatenate(comm.allgather(np.asarray(a)))

    ids, corners, dofs, reactions = (gather(a) for a in li)
    order = np.lexsort(ids.T[::-1])
    ids, corners = ids[order], corners[order]
    order = np.argsort(dofs, kind="stable")
    density = vertex_density(ids, corners, dofs[order], reactions[order], size)
    own, weights, tri = electrolyte
    nodes = gather(np.asarray(own, dtype=float).reshape(-1, 2))
    rank = np.lexsort((nodes[:, 1], nodes[:, 0]))
    nodes, w = nodes[rank], gather(np.asarray(weights, dtype=float))[rank]
    tri = gather(np.asarray(tri, dtype=float).reshape(-1, 3, 2))
    distance, index = cKDTree(nodes).query(tri.reshape(-1, 2))
    if np.any(distance > 1e-9 * size):
        raise SolverError("an interface facet corner is not an interface node")
    index = index.reshape(-1, 3)
    order = np.lexsort(np.sort(index, axis=1).T[::-1])
    forces = mortar_forces(corners, density, tri[order], index[order], len(nodes), size)
    p = np.empty(len(nodes))
    p[rank] = forces / w
    start = sum(comm.allgather(len(own))[:comm.rank])
    return p[start:start + len(own)]


def li_load(body, bottom) -> tuple:
    """This rank's ``li`` of ``transfer`` from the Li's last step: the owned bottom triangles
    ``bottom`` (``coupled_3d.Surface3D``) by the input indices of their geometry nodes, and the
    reactions at the owned active obstacle dofs."""
    geometry = body.msh.geometry
    labels = np.asarray(geometry.input_global_indices, dtype=np.int64)
    mixed = np.asarray(body._velocity_dofs).ravel()[body.up::body.up + 1]  # z dofs
    block_of = np.full(body.w.x.array.size, -1, dtype=np.int64)
    block_of[mixed] = np.arange(len(mixed))
    node_of = np.full(len(mixed), -1, dtype=np.int64)
    node_of[body._node_to_dof] = np.arange(len(body._node_to_dof))
    node = node_of[block_of[body._obstacle[0]]]
    on = (body._obstacle[1] < body.vy_space.dofmap.index_map.size_local) & body.active
    corners = geometry.x[bottom.nodes[:, :3]][..., :2]
    return labels[bottom.nodes], corners, labels[node[on]], body.contact_reaction[on]


def interface_triangles(domain) -> np.ndarray:
    """(x, y) [m] of the corners of the electrolyte's owned interface triangles (contact and
    void facets of the plane z = 0), shape (m, 3, 2)."""
    msh = domain.mesh
    owned = msh.topology.index_map(2).size_local
    facets = np.concatenate([domain.facets("contact"), domain.facets("void_electrolyte")])
    facets = facets[facets < owned].astype(np.int32)
    return msh.geometry.x[dmesh.entities_to_geometry(msh, 2, facets)][..., :2]


def transferred_pressure_3d(evo) -> np.ndarray:
    """p_k [Pa] at the engine's owned interface nodes from the Li's last step (module
    docstring); ``evo`` a ``coupled_3d.CoupledEvolution3D``."""
    electrolyte = (evo.x[:, :2], evo.weights, interface_triangles(evo.cd.domain))
    return transfer(evo.comm, li_load(evo.body, evo.bottom), electrolyte, evo.size)
