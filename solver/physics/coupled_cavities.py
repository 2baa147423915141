"""Sub-grid vacancy pores of the coupled interface model (``evolution.vacancy.nucleation:
cavity``; the law in ``solver.physics.cavitation``).

Per interface node k of the electrolyte mesh the pore content h_k ≥ 0 [m] (the engine's
``pores``) grows each step of length Δt by

    Δh_k = Δt s_k (Ω/F) (j_k − j_vac(λ_k, T))₊

with j_k the node's current density on the real contact at the start of the step, s_k its
contact share and λ_k the Li's nodal contact pressure of the previous Li step [Pa]
(``LithiumBody.contact_pressure``: the load the contact carries, p/contact fraction on
average), interpolated along the interface from the Li's active contact dofs (the stack
pressure p before the first Li step). The node's contact share is the geometric one times
max(0, 1 − h_k/h_cover), h_cover = (2/3) r_p (the engine's ``settings.pore_height``).

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

from lisse.solver.physics.cavitation import CavityCriterion

if TYPE_CHECKING:
    from lisse.solver.physics.coupled_interface import CoupledEvolution


class SubgridPores:
    """The pore growth of a ``CoupledEvolution`` (module docstring)."""

    def __init__(self, criterion: CavityCriterion):
        self.criterion = criterion

    @staticmethod
    def contact_pressure(evo: CoupledEvolution) -> np.ndarray:
        """λ_k [Pa] at the engine's interface nodes: the Li's nodal contact pressure of the
        last Li step at its active contact dofs (owned, finite), interpolated along the
        interface; the stack pressure before the first step."""
        body = evo.body
        if evo.last is None or body.contact_pressure.size == 0:
            return np.full(len(evo.nodes), evo.settings.stack_pressure)
        space = body.vy_space
        x = space.tabulate_dof_coordinates()[body._obstacle[1], 0]
        owned = body._obstacle[1] < space.dofmap.index_map.size_local
        lam = body.contact_pressure
        on = owned & body.active & np.isfinite(lam)
        xs = np.concatenate(evo.comm.allgather(x[on]))
        ls = np.concatenate(evo.comm.allgather(lam[on]))
        if xs.size == 0:
            return np.full(len(evo.nodes), evo.settings.stack_pressure)
        order = np.argsort(xs, kind="stable")
        return np.interp(evo.x[:, 0], xs[order], ls[order])

    def rate(self, evo: CoupledEvolution, j: np.ndarray) -> np.ndarray:
        """ḣ_k [m/s] at the start of a step with the nodes' current densities j [A/m²]."""
        return self.criterion.growth_rate(
            np.maximum(j, 0.0), evo.contact_share(), self.contact_pressure(evo),
            evo.params.temperature, evo.params.electrode.molar_volume)
