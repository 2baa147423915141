"""The materials library: property values with their sources (``data/materials.yaml``).

Each material has a ``kind`` ("electrolyte" or "electrode") and properties stored as
``{value, source, note}`` with the unit in the key name (``youngs_modulus_GPa``). The keys a
material of each kind may carry are listed in ``KEYS``; the required ones in ``REQUIRED``.
Values are in the library's units: conversion to SI and to the case temperature happens in
``solver.config.resolve``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from lisse.solver.config.messages import did_you_mean
from lisse.solver.config.yaml_loader import parse
from lisse.solver.errors import ConfigError

KINDS = ("electrolyte", "electrode")

REQUIRED = {
    "electrolyte": (
        "ionic_conductivity_S_cm",
        "electronic_conductivity_S_cm",
        "youngs_modulus_GPa",
        "poisson_ratio",
        "li_exchange_current_density_mA_cm2",
        "ionic_conductivity_activation_energy_kJ_mol",
        "li_exchange_current_density_activation_energy_kJ_mol",
    ),
    "electrode": (
        "molar_volume_m3_mol",
        "youngs_modulus_GPa",
        "poisson_ratio",
        "yield_strength_MPa",
        "creep_prefactor_1_s",
        "creep_activation_energy_kJ_mol",
        "creep_stress_exponent",
        "creep_reference_stress_MPa",
    ),
}
OPTIONAL = {
    # values hold at reference_temperature_C (default 25 °C; solver.config.resolve)
    "electrolyte": ("fracture_toughness_MPa_m05", "reference_temperature_C",
                    # the interphase it forms with Li (solver.config.interphase_schema)
                    *(f"interphase_{key}" for key in (
                        "rate_constant_nm2_s", "activation_energy_kJ_mol",
                        "ionic_conductivity_S_cm", "relative_permittivity", "li_stoichiometry",
                        "density_g_cm3", "molar_mass_g_mol"))),
    "electrode": ("self_diffusivity_m2_s", "self_diffusion_activation_energy_kJ_mol",
                  # Anand hardening (lithium.creep_law: anand, solver.physics.li_hardening)
                  "hardening_modulus_MPa", "saturation_strength_MPa", "saturation_rate_exponent",
                  "hardening_exponent",
                  # size effect (lithium.feature_size_um, solver.config.lithium_schema)
                  "micropillar_strength_MPa", "micropillar_diameter_um", "size_effect_exponent",
                  # the cavity criterion (evolution.vacancy.nucleation: cavity)
                  "surface_energy_J_m2", "pore_radius_um"),
}
KEYS = {kind: REQUIRED[kind] + OPTIONAL[kind] for kind in KINDS}


@dataclass(frozen=True)
class Material:
    """One library entry: property values (library units, see the key names) and sources."""

    name: str
    kind: str
    description: str
    values: dict[str, float]
    sources: dict[str, str]
    notes: dict[str, str]


def _parse_entry(name: str, entry: object) -> Material:
    where = f"materials library: {name}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}.kind: must be one of {', '.join(KINDS)} (got {kind!r})")
    values, sources, notes = {}, {}, {}
    for key, prop in entry.items():
        if key in ("kind", "description"):
            continue
        if key not in KEYS[kind]:
            raise ConfigError(f"{where}.{key}: unknown key for an {kind}")
        if not isinstance(prop, dict) or "value" not in prop or "source" not in prop:
            raise ConfigError(f"{where}.{key}: expected {{value, source, note}}")
        values[key] = float(prop["value"])
        sources[key] = str(prop["source"])
        if "note" in prop:
            notes[key] = str(prop["note"])
    missing = [key for key in REQUIRED[kind] if key not in values]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    return Material(name, kind, str(entry.get("description", "")), values, sources, notes)


@cache
def library() -> dict[str, Material]:
    """All library materials by name, parsed and checked once."""
    data = resources.files("lisse.solver.config").joinpath("data/materials.yaml")
    text = data.read_text(encoding="utf-8")
    entries = parse(text, "materials library (data/materials.yaml)")
    return {name: _parse_entry(name, entry) for name, entry in entries.items()}


def material_names(kind: str | None = None) -> list[str]:
    """Sorted names of the library materials, optionally only those of one kind."""
    return sorted(name for name, m in library().items() if kind is None or m.kind == kind)


def unknown_material_message(name: object, kind: str | None = None) -> str:
    """``unknown material 'X'; known: A, B; did you mean 'A'?`` (names of the given kind)."""
    names = material_names(kind)
    hint = did_you_mean(name, names)
    return f"unknown material {name!r}; known: {', '.join(names)}{'; ' + hint if hint else ''}"


def get_material(name: str, kind: str | None = None, field: str = "material") -> Material:
    """The library entry ``name``; ``kind`` restricts the choice to electrolytes or electrodes.

    Raises ConfigError naming ``field`` (the config path) and the known names otherwise.
    """
    material = library().get(name)
    if material is None or (kind is not None and material.kind != kind):
        raise ConfigError(f"{field}: {unknown_material_message(name, kind)}")
    return material


def material_value(name: str, key: str) -> float:
    """The library value of property ``key`` (unit in the key name) of material ``name``."""
    material = get_material(name)
    if key not in material.values:
        known = ", ".join(material.values)
        raise ConfigError(f"material {name}: no property {key!r}; known: {known}")
    return material.values[key]


def material_sources(name: str) -> dict[str, str]:
    """``{property key: source text}`` of material ``name``, for docs and run outputs."""
    return dict(get_material(name).sources)
