"""The case file: YAML schema (pydantic models), loading with ``--set`` overrides, and
resolution to the SI dataclasses of ``solver.config.params``.

User units are in the field names (``width_um``, ``current_density_mA_cm2``); ``resolve``
converts them to SI. Every model forbids unknown keys. Validation errors become one-line
``ConfigError`` messages naming the dotted field path (``geometry.voids.1.radius_um: must be
> 0 (got 0)``). Defaults that depend on other fields (mesh sizes, 3D depth, exchange current
densities from the materials library, output directory) are filled in during validation, so
``resolved_dict`` is the complete configuration that was run.

The sections live in ``geometry_schema`` and ``physics_schema`` (field types in ``base``),
the messages in ``messages``, the YAML reader in ``yaml_loader`` and the resolution to SI in
``resolve``; every public name is importable from here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from lisse.solver.config.base import Integer, Number, _fail, _section, _Strict, plain_name
from lisse.solver.config.evolution import EvolutionSpec
from lisse.solver.config.geometry_schema import GeometrySpec, MeshSpec, RandomVoidsSpec, VoidSpec
from lisse.solver.config.impedance_schema import ImpedanceSpec
from lisse.solver.config.interphase_schema import LIBRARY_KEYS as INTERPHASE_KEYS
from lisse.solver.config.interphase_schema import InterphaseSpec
from lisse.solver.config.lithium_schema import HARDENING_KEYS, SIZE_KEYS, LithiumSpec
from lisse.solver.config.messages import _describe, _got, validation_message
from lisse.solver.config.physics_schema import (
    CounterSpec,
    CrackSpec,
    ElectrodeChoice,
    ElectrolyteChoice,
    GrainsSpec,
    InterfaceSpec,
    InterlayerSpec,
    LeakageSpec,
    MaterialsSpec,
    MechanicsSpec,
    MicrostructureSpec,
    NumericsSpec,
    OutputSpec,
    PoreSpec,
    ProtocolSpec,
    VoidFillingSpec,
)
from lisse.solver.config.picture_schema import check_picture
from lisse.solver.config.plating_schema import PlatingSpec
from lisse.solver.config.resolve import resolve, resolved_dict
from lisse.solver.config.yaml_loader import load_mapping, parse_value
from lisse.solver.errors import ConfigError
from lisse.units import NM_PER_UM

__all__ = [
    "Case", "CounterSpec", "CrackSpec", "ElectrodeChoice", "ElectrolyteChoice", "EvolutionSpec",
    "GeometrySpec", "GrainsSpec", "InterfaceSpec", "InterlayerSpec", "LeakageSpec",
    "MaterialsSpec", "MechanicsSpec", "MeshSpec", "MicrostructureSpec", "NumericsSpec",
    "OutputSpec", "PlatingSpec", "PoreSpec", "ProtocolSpec", "RandomVoidsSpec",
    "VoidFillingSpec", "VoidSpec",
    "_describe", "_fail", "_got", "apply_overrides", "load_case", "resolve", "resolved_dict",
    "validate_case", "validation_message",
]


class Case(_Strict):
    """A validated case, in the user's units, with all defaults filled in."""

    name: str = Field("case", min_length=1)
    seed: Integer = Field(0, ge=0)  # random voids
    temperature_C: Number = Field(25.0, ge=-50, le=300)
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
    impedance: ImpedanceSpec | None = None  # small-signal spectrum (lisse eis)
    interphase: InterphaseSpec | None = None  # a growing SEI on the Li contact
    lithium: LithiumSpec = _section()  # the coupled model's Li creep law
    plating: PlatingSpec | None = None  # Li-filled flaw, plating CCD (lisse ccd --plating)
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
        library = self.materials.electrolyte.values()
        i0 = library["li_exchange_current_density_mA_cm2"]
        for spec in (self.interface, self.counter_electrode):
            if spec.kinetics == "butler_volmer" and spec.exchange_current_density_mA_cm2 is None:
                spec.exchange_current_density_mA_cm2 = i0
            if (spec.kinetics in ("butler_volmer", "linear")
                    and spec.exchange_current_density_activation_energy_kJ_mol is None):
                spec.exchange_current_density_activation_energy_kJ_mol = library[
                    "li_exchange_current_density_activation_energy_kJ_mol"]
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
        if self.geometry.lithium_shape == "quarter_disk" and (self.mechanics.enabled or (
                self.evolution is not None and self.evolution.interface_model != "coupled")):
            _fail("quarter_disk is a Li body of the coupled interface model (evolution."
                  "interface_model: coupled, mechanics disabled)", "geometry.lithium_shape")
        if self.lithium.creep_law == "anand" or self.lithium.feature_size_um is not None:
            self._check_lithium()
        check_picture(self)  # output.interface_picture_times_h
        if self.interphase is not None and self.interface.kinetics == "primary":
            _fail("needs butler_volmer or linear interface kinetics (got primary)",
                  "interphase")
        for key in () if self.interphase is None else INTERPHASE_KEYS:
            if getattr(self.interphase, key) is None and f"interphase_{key}" not in library:
                _fail(f"the electrolyte {self.materials.electrolyte.name!r} has no "
                      f"interphase_{key} in the materials library: give it here",
                      f"interphase.{key}")
        return self

    def _check_lithium(self) -> None:
        """lithium.creep_law: anand and lithium.feature_size_um: the coupled model's Li."""
        spec, evolution = self.lithium, self.evolution
        field, what, keys = ("lithium.creep_law", "anand", HARDENING_KEYS) if (
            spec.creep_law == "anand") else ("lithium.feature_size_um", "the size effect",
                                             SIZE_KEYS)
        if spec.creep_law == "anand" and spec.feature_size_um is not None:
            _fail("the size effect is for the power law (the hardening law's is not "
                  "modelled)", "lithium.feature_size_um")
        if evolution is None or evolution.interface_model != "coupled" or self.mechanics.enabled:
            _fail(f"{what} is the coupled interface model's Li (evolution.interface_model: "
                  "coupled, mechanics disabled)", field)
        if not evolution.supply.creep:
            _fail(f"{what} needs creep (evolution.supply.creep: true)", field)
        electrode = self.materials.electrode.values()
        for key in keys:
            if key not in electrode:
                _fail(f"{what} needs {key} of the electrode {self.materials.electrode.name!r}: "
                      "give it in materials.electrode", field)

    def _fill_microstructure(self, ms: MicrostructureSpec) -> None:
        bulk = self.materials.electrolyte.values()
        if ms.grains is not None:
            if ms.grains.seed is None:
                ms.grains.seed = self.seed
            if ms.grains.band_width_um is None:
                ms.grains.band_width_um = ms.grains.size_um / 20
            if ms.grains.boundary_width_nm / NM_PER_UM > ms.grains.band_width_um:
                _fail("must not exceed band_width_um", "microstructure.grains.boundary_width_nm")
        for spec in (ms.grains, ms.interlayer):
            if spec is not None and spec.electronic_conductivity_S_cm is None:
                spec.electronic_conductivity_S_cm = bulk["electronic_conductivity_S_cm"]
            if spec is not None and spec.youngs_modulus_GPa is None:
                spec.youngs_modulus_GPa = bulk["youngs_modulus_GPa"]
            if spec is not None and spec.ionic_conductivity_activation_energy_kJ_mol is None:
                spec.ionic_conductivity_activation_energy_kJ_mol = bulk[
                    "ionic_conductivity_activation_energy_kJ_mol"]
        if ms.void_filling is not None and not (self.geometry.voids
                                                or self.geometry.random_voids):
            _fail("there are no voids to fill (geometry.voids)", "microstructure.void_filling")
        for i, crack in enumerate(ms.cracks):
            if isinstance(crack.start_um, tuple) and self.geometry.dimension == "3d":
                _fail("branches are plane or axisymmetric only (3D cracks are straight or "
                      "kinked slots through the depth)", f"microstructure.cracks.{i}.start_um")


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
        value = parse_value(raw, item)  # a scalar or a flow list; no aliases
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
        raise ConfigError(validation_message(exc, Case)) from None


def load_case(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Case:
    """Read a case YAML file, apply ``--set`` overrides and validate.

    The case name defaults to the file stem. Raises UserError if the file cannot be read and
    ConfigError for invalid YAML or an invalid case.
    """
    path = Path(path)
    data = load_mapping(path, "case")
    data = apply_overrides(data, overrides)
    data.setdefault("name", path.stem)
    return validate_case(data)
