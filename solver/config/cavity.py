"""The cavity criterion's parameters (``evolution.vacancy.nucleation: cavity``;
``solver.physics.cavitation``): the pore radius r_p and the Li surface energy γ come from the
case when it sets them (``evolution.vacancy.pore_radius_um``, ``surface_energy_J_m2``), else
from the electrode's materials library entry, where each value has its source and status
(γ: secondary; r_p: an assumption).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lisse.solver.errors import ConfigError
from lisse.solver.physics.cavitation import CavityCriterion
from lisse.units import UM_PER_M

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


def cavity_criterion(spec: VacancySpec, supply: VacancySupply,
                     electrode: dict[str, float]) -> CavityCriterion:
    """The SI criterion: r_p [m] = pore_radius_um / 1e6, γ [J/m²] (library units of the
    electrode entry, ``solver.config.materials``)."""
    return CavityCriterion(supply, value(spec, electrode, "pore_radius_um") / UM_PER_M,
                           value(spec, electrode, "surface_energy_J_m2"))
