"""Sub-grid vacancy pores of the coupled interface model (``evolution.vacancy.nucleation:
cavity``; the law in ``solver.physics.cavitation``).

Per interface node k of the electrolyte mesh the pore content h_k ≥ 0 [m] (the engine's
``pores``) grows each step of length Δt by

    Δh_k = Δt s_k (Ω/F) (j_k − j_vac(λ_k, T))₊

with j_k the node's current density on the real contact at the start of the step, s_k its
contact share and λ_k the contact pressure [Pa] that the Li's last step puts on the node (the
stack pressure p before the first Li step). The node's contact share is the geometric one
times max(0, 1 − h_k/h_cover), h_cover = (2/3) r_p (the engine's ``settings.pore_height``).

λ_k is the conservative transfer of the Li's contact reactions onto the engine's interface
nodes (``contact_transfer``, shared with the elastic electrolyte's load):

    λ_k = F_k / w_k,    F_k = ∫ λ_h φ_k r^m dx,    λ_h = Σ_v (R_v / W_v) χ_v,
    R_v = Σ_{i ∈ A} R_i χ_v(x_i),

R_i the Li's reactions at its active (load-carrying) obstacle dofs A (a dof floating in the
contact band adds nothing), χ_v the P1 hat of Li bottom vertex v (W_v = ∫ χ_v r^m dx), φ_k
the P1 hat of node k along the interface, w_k the node's lumped interface weight
(``cd.w_interface``): Σ_k λ_k w_k = the Li's contact force to round-off, a uniform contact
pressure comes out uniform on any electrolyte mesh, and ``mpirun -n 2`` gives serial's λ.
In 3D cells the interface is the plane z = 0 and the same transfer runs on triangles
(``contact_transfer_3d``: exact supermesh mortar integral).

Step bound (porestep, issue 13). The update above is explicit Euler in h. On a flat contact
(s_k j_k = i at every node) the law is the linear ODE ḣ = (Ω/F)(i − (1 − h/h_cover) j_vac),
whose growing part runs away at the rate κ = ∂ḣ/∂h = (Ω/F) j_vac/h_cover [1/s]; Euler
multiplies it by 1 + κΔt per step instead of exp(κΔt), so the time to a given h comes out late
by the relative error κΔt/2 (leading order). Where the current redistributes, s_k j_k falls as
h_k grows and κ is smaller, so κ bounds the rate. The engine therefore takes

    Δt ≤ PORE_STEP / max_k κ_k,   κ_k = (Ω/F) j_vac(λ_k)/h_cover   over the growing nodes,

from the step-start state, i.e. the vacancy flux j_vac of a growing node fills at most
PORE_STEP h_cover per step: loss times late by ≈ PORE_STEP/2 = 1 % (and a loss is recorded
at the end of its step, up to Δt = PORE_STEP/κ later: 2.6 % of the flat 0.3 MPa loss
times). A bound on Δh_k itself, e.g. by ``max_gap_increment``, does not control this error:
Δh_k ∝ (j_k − j_vac) is small while κΔt is not.

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

import math
from typing import TYPE_CHECKING

import numpy as np

from lisse.solver.physics.cavitation import CavityCriterion
from lisse.solver.physics.contact_transfer import transferred_pressure
from lisse.solver.physics.contact_transfer_3d import transferred_pressure_3d
from lisse.units import FARADAY

if TYPE_CHECKING:
    from lisse.solver.physics.coupled_interface import CoupledEvolution


PORE_STEP = 0.02  # largest κΔt of a step: the explicit pore update late by ≈ 1 %


class SubgridPores:
    """The pore growth of a ``CoupledEvolution`` (module docstring)."""

    def __init__(self, criterion: CavityCriterion):
        self.criterion = criterion

    @staticmethod
    def contact_pressure(evo: CoupledEvolution) -> np.ndarray:
        """λ_k [Pa] at the engine's interface nodes (owned): the conservative transfer of
        the last Li step's reactions at its active dofs (module docstring); the stack
        pressure before the first step."""
        if evo.last is None or evo.comm.allreduce(evo.body.contact_reaction.size) == 0:
            return np.full(len(evo.nodes), evo.settings.stack_pressure)  # same on every rank
        if evo.body.up == 2:  # 3D cells: the plane's transfer (contact_transfer_3d)
            return transferred_pressure_3d(evo)
        return transferred_pressure(evo.body, evo.comm, evo.x[:, 0], evo.weights)

    def rate(self, evo: CoupledEvolution, j: np.ndarray) -> tuple[np.ndarray, float]:
        """ḣ_k [m/s] at the start of a step with the nodes' current densities j [A/m²], and
        the step bound PORE_STEP / max κ_k [s] over the growing nodes (inf if none grows;
        module docstring)."""
        lam, temperature = self.contact_pressure(evo), evo.params.temperature
        omega = evo.params.electrode.molar_volume
        growth = self.criterion.growth_rate(np.maximum(j, 0.0), evo.contact_share(), lam,
                                            temperature, omega)
        kappa = omega / FARADAY * self.criterion.limit(lam, temperature, omega) / (
            evo.settings.pore_height)
        fastest = evo._max(np.where(growth > 0, kappa, 0.0))
        return growth, (PORE_STEP / fastest if fastest > 0 else math.inf)
