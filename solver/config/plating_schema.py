"""The ``plating:`` section of a case: a Li-filled surface flaw (or a population of them) for
``lisse ccd --plating`` (``solver.studies.plating_ccd``; model: docs/fracture.md, Li extrusion
by creep). Units in the field names; the electrolyte's K_IC, E, ν, i0 and Li's creep law come
from the materials library (``materials.electrolyte``), the temperature from
``temperature_C``."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from lisse.solver.config.base import Number, _fail, _Strict


class FlawPopulationSpec(_Strict):
    """Surface flaw depths drawn from a distribution, with a number density per area; the
    governing flaw is the expected largest on the electrode area (N = density × area flaws,
    depth exceeded with probability 1/N)."""

    distribution: Literal["lognormal", "weibull"] = Field(
        description="lognormal: median_depth_um and shape = σ of ln(depth); weibull: "
                    "scale_depth_um and shape = Weibull modulus k")
    median_depth_um: Number | None = Field(None, ge=1e-3, le=1e4,
                                           description="lognormal median depth")
    scale_depth_um: Number | None = Field(None, ge=1e-3, le=1e4,
                                          description="Weibull scale depth")
    shape: Number = Field(ge=0.01, le=100,
                          description="σ of ln(depth) (lognormal) or modulus k (weibull)")
    density_1_mm2: Number = Field(gt=0, le=1e12, description="flaws per mm² of electrode surface")
    electrode_area_mm2: Number = Field(100.0, gt=0, le=1e6,
                                       description="electrode area holding them")

    @model_validator(mode="after")
    def _parameters(self) -> Self:
        need = "median_depth_um" if self.distribution == "lognormal" else "scale_depth_um"
        other = "scale_depth_um" if self.distribution == "lognormal" else "median_depth_um"
        if getattr(self, need) is None:
            _fail(f"required for a {self.distribution} distribution", need)
        if getattr(self, other) is not None:
            _fail(f"not used by a {self.distribution} distribution (use {need})", other)
        return self


class PlatingSpec(_Strict):
    """A Li-filled slit flaw plated at the mean current density j: the Li pressure over time
    with extrusion by creep, and the plating CCD (the largest j whose flaw does not reach
    K_IC within plating_time_h)."""

    flaw_depth_um: Number | None = Field(None, ge=1e-3, le=1e4,
                                         description="depth of a single flaw (or give "
                                         "flaw_population)")
    flaw_population: FlawPopulationSpec | None = None
    slit_width_um: Number = Field(ge=1e-3, le=100,
                                  description="face separation of the flaw (Li slit)")
    focusing: Number = Field(1.0, ge=1, le=1e3, description="local/mean current density at "
                             "the flaw (an assumed parameter)")
    plating_time_h: Number | None = Field(None, ge=1e-6, le=1e5,
                                          description="plating time of the protocol (null: "
                                          "unlimited)")
    stack_pressure_MPa: Number = Field(0.0, ge=0, le=1e4,
                                       description="Li pressure at the flaw mouth")
    lateral_stress_ratio: Number = Field(0.0, ge=0, lt=1, description="lateral stress of the "
                                         "electrolyte / stack pressure (0 free pellet, "
                                         "ν/(1 − ν) rigid die)")
    rtol: Number = Field(1e-4, ge=1e-12, lt=0.1, description="relative precision of the CCD")

    @model_validator(mode="after")
    def _one_flaw_source(self) -> Self:
        if (self.flaw_depth_um is None) == (self.flaw_population is None):
            _fail("give exactly one of flaw_depth_um and flaw_population", "flaw_depth_um")
        return self
