"""Case config and materials library: units, defaults, overrides, error messages, round trip.

Fast unit tests: no DOLFINx, no meshing.
"""

from __future__ import annotations

import math
import textwrap

import pytest
import yaml

from lisse.solver.config import materials
from lisse.solver.config.params import FARADAY, GAS_CONSTANT
from lisse.solver.config.schema import (
    apply_overrides,
    load_case,
    resolve,
    resolved_dict,
    validate_case,
)
from lisse.solver.errors import ConfigError, UserError

BASE = """\
geometry:
  width_um: 100
  lithium_thickness_um: 20
  electrolyte_thickness_um: 100
protocol:
  current_density_mA_cm2: 0.5
"""


@pytest.fixture
def case_file(tmp_path):
    """Write a case file ``demo.yaml`` (BASE unless other text is given) and return its path."""

    def write(text: str = BASE):
        path = tmp_path / "demo.yaml"
        path.write_text(textwrap.dedent(text))
        return path

    return write


def base(*overrides: str):
    return validate_case(apply_overrides(yaml.safe_load(BASE), overrides))


# --- units and defaults ---------------------------------------------------------------------


def test_si_conversion(case_file):
    case = load_case(
        case_file(),
        [
            "temperature_C=60",
            "geometry.voids=[{center_um: 50, radius_um: 5, height_um: 2, shape: cap}]",
            "interface.kinetics=linear",
            "interface.resistance_ohm_cm2=5",
            "interface.film_resistance_ohm_cm2=400",
            "counter_electrode.kinetics=butler_volmer",
            "counter_electrode.exchange_current_density_mA_cm2=3",
            "materials.electrolyte.ionic_conductivity_S_cm=5e-4",
            "materials.electrolyte.reference_temperature_C=60",  # values given at 60 °C
        ],
    )
    r = resolve(case)
    g = r.geometry
    assert (g.width, g.lithium_thickness, g.electrolyte_thickness) == (1e-4, 2e-5, 1e-4)
    assert g.voids[0].center == (5e-5,) and g.voids[0].radius == 5e-6
    assert g.voids[0].height == 2e-6 and g.voids[0].shape == "cap"
    assert (g.sizes.bulk, g.sizes.interface, g.sizes.edge) == pytest.approx((1e-5, 2e-6, 4e-7))
    assert r.temperature == pytest.approx(333.15)
    assert r.protocol.current_density == pytest.approx(5.0)  # 0.5 mA/cm² = 5 A/m²
    assert r.working.model == "linear"
    assert r.working.resistance == pytest.approx(5e-4)  # Ω m²
    assert r.working.film_resistance == pytest.approx(0.04)
    assert r.counter.model == "butler_volmer"
    assert r.counter.exchange_current_density == pytest.approx(30.0)  # A/m²
    assert r.electrolyte.ionic_conductivity == pytest.approx(0.05)  # S/m
    assert r.electrolyte.electronic_conductivity == pytest.approx(1e-6)
    assert r.electrolyte.youngs_modulus == pytest.approx(150e9)
    assert r.electrode.youngs_modulus == pytest.approx(7.8e9)
    assert r.electrode.molar_volume == pytest.approx(1.3e-5)


def test_defaults(case_file):
    case = load_case(case_file())
    r = resolve(case)
    assert r.name == "demo" and r.output.directory == "results/demo"
    assert r.geometry.dimension == "plane" and r.geometry.voids == ()
    assert r.electrolyte.name == "LLZO" and r.electrode.name == "Li"
    assert r.working.model == "butler_volmer" and r.counter.model == "ideal"
    assert r.working.exchange_current_density == pytest.approx(128.0)  # 12.8 mA/cm²
    assert (r.working.alpha_a, r.working.alpha_c) == (0.5, 0.5)
    assert r.temperature == pytest.approx(298.15) and r.seed == 0
    assert r.numerics.linear_solver == "auto" and r.numerics.newton_max_iterations == 30


def test_exchange_current_defaults_follow_the_electrolyte():
    case = base(
        "materials.electrolyte=Li6PS5Cl",
        "counter_electrode.kinetics=butler_volmer",
    )
    r = resolve(case)
    assert r.working.exchange_current_density == pytest.approx(25.7)
    assert r.counter.exchange_current_density == pytest.approx(25.7)
    r = resolve(base("materials.electrolyte.li_exchange_current_density_mA_cm2=1"))
    assert r.working.exchange_current_density == pytest.approx(10.0)


