"""The case file: YAML schema (pydantic models), loading with ``--set`` overrides, and
resolution to the SI dataclasses of ``solver.config.params``.

User units are in the field names (``width_um``, ``current_density_mA_cm2``); ``resolve``
converts them to SI. Every model forbids unknown keys. Validation errors become one-line
``ConfigError`` messages naming the dotted field path (``geometry.voids.1.radius_um: must be
> 0 (got 0)``). Defaults that depend on other fields (mesh sizes, 3D depth, exchange current
densities from the materials library, output directory) are filled in during validation, so
``resolved_dict`` is the complete configuration that was run.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, ClassVar, Literal, NoReturn, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lisse.meshes.geometry import CellGeometry, MeshSizes, Void
from lisse.solver.config import materials
from lisse.solver.config.evolution import EvolutionSpec
from lisse.solver.config.params import (
    Electrode,
    Electrolyte,
    GrainBoundary,
    Kinetics,
    Leakage,
    MechanicsSettings,
    MicrostructureProperties,
    Numerics,
    Output,
    Protocol,
    Region,
    Resolved,
)
from lisse.solver.errors import ConfigError, UserError

UM_PER_M = 1e6  # lengths: divide µm by this (division keeps 100 µm -> exactly 1e-4 m)
MA_CM2 = 10.0  # A/m² per mA/cm²
CM2_PER_M2 = 1e4  # Ω m² = Ω cm² / 1e4
S_CM = 100.0  # S/m per S/cm
GPA = 1e9  # Pa per GPa
ZERO_CELSIUS = 273.15  # K


def _fail(message: str, subpath: str = "") -> NoReturn:
    """Raise a validation error; ``subpath`` (dotted) is appended to the model's location."""
    raise PydanticCustomError("lisse", "{message}", {"message": message, "subpath": subpath})


