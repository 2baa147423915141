"""Sub-grid vacancy pores of the coupled interface model (``evolution.vacancy.nucleation:
cavity``; the law in ``solver.physics.cavitation``).

Per interface node k of the electrolyte mesh the pore content h_k ≥ 0 [m] (the engine's
``pores``) changes at

    ḣ_k = (Ω/F) (I_k − s_k j_vac(λ_k, T))    where h_k > 0 (growth or healing),
    ḣ_k = (Ω/F) (I_k − s_k j_vac(λ_k, T))₊   where h_k = 0 (nucleation),
    s_k = b_k max(0, 1 − h_k/h_cover),   I_k = s_k j_k,

with j_k the node's current density on the real contact (< 0 plating, 0 at rest), I_k the
nominal current per interface area, s_k its contact share (b_k the
share without pores: the contact band's s(g_k) of ``li_contact_band``, 0 off the contact),
h_cover = (2/3) r_p (the engine's ``settings.pore_height``) and λ_k the contact pressure
[Pa] that the Li's last step puts on the node (before the first Li step the stack load
on the contact's area A_c, p A/A_c: the force balance's mean, p on a flat cell).

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

The step: exact in h (poreexp, issue 13). A step of length Δt holds what the step-start
solves fix: λ_k, b_k and the node's nominal current I_k = s_k j_k [A/m² of interface], the
current the distribution sends through the node (on a flat contact I_k = i at every node
whatever the pores: the pores shrink s_k, the current density j_k = I_k/s_k on what is left
rises). With I_k fixed the law is linear in h_k:

    ḣ_k = (Ω/F)(I_k − s_k(h_k) j_vac) = ḣ_k⁰ + κ_k (h_k − h_k⁰),
    κ_k = (Ω/F) j_vac b_k/h_cover = (Ω/F) j_vac s_k⁰/(h_cover − h_k⁰)   [1/s],

(ḣ_k⁰, s_k⁰, h_k⁰ at the step start), and the step integrates it exactly:

    h_k(Δt) = h_k⁰ + ḣ_k⁰ (e^{κ_k Δt} − 1)/κ_k,    i.e. h e^{κΔt} + (A/κ)(e^{κΔt} − 1),
    A = (Ω/F)(I_k − b_k j_vac),

stopped at h_cover, where the node is covered (s_k = 0: no contact, no current, no change;
a fixed point of the ODE, so a covered node does not heal), and at 0. The solution is
monotone (κ_k > 0: ḣ_k moves away from 0 as h_k moves with it): a node that grows at the step
start keeps growing (j_k rises as s_k falls), one that heals keeps healing until h_k = 0,
where I_k < b_k j_vac holds, so the nucleation clip keeps it at 0; a node at h_k = 0 with
I_k ≤ b_k j_vac (or off the contact) stays. Both stops are therefore exact. Holding j_k
instead (the explicit Euler step Δh = ḣ⁰Δt of before) makes the cover late by κΔt/2
relative (leading order), which forced Δt ≤ 0.02/κ (porestep). The step is node-wise: serial
and ``mpirun`` give the same h.

What the step does not integrate is the redistribution of current between nodes as their
shares change (and λ_k, b_k with the Li). The step bound controls that by the change of the
pores per step, |Δh_k| ≤ PORE_STEP · h_cover at every growing or healing node (so
|Δs_k| ≤ PORE_STEP), from the exact solution (|h_k(Δt) − h_k⁰| = |ḣ_k⁰|(e^{κΔt} − 1)/κ in
both directions):

    Δt ≤ (δ h_cover/|ḣ_k⁰|) ln(1 + x_k)/x_k,    x_k = δ h_cover κ_k/|ḣ_k⁰|,   δ = PORE_STEP.

Healing (poreheal, issue 13). j_vac(λ, T) is the vacancy flux the sinks take (diffusion over
ℓ_eff) when the vacancy concentration at the interface is pinned at the pores' equilibrium
value, k_B T ln(c/c_0) = (λ + 2γ/r_p) Ω_at (``cavitation``; ccd-physics.md §5). Where pores
exist (h_k > 0) they are that pinning source or sink: vacancies beyond the sinks' uptake
condense into them, and when the injection falls below the uptake the pores emit vacancies
to keep c pinned. The balance is then two-sided, net pore growth = injection − sink uptake,
the same ODE in either direction: at rest (I_k = 0) the pores heal at
ḣ_k = −(Ω/F) s_k j_vac, and from h⁰ close (u = 1 − h/h_cover: u̇ = κ u) after

    t_close = ln(h_cover/(h_cover − h⁰))/κ,    κ = (Ω/F) j_vac b_k/h_cover;

plating (I_k < 0) consumes vacancies at the interface and heals faster. Where h_k = 0
nothing pins c above equilibrium and pores nucleate only if I_k > s_k j_vac (the threshold
of before). The driving force is the pressure λ_k and capillarity 2γ/r_p already in j_vac:
no new parameter.

Real contact stress (``contact_stress: real``, ``cavitation``): the sinks take up U(u_k)
= u_k j_vac(min(λ_k/u_k, σ_y)) per unit of band, nonlinear in h_k. The same step holds U's
slope at the step start, κ_k = (Ω/F) b_k U'(u_k⁰)/h_cover (exponential Euler with the exact
slope: exact for the nominal law, where U' = j_vac(λ_k), third order per step here); κ_k < 0
where U rises as u falls (small u), and the node then relaxes towards the linearized root
(``_log1p_ratio`` gives no bound when it cannot move δ h_cover). Its error grows as 1/u³, so
the bound is |Δh_k| ≤ PORE_STEP u_k⁰ h_cover for this law (tests/unit/test_coupled_cavities.py:
≤ 7.7e-4 h_cover at 10 MPa, each halving of Δt dividing it by ≥ 6).

PORE_STEP was chosen by measurement (docs/ccd_validation.md, "The pore step exact").

Li bookkeeping (E5): the Li body still loses (Ω/F) ∫ i A dt at its contact (the stripping
transfer is unchanged); the pores are the condensed part of that loss, held at the interface
below the grid: the Li body's bottom stands for the mean position of the Li/pore layer. The
pores are not part of the body's volume, so healing leaves E5 unchanged: the vacancies the
pores emit go to the sinks, which the body's loss already holds. The reported void volume
per area (``void_volume_per_area``) includes the mean pore content, which never exceeds the
Li stripped so far (ḣ_k ≤ (Ω/F) I_k whenever h_k changes: plating heals at least as fast as
it returns Li); the Li body's own void volume (``li_void_volume``) does not.

Neglected: closure of the sub-grid pores by creep. At r_p ~ 0.5 µm Li is about a hundred
times stronger than in bulk (Xu et al., PNAS 2017: ~100 MPa for micrometre pillars at 25 °C),
so the power-law closure rate, ∝ (p/σ_y)^n with n ≈ 6.6, is below 1e-13 of the bulk rate at
stack pressures ≤ 10 MPa. Diffusional and capillary closure are modelled (healing, above)
with these simplifications: the pore radius stays r_p in 2γ/r (a healing layer loses pores
rather than shrinking them; shrinking pores would raise 2γ/r and heal faster), the emission
of vacancies at the pore surface is taken as fast (no interface-reaction limit: diffusion to
the sinks sets the rate), the sink uptake is s_k j_vac (the growth law's term), so a fully
covered node (s_k = 0) does not heal, and pores under a node out of contact (b_k = 0) stay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from lisse.solver.physics.cavitation import CavityCriterion
from lisse.solver.physics.contact_transfer import transferred_pressure
from lisse.solver.physics.contact_transfer_3d import transferred_pressure_3d
from lisse.units import FARADAY

if TYPE_CHECKING:
    from lisse.solver.physics.coupled_interface import CoupledEvolution


PORE_STEP = 0.1  # largest Δh_k/h_cover of a step: bounds the current's redistribution


def _expm1_ratio(x: np.ndarray) -> np.ndarray:
    """(e^x − 1)/x, 1 at x = 0."""
    safe = np.where(x != 0, x, 1.0)
    return np.where(x != 0, np.expm1(safe) / safe, 1.0)


def _log1p_ratio(x: np.ndarray) -> np.ndarray:
    """ln(1 + x)/x, 1 at x = 0; inf for x ≤ −1 (a decaying node never moves that far)."""
    safe = np.where((x > -1) & (x != 0), x, 1.0)
    return np.where(x > -1, np.where(x != 0, np.log1p(safe) / safe, 1.0), np.inf)


class SubgridPores:
    """The pore growth and healing of a ``CoupledEvolution`` (module docstring)."""

    def __init__(self, criterion: CavityCriterion):
        self.criterion = criterion

    @staticmethod
    def contact_pressure(evo: CoupledEvolution) -> np.ndarray:
        """λ_k [Pa] at the engine's interface nodes (owned): the conservative transfer of
        the last Li step's reactions at its active dofs (module docstring); before the
        first step the stack load on the contact area, p A/A_c (uniform: its mean)."""
        if evo.last is None or evo.comm.allreduce(evo.body.contact_reaction.size) == 0:
            load = evo.settings.stack_pressure * evo.area / evo.contact_area()
            return np.full(len(evo.nodes), load)  # same on every rank
        if evo.body.up == 2:  # 3D cells: the plane's transfer (contact_transfer_3d)
            return transferred_pressure_3d(evo)
        return transferred_pressure(evo.body, evo.comm, evo.x[:, 0], evo.weights)

    def step(self, evo: CoupledEvolution, j: np.ndarray
             ) -> tuple[Callable[[float], np.ndarray], float]:
        """The step from the start state with the nodes' current densities j [A/m²] (< 0
        plating, 0 at rest): the pores after a step of Δt [s], h_k(Δt) (exact with
        I_k = s_k j_k fixed, stopped at 0 and h_cover), and the step bound [s]
        (|Δh_k| ≤ PORE_STEP h_cover; inf if no node grows or heals; module docstring)."""
        lam, temperature = self.contact_pressure(evo), evo.params.temperature
        omega, cover = evo.params.electrode.molar_volume, evo.settings.pore_height
        share, start = evo.contact_share(), evo.pores.copy()
        free = np.clip(1 - start / cover, 0.0, 1.0)  # u_k
        band = np.where(free > 0, share / np.where(free > 0, free, 1.0), 0.0)  # b_k
        law = self.criterion
        rate = law.growth_rate(j, band, lam, temperature, omega, start)
        moving = rate != 0  # then s_k > 0, h_k < h_cover
        kappa = np.where(moving, omega / FARADAY * band / cover * law.uptake_slope(
            lam, free, temperature, omega), 0.0)

        def pores(dt: float) -> np.ndarray:
            moved = start + rate * dt * _expm1_ratio(kappa * dt)
            return np.where(moving, np.clip(moved, 0.0, cover), start)

        # Δt for δ h_cover at ḣ⁰ (real contact stress: δ u_k h_cover, the linearized U's
        # error grows as 1/u³ at small u)
        change = PORE_STEP * cover * (free if law.real_contact else 1.0)
        fill = change / np.where(moving, np.abs(rate), 1.0)
        bound = evo._min(np.where(moving, fill * _log1p_ratio(kappa * fill), np.inf))
        return pores, bound
