"""The ``impedance:`` section of a case: the frequencies of a small-signal impedance
spectrum, the interface capacitance and the dielectric permittivities (units in the field
names; ``settings`` converts to SI). ``lisse eis case.yaml`` needs it; with
``evolution_times_h`` an evolution run also takes spectra while it goes
(``solver.studies.evolution_impedance``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
from pydantic import Field, model_validator

from lisse.solver.config.base import Number, _fail, _Strict
from lisse.units import A_M2_PER_MA_CM2, F_M2_PER_UF_CM2, SECONDS_PER_HOUR

VACUUM_PERMITTIVITY = 8.8541878128e-12  # F/m


class ImpedanceSpec(_Strict):
    """Frequencies (log-spaced from ``min_frequency_Hz`` to ``max_frequency_Hz``, both
    included), the double-layer capacitance of the Li contact, the relative permittivity
    of the electrolyte (0: no dielectric displacement current; interlayers and liquids
    take it too) and of the physical grain boundaries (default: the electrolyte's), and
    the steady bias current."""

    min_frequency_Hz: Number = Field(1e-2, gt=0)
    max_frequency_Hz: Number = Field(1e6, gt=0)
    points_per_decade: int = Field(10, ge=1, le=1000)
    double_layer_capacitance_uF_cm2: Number = Field(gt=0)
    relative_permittivity: Number = Field(0.0, ge=0)
    grain_boundary_relative_permittivity: Number | None = Field(None, ge=0)
    bias_current_density_mA_cm2: Number = Field(0.0, ge=-1000, le=1000)
    # spectra during an evolution (lisse run with evolution.steps), at open circuit on the
    # interface of the first step ending at or after each of these times
    evolution_times_h: list[Number] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _range(self) -> Self:
        for k, t in enumerate(self.evolution_times_h):
            if t < 0:
                _fail(f"must be >= 0 (got {t:g})", f"evolution_times_h.{k}")
        if self.max_frequency_Hz < self.min_frequency_Hz:
            _fail(f"must be >= min_frequency_Hz ({self.min_frequency_Hz:g})",
                  "max_frequency_Hz")
        if np.log10(self.max_frequency_Hz / self.min_frequency_Hz) > 20:
            _fail("spans more than 20 decades", "max_frequency_Hz")
        return self


@dataclass(frozen=True)
class ImpedanceSettings:
    """SI: frequencies [Hz], double-layer capacitance [F/m²], permittivities [F/m] of the
    electrolyte and of the grain boundaries, bias current density [A/m²]."""

    frequencies: tuple[float, ...]
    double_layer_capacitance: float
    permittivity: float
    grain_boundary_permittivity: float
    bias_current_density: float
    evolution_times: tuple[float, ...] = ()  # [s], increasing


def settings(spec: ImpedanceSpec) -> ImpedanceSettings:
    decades = np.log10(spec.max_frequency_Hz / spec.min_frequency_Hz)
    count = max(int(round(decades * spec.points_per_decade)) + 1, 1)
    frequencies = np.geomspace(spec.min_frequency_Hz, spec.max_frequency_Hz, count)
    gb = spec.grain_boundary_relative_permittivity
    return ImpedanceSettings(
        frequencies=tuple(float(f) for f in frequencies),
        double_layer_capacitance=spec.double_layer_capacitance_uF_cm2 * F_M2_PER_UF_CM2,
        permittivity=spec.relative_permittivity * VACUUM_PERMITTIVITY,
        grain_boundary_permittivity=(spec.relative_permittivity if gb is None else gb)
        * VACUUM_PERMITTIVITY,
        bias_current_density=spec.bias_current_density_mA_cm2 * A_M2_PER_MA_CM2,
        evolution_times=tuple(sorted(t * SECONDS_PER_HOUR for t in spec.evolution_times_h)))
