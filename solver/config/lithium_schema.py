"""The ``lithium:`` section of a case: the creep law of the coupled model's Li body.

``creep_law: power_law`` (default) is ε̇ = A exp(−Q/RT)(σ_eq/S)ⁿ with the electrode's library
values (``materials.electrode`` overrides them: ``creep_stress_exponent``,
``creep_reference_stress_MPa``, ``creep_prefactor_1_s``, ``creep_activation_energy_kJ_mol``);
``anand`` makes S a hardening state variable (``solver.physics.li_hardening``) with the
electrode's ``hardening_modulus_MPa``, ``saturation_strength_MPa``, ``saturation_rate_exponent``
and ``hardening_exponent`` (library values with sources, overridable the same way).

``feature_size_um`` D (optional; power law only) is the plain size effect of micropillar
compression (Xu et al., PNAS 2017): the yield strength σ_y(D) = σ1 (D/D1)^(−k) (library
``micropillar_strength_MPa`` σ1 at ``micropillar_diameter_um`` D1, ``size_effect_exponent``
k) exceeds the bulk ``yield_strength_MPa`` σ_b below D_c = D1 (σ1/σ_b)^(1/k); the creep law's
reference stress S is multiplied by max(1, σ_y(D)/σ_b) = max(1, (D/D_c)^(−k)). D is one length
for the whole Li body (e.g. the void size or the Li thickness of the case): a calibration of
the user's, not a local length.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lisse.solver.config.base import Number, _Strict
from lisse.solver.physics.li_hardening import AnandHardening
from lisse.units import PA_PER_MPA

HARDENING_KEYS = ("hardening_modulus_MPa", "saturation_strength_MPa",
                  "saturation_rate_exponent", "hardening_exponent")
SIZE_KEYS = ("micropillar_strength_MPa", "micropillar_diameter_um", "size_effect_exponent")


class LithiumSpec(_Strict):
    """The Li body's creep law (the coupled interface model; module docstring)."""

    creep_law: Literal["power_law", "anand"] = "power_law"
    feature_size_um: Number | None = Field(None, gt=0)  # size effect (power law only)


def strength_factor(spec: LithiumSpec, electrode: dict[str, float]) -> float:
    """max(1, σ_y(D)/σ_b), the factor on the creep reference stress (module docstring)."""
    if spec.feature_size_um is None:
        return 1.0
    k = electrode["size_effect_exponent"]
    pillar = electrode["micropillar_strength_MPa"] * (
        spec.feature_size_um / electrode["micropillar_diameter_um"]) ** -k
    return max(1.0, pillar / electrode["yield_strength_MPa"])


def hardening(spec: LithiumSpec, electrode: dict[str, float]) -> AnandHardening | None:
    """SI hardening parameters of ``creep_law: anand`` from the electrode's values (library
    units), or None for the power law."""
    if spec.creep_law != "anand":
        return None
    return AnandHardening(modulus=electrode["hardening_modulus_MPa"] * PA_PER_MPA,
                          saturation=electrode["saturation_strength_MPa"] * PA_PER_MPA,
                          saturation_exponent=electrode["saturation_rate_exponent"],
                          exponent=electrode["hardening_exponent"])
