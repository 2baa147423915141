"""The ``interphase:`` section of a case: a film (SEI) growing parabolically on the Li contact
(``lisse.solver.physics.interphase``). Every property defaults to the electrolyte's library
entry (``interphase_*`` keys of ``data/materials.yaml``, with their sources); the rate
constant holds at the library's reference temperature and follows its activation energy to
the case temperature."""

from __future__ import annotations

from pydantic import Field

from lisse.solver.config.base import Number, _Strict
from lisse.solver.config.impedance_schema import VACUUM_PERMITTIVITY
from lisse.solver.physics.interphase import Interphase
from lisse.units import (
    CM3_PER_M3,
    J_PER_KJ,
    NM_PER_M,
    S_M_PER_S_CM,
    SECONDS_PER_HOUR,
    kelvin,
)

LIBRARY_KEYS = ("rate_constant_nm2_s", "activation_energy_kJ_mol", "ionic_conductivity_S_cm",
                "relative_permittivity", "li_stoichiometry", "density_g_cm3",
                "molar_mass_g_mol")


class InterphaseSpec(_Strict):
    """Parabolic growth L² = L0² + 2 k_p t in contact; resistance L/κ, capacitance ε ε0/L;
    Li bound per film volume ν ρ/M. ``age_h``: the film's age at the start of the run (grown
    in full contact), e.g. the rest between assembly and the measurement."""

    rate_constant_nm2_s: Number | None = Field(None, gt=0)
    activation_energy_kJ_mol: Number | None = Field(None, ge=0)
    initial_thickness_nm: Number = Field(0.0, ge=0, le=1e6)
    ionic_conductivity_S_cm: Number | None = Field(None, gt=0)
    relative_permittivity: Number | None = Field(None, ge=0)
    li_stoichiometry: Number | None = Field(None, gt=0)  # mol Li per mol of products
    density_g_cm3: Number | None = Field(None, gt=0)
    molar_mass_g_mol: Number | None = Field(None, gt=0)
    age_h: Number = Field(0.0, ge=0, le=1e6)


def settings(spec: InterphaseSpec, library: dict[str, float],
             reference_temperature_C: float) -> Interphase:
    """SI parameters; ``library``: the electrolyte's values (library units)."""
    values = {key: library[f"interphase_{key}"] if getattr(spec, key) is None
              else getattr(spec, key) for key in LIBRARY_KEYS}  # checked by schema.Case
    return Interphase(
        rate_constant=values["rate_constant_nm2_s"] / NM_PER_M ** 2,
        activation_energy=values["activation_energy_kJ_mol"] * J_PER_KJ,
        reference_temperature=kelvin(reference_temperature_C),
        initial_thickness=spec.initial_thickness_nm / NM_PER_M,
        conductivity=values["ionic_conductivity_S_cm"] * S_M_PER_S_CM,
        permittivity=values["relative_permittivity"] * VACUUM_PERMITTIVITY,
        li_per_volume=values["li_stoichiometry"] * values["density_g_cm3"]
        / values["molar_mass_g_mol"] * CM3_PER_M3,
        age=spec.age_h * SECONDS_PER_HOUR)