def _section() -> Any:
    """A sub-section that may be omitted: validated from ``{}`` so its own checks run."""
    return Field(default_factory=dict, validate_default=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- geometry -------------------------------------------------------------------------------


class VoidSpec(_Strict):
    """One interfacial void (lengths in µm); see ``meshes.geometry.Void``."""

    center_um: float | tuple[float, float]  # x (plane, axisymmetric) or [x, y] (3d)
    radius_um: float = Field(gt=0)  # footprint half-width
    height_um: float = Field(gt=0)  # extent into the Li
    shape: Literal["ellipse", "cap"] = "ellipse"

    @field_validator("center_um", mode="before")
    @classmethod
    def _number_or_pair(cls, value: Any) -> Any:
        def number(v: Any) -> float | None:  # YAML 1.1 reads 5e1 as a string
            try:
                return None if isinstance(v, bool) else float(v)
            except (TypeError, ValueError):
                return None

        if number(value) is not None:
            return number(value)
        if isinstance(value, list | tuple) and len(value) == 2:
            pair = tuple(map(number, value))
            if None not in pair:
                return pair
        _fail(f"must be a number (plane, axisymmetric) or [x, y] (3d) (got {_got(value)})")

    def coordinates(self) -> tuple[float, ...]:
        """The centre as a tuple: (x,) or (x, y) [µm]."""
        return self.center_um if isinstance(self.center_um, tuple) else (self.center_um,)


class RandomVoidsSpec(_Strict):
    """Random voids covering ``1 - contact_fraction`` of the interface (lengths in µm)."""

    contact_fraction: float = Field(gt=0, lt=1)  # bonded fraction of the interface area
    radius_um: tuple[float, float]  # [min, max] footprint half-width
    height_ratio: float = Field(0.5, gt=0)  # height / radius
    shape: Literal["ellipse", "cap"] = "ellipse"
    # minimum gap between void footprints and to the side faces; default mesh.edge_size_um
    min_spacing_um: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _radius_range(self) -> Self:
        low, high = self.radius_um
        if not 0 < low <= high:
            _fail(
                f"must be [min, max] with 0 < min <= max (got {list(self.radius_um)})", "radius_um"
            )
        return self


class MeshSpec(_Strict):
    """Target element sizes [µm]; ``None`` takes the default from the geometry."""

    size_um: float | None = Field(None, gt=0)  # bulk; default electrolyte_thickness_um / 10
    interface_size_um: float | None = Field(None, gt=0)  # default size_um / 5
    edge_size_um: float | None = Field(None, gt=0)  # contact edges; default interface / 5
    growth_rate: float = Field(0.2, ge=0.02, le=2)  # size increase per unit distance


class GeometrySpec(_Strict):
    """Cell geometry (lengths in µm); see ``meshes.geometry.CellGeometry``."""

    dimension: Literal["plane", "axisymmetric", "3d"] = "plane"
    width_um: float = Field(gt=0)  # lateral size in x (the radius if axisymmetric)
    depth_um: float | None = Field(None, gt=0)  # 3d only: extent in y; default width_um
    lithium_thickness_um: float = Field(gt=0)
    electrolyte_thickness_um: float = Field(gt=0)
    lateral_boundary: Literal["symmetric", "periodic"] = "symmetric"
    voids: list[VoidSpec] = Field(default_factory=list)
    random_voids: RandomVoidsSpec | None = None
    contact_spot_radius_um: float | None = Field(None, gt=0)
    gap_height_um: float = Field(1.0, gt=0)  # Li/electrolyte gap around the contact spot
    mesh: MeshSpec = _section()

    @model_validator(mode="after")
    def _check_and_fill(self) -> Self:
        if self.lateral_boundary == "periodic":
            _fail(
                "periodic lateral boundaries are not yet supported; use symmetric",
                "lateral_boundary",
            )
        is_3d = self.dimension == "3d"
        if self.depth_um is not None and not is_3d:
            _fail(f"only used with dimension 3d (dimension is {self.dimension})", "depth_um")
        if is_3d and self.depth_um is None:
            self.depth_um = self.width_um
        if self.random_voids is not None and self.voids:
            _fail("exclusive with voids: give one or the other", "random_voids")
        if self.contact_spot_radius_um is not None:
            if self.voids or self.random_voids is not None:
                _fail("exclusive with voids and random_voids", "contact_spot_radius_um")
            limit = min(self.width_um, self.depth_um or math.inf)
            if self.contact_spot_radius_um >= limit:
                _fail(
                    f"must be < the cell's lateral size {limit:g} (got "
                    f"{self.contact_spot_radius_um:g})",
                    "contact_spot_radius_um",
                )
        for i, void in enumerate(self.voids):
            self._check_void(i, void)
        mesh = self.mesh
        if mesh.size_um is None:
            mesh.size_um = self.electrolyte_thickness_um / 10
        if mesh.interface_size_um is None:
            mesh.interface_size_um = mesh.size_um / 5
        if mesh.edge_size_um is None:
            mesh.edge_size_um = mesh.interface_size_um / 5
        if self.random_voids is not None and self.random_voids.min_spacing_um is None:
            self.random_voids.min_spacing_um = mesh.edge_size_um
        return self

    def _check_void(self, i: int, void: VoidSpec) -> None:
        center = void.coordinates()
        if len(center) != (2 if self.dimension == "3d" else 1):
            form = "[x, y]" if self.dimension == "3d" else "a number x"
            _fail(
                f"must be {form} for dimension {self.dimension} (got {_got(void.center_um)})",
                f"voids.{i}.center_um",
            )
        for coordinate, extent in zip(center, (self.width_um, self.depth_um), strict=False):
            if not 0 <= coordinate <= extent:
                _fail(
                    f"must lie in the cell, 0..{extent:g} (got {_got(void.center_um)})",
                    f"voids.{i}.center_um",
                )
        if void.height_um >= self.lithium_thickness_um:
            _fail(
                f"must be < lithium_thickness_um {self.lithium_thickness_um:g} "
                f"(got {void.height_um:g})",
                f"voids.{i}.height_um",
            )


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
                _fail(f"unknown key for an {cls.kind}; known: {', '.join(known)}", str(key))
            try:
                value = float(value)
            except (TypeError, ValueError):
                _fail(f"must be a number (got {_got(value)})", key)
            if key == "poisson_ratio" and not 0 < value < 0.5:
                _fail(f"must be in (0, 0.5) (got {_got(value)})", key)
            if not value > 0:
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
    exchange_current_density_mA_cm2: float | None = Field(None, gt=0)
    alpha_a: float = Field(0.5, gt=0, lt=1)
    alpha_c: float = Field(0.5, gt=0, lt=1)
    resistance_ohm_cm2: float | None = Field(None, gt=0)  # linear kinetics
    film_resistance_ohm_cm2: float = Field(0.0, ge=0)  # series surface film

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
    current_density_mA_cm2: float | None = None  # galvanostatic: 0 < |j| <= 1000
    voltage_V: float | None = None  # potentiostatic, working minus counter: |V| <= 10

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


class NumericsSpec(_Strict):
    """Solver settings; see ``solver.config.params.Numerics``."""

    linear_solver: Literal["auto", "iterative", "direct"] = "auto"
    direct_max_dofs: int = Field(20000, ge=0)
    newton_rtol: float = Field(1e-10, gt=0, lt=1)
    newton_atol: float = Field(1e-12, gt=0)
    newton_max_iterations: int = Field(30, ge=1, le=500)
    krylov_rtol: float = Field(1e-12, gt=0, lt=1)


class OutputSpec(_Strict):
    directory: str | None = None  # default results/<name>
    fields: bool = True  # write field files
    plots: bool = True  # write plots

    @field_validator("directory")
    @classmethod
    def _not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            _fail("must not be empty (omit it for results/<name>)")
        return value


def plain_name(value: str) -> str:
    """A case or study name: a plain folder name (results/<name> stays inside results/)."""
    if not value.strip() or value.strip() in (".", "..") or "/" in value or "\\" in value \
            or "\0" in value:
        _fail(f"must be a plain name without '/' and not '.' or '..' (got {value!r})")
    return value


class MechanicsSpec(_Strict):
    """Stack-pressure hold (Li creep) before the current distribution; docs/mechanics.md."""

    enabled: bool = False
    stack_pressure_MPa: float = Field(1.0, gt=0, le=1000)
    loading: Literal["collector", "traction"] = "collector"
    li_model: Literal["power_law_creep", "elastic"] = "power_law_creep"
    duration_s: float = Field(3600.0, ge=0)  # 0: the instantaneous elastic response only
    time_steps: int = Field(20, ge=1, le=100000)
    first_step_s: float = Field(0.01, gt=0)  # steps grow geometrically from it
    stress_coupling: bool = True  # Li pressure shifts the contact kinetics
    element_degree: Literal[1, 2] = 2
    contact_penalty: float = Field(10.0, gt=0)  # void-roof contact stiffness, × E_Li / h

    @model_validator(mode="after")
    def _steps_fit(self) -> Self:
        if 0 < self.duration_s < self.first_step_s:
            _fail(f"must be <= duration_s {self.duration_s:g} (got {self.first_step_s:g})",
                  "first_step_s")
        return self


# --- microstructure and electronic leakage (docs/microstructure.md) -------------------------


class GrainsSpec(_Strict):
    """Voronoi grains in the electrolyte and their boundaries (``meshes.microstructure``)."""

    size_um: float = Field(gt=0)  # mean grain size (seed lattice spacing)
    spread: float = Field(0.5, ge=0, le=1)  # seed jitter; 0: aligned square grains
    seed: int | None = Field(None, ge=0)  # default: the case seed
    band_width_um: float | None = Field(None, gt=0)  # resolved band; default size_um / 20
    boundary_width_nm: float = Field(1.0, gt=0)  # physical grain-boundary width δ
    ionic_conductivity_S_cm: float = Field(gt=0)  # of the physical boundary
    electronic_conductivity_S_cm: float | None = Field(None, gt=0)  # default: electrolyte's
    youngs_modulus_GPa: float | None = Field(None, gt=0)  # default: electrolyte's


class CrackSpec(_Strict):
    """A crack from the interface (or a branch from another crack), lengths in µm."""

    start_um: float | tuple[float, float]  # x on the interface, or [x, y] on another crack
    length_um: float | list[float]  # one segment, or one length per segment (kinks)
    angle_deg: float | list[float] = 0.0  # from the downward normal towards +x, per segment
    opening_um: float = Field(gt=0)
    tip_radius_um: float | None = Field(None, gt=0)  # <= opening_um / 2; default opening / 2
    filling: Literal["lithium", "empty"] = "lithium"

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
    radius_um: float = Field(gt=0)


class InterlayerSpec(_Strict):
    """A resolved layer between the Li and the electrolyte (the top of the electrolyte
    layer); an unresolved film is ``interface.film_resistance_ohm_cm2``."""

    thickness_um: float = Field(gt=0)
    ionic_conductivity_S_cm: float = Field(gt=0)
    electronic_conductivity_S_cm: float | None = Field(None, gt=0)  # default: electrolyte's
    youngs_modulus_GPa: float | None = Field(None, gt=0)  # default: electrolyte's


class VoidFillingSpec(_Strict):
    """An ionic liquid filling the interfacial voids."""

    ionic_conductivity_S_cm: float = Field(gt=0)


class MicrostructureSpec(_Strict):
    grains: GrainsSpec | None = None
    cracks: list[CrackSpec] = Field(default_factory=list)
    pores: list[PoreSpec] = Field(default_factory=list)
    interlayer: InterlayerSpec | None = None
    void_filling: VoidFillingSpec | None = None


class LeakageSpec(_Strict):
    """Electronic leakage; ``electronic_leakage: true`` is short for ``{enabled: true}``."""

    enabled: bool = True
    # electronic current density that grows a 1 nm Li nucleus in 1 h: F h / (Ω t)
    nucleation_current_density_mA_cm2: float = Field(2.06e-4, gt=0)


class Case(_Strict):
    """A validated case, in the user's units, with all defaults filled in."""

    name: str = Field("case", min_length=1)
    seed: int = Field(0, ge=0)  # random voids
    temperature_C: float = Field(25.0, ge=-50, le=300)
    geometry: GeometrySpec
    materials: MaterialsSpec = _section()
    interface: InterfaceSpec = _section()
    counter_electrode: CounterSpec = _section()
    protocol: ProtocolSpec = _section()
    numerics: NumericsSpec = _section()
    output: OutputSpec = _section()
    microstructure: MicrostructureSpec | None = None
    evolution: EvolutionSpec | None = None  # time-dependent interface runs, CCD
    mechanics: MechanicsSpec = _section()
    electronic_leakage: LeakageSpec = Field(default_factory=lambda: LeakageSpec(enabled=False))

    _plain_name = field_validator("name")(plain_name)

    @field_validator("electronic_leakage", mode="before")
    @classmethod
    def _leakage_flag(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value

    @model_validator(mode="after")
    def _check_and_fill(self) -> Self:
        if self.microstructure is not None:
            self._fill_microstructure(self.microstructure)
        if self.interface.kinetics == "primary" and self.counter_electrode.kinetics not in (
            "ideal",
            "linear",
        ):
            _fail(
                "must be ideal or linear when interface.kinetics is primary (got "
                f"{self.counter_electrode.kinetics})",
                "counter_electrode.kinetics",
            )
        i0 = self.materials.electrolyte.values()["li_exchange_current_density_mA_cm2"]
        for spec in (self.interface, self.counter_electrode):
            if spec.kinetics == "butler_volmer" and spec.exchange_current_density_mA_cm2 is None:
                spec.exchange_current_density_mA_cm2 = i0
        if self.output.directory is None:
            self.output.directory = f"results/{self.name}"
        if (self.mechanics.enabled and self.microstructure is not None
                and self.microstructure.void_filling is not None):
            _fail("a liquid void filling has no mechanical model: remove it or disable "
                  "mechanics", "mechanics.enabled")
        if (self.mechanics.enabled and self.mechanics.stress_coupling
                and self.interface.kinetics == "primary"):
            _fail("needs butler_volmer or linear interface kinetics (got primary)",
                  "mechanics.stress_coupling")
        return self

    def _fill_microstructure(self, ms: MicrostructureSpec) -> None:
        bulk = self.materials.electrolyte.values()
        if ms.grains is not None:
            if ms.grains.seed is None:
                ms.grains.seed = self.seed
            if ms.grains.band_width_um is None:
                ms.grains.band_width_um = ms.grains.size_um / 20
            if ms.grains.boundary_width_nm * 1e-3 > ms.grains.band_width_um:
                _fail("must not exceed band_width_um", "microstructure.grains.boundary_width_nm")
        for spec in (ms.grains, ms.interlayer):
            if spec is not None and spec.electronic_conductivity_S_cm is None:
                spec.electronic_conductivity_S_cm = bulk["electronic_conductivity_S_cm"]
            if spec is not None and spec.youngs_modulus_GPa is None:
                spec.youngs_modulus_GPa = bulk["youngs_modulus_GPa"]
        if ms.void_filling is not None and not (self.geometry.voids
                                                or self.geometry.random_voids):
            _fail("there are no voids to fill (geometry.voids)", "microstructure.void_filling")
        for i, crack in enumerate(ms.cracks):
            if isinstance(crack.start_um, tuple) and self.geometry.dimension == "3d":
                _fail("branches are plane or axisymmetric only (3D cracks are straight or "
                      "kinked slots through the depth)", f"microstructure.cracks.{i}.start_um")


# --- errors ---------------------------------------------------------------------------------


def _got(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value) if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: dict[str, Any]) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    bounds = {
        "greater_than": (">", "gt"),
        "greater_than_equal": (">=", "ge"),
        "less_than": ("<", "lt"),
        "less_than_equal": ("<=", "le"),
    }
    if kind == "lisse":
        return ctx["message"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required"
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {ctx[key]:g} (got {_got(value)})"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']} (got {_got(value)})"
    if kind.startswith(("float_", "int_")):
        whole = "an integer" if kind.startswith("int_") else "a number"
        return f"must be {whole} (got {_got(value)})"
    if kind.startswith("bool_"):
        return f"must be true or false (got {_got(value)})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping (got {_got(value)})"
    return f"{error['msg']} (got {_got(value)})"


def validation_message(exc: ValidationError) -> str:
    """One line: the first error's dotted field path and cause, ``(and N more)`` if several."""
    errors = exc.errors()
    first = errors[0]
    parts = [str(p) for p in first["loc"]]
    subpath = first.get("ctx", {}).get("subpath") if first["type"] == "lisse" else ""
    if subpath:
        parts.append(subpath)
    text = _describe(first)
    if parts:
        text = f"{'.'.join(parts)}: {text}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return " ".join(text.split())


# --- loading --------------------------------------------------------------------------------


def _key(node: Any, part: str, parent: str, item: str) -> Any:
    """``part`` as a key of ``node``: itself for a mapping, an existing index for a list."""
    if not isinstance(node, list):
        return part
    if not part.isdigit() or int(part) >= len(node):
        raise ConfigError(f"--set {item!r}: {parent}: no list entry {part} (it has {len(node)})")
    return int(part)


def _child(node: Any, part: str, parent: str, item: str) -> Any:
    """The sub-node ``part`` of ``node`` for an override, creating mappings where needed."""
    key = _key(node, part, parent, item)
    path = f"{parent}.{part}" if parent else part
    child = node[key] if isinstance(node, list) else node.get(key)
    if child is None:
        child = node[key] = {}
    elif isinstance(child, str) and parent == "materials":
        child = node[key] = {"name": child}  # a material name becomes {name: ...}
    if not isinstance(child, dict | list):
        raise ConfigError(f"--set {item!r}: {path} is a value ({_got(child)}), not a section")
    return child


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict:
    """A copy of ``data`` with ``--set`` items ``"a.b.c=value"`` applied in order.

    The value is parsed as YAML (``50``, ``1e-3``, ``[2, 6]``, ``null``); missing sections are
    created; list entries are addressed by index (``geometry.voids.0.radius_um=3``).
    """
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        parts = [part.strip() for part in key.split(".")]
        if not sep or not all(parts):
            raise ConfigError(
                f"--set {item!r}: expected section.key=value, e.g. geometry.width_um=50"
            )
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise ConfigError(f"--set {item!r}: cannot parse the value {raw!r}") from None
        node = data
        for depth, part in enumerate(parts[:-1]):
            node = _child(node, part, ".".join(parts[:depth]), item)
        node[_key(node, parts[-1], ".".join(parts[:-1]), item)] = value
    return data


def validate_case(data: dict[str, Any]) -> Case:
    """Validate a case mapping; errors become a one-line ConfigError."""
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc)) from None


