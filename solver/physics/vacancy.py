"""Li resupply by vacancy diffusion away from the stripping interface (quasi-steady).

Every Li atom stripped at the interface leaves a vacancy in the Li (Krauskopf et al., ACS
Appl. Mater. Interfaces 2019). The vacancies diffuse into the Li and are annihilated at
sinks (grain boundaries, dislocations, the current collector) a distance ℓ away; the
interface stays intact while the vacancy excess there stays below a critical
supersaturation, and voids nucleate where it does not.

Steady 1D diffusion normal to the interface, with the injection flux j/F at the interface
and the sink at ℓ, gives the interfacial excess c(0) = j ℓ / (F D_v). Writing the vacancy
diffusivity through the tracer self-diffusivity, D* = f x_v D_v (correlation factor f,
equilibrium vacancy site fraction x_v), and the critical excess as a multiple s of the
equilibrium vacancy concentration x_v/Ω, the largest current density vacancy diffusion can
carry is

    j_vac = F D_v (s x_v / Ω) / ℓ = F D* s / (f Ω ℓ)                        [A/m²]

(x_v cancels). The diffusion time ℓ²/D_v is far below a second for micrometre ℓ, so the
profile is quasi-steady on the time scale of stripping. Stripping faster than j_vac
condenses the excess vacancies at the interface: the Li surface there recedes at
(Ω/F)(j − j_vac). Fast grain-boundary diffusion enters through Hart's effective
diffusivity D_eff = D* [1 + (3δ/d)(D_gb/D* − 1)] for grains of size d and boundaries of
width δ (Yoon, Sulaimon & Siegel 2023 report D_gb/D* of 1e3 to 1e6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lisse.solver.config.params import FARADAY, GAS_CONSTANT

BCC_CORRELATION_FACTOR = 0.727  # vacancy mechanism, bcc lattice


@dataclass(frozen=True)
class VacancySupply:
    """Parameters of the vacancy route (SI).

    self_diffusivity: tracer D* at the reference temperature 298.15 K [m²/s].
    activation_energy: of D* [J/mol].
    diffusion_length: distance ℓ from the interface to the vacancy sinks [m].
    critical_supersaturation: s, the vacancy excess at which voids nucleate, in units of the
        equilibrium vacancy concentration [-].
    grain_size, grain_boundary_width: d and δ [m]; grain_size 0 switches boundaries off.
    grain_boundary_ratio: D_gb / D* [-].
    """

    self_diffusivity: float
    activation_energy: float
    diffusion_length: float
    critical_supersaturation: float = 1.0
    grain_size: float = 0.0
    grain_boundary_width: float = 1e-9
    grain_boundary_ratio: float = 1e4

    def diffusivity(self, temperature: float) -> float:
        """Effective tracer diffusivity D_eff(T) [m²/s] (Arrhenius, Hart)."""
        bulk = self.self_diffusivity * np.exp(
            -self.activation_energy / GAS_CONSTANT * (1 / temperature - 1 / 298.15))
        if self.grain_size <= 0:
            return float(bulk)
        share = 3 * self.grain_boundary_width / self.grain_size
        return float(bulk * (1 + share * (self.grain_boundary_ratio - 1)))

    def limit(self, temperature: float, molar_volume: float) -> float:
        """j_vac [A/m²]: the stripping current density vacancy diffusion can carry."""
        return (FARADAY * self.diffusivity(temperature) * self.critical_supersaturation
                / (BCC_CORRELATION_FACTOR * molar_volume * self.diffusion_length))

    def condensation_rate(self, current_density: np.ndarray, temperature: float,
                          molar_volume: float) -> np.ndarray:
        """Recession velocity of the Li surface from condensed vacancies [m/s]:
        (Ω/F)(j − j_vac)₊ for stripping current density j [A/m²]."""
        excess = np.maximum(np.asarray(current_density) - self.limit(temperature, molar_volume),
                            0.0)
        return molar_volume / FARADAY * excess
