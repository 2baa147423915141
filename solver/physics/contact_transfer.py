"""The Li's contact load on an electrolyte interface discretisation: the one transfer of the
coupled model (issue 12), used by the pore law's contact pressure
(``coupled_cavities.SubgridPores``) and the elastic electrolyte's load
(``electrolyte_elastic.ElectrolyteCoupling``).

The Li's contact reactions (``LithiumBody.reactions``: R_i [N per m of depth in plane strain,
N per radian axisymmetric] at its obstacle dofs i, the obstacle's force on the Li) are moved
onto the interface nodes k of an electrolyte mesh in two conservative steps along the
abscissa x (r^m: m = 0 plane strain, 1 axisymmetric, 2π dropped):

1. onto the Li's own bottom vertices v (abscissae x_v): R_v = Σ_{i ∈ A} R_i χ_v(x_i), χ_v
   the P1 hat of vertex v, and the vertex density λ_v = R_v / W_v, W_v = ∫ χ_v r^m dx;
2. onto the electrolyte nodes by the mortar integral of that density:

    p_k = F_k / w_k,    F_k = ∫ λ_h φ_k r^m dx,    λ_h = Σ_v λ_v χ_v,    w_k = ∫_Γ φ_k r^m ds,

A the Li's active (load-carrying) dofs: a dof that floats in the contact band
(``li_contact_band``) reacts but carries no load and adds nothing; φ_k the P1 hat of
electrolyte node k (held at its end value beyond the end nodes), w_k its interface weight.
The hats sum to 1, so Σ_k p_k w_k = ∫ λ_h r^m dx = Σ_v R_v = Σ_{i ∈ A} R_i, the Li's contact
force, to round-off (the integrals are exact: 2-point Gauss on the merged breakpoints), and
the piecewise-linear p = Σ_k p_k φ_k carries it: ∫_Γ p r^m ds = Σ_k p_k w_k. The transfer is
also consistent: for R_i = ∫ λ ψ_i r^m ds on a flat contact (ψ_i the Li's P2 basis) with
mid-edge nodes at the edge centres, step 1 gives R_v = ∫ λ χ_v r^m dx (χ_v = ψ_v + ½ Σ ψ_mid:
the P2 form of the hat), so a uniform λ comes out as p_k = λ on any electrolyte mesh over
the same span (measured on the TINY cell after its void closed, the Li's mid-edge nodes moved:
σ_1 of the elastic electrolyte = −νp/(1−ν) to 1.5e-11). The single hat step
p_k = Σ_i R_i φ_k(x_i)/w_k used before is conservative but not consistent where the Li's
vertices are not electrolyte nodes: the uniform 2 MPa contact of a closed void came out as
0.984–1.053 p under the former void (TINY, 4 µm interface). Every weight is positive (a hat
has ∫ χ r dx > 0 at the axis too, unlike a P2 vertex function), so every p_k ≥ 0 is defined.

Rank independence: the reactions, the Li vertices and the electrolyte nodes are gathered
from all ranks and summed in coordinate order, so ``mpirun -n 2`` gives serial's p_k up to the
round-off of the assembled weights w_k. The interface is a line (2D cells); in 3D cells the
pore law and the elastic electrolyte take the same transfer on triangles
(``contact_transfer_3d``).
"""

from __future__ import annotations

import numpy as np


def hat_forces(nodes: np.ndarray, points: np.ndarray, reactions: np.ndarray) -> np.ndarray:
    """F_k = Σ_i R_i φ_k(x_i) [N/m, or N/rad] at the nodes of abscissae ``nodes`` (ascending,
    distinct; at least two) [m] from the reactions R_i ``reactions`` at the abscissae
    ``points`` [m], φ_k the hat functions of the nodes (held at the end nodes beyond them)."""
    force = np.zeros(len(nodes))
    cell = np.clip(np.searchsorted(nodes, points, side="right") - 1, 0, len(nodes) - 2)
    t = np.clip((points - nodes[cell]) / (nodes[cell + 1] - nodes[cell]), 0.0, 1.0)
    np.add.at(force, cell, reactions * (1.0 - t))
    np.add.at(force, cell + 1, reactions * t)
    return force


def hat_weights(nodes: np.ndarray, m: int) -> np.ndarray:
    """W_v = ∫ χ_v x^m dx [m, or m²] over [nodes[0], nodes[-1]] of the hats of ``nodes``
    (ascending, distinct) [m]; m = 0 or 1: per element [a, b] of length h the ends get
    h/2 (m = 0), h (2a + b)/6 and h (a + 2b)/6 (m = 1)."""
    a, b = nodes[:-1], nodes[1:]
    h = b - a
    left, right = (h / 2, h / 2) if m == 0 else (h * (2 * a + b) / 6, h * (a + 2 * b) / 6)
    weights = np.zeros(len(nodes))
    weights[:-1] += left
    weights[1:] += right
    return weights


