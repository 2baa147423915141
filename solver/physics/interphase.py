"""A growing interphase (SEI) on the Li contact (validation I1).

Li reduces a sulfide electrolyte wherever the two touch (Li6PS5Cl + 8 Li → 5 Li2S + Li3P +
LiCl; Li3PS4 + 8 Li → 4 Li2S + Li3P). The products pass Li slowly, so the film thickens at a
rate limited by diffusion through itself (parabolic law; charge consumed ∝ √t, Aktekin et al.,
Nat. Commun. 14, 6946 (2023), as reviewed in seed 003):

    dL/dt = k_p / L   ⇒   L(t)² = L0² + 2 k_p t_c,   k_p(T) = k_ref exp(−E_a/R (1/T − 1/T_ref)),

with t_c the time the node has spent in contact: where the Li has lifted off (a void floor,
contact share 0) the film stops growing; on a partially touching node it grows on the touching
share s only. Per node the film adds to the interface law, per contact area,

    R_s = L/κ_f [Ω m²]   and   C_s = ε_f/L [F/m²]   (R_s C_s = ε_f/κ_f, the film's relaxation),

and consumes Li: per interface area n_Li = c_Li V_f [mol/m²], V_f = Σ s ΔL the film volume per
interface area [m] and c_Li = ν ρ/M [mol/m³] the Li bound per film volume (ν mol of Li per
formula unit of the products, ρ their density, M their molar mass). The film is taken to fill
the space of the Li and electrolyte it consumed (no gap opens).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lisse.units import GAS_CONSTANT


@dataclass(frozen=True)
class Interphase:
    """SI parameters: k_ref [m²/s] at T_ref [K], E_a [J/mol], L0 [m], κ_f [S/m], ε_f [F/m],
    c_Li [mol/m³] (``li_per_volume`` = ν ρ/M) and the age [s] of the film at the start of a
    run (grown in full contact)."""

    rate_constant: float
    activation_energy: float
    reference_temperature: float
    initial_thickness: float
    conductivity: float
    permittivity: float
    li_per_volume: float
    age: float = 0.0

    def rate(self, temperature: float) -> float:
        """k_p(T) [m²/s]."""
        return self.rate_constant * np.exp(-self.activation_energy / GAS_CONSTANT
                                           * (1 / temperature - 1 / self.reference_temperature))

    def thickness(self, contact_time, temperature: float):
        """L [m] after ``contact_time`` [s] in contact (from L0): √(L0² + 2 k_p t)."""
        return np.sqrt(self.initial_thickness ** 2
                       + 2 * self.rate(temperature) * np.asarray(contact_time, dtype=float))

    def grow(self, thickness: np.ndarray, share: np.ndarray, dt: float, temperature: float):
        """The thicknesses [m] after ``dt`` [s] and the film volume per interface area added
        at each node [m]: nodes in contact (share > 0) follow the parabolic law exactly
        (L² grows by 2 k_p dt whatever the step), the others keep their film."""
        touching = share > 0
        new = np.where(touching, np.sqrt(thickness ** 2 + 2 * self.rate(temperature) * dt),
                       thickness)
        return new, share * (new - thickness)

    def resistance(self, thickness):
        """R_s = L/κ_f [Ω m²]."""
        return np.asarray(thickness) / self.conductivity

    def capacitance(self, thickness):
        """C_s = ε_f/L [F/m²] (0 where there is no film)."""
        thickness = np.asarray(thickness, dtype=float)
        return np.divide(self.permittivity, thickness, out=np.zeros_like(thickness),
                         where=thickness > 0)

    def li_consumed(self, film_volume):
        """Li bound in a film volume per interface area [m] → mol/m²: c_Li V_f."""
        return self.li_per_volume * np.asarray(film_volume)


def film_state(state, nodes: np.ndarray, thickness: np.ndarray, interphase: Interphase):
    """``state`` (an InterfaceState) with the film of ``thickness`` [m] at ``nodes`` written
    into its film resistance and capacitance (the other nodes keep theirs)."""
    resistance, capacitance = state.film_resistance.copy(), (
        np.zeros_like(state.film_resistance) if state.film_capacitance is None
        else state.film_capacitance.copy())
    resistance[nodes] = interphase.resistance(thickness)
    capacitance[nodes] = interphase.capacitance(thickness)
    return state.with_(film_resistance=resistance, film_capacitance=capacitance)


def initial_film(cd, interphase: Interphase, temperature: float):
    """The current operator's interface state with the film grown for ``interphase.age`` in
    full contact on the touching interface nodes (no film on void floors); returns the state
    and the per-node thickness [m] over ``cd.interface_nodes``."""
    nodes = cd.interface_nodes
    share = cd.interface.contact[nodes]
    thickness = np.where(share > 0, interphase.thickness(interphase.age, temperature),
                         interphase.initial_thickness)
    return film_state(cd.interface, nodes, thickness, interphase), thickness
