"""Vacancy cavitation at the Li contact: the stress-dependent vacancy limit of stripping.

Stripping at a contact injects vacancies into the Li (``solver.physics.vacancy``). They
condense into a pore of radius r_p at the interface once their supersaturation s (excess
over the equilibrium concentration, in units of it) beats the work of opening the pore
against the local compressive normal stress σ_n on the Li and the surface tension γ
(cavity nucleation; ccd-physics.md §5):

    k_B T ln(1 + s) = (σ_n + 2γ/r_p) Ω_at,   Ω_at = Ω/N_A

so the critical supersaturation is

    s(σ_n) = exp[(σ_n + 2γ/r_p) Ω/(R T)] − 1                                    [-]

(Ω the Li molar volume [m³/mol], R T/Ω = k_B T/Ω_at). Steady vacancy diffusion over the
distance ℓ_eff to the sinks carries at most (``VacancySupply.limit`` with this s)

    j_vac(σ_n, T) = F D_eff(T) s(σ_n) / (f Ω ℓ_eff)                             [A/m²]

(f the bcc correlation factor, D_eff the Arrhenius tracer diffusivity with Hart's grain
boundary share). With (σ_n + 2γ/r_p) Ω ≪ R T (0.005 per MPa at 25 °C) it is linear in the
stress, j_vac ≈ F D_eff (σ_n + 2γ/r_p)/(f R T ℓ_eff): pressure at the contact raises the
limit, temperature through D_eff/T.

Stripping faster than j_vac condenses the excess at the contact into sub-grid pores: the
pore content h ≥ 0 (pore volume per interface area [m]) grows at

    ḣ = s_c (Ω/F) (j − j_vac(σ_n))₊          where h = 0 (nucleation)           [m/s]

(j the current density on the real contact [A/m²], s_c the contact share of the node, so
that s_c j is per interface area). Once pores exist they pin the vacancy concentration at
the interface at their equilibrium value, the one that defines j_vac, so the vacancy
balance is two-sided there (pore healing; ``coupled_cavities``):

    ḣ = s_c (Ω/F) (j − j_vac(σ_n))           where h > 0 (both signs)           [m/s]

and the pores close at rest (j = 0) and faster while plating (j < 0). A layer of
hemispherical pores of radius r_p covering the whole contact holds h_cover = (2/3) r_p; the
pores cover the share h/h_cover of it, so the node's contact share is the geometric one times
u = max(0, 1 − h/h_cover).

Which stress the sinks see (``evolution.vacancy.contact_stress``). ``nominal`` (default): σ_n
is the node's contact pressure λ, pores or not, and the sinks of the share u take
u j_vac(λ). ``real``: the pores carry no load, so the pore-free share u carries the node's
whole load at the stress

    σ_c = min(λ/u, σ_y(2 r_p))                                                    [Pa]

capped by the strength of Li at the pores' size (the micropillar size effect,
σ_y(D) = σ_1 (D/D_1)^(−k), Xu et al. 2017; above it the Li between the pores yields into
them, which is not modelled), and the sinks take up U(u) = u j_vac(σ_c) per unit of the
node's contact band. With j_vac linear in the stress, U ≈ a(λ + 2γ u/r_p) (a = F D_eff/(f R T
ℓ_eff)): the load term no longer falls as the pores spread, only the capillary one does;
the exponential of j_vac makes U convex in u and rising again at small u (λ Ω/(R T u) ≳ 1),
so high pressures can hold a partly covered contact. The onset (u = 1) is the same for both.

The measured initial state (``evolution.vacancy.initial_contact_fraction`` u₀, the contact
fraction after assembly at the stack pressure): the gaps the assembly left are taken as
sub-grid pores, h = (1 − u₀) h_cover at every node at the start, which heal at rest and grow
above U(u₀) by the same law. It needs the real contact stress (with the nominal one the
assembled contact's onset would be u₀ j_vac(λ), as if the gaps carried load).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lisse.solver.physics.vacancy import BCC_CORRELATION_FACTOR, VacancySupply
from lisse.units import FARADAY, GAS_CONSTANT

COVER_SHAPE = 2.0 / 3.0  # h_cover / r_p: volume per area of a closed layer of hemispheres


@dataclass(frozen=True)
class CavityCriterion:
    """The cavity nucleation criterion (module docstring), SI.

    supply: the vacancy route (D*(T), ℓ_eff, grain boundaries); its critical_supersaturation
        is not used (s comes from the stress).
    pore_radius: r_p [m]; surface_energy: γ of Li [J/m²].
    strength: σ_y(2 r_p) [Pa], the cap of the stress on the pore-free contact; real_contact:
        True if the pore-free share carries the node's load (``contact_stress: real``).
    initial_contact: u₀, the pore-free share of every node at the start (the measured
        contact fraction after assembly, ``initial_contact_fraction``): pores h = (1 − u₀)
        h_cover.
    """

    supply: VacancySupply
    pore_radius: float
    surface_energy: float
    strength: float = math.inf
    real_contact: bool = False
    initial_contact: float = 1.0

    def __post_init__(self):
        if self.real_contact and not math.isfinite(self.strength):
            raise ValueError("the real-contact stress needs a finite strength σ_y(2 r_p)")

    @property
    def capillary_pressure(self) -> float:
        """2γ/r_p [Pa]."""
        return 2 * self.surface_energy / self.pore_radius

    @property
    def initial_pores(self) -> float:
        """h₀ = (1 − u₀) h_cover [m]: the pore content of every node at the start."""
        return (1 - self.initial_contact) * self.cover_height

    @property
    def cover_height(self) -> float:
        """h_cover = (2/3) r_p [m]: the pore content that covers a node's contact."""
        return COVER_SHAPE * self.pore_radius

    def supersaturation(self, stress, temperature: float, molar_volume: float):
        """s(σ_n) = exp[(σ_n + 2γ/r_p) Ω/(R T)] − 1 [-] for the compressive normal stress
        σ_n [Pa] (array or float), T [K], Ω [m³/mol]."""
        work = (np.asarray(stress, dtype=float) + self.capillary_pressure) * molar_volume
        return np.expm1(work / (GAS_CONSTANT * temperature))

    def limit(self, stress, temperature: float, molar_volume: float):
        """j_vac(σ_n, T) = F D_eff(T) s(σ_n)/(f Ω ℓ_eff) [A/m²]."""
        return (FARADAY * self.supply.diffusivity(temperature)
                * self.supersaturation(stress, temperature, molar_volume)
                / (BCC_CORRELATION_FACTOR * molar_volume * self.supply.diffusion_length))

    def contact_stress(self, stress, free):
        """σ_c [Pa] on the pore-free share u = ``free`` of a node with contact pressure λ =
        ``stress``: λ (nominal), min(λ/u, σ_y(2 r_p)) (real; the cap where u = 0)."""
        stress, free = np.broadcast_arrays(np.asarray(stress, dtype=float),
                                           np.asarray(free, dtype=float))
        if not self.real_contact:
            return stress.copy()
        return np.where(free > 0, np.minimum(stress / np.where(free > 0, free, 1.0),
                                             self.strength), self.strength)

    def uptake(self, stress, free, temperature: float, molar_volume: float):
        """U(u) = u j_vac(σ_c) [A/m²]: the sinks' uptake per unit of the node's contact band
        (module docstring), u = ``free``."""
        sigma = self.contact_stress(stress, free)
        return np.asarray(free) * self.limit(sigma, temperature, molar_volume)

    def uptake_slope(self, stress, free, temperature: float, molar_volume: float):
        """dU/du [A/m²]: j_vac(λ) (nominal); j_vac(σ_c) − σ_c j_vac'(σ_c) where
        σ_c = λ/u < σ_y, j_vac(σ_y) where capped (real), with
        j_vac'(σ) = (j_vac(σ) + F D_eff/(f Ω ℓ_eff)) Ω/(R T)."""
        sigma = self.contact_stress(stress, free)
        jv = self.limit(sigma, temperature, molar_volume)
        if not self.real_contact:
            return jv
        scale = (FARADAY * self.supply.diffusivity(temperature)
                 / (BCC_CORRELATION_FACTOR * molar_volume * self.supply.diffusion_length))
        slope = (jv + scale) * molar_volume / (GAS_CONSTANT * temperature)
        return jv - np.where(sigma < self.strength, sigma * slope, 0.0)

    def growth_rate(self, current_density: np.ndarray, band: np.ndarray, stress: np.ndarray,
                    temperature: float, molar_volume: float, pores: np.ndarray) -> np.ndarray:
        """ḣ [m/s] per node: b (Ω/F)(u j − U(u)), u = max(0, 1 − h/h_cover), where the pore
        content h [m] is > 0 (either sign: growth or healing), its positive part where h = 0
        (nucleation); j [A/m²] on the real contact, b the contact band's share [-] (s_c = b u
        the contact share), λ = ``stress`` [Pa]; with nominal stress this is
        s_c (Ω/F)(j − j_vac(λ))."""
        free = np.clip(1 - np.asarray(pores) / self.cover_height, 0.0, 1.0)
        excess = free * np.asarray(current_density) - self.uptake(
            stress, free, temperature, molar_volume)
        excess = np.where(np.asarray(pores) > 0, excess, np.maximum(excess, 0.0))
        return band * molar_volume / FARADAY * excess