def test_3d_geometry_and_contact_spot():
    case = base(
        "geometry.dimension=3d",
        "geometry.voids=[{center_um: [10, 20], radius_um: 4, height_um: 1}]",
    )
    g = resolve(case).geometry
    assert g.depth == 1e-4 and g.voids[0].center == (1e-5, 2e-5)
    g = resolve(base("geometry.contact_spot_radius_um=10", "geometry.gap_height_um=2")).geometry
    assert g.contact_spot_radius == 1e-5 and g.gap_height == 2e-6 and g.voids == ()


def test_potentiostatic():
    r = resolve(
        base(
            "protocol.mode=potentiostatic",
            "protocol.current_density_mA_cm2=null",
            "protocol.voltage_V=-0.05",
        )
    )
    assert r.protocol.mode == "potentiostatic" and r.protocol.voltage == -0.05


def test_random_voids_are_reproducible():
    overrides = ["geometry.random_voids={contact_fraction: 0.7, radius_um: [2, 6]}"]
    first = resolve(base(*overrides, "seed=3")).geometry.voids
    assert first and first == resolve(base(*overrides, "seed=3")).geometry.voids
    assert first != resolve(base(*overrides, "seed=4")).geometry.voids
    uncovered = sum(2 * v.radius if 0 < v.center[0] < 1e-4 else v.radius for v in first)
    assert uncovered / 1e-4 == pytest.approx(0.3, abs=0.02)


# --- overrides ------------------------------------------------------------------------------


def test_override_parsing():
    data = {"geometry": {"voids": [{"radius_um": 1}]}, "materials": {"electrolyte": "LLZO"}}
    out = apply_overrides(
        data,
        [
            "geometry.width_um=50",
            "numerics.newton_rtol=1e-8",
            "geometry.random_voids.radius_um=[2, 6]",
            "output.directory=null",
            "geometry.voids.0.radius_um = 3",
            "materials.electrolyte.ionic_conductivity_S_cm=5.0e-4",
            "name=a=b",
        ],
    )
    assert out["geometry"]["width_um"] == 50
    assert float(out["numerics"]["newton_rtol"]) == 1e-8  # YAML 1.1 reads 1e-8 as a string
    assert out["geometry"]["random_voids"] == {"radius_um": [2, 6]}
    assert out["output"]["directory"] is None
    assert out["geometry"]["voids"][0]["radius_um"] == 3
    assert out["materials"]["electrolyte"] == {"name": "LLZO", "ionic_conductivity_S_cm": 5e-4}
    assert out["name"] == "a=b"
    assert data["geometry"]["voids"][0]["radius_um"] == 1  # the input is not modified


