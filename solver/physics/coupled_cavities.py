"""Sub-grid vacancy pores of the coupled interface model (``evolution.vacancy.nucleation:
cavity``; the law in ``solver.physics.cavitation``).

Per interface node k of the electrolyte mesh the pore content h_k ≥ 0 [m] (the engine's
``pores``) grows each step of length Δt by

    Δh_k = Δt s_k (Ω/F) (j_k − j_vac(λ_k, T))₊

with j_k the node's current density on the real contact at the start of the step, s_k its
contact share and λ_k the contact pressure [Pa] that the Li's last step puts on the node (the
stack pressure p before the first Li step). The node's contact share is the geometric one
times max(0, 1 − h_k/h_cover), h_cover = (2/3) r_p (the engine's ``settings.pore_height``).

λ_k is a conservative transfer of the Li's contact reactions (``LithiumBody.reactions``:
R_i [N per m of depth in plane strain, N per radian axisymmetric] at its obstacle dofs i,
the obstacle's force on the Li) onto the electrolyte's interface nodes:

    λ_k = F_k / w_k,    F_k = Σ_{i ∈ A} R_i φ_k(x_i),    w_k = ∫_Γ φ_k r^m ds,

A the Li's active (load-carrying) dofs: a dof that floats in the contact band
(``li_contact_band``) reacts but carries no load and adds nothing; φ_k the electrolyte's P1
hat function of node k along the interface (held at its end value beyond the end nodes),
x_i the dof's abscissa, w_k the node's lumped interface weight (``cd.w_interface``; m = 0
plane strain, 1 axisymmetric, 2π dropped). The hat functions sum to 1 along the
interface, so Σ_k λ_k w_k = Σ_{i ∈ A} R_i = the Li's contact force (p A at equilibrium) to
round-off: the load is conserved. For R_i = ∫ λ ψ_i r^m ds (ψ_i the Li's P2 basis) the
transfer is F_k = ∫ λ I(φ_k) r^m ds, I the Li's P2 interpolant, so on an electrolyte mesh
whose nodes are Li vertices λ_k is the φ_k-weighted mean of λ (exact for uniform λ). The
sums run over all ranks' dofs and nodes gathered in coordinate order, so ``mpirun -n 2``
gives serial's λ. The interface is a line (2D cells); the coupled model refuses the cavity
criterion in 3D cells (``studies.model.COUPLED_REFUSED``).

Li bookkeeping (E5): the Li body still loses (Ω/F) ∫ i A dt at its contact (the stripping
transfer is unchanged); the pores are the condensed part of that loss, held at the interface
below the grid: the Li body's bottom stands for the mean position of the Li/pore layer. The
reported void volume per area includes the mean pore content, which never exceeds the Li
stripped.

Neglected: closure of the sub-grid pores by creep. At r_p ~ 0.5 µm Li is about a hundred
times stronger than in bulk (Xu et al., PNAS 2017: ~100 MPa for micrometre pillars at 25 °C),
so the power-law closure rate, ∝ (p/σ_y)^n with n ≈ 6.6, is below 1e-13 of the bulk rate at
stack pressures ≤ 10 MPa; diffusional and capillary closure are not modelled either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lisse.solver.errors import SolverError
from lisse.solver.physics.cavitation import CavityCriterion

if TYPE_CHECKING:
    from lisse.solver.physics.coupled_interface import CoupledEvolution


def tributary_pressure(nodes: np.ndarray, weights: np.ndarray, points: np.ndarray,
                       reactions: np.ndarray) -> np.ndarray:
    """λ_k = F_k / w_k [Pa] (module docstring) at the interface nodes of abscissae ``nodes``
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


class SubgridPores:
    """The pore growth of a ``CoupledEvolution`` (module docstring)."""

    def __init__(self, criterion: CavityCriterion):
        self.criterion = criterion

    @staticmethod
    def contact_pressure(evo: CoupledEvolution) -> np.ndarray:
        """λ_k [Pa] at the engine's interface nodes (owned): the conservative transfer of
        the last Li step's reactions at its active dofs (module docstring); the stack
        pressure before the first step."""
        body, comm = evo.body, evo.comm
        if body.up != 1:
            raise SolverError("the pore law's contact pressure needs a 2D interface")
        if evo.last is None or body.contact_reaction.size == 0:
            return np.full(len(evo.nodes), evo.settings.stack_pressure)
        space = body.vy_space
        x = space.tabulate_dof_coordinates()[body._obstacle[1], 0]
        on = (body._obstacle[1] < space.dofmap.index_map.size_local) & body.active  # owned
        xs = np.concatenate(comm.allgather(x[on]))
        rs = np.concatenate(comm.allgather(body.contact_reaction[on]))
        order = np.lexsort((rs, xs))
        nodes = np.concatenate(comm.allgather(evo.x[:, 0]))
        weights = np.concatenate(comm.allgather(evo.weights))
        ranked = np.argsort(nodes, kind="stable")
        lam = np.empty(len(nodes))
        lam[ranked] = tributary_pressure(nodes[ranked], weights[ranked], xs[order], rs[order])
        start = sum(comm.allgather(len(evo.nodes))[:comm.rank])
        return lam[start:start + len(evo.nodes)]

    def rate(self, evo: CoupledEvolution, j: np.ndarray) -> np.ndarray:
        """ḣ_k [m/s] at the start of a step with the nodes' current densities j [A/m²]."""
        return self.criterion.growth_rate(
            np.maximum(j, 0.0), evo.contact_share(), self.contact_pressure(evo),
            evo.params.temperature, evo.params.electrode.molar_volume)