def mortar_forces(vertices: np.ndarray, density: np.ndarray, nodes: np.ndarray,
                  m: int) -> np.ndarray:
    """F_k = ∫ λ_h φ_k x^m dx [N/m, or N/rad] over [vertices[0], vertices[-1]]: λ_h the
    piecewise-linear density of values ``density`` [Pa] at ``vertices`` (ascending,
    distinct) [m], φ_k the hats of ``nodes`` (ascending, distinct; held at the end nodes
    beyond them) [m]. Exact: 2-point Gauss (degree 3) on each interval between the merged
    breakpoints."""
    cuts = np.union1d(vertices, nodes[(nodes > vertices[0]) & (nodes < vertices[-1])])
    mid, half = 0.5 * (cuts[1:] + cuts[:-1]), 0.5 * (cuts[1:] - cuts[:-1])
    points = np.concatenate([mid - half / np.sqrt(3), mid + half / np.sqrt(3)])
    weights = np.concatenate([half, half]) * points**m
    return hat_forces(nodes, points, weights * np.interp(points, vertices, density))


def tributary_pressure(nodes: np.ndarray, weights: np.ndarray, vertices: np.ndarray,
                       points: np.ndarray, reactions: np.ndarray, m: int) -> np.ndarray:
    """p_k = F_k / w_k [Pa] (module docstring) at the electrolyte nodes of abscissae ``nodes``
    (ascending) [m] with weights w_k ``weights`` [m, or m²/rad], from the reactions R_i
    ``reactions`` [N/m, or N/rad] at the abscissae ``points`` [m] through the Li vertices
    ``vertices`` (ascending, distinct) [m]; m = 0 plane strain, 1 axisymmetric."""
    density = hat_forces(vertices, points, reactions) / hat_weights(vertices, m)
    return mortar_forces(vertices, density, nodes, m) / weights


def li_reactions(body, comm) -> tuple[np.ndarray, np.ndarray]:
    """(abscissae x_i [m], reactions R_i [N/m, or N/rad]) of the Li's last step at its owned
    active obstacle dofs on all ranks, in coordinate order (ties by R); empty before a step.
    ``body``: a 2D ``LithiumBody``."""
    if comm.allreduce(body.contact_reaction.size) == 0:  # collective: a rank may hold none
        return np.zeros(0), np.zeros(0)
    space = body.vy_space
    x = space.tabulate_dof_coordinates()[body._obstacle[1], 0]
    on = (body._obstacle[1] < space.dofmap.index_map.size_local) & body.active  # owned
    xs = np.concatenate(comm.allgather(x[on]))
    rs = np.concatenate(comm.allgather(body.contact_reaction[on]))
    order = np.lexsort((rs, xs))
    return xs[order], rs[order]


def li_vertices(body, comm) -> np.ndarray:
    """The abscissae x_v [m] of the Li's bottom (obstacle) vertices on all ranks, ascending
    and distinct (vertices above one another, as on a void's wall, are one)."""
    geometry = body.msh.geometry
    corners = np.unique(geometry.dofmaps[0][:, :body.up + 1])  # vertex nodes (P2 geometry)
    nodes = np.intersect1d(body._surface_nodes, corners)
    x = geometry.x[nodes[nodes < geometry.index_map().size_local], 0]
    return np.unique(np.concatenate(comm.allgather(x)))


def transferred_pressure(body, comm, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """p_k [Pa] at a rank's owned interface nodes of abscissae ``x`` [m] and weights w_k
    ``weights`` [m, or m²/rad] (module docstring) from the Li's last step (``li_reactions``;
    0 without reactions): the nodes of all ranks are gathered and the result is returned for
    this rank's."""
    points, reactions = li_reactions(body, comm)
    nodes = np.concatenate(comm.allgather(np.asarray(x, dtype=float)))
    w = np.concatenate(comm.allgather(np.asarray(weights, dtype=float)))
    ranked = np.argsort(nodes, kind="stable")
    p = np.zeros(len(nodes))
    if points.size:
        p[ranked] = tributary_pressure(nodes[ranked], w[ranked], li_vertices(body, comm),
                                       points, reactions, int(body.axisymmetric))
    start = sum(comm.allgather(len(x))[:comm.rank])
    return p[start:start + len(x)]