def test_load_errors(tmp_path):
    with pytest.raises(UserError, match="no such case file"):
        load_case(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(ConfigError, match="empty"):
        load_case(empty)


# --- one-line errors naming the field --------------------------------------------------------

BAD = [
    # (id, file text or None for BASE, overrides, expected path or text)
    ("malformed-yaml", "geometry:\n  width_um: [1, 2\n", [], "demo.yaml: invalid YAML at line"),
    ("not-a-mapping", "- 1\n- 2\n", [], "demo.yaml: the top level must be a mapping"),
    ("unknown-top-key", None, ["geomtry.width_um=1"], "geomtry: unknown key"),
    ("unknown-nested-key", None, ["interface.kinetcs=linear"], "interface.kinetcs: unknown key"),
    (
        "negative-thickness",
        None,
        ["geometry.electrolyte_thickness_um=-5"],
        "geometry.electrolyte_thickness_um: must be > 0 (got -5)",
    ),
    ("alpha-range", None, ["interface.alpha_c=1"], "interface.alpha_c: must be < 1"),
    (
        "unknown-material",
        None,
        ["materials.electrolyte=LLZ0"],
        "materials.electrolyte: unknown material 'LLZ0'; known: LLZO, Li3PS4, Li6PS5Br, Li6PS5Cl",
    ),
    ("electrode-as-electrolyte", None, ["materials.electrolyte=Li"], "materials.electrolyte:"),
    (
        "unknown-material-key",
        None,
        ["materials.electrolyte.ionic_S_cm=1"],
        "materials.electrolyte.ionic_S_cm: unknown key",
    ),
    (
        "bad-material-value",
        None,
        ["materials.electrode.poisson_ratio=0.7"],
        "materials.electrode.poisson_ratio: must be in (0, 0.5)",
    ),
    (
        "contact-fraction-0",
        None,
        ["geometry.random_voids={contact_fraction: 0, radius_um: [2, 6]}"],
        "geometry.random_voids.contact_fraction: must be > 0",
    ),
    (
        "contact-fraction-1",
        None,
        ["geometry.random_voids={contact_fraction: 1, radius_um: [2, 6]}"],
        "geometry.random_voids.contact_fraction: must be < 1",
    ),
    (
        "radius-range",
        None,
        ["geometry.random_voids={contact_fraction: 0.5, radius_um: [6, 2]}"],
        "geometry.random_voids.radius_um: must be [min, max]",
    ),
    (
        "potentiostatic-no-voltage",
        None,
        ["protocol.mode=potentiostatic", "protocol.current_density_mA_cm2=null"],
        "protocol.voltage_V: required",
    ),
    (
        "galvanostatic-no-current",
        None,
        ["protocol.current_density_mA_cm2=null"],
        "protocol.current_density_mA_cm2: required",
    ),
    (
        "zero-current",
        None,
        ["protocol.current_density_mA_cm2=0"],
        "protocol.current_density_mA_cm2: must be nonzero",
    ),
    (
        "primary-with-bv-counter",
        None,
        ["interface.kinetics=primary", "counter_electrode.kinetics=butler_volmer"],
        "counter_electrode.kinetics: must be ideal or linear",
    ),
    (
        "linear-no-resistance",
        None,
        ["counter_electrode.kinetics=linear"],
        "counter_electrode.resistance_ohm_cm2: required for linear kinetics",
    ),
    ("bad-set-syntax", None, ["geometry.width_um"], "--set 'geometry.width_um': expected"),
    ("set-into-value", None, ["geometry.width_um.x=1"], "geometry.width_um is a value"),
    (
        "set-bad-index",
        "geometry:\n  voids: []\n",
        ["geometry.voids.2.radius_um=1"],
        "--set 'geometry.voids.2.radius_um=1': geometry.voids: no list entry 2 (it has 0)",
    ),
    (
        "center-dimension-3d",
        None,
        ["geometry.dimension=3d", "geometry.voids=[{center_um: 5, radius_um: 1, height_um: 1}]"],
        "geometry.voids.0.center_um: must be [x, y] for dimension 3d",
    ),
    (
        "center-dimension-plane",
        None,
        ["geometry.voids=[{center_um: [5, 5], radius_um: 1, height_um: 1}]"],
        "geometry.voids.0.center_um: must be a number x",
    ),
    (
        "second-void-radius",
        None,
        [
            "geometry.voids=[{center_um: 5, radius_um: 1, height_um: 1},"
            " {center_um: 50, radius_um: 0, height_um: 1}]"
        ],
        "geometry.voids.1.radius_um: must be > 0 (got 0)",
    ),
    (
        "void-outside",
        None,
        ["geometry.voids=[{center_um: 150, radius_um: 1, height_um: 1}]"],
        "geometry.voids.0.center_um: must lie in the cell",
    ),
    (
        "void-too-tall",
        None,
        ["geometry.voids=[{center_um: 5, radius_um: 1, height_um: 20}]"],
        "geometry.voids.0.height_um: must be < lithium_thickness_um",
    ),
    (
        "periodic",
        None,
        ["geometry.lateral_boundary=periodic"],
        "geometry.lateral_boundary: periodic lateral boundaries are not yet supported",
    ),
    ("depth-not-3d", None, ["geometry.depth_um=50"], "geometry.depth_um: only used with"),
    (
        "voids-and-random",
        None,
        [
            "geometry.voids=[{center_um: 5, radius_um: 1, height_um: 1}]",
            "geometry.random_voids={contact_fraction: 0.5, radius_um: [2, 6]}",
        ],
        "geometry.random_voids: exclusive with voids",
    ),
    (
        "spot-and-voids",
        None,
        [
            "geometry.voids=[{center_um: 5, radius_um: 1, height_um: 1}]",
            "geometry.contact_spot_radius_um=5",
        ],
        "geometry.contact_spot_radius_um: exclusive",
    ),
    (
        "spot-too-wide",
        None,
        ["geometry.contact_spot_radius_um=100"],
        "geometry.contact_spot_radius_um: must be < the cell's lateral size 100",
    ),
    ("bad-dimension", None, ["geometry.dimension=2d"], "geometry.dimension: must be one of"),
    ("quarter-disk-width", None, ["geometry.lithium_shape=quarter_disk"],
     "geometry.lithium_shape: quarter_disk needs width_um < lithium_thickness_um"),
    ("quarter-disk-axisymmetric", None,
     ["geometry.lithium_shape=quarter_disk", "geometry.lithium_thickness_um=200",
      "geometry.dimension=axisymmetric"], "geometry.lithium_shape: quarter_disk needs dimension"),
    ("quarter-disk-reduced", None,
     ["geometry.lithium_shape=quarter_disk", "geometry.lithium_thickness_um=200",
      "evolution={interface_model: reduced, protocol: [Rest for 1 s]}"],
     "geometry.lithium_shape: quarter_disk is a Li body"),
    ("anand-reduced", None, ["lithium.creep_law=anand"],
     "lithium.creep_law: anand is the coupled interface model's Li"),
    ("anand-rigid", None,
     ["lithium.creep_law=anand", "evolution={interface_model: coupled, stack_pressure_MPa: 1, "
      "supply: {creep: false}, protocol: [Rest for 1 s]}"],
     "lithium.creep_law: anand needs creep"),
    ("size-effect-anand", None, ["lithium={creep_law: anand, feature_size_um: 5}"],
     "lithium.feature_size_um: the size effect is for the power law"),
    ("size-effect-reduced", None, ["lithium.feature_size_um=5"],
     "lithium.feature_size_um: the size effect is the coupled interface model's Li"),
    ("quarter-disk-mechanics", None,
     ["geometry.lithium_shape=quarter_disk", "geometry.lithium_thickness_um=200",
      "mechanics.enabled=true"], "geometry.lithium_shape: quarter_disk is a Li body"),
    ("temperature-range", None, ["temperature_C=-60"], "temperature_C: must be >= -50"),
    (
        "iterations-range",
        None,
        ["numerics.newton_max_iterations=501"],
        "numerics.newton_max_iterations: must be <= 500",
    ),
    ("not-a-number", None, ["geometry.width_um=wide"], "geometry.width_um: must be a number"),
    ("missing-geometry", "protocol:\n  current_density_mA_cm2: 1\n", [], "geometry: required"),
]


@pytest.mark.parametrize(
    ("text", "overrides", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_input_gives_one_line_naming_the_field(case_file, text, overrides, expected):
    with pytest.raises(ConfigError) as info:
        load_case(case_file(text or BASE), overrides)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_several_errors_are_counted():
    with pytest.raises(ConfigError, match=r"\(and 1 more\)$"):
        base("geometry.width_um=-1", "interface.alpha_a=2")


# --- round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        [
            "geometry.dimension=axisymmetric",
            "geometry.voids=[{center_um: 0, radius_um: 5, height_um: 2}]",
            "materials.electrolyte={name: Li6PS5Cl, youngs_modulus_GPa: 15}",
        ],
        [
            "geometry.dimension=3d",
            "geometry.voids=[{center_um: [10, 20], radius_um: 4, height_um: 1, shape: cap}]",
            "interface.kinetics=primary",
            "counter_electrode.kinetics=linear",
            "counter_electrode.resistance_ohm_cm2=3",
        ],
        [
            "geometry.contact_spot_radius_um=10",
            "protocol.mode=potentiostatic",
            "protocol.current_density_mA_cm2=null",
            "protocol.voltage_V=0.1",
        ],
        ["geometry.random_voids={contact_fraction: 0.6, radius_um: [2, 6], shape: cap}", "seed=7"],
    ],
)
def test_resolved_dict_round_trips(case_file, overrides):
    case = load_case(case_file(), overrides)
    dumped = yaml.safe_dump(resolved_dict(case), sort_keys=False)
    again = validate_case(yaml.safe_load(dumped))
    assert resolve(again) == resolve(case)
    assert resolved_dict(again) == resolved_dict(case)


