"""The physics sections of a case: materials (library choices with overrides), interface
and counter-electrode kinetics, the applied load, numerics, output, stack-pressure mechanics,
microstructure (grains, cracks, pores, interlayer, void filling) and electronic leakage."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, field_validator, model_serializer, model_validator

from lisse.solver.config import materials
from lisse.solver.config.base import (
    Degree,
    Integer,
    Number,
    Numbers,
    _fail,
    _section,
    _Strict,
    as_number,
    not_empty,
    point,
)
from lisse.solver.config.messages import _got, did_you_mean
from lisse.solver.config.picture_schema import picture_times

# --- materials ------------------------------------------------------------------------------


class _MaterialChoice(_Strict):
    """A library material, optionally with property overrides (library units).

    YAML form: a name (``LLZO``) or a mapping ``{name: LLZO, ionic_conductivity_S_cm: 5e-4}``
    whose other keys override library values (``name`` defaults to LLZO / Li).
    """

    kind: ClassVar[str]
    default: ClassVar[str]  # the name used when a mapping gives none
    name: str
    overrides: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            data = {"name": data}
        if not isinstance(data, dict):
            _fail(f"must be a material name or a mapping of overrides (got {_got(data)})")
        overrides = dict(data)
        name = overrides.pop("name", cls.default)
        if name not in materials.material_names(cls.kind):
            _fail(materials.unknown_material_message(name, cls.kind))
        known = materials.KEYS[cls.kind]
        for key, value in overrides.items():
            if key not in known:
                hint = did_you_mean(key, known)
                _fail(f"unknown key{f' ({hint})' if hint else ''}; known for an {cls.kind}: "
                      f"{', '.join(known)}", str(key))
            number = as_number(value)
            if number is None:
                _fail(f"must be a number (got {_got(value)})", key)
            if not math.isfinite(number):
                _fail(f"must be finite (got {_got(value)})", key)
            value = number
            if key == "poisson_ratio" and not 0 < value < 0.5:
                _fail(f"must be in (0, 0.5) (got {_got(value)})", key)
            if key == "reference_temperature_C":
                if not -50 <= value <= 300:
                    _fail(f"must be in [-50, 300] (got {_got(value)})", key)
            elif key.endswith("_activation_energy_kJ_mol"):
                if not value >= 0:
                    _fail(f"must be >= 0 (got {_got(value)})", key)
            elif not value > 0:
                _fail(f"must be > 0 (got {_got(value)})", key)
            overrides[key] = value
        return {"name": name, "overrides": overrides}

    @model_serializer
    def _to_yaml(self) -> str | dict[str, Any]:
        return {"name": self.name, **self.overrides} if self.overrides else self.name

    def values(self) -> dict[str, float]:
        """Library values with the overrides applied (library units)."""
        return materials.get_material(self.name).values | self.overrides


class ElectrolyteChoice(_MaterialChoice):
    kind: ClassVar[str] = "electrolyte"
    default: ClassVar[str] = "LLZO"


class ElectrodeChoice(_MaterialChoice):
    kind: ClassVar[str] = "electrode"
    default: ClassVar[str] = "Li"


class MaterialsSpec(_Strict):
    electrolyte: ElectrolyteChoice = _section()
    electrode: ElectrodeChoice = _section()


# --- interfaces, load, numerics, output -----------------------------------------------------


class _KineticsSpec(_Strict):
    """Charge-transfer kinetics of one interface; see ``solver.config.params.Kinetics``."""

    kinetics: str
    # i0 [mA/cm²] (butler_volmer); default: the electrolyte's li_exchange_current_density_mA_cm2
    exchange_current_density_mA_cm2: Number | None = Field(None, gt=0)
    alpha_a: Number = Field(0.5, gt=0, lt=1)
    alpha_c: Number = Field(0.5, gt=0, lt=1)
    resistance_ohm_cm2: Number | None = Field(None, gt=0)  # linear kinetics
    film_resistance_ohm_cm2: Number = Field(0.0, ge=0)  # series surface film
    # E_a of i0 (and of 1/Z, linear) [kJ/mol]; default: the electrolyte's
    # li_exchange_current_density_activation_energy_kJ_mol (solver.config.resolve)
    exchange_current_density_activation_energy_kJ_mol: Number | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _linear_needs_resistance(self) -> Self:
        if self.kinetics == "linear" and self.resistance_ohm_cm2 is None:
            _fail("required for linear kinetics", "resistance_ohm_cm2")
        return self


class InterfaceSpec(_KineticsSpec):
    """The working electrode (Li) / electrolyte contact."""

    kinetics: Literal["butler_volmer", "linear", "primary"] = "butler_volmer"


class CounterSpec(_KineticsSpec):
    """The counter electrode at the bottom of the electrolyte."""

    kinetics: Literal["ideal", "butler_volmer", "linear"] = "ideal"


class ProtocolSpec(_Strict):
    """Applied load; positive current strips Li from the working electrode."""

    mode: Literal["galvanostatic", "potentiostatic"] = "galvanostatic"
    current_density_mA_cm2: Number | None = None  # galvanostatic: 0 < |j| <= 1000
    voltage_V: Number | None = None  # potentiostatic, working minus counter: |V| <= 10

    @model_validator(mode="after")
    def _load_matches_mode(self) -> Self:
        if self.mode == "galvanostatic":
            used, unused, limit = "current_density_mA_cm2", "voltage_V", 1000.0
        else:
            used, unused, limit = "voltage_V", "current_density_mA_cm2", 10.0
        value = getattr(self, used)
        if value is None:
            _fail(f"required in {self.mode} mode", used)
        if getattr(self, unused) is not None:
            _fail(f"not used in {self.mode} mode: remove it", unused)
        if value == 0 or abs(value) > limit:
            _fail(f"must be nonzero with magnitude <= {limit:g} (got {value:g})", used)
        return self


RTOL_FLOOR = 1e-15


class NumericsSpec(_Strict):
    """Solver settings; see ``solver.config.params.Numerics``."""

    linear_solver: Literal["auto", "iterative", "direct"] = "auto"
    direct_max_dofs: Integer = Field(20000, ge=0)
    newton_rtol: Number = Field(1e-10, gt=0, lt=1)
    newton_atol: Number = Field(1e-12, gt=0)
    newton_max_iterations: Integer = Field(30, ge=1, le=500)
    krylov_rtol: Number = Field(1e-12, gt=0, lt=1)

    @field_validator("newton_rtol", "krylov_rtol")
    @classmethod
    def _reachable(cls, value: float) -> float:
        # a residual reduced below RTOL_FLOOR (~5 machine epsilons) is rounding noise
        if value < RTOL_FLOOR:
            _fail(f"{value:g} cannot be reached in double precision; use >= 1e-12")
        return value


class OutputSpec(_Strict):
    directory: str | None = None  # default results/<name>
    fields: bool = True  # write field files
    plots: bool = True  # write plots
    figure_formats: list[Literal["png", "pdf", "svg"]] = Field(
        ["png", "pdf"],
        description="file formats of every figure; PNG is always written (reports use it)",
    )
    # the coupled model's interface picture (interface_picture.png and .csv) at these times
    interface_picture_times_h: list[Number] = Field(
        default_factory=list, max_length=6,
        description="times of the interface picture of a coupled evolution run (2D: "
                    "profiles; 3D: maps of the interface plane); "
                    "docs/moving_interface.md")

    _not_empty = field_validator("directory")(not_empty)
    _picture_times = field_validator("interface_picture_times_h")(picture_times)


class MechanicsSpec(_Strict):
    """Stack-pressure hold (Li creep) before the current distribution; docs/mechanics.md."""

    enabled: bool = False
    stack_pressure_MPa: Number = Field(1.0, gt=0, le=1000)
    loading: Literal["collector", "traction"] = "collector"
    li_model: Literal["power_law_creep", "elastic"] = "power_law_creep"
    duration_s: Number = Field(3600.0, ge=0)  # 0: the instantaneous elastic response only
    time_steps: Integer = Field(20, ge=1, le=100000)
    first_step_s: Number = Field(0.01, gt=0)  # steps grow geometrically from it
    stress_coupling: bool = True  # Li pressure shifts the contact kinetics
    element_degree: Degree = 2
    contact_penalty: Number = Field(10.0, gt=0)  # void-roof contact stiffness, × E_Li / h

    @model_validator(mode="after")
    def _steps_fit(self) -> Self:
        if 0 < self.duration_s < self.first_step_s:
            _fail(f"must be <= duration_s {self.duration_s:g} (got {self.first_step_s:g})",
                  "first_step_s")
        return self


# --- microstructure and electronic leakage (docs/microstructure.md) -------------------------


class GrainsSpec(_Strict):
    """Voronoi grains in the electrolyte and their boundaries (``meshes.microstructure``)."""

    size_um: Number = Field(gt=0)  # mean grain size (seed lattice spacing)
    spread: Number = Field(0.5, ge=0, le=1)  # seed jitter; 0: aligned square grains
    seed: Integer | None = Field(None, ge=0)  # default: the case seed
    band_width_um: Number | None = Field(None, gt=0)  # resolved band; default size_um / 20
    boundary_width_nm: Number = Field(1.0, gt=0)  # physical grain-boundary width δ
    ionic_conductivity_S_cm: Number = Field(gt=0)  # of the physical boundary, at T_ref
    # E_a of the boundary conductivity [kJ/mol]; default: the electrolyte's
    ionic_conductivity_activation_energy_kJ_mol: Number | None = Field(None, ge=0)
    electronic_conductivity_S_cm: Number | None = Field(None, gt=0)  # default: electrolyte's
    youngs_modulus_GPa: Number | None = Field(None, gt=0)  # default: electrolyte's


class CrackSpec(_Strict):
    """A crack from the interface (or a branch from another crack), lengths in µm."""

    start_um: float | tuple[float, float]  # x on the interface, or [x, y] on another crack
    length_um: Numbers  # one segment, or one length per segment (kinks)
    angle_deg: Numbers = 0.0  # from the downward normal towards +x, per segment
    opening_um: Number = Field(gt=0)
    tip_radius_um: Number | None = Field(None, gt=0)  # <= opening_um / 2; default opening / 2
    filling: Literal["lithium", "empty"] = "lithium"

    @field_validator("start_um", mode="before")
    @classmethod
    def _number_or_pair(cls, value: Any) -> Any:
        return point(value, (1, 2), "a number x (on the interface) or [x, y] (on a crack)")

    @model_validator(mode="after")
    def _segments(self) -> Self:
        lengths, angles = self.segments()
        if len(angles) != len(lengths):
            _fail(f"needs one angle per segment ({len(lengths)})", "angle_deg")
        if any(length <= 0 for length in lengths):
            _fail("segment lengths must be > 0", "length_um")
        if self.tip_radius_um is None:
            self.tip_radius_um = self.opening_um / 2
        if self.tip_radius_um > self.opening_um / 2:
            _fail(f"must be <= opening_um / 2 (got {self.tip_radius_um:g})", "tip_radius_um")
        return self

    def segments(self) -> tuple[list[float], list[float]]:
        lengths = self.length_um if isinstance(self.length_um, list) else [self.length_um]
        angles = self.angle_deg if isinstance(self.angle_deg, list) else [self.angle_deg]
        if len(angles) == 1 and len(lengths) > 1:
            angles = angles * len(lengths)
        return lengths, angles


class PoreSpec(_Strict):
    """A closed pore in the electrolyte (µm)."""

    center_um: tuple[float, float] | tuple[float, float, float]  # [x, y] or [x, y, z]
    radius_um: Number = Field(gt=0)

    @field_validator("center_um", mode="before")
    @classmethod
    def _point(cls, value: Any) -> Any:
        return point(value, (2, 3), "[x, y] or [x, y, z]")


class InterlayerSpec(_Strict):
    """A resolved layer between the Li and the electrolyte (the top of the electrolyte
    layer); an unresolved film is ``interface.film_resistance_ohm_cm2``."""

    thickness_um: Number = Field(gt=0)
    ionic_conductivity_S_cm: Number = Field(gt=0)  # at T_ref
    # E_a of the layer's conductivity [kJ/mol]; default: the electrolyte's
    ionic_conductivity_activation_energy_kJ_mol: Number | None = Field(None, ge=0)
    electronic_conductivity_S_cm: Number | None = Field(None, gt=0)  # default: electrolyte's
    youngs_modulus_GPa: Number | None = Field(None, gt=0)  # default: electrolyte's


class VoidFillingSpec(_Strict):
    """An ionic liquid filling the interfacial voids."""

    ionic_conductivity_S_cm: Number = Field(gt=0)


class MicrostructureSpec(_Strict):
    grains: GrainsSpec | None = None
    cracks: list[CrackSpec] = Field(default_factory=list)
    pores: list[PoreSpec] = Field(default_factory=list)
    interlayer: InterlayerSpec | None = None
    void_filling: VoidFillingSpec | None = None


class LeakageSpec(_Strict):
    """Electronic leakage; ``electronic_leakage: true`` is short for ``{enabled: true}``."""

    enabled: bool = True
    # a Li nucleus forms where its critical radius r* = 2γΩ/(F|U|) grows within the plating
    # time: |U| |j_e| t ≥ 8γ/9 (solver.physics.leakage)
    nucleus_interface_energy_J_m2: Number = Field(0.5, gt=0, le=10)
    plating_time_s: Number = Field(3600.0, gt=0)
