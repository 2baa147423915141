"""The ``lithium:`` section of a case: the creep law of the coupled model's Li body.

``creep_law: power_law`` (default) is ε̇ = A exp(−Q/RT)(σ_eq/S)ⁿ with the electrode's library
values (``materials.electrode`` overrides them: ``creep_stress_exponent``,
``creep_reference_stress_MPa``, ``creep_prefactor_1_s``, ``creep_activation_energy_kJ_mol``);
``anand`` makes S a hardening state variable (``solver.physics.li_hardening``) with the
electrode's ``hardening_modulus_MPa``, ``saturation_strength_MPa``, ``saturation_rate_exponent``
and ``hardening_exponent`` (library values with sources, overridable the same way).
"""

from __future__ import annotations

from typing import Literal

from lisse.solver.config.base import _Strict
from lisse.solver.physics.li_hardening import AnandHardening
from lisse.units import PA_PER_MPA

HARDENING_KEYS = ("hardening_modulus_MPa", "saturation_strength_MPa",
                  "saturation_rate_exponent", "hardening_exponent")


class LithiumSpec(_Strict):
    """The Li body's creep law (the coupled interface model; module docstring)."""

    creep_law: Literal["power_law", "anand"] = "power_law"


def hardening(spec: LithiumSpec, electrode: dict[str, float]) -> AnandHardening | None:
    """SI hardening parameters of ``creep_law: anand`` from the electrode's values (library
    units), or None for the power law."""
    if spec.creep_law != "anand":
        return None
    return AnandHardening(modulus=electrode["hardening_modulus_MPa"] * PA_PER_MPA,
                          saturation=electrode["saturation_strength_MPa"] * PA_PER_MPA,
                          saturation_exponent=electrode["saturation_rate_exponent"],
                          exponent=electrode["hardening_exponent"])
