"""The cavity criterion's parameters (``evolution.vacancy.nucleation: cavity``;
``solver.physics.cavitation``): the pore radius r_p and the Li surface energy γ come from the
case when it sets them (``evolution.vacancy.pore_radius_um``, ``surface_energy_J_m2``), else
from the electrode's materials library entry, where each value has its source and status
(γ: secondary; r_p: an assumption). With ``contact_stress: real`` the stress on the pore-free
contact is capped by the strength of Li at the pores' size, σ_y(2 r_p) = σ_1 (2 r_p/D_1)^(−k),
the electrode's micropillar size effect (``micropillar_strength_MPa`` σ_1 at
``micropillar_diameter_um`` D_1, ``size_effect_exponent`` k; Xu et al. 2017).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from lisse.solver.config.lithium_schema import SIZE_KEYS
from lisse.solver.errors import ConfigError
from lisse.solver.physics.cavitation import CavityCriterion
from lisse.units import PA_PER_MPA, UM_PER_M

if TYPE_CHECKING:
    from lisse.solver.config.evolution import VacancySpec
    from lisse.solver.physics.vacancy import VacancySupply

LIBRARY_KEYS = ("pore_radius_um", "surface_energy_J_m2")


def value(spec: VacancySpec, electrode: dict[str, float], key: str) -> float:
    """``evolution.vacancy.<key>`` if the case sets it, else the electrode's library value
    (library units: µm, J/m²)."""
    own = getattr(spec, key)
    if own is not None:
        return own
    if key not in electrode:
        raise ConfigError(f"evolution.vacancy.{key}: not set, and the electrode has no {key} "
                          "in the materials library: give it here")
    return electrode[key]


def pore_strength(electrode: dict[str, float], pore_radius_um: float) -> float:
    """σ_y(2 r_p) [Pa] from the electrode's micropillar size effect (module docstring)."""
    missing = [k for k in SIZE_KEYS if k not in electrode]
    if missing:
        raise ConfigError(f"evolution.vacancy.contact_stress: real needs the electrode's "
                          f"{', '.join(missing)} in the materials library")
    return electrode["micropillar_strength_MPa"] * PA_PER_MPA * (
        2 * pore_radius_um / electrode["micropillar_diameter_um"]) ** -electrode[
            "size_effect_exponent"]


def cavity_criterion(spec: VacancySpec, supply: VacancySupply,
                     electrode: dict[str, float]) -> CavityCriterion:
    """The SI criterion: r_p [m] = pore_radius_um / 1e6, γ [J/m²] (library units of the
    electrode entry, ``solver.config.materials``), and σ_y(2 r_p) with ``contact_stress:
    real``."""
    radius = value(spec, electrode, "pore_radius_um")
    real = spec.contact_stress == "real"
    return CavityCriterion(supply, radius / UM_PER_M,
                           value(spec, electrode, "surface_energy_J_m2"),
                           strength=pore_strength(electrode, radius) if real else math.inf,
                           real_contact=real, initial_contact=spec.initial_contact_fraction)