def load_case(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Case:
    """Read a case YAML file, apply ``--set`` overrides and validate.

    The case name defaults to the file stem. Raises UserError if the file cannot be read and
    ConfigError for invalid YAML or an invalid case.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such case file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the case file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"{path}: invalid YAML at line {line}: {problem}") from None
    if data is None:
        raise ConfigError(f"{path}: the case file is empty")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of sections (got {type(data).__name__})"
        )
    data = apply_overrides(data, overrides)
    data.setdefault("name", path.stem)
    return validate_case(data)


# --- resolution -----------------------------------------------------------------------------


def _kinetics(spec: _KineticsSpec) -> Kinetics:
    return Kinetics(
        model=spec.kinetics,
        exchange_current_density=(spec.exchange_current_density_mA_cm2 or 0.0) * MA_CM2,
        alpha_a=spec.alpha_a,
        alpha_c=spec.alpha_c,
        resistance=(spec.resistance_ohm_cm2 or 0.0) / CM2_PER_M2,
        film_resistance=spec.film_resistance_ohm_cm2 / CM2_PER_M2,
    )


def _geometry(case: Case) -> CellGeometry:
    g = case.geometry
    depth = (g.depth_um or 0.0) / UM_PER_M
    if g.random_voids is not None:
        from lisse.meshes.voids import random_voids  # imported here: needs only a random case

        r = g.random_voids
        voids = random_voids(
            g.dimension,
            g.width_um / UM_PER_M,
            depth,
            r.contact_fraction,
            (r.radius_um[0] / UM_PER_M, r.radius_um[1] / UM_PER_M),
            r.height_ratio,
            r.shape,
            case.seed,
            r.min_spacing_um / UM_PER_M,
        )
    else:
        voids = tuple(
            Void(
                center=tuple(c / UM_PER_M for c in v.coordinates()),
                radius=v.radius_um / UM_PER_M,
                height=v.height_um / UM_PER_M,
                shape=v.shape,
            )
            for v in g.voids
        )
    spot = g.contact_spot_radius_um
    return CellGeometry(
        dimension=g.dimension,
        width=g.width_um / UM_PER_M,
        lithium_thickness=g.lithium_thickness_um / UM_PER_M,
        electrolyte_thickness=g.electrolyte_thickness_um / UM_PER_M,
        sizes=MeshSizes(
            bulk=g.mesh.size_um / UM_PER_M,
            interface=g.mesh.interface_size_um / UM_PER_M,
            edge=g.mesh.edge_size_um / UM_PER_M,
            growth=g.mesh.growth_rate,
        ),
        depth=depth,
        voids=tuple(voids),
        contact_spot_radius=None if spot is None else spot / UM_PER_M,
        gap_height=0.0 if spot is None else g.gap_height_um / UM_PER_M,
        microstructure=_microstructure_geometry(case),
    )


def _microstructure_geometry(case: Case):
    """The geometric part of the microstructure section (``meshes.microstructure``)."""
    ms = case.microstructure
    if ms is None:
        return None
    from lisse.meshes.microstructure import Crack, Grains, Microstructure, Pore

    grains = None
    if ms.grains is not None:
        g = ms.grains
        grains = Grains(size=g.size_um / UM_PER_M, band_width=g.band_width_um / UM_PER_M,
                        spread=g.spread, seed=g.seed)
    cracks = []
    for c in ms.cracks:
        lengths, angles = c.segments()
        start = c.start_um if isinstance(c.start_um, tuple) else (c.start_um,)
        cracks.append(Crack(
            start=tuple(x / UM_PER_M for x in start),
            segments=tuple((length / UM_PER_M, math.radians(angle))
                           for length, angle in zip(lengths, angles, strict=True)),
            opening=c.opening_um / UM_PER_M, tip_radius=c.tip_radius_um / UM_PER_M,
            filled=c.filling == "lithium"))
    return Microstructure(
        grains=grains, cracks=tuple(cracks),
        pores=tuple(Pore(tuple(x / UM_PER_M for x in p.center_um), p.radius_um / UM_PER_M)
                    for p in ms.pores),
        interlayer_thickness=(ms.interlayer.thickness_um / UM_PER_M if ms.interlayer
                              else 0.0),
        liquid_voids=ms.void_filling is not None)


def _microstructure_properties(case: Case) -> MicrostructureProperties | None:
    ms = case.microstructure
    if ms is None:
        return None
    gb = il = None
    if ms.grains is not None:
        g = ms.grains
        gb = GrainBoundary(ionic_conductivity=g.ionic_conductivity_S_cm * S_CM,
                           electronic_conductivity=g.electronic_conductivity_S_cm * S_CM,
                           youngs_modulus=g.youngs_modulus_GPa * GPA,
                           width=g.boundary_width_nm * 1e-9)
    if ms.interlayer is not None:
        i = ms.interlayer
        il = Region(ionic_conductivity=i.ionic_conductivity_S_cm * S_CM,
                    electronic_conductivity=i.electronic_conductivity_S_cm * S_CM,
                    youngs_modulus=i.youngs_modulus_GPa * GPA)
    liquid = ms.void_filling.ionic_conductivity_S_cm * S_CM if ms.void_filling else 0.0
    return MicrostructureProperties(grain_boundary=gb, interlayer=il,
                                    liquid_conductivity=liquid)


def resolve(case: Case) -> Resolved:
    """The case in SI units (µm→m, mA/cm²→A/m², Ω cm²→Ω m², S/cm→S/m, GPa→Pa, °C→K)."""
    electrolyte = case.materials.electrolyte.values()
    electrode = case.materials.electrode.values()
    protocol = case.protocol
    return Resolved(
        name=case.name,
        geometry=_geometry(case),
        electrolyte=Electrolyte(
            name=case.materials.electrolyte.name,
            ionic_conductivity=electrolyte["ionic_conductivity_S_cm"] * S_CM,
            electronic_conductivity=electrolyte["electronic_conductivity_S_cm"] * S_CM,
            youngs_modulus=electrolyte["youngs_modulus_GPa"] * GPA,
            poisson_ratio=electrolyte["poisson_ratio"],
        ),
        electrode=Electrode(
            name=case.materials.electrode.name,
            molar_volume=electrode["molar_volume_m3_mol"],
            youngs_modulus=electrode["youngs_modulus_GPa"] * GPA,
            poisson_ratio=electrode["poisson_ratio"],
            self_diffusivity=electrode.get("self_diffusivity_m2_s", 1e-15),
            self_diffusion_activation_energy=electrode.get(
                "self_diffusion_activation_energy_kJ_mol", 53.0) * 1e3,
            creep_prefactor=electrode["creep_prefactor_1_s"],
            creep_activation_energy=electrode["creep_activation_energy_kJ_mol"] * 1e3,
            creep_reference_stress=electrode["creep_reference_stress_MPa"] * 1e6,
            creep_stress_exponent=electrode["creep_stress_exponent"],
        ),
        working=_kinetics(case.interface),
        counter=_kinetics(case.counter_electrode),
        protocol=Protocol(
            mode=protocol.mode,
            current_density=(protocol.current_density_mA_cm2 or 0.0) * MA_CM2,
            voltage=protocol.voltage_V or 0.0,
        ),
        temperature=case.temperature_C + ZERO_CELSIUS,
        numerics=Numerics(**case.numerics.model_dump()),
        output=Output(
            directory=case.output.directory,
            fields=case.output.fields,
            plots=case.output.plots,
        ),
        seed=case.seed,
        microstructure=_microstructure_properties(case),
        leakage=Leakage(
            enabled=case.electronic_leakage.enabled,
            nucleation_current_density=case.electronic_leakage.nucleation_current_density_mA_cm2
            * MA_CM2,
        ),
        evolution=_evolution(case, electrode),
        mechanics=_mechanics(case.mechanics),
    )


def _mechanics(spec: MechanicsSpec) -> MechanicsSettings | None:
    if not spec.enabled:
        return None
    return MechanicsSettings(
        stack_pressure=spec.stack_pressure_MPa * 1e6,
        loading=spec.loading,
        li_model=spec.li_model,
        duration=spec.duration_s,
        time_steps=spec.time_steps,
        first_step=spec.first_step_s,
        stress_coupling=spec.stress_coupling,
        element_degree=spec.element_degree,
        contact_penalty=spec.contact_penalty,
    )


def _evolution(case: Case, electrode: dict[str, float]):
    """SI settings of the ``evolution:`` section (``solver.config.evolution``), or None."""
    if case.evolution is None:
        return None
    from lisse.solver.config.evolution import settings

    return settings(case.evolution, electrode, case.mechanics.stack_pressure_MPa)


def resolved_dict(case: Case) -> dict[str, Any]:
    """The complete configuration (JSON types) with every default and the material values
    actually used, for ``config_resolved.yaml``; loading it again gives the same case."""
    data = case.model_dump(mode="json")
    for role in ("electrolyte", "electrode"):
        choice = getattr(case.materials, role)
        data["materials"][role] = {"name": choice.name, **choice.values()}
    return data
