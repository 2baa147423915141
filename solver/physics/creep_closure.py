"""Closure of voids and pores in Li by power-law creep under the stack pressure.

A cylindrical void of radius a in an incompressible power-law solid,
ε̇_eq = ε̇₀ (σ_eq/S)ⁿ with ε̇₀ = A exp(−Q/RT), under a remote pressure p closes at
(validation M2, plane strain)

    (da/dt)/a = −(√3/2) ε̇₀ (√3 p / (n S))ⁿ,

so its cross-section, and the volume per unit length, shrink at twice that rate. The
interface-evolution model uses this rate for the sub-grid pores left by vacancy
condensation and for the local gap of resolved interfacial voids (a reduced model of the
creep flow; the full-field creep solution is ``solver.physics.mechanics``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lisse.solver.config.params import GAS_CONSTANT


@dataclass(frozen=True)
class CreepClosure:
    """Li creep law (prefactor A [1/s], activation energy Q [J/mol], reference stress S
    [Pa], exponent n) and the stack pressure p [Pa]."""

    prefactor: float
    activation_energy: float
    reference_stress: float
    exponent: float
    pressure: float

    def radius_rate(self, temperature: float) -> float:
        """−(da/dt)/a [1/s] of a cylindrical void (M2)."""
        if self.pressure <= 0:
            return 0.0
        rate0 = self.prefactor * math.exp(-self.activation_energy / (GAS_CONSTANT * temperature))
        n = self.exponent
        return (math.sqrt(3) / 2 * rate0
                * (math.sqrt(3) * self.pressure / (n * self.reference_stress)) ** n)

    def volume_rate(self, temperature: float) -> float:
        """−(dV/dt)/V [1/s]: the relative closure rate of a void's volume (2 × radius rate)."""
        return 2.0 * self.radius_rate(temperature)