def test_resolved_dict_lists_the_material_values_used():
    data = resolved_dict(base("materials.electrolyte.ionic_conductivity_S_cm=5e-4"))
    electrolyte = data["materials"]["electrolyte"]
    assert electrolyte["name"] == "LLZO" and electrolyte["ionic_conductivity_S_cm"] == 5e-4
    assert electrolyte["youngs_modulus_GPa"] == 150.0
    assert data["materials"]["electrode"]["molar_volume_m3_mol"] == 1.3e-5
    assert data["interface"]["exchange_current_density_mA_cm2"] == 12.8
    assert data["geometry"]["mesh"] == {
        "size_um": 10.0,
        "interface_size_um": 2.0,
        "edge_size_um": 0.4,
        "growth_rate": 0.2,
        "max_cells": 5_000_000,
        "refinements": 0,
    }


# --- materials library ----------------------------------------------------------------------


def test_library_entries_are_complete_and_sourced():
    assert materials.material_names("electrolyte") == [
        "LLZO", "Li3PS4", "Li6PS5Br", "Li6PS5Cl", "LiPON"]
    assert materials.material_names("electrode") == ["Li"]
    for name, material in materials.library().items():
        assert set(materials.REQUIRED[material.kind]) <= set(material.values)
        assert set(material.sources) == set(material.values), name
        assert all(text.strip() for text in materials.material_sources(name).values())


