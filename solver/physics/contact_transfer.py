"""The Li's contact load on an electrolyte interface discretisation: the one transfer of the
coupled model (issue 12), used by the pore law's contact pressure
(``coupled_cavities.SubgridPores``) and the elastic electrolyte's load
(``electrolyte_elastic.ElectrolyteCoupling``).

The Li's contact reactions (``LithiumBody.reactions``: R_i [N per m of depth in plane strain,
N per radian axisymmetric] at its obstacle dofs i, the obstacle's force on the Li) are moved
onto the interface nodes k of an electrolyte mesh as

    p_k = F_k / w_k,    F_k = Σ_{i ∈ A} R_i φ_k(x_i),    w_k = ∫_Γ φ_k r^m ds,

A the Li's active (load-carrying) dofs: a dof that floats in the contact band
(``li_contact_band``) reacts but carries no load and adds nothing; φ_k the P1 hat function
of node k along the interface (held at its end value beyond the end nodes), x_i the dof's
abscissa, w_k the node's interface weight (m = 0 plane strain, 1 axisymmetric, 2π dropped).
The hat functions sum to 1 along the interface, so

    Σ_k p_k w_k = Σ_{i ∈ A} R_i = the Li's contact force

to round-off, and the piecewise-linear p = Σ_k p_k φ_k carries it: ∫_Γ p r^m ds = Σ_k p_k w_k.
The weights are positive (a P1 hat has ∫ φ_k r ds > 0 at the axis too, unlike a P2 vertex
function), so every p_k ≥ 0 is defined. For R_i = ∫ λ ψ_i r^m ds (ψ_i the Li's P2 basis, λ
its contact pressure) F_k = ∫ λ I(φ_k) r^m ds, I the Li's P2 interpolant: on an electrolyte
mesh whose nodes are Li vertices p_k is the φ_k-weighted mean of λ (exact for uniform λ).

Rank independence: the reactions and the nodes are gathered from all ranks and summed in
coordinate order, so ``mpirun -n 2`` gives serial's p_k up to the round-off of the assembled
weights. The interface is a line (2D cells): the coupled model refuses the cavity criterion
and the elastic electrolyte in 3D cells (``studies.model.COUPLED_REFUSED``).
"""

from __future__ import annotations

import numpy as np


def tributary_pressure(nodes: np.ndarray, weights: np.ndarray, points: np.ndarray,
                       reactions: np.ndarray) -> np.ndarray:
    """p_k = F_k / w_k [Pa] (module docstring) at the interface nodes of abscissae ``nodes``
    (ascending) [m] and weights w_k ``weights`` [m, or m²/rad], from the reactions R_i
    ``reactions`` [N/m, or N/rad] at the abscissae ``points`` [m]: F_k = Σ_i R_i φ_k(x_i),
    φ_k the hat functions of the nodes (held at the end nodes beyond them; a 2D interface has
    at least two nodes)."""
    force = np.zeros(len(nodes))
    cell = np.clip(np.searchsorted(nodes, points, side="right") - 1, 0, len(nodes) - 2)
    t = np.clip((points - nodes[cell]) / (nodes[cell + 1] - nodes[cell]), 0.0, 1.0)
    np.add.at(force, cell, reactions * (1.0 - t))
    np.add.at(force, cell + 1, reactions * t)
    return force / weights


def li_reactions(body, comm) -> tuple[np.ndarray, np.ndarray]:
    """(abscissae x_i [m], reactions R_i [N/m, or N/rad]) of the Li's last step at its owned
    active obstacle dofs on all ranks, in coordinate order (ties by R); empty before a step.
    ``body``: a 2D ``LithiumBody``."""
    if body.contact_reaction.size == 0:
        return np.zeros(0), np.zeros(0)
    space = body.vy_space
    x = space.tabulate_dof_coordinates()[body._obstacle[1], 0]
    on = (body._obstacle[1] < space.dofmap.index_map.size_local) & body.active  # owned
    xs = np.concatenate(comm.allgather(x[on]))
    rs = np.concatenate(comm.allgather(body.contact_reaction[on]))
    order = np.lexsort((rs, xs))
    return xs[order], rs[order]


def transferred_pressure(body, comm, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """p_k [Pa] at a rank's owned interface nodes of abscissae ``x`` [m] and weights w_k
    ``weights`` [m, or m²/rad] (module docstring) from the Li's last step (``li_reactions``):
    the nodes of all ranks are gathered and the result is returned for this rank's."""
    points, reactions = li_reactions(body, comm)
    nodes = np.concatenate(comm.allgather(np.asarray(x, dtype=float)))
    w = np.concatenate(comm.allgather(np.asarray(weights, dtype=float)))
    ranked = np.argsort(nodes, kind="stable")
    p = np.empty(len(nodes))
    p[ranked] = tributary_pressure(nodes[ranked], w[ranked], points, reactions)
    start = sum(comm.allgather(len(x))[:comm.rank])
    return p[start:start + len(x)]