def test_exchange_current_density_matches_the_quoted_asr():
    rt_f = GAS_CONSTANT * 298.15 / FARADAY  # V
    llzo = materials.material_value("LLZO", "li_exchange_current_density_mA_cm2")
    assert llzo == pytest.approx(rt_f / 2.0 * 1e3, rel=0.01)  # 2 Ω cm², A/cm² -> mA/cm²
    for name in ("Li6PS5Cl", "Li6PS5Br", "Li3PS4"):
        i0 = materials.material_value(name, "li_exchange_current_density_mA_cm2")
        assert i0 == pytest.approx(rt_f / 10.0 * 1e3, rel=0.01)  # 10 Ω cm²
    assert (
        "RT/(F ASR_ct)" in materials.material_sources("LLZO")["li_exchange_current_density_mA_cm2"]
    )


def test_get_material_errors():
    with pytest.raises(ConfigError, match=r"^material: unknown material 'LLZ0'; known: LLZO,"):
        materials.get_material("LLZ0")
    with pytest.raises(ConfigError, match="no property 'stiffness'"):
        materials.material_value("Li", "stiffness")
    assert math.isclose(materials.material_value("Li", "creep_stress_exponent"), 6.67)


def test_docs_list_every_field():
    """docs/config.md has a row for every leaf field of the schema."""
    from pathlib import Path

    from pydantic import BaseModel

    from lisse.solver.config.schema import Case, RandomVoidsSpec, VoidSpec

    docs = (Path(__file__).parents[2] / "docs" / "config.md").read_text()

    def leaves(model: type[BaseModel]):
        for name, info in model.model_fields.items():
            kind = info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel) and "kind" not in dir(kind):
                yield from leaves(kind)  # a section (a material choice is a leaf)
            else:
                yield name

    fields = {*leaves(Case), *leaves(VoidSpec), *leaves(RandomVoidsSpec)}
    assert {n for n in fields if f"`{n}`" not in docs and f".{n}`" not in docs} == set()


def test_size_effect_factor():
    """lithium.feature_size_um: S × max(1, σ_y(D)/σ_b), σ_y = 105 MPa (D/1.39 µm)^−0.68 (Xu et
    al. 2017), σ_b = 0.8 MPa (the library's Li)."""
    coupled = ("evolution={interface_model: coupled, stack_pressure_MPa: 1, "
               "supply: {creep: true}, protocol: [Rest for 1 s]}")
    for size, factor in ((10.0, 105 * (10 / 1.39) ** -0.68 / 0.8), (1e4, 1.0)):
        params = resolve(base(coupled, f"lithium.feature_size_um={size}"))
        assert params.lithium_strength_factor == pytest.approx(factor, rel=1e-12)
    assert resolve(base(coupled)).lithium_strength_factor == 1.0
    assert 34 < 105 * (10 / 1.39) ** -0.68 / 0.8 < 35
