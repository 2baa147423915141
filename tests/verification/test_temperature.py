"""T1 (../shared/validation.md): Arrhenius transport.

Every ionic conductivity and exchange current density is given at T_ref (25 °C) and moved to
the case temperature by X(T) = X_ref · exp(−E_a/R · (1/T − 1/T_ref)) when the case is resolved
(``solver.config.resolve.at_temperature``). The expected values here are computed from the
input numbers, independently of that code:

- planar full-contact cell, primary kinetics: ASR = L/κ(T) (exact on any mesh, 1e-8 rel);
- planar cell with Butler–Volmer kinetics (α = 1/2) on a user i0 and E_a: the charge-transfer
  ASR (V − jL/κ)/j = (2RT/(F j)) asinh(j/(2 i0(T))) → RT/(F i0(T)) (1e-8 rel);
- a polycrystal whose boundaries have their own E_a, and an interlayer with its own: the
  cell at T equals the same cell at T_ref with each conductivity scaled by its own factor;
- the demo (configs/demo.yaml, coarse mesh) at 0, 25 and 60 °C: the full-contact ASR is the
  closed form of the library inputs, and the total ASR falls with temperature;
- ``mpirun -n 2`` gives the serial answer at 60 °C.
"""

from __future__ import annotations

import json
import math

import pytest
import yaml

import lisse
from lisse.solver.config.schema import resolve, resolved_dict, validate_case
from lisse.solver.errors import ConfigError
from lisse.units import (
    A_M2_PER_MA_CM2,
    FARADAY,
    GAS_CONSTANT,
    J_PER_KJ,
    OHM_CM2_PER_OHM_M2,
    S_M_PER_S_CM,
    UM_PER_M,
    kelvin,
)
from tests.helpers import ROOT, run_lisse, solve_case

TEMPERATURES_C = (0.0, 25.0, 60.0)
LLZO_KAPPA_S_CM, LLZO_I0_MA_CM2, LLZO_EA_KJ_MOL = 4.0e-4, 12.8, 36.2  # materials.yaml
THICKNESS_UM = 100.0
SMALL = ["geometry.mesh.size_um=30", "geometry.mesh.interface_size_um=4",
         "geometry.mesh.edge_size_um=0.5"]


def arrhenius(ea_kj_mol: float, celsius: float, reference_c: float = 25.0) -> float:
    """exp(−E_a/R (1/T − 1/T_ref)), written out here to check the solver's."""
    return math.exp(-ea_kj_mol * J_PER_KJ / GAS_CONSTANT
                    * (1 / kelvin(celsius) - 1 / kelvin(reference_c)))


def planar(celsius: float, interface: dict, **extra) -> dict:
    """A planar LLZO cell in full contact with an ideal counter electrode at 1 mA/cm²."""
    return {
        "name": "t1", "temperature_C": celsius,
        "geometry": {"dimension": "plane", "width_um": 20, "lithium_thickness_um": 10,
                     "electrolyte_thickness_um": THICKNESS_UM,
                     "mesh": {"size_um": 10, "interface_size_um": 5, "edge_size_um": 5}},
        "materials": {"electrolyte": "LLZO"},
        "interface": interface,
        "counter_electrode": {"kinetics": "ideal"},
        "protocol": {"current_density_mA_cm2": 1.0},
        **extra,
    }


def asr_ohm_cm2(case: dict) -> float:
    """Total ASR V/j [Ω cm²] of a case, solved through the one model builder."""
    sol, _, _ = solve_case(case)
    return sol.cell_voltage / sol.current_density * OHM_CM2_PER_OHM_M2


@pytest.mark.parametrize("celsius", TEMPERATURES_C)
def test_t1_bulk_asr_follows_the_arrhenius_conductivity(celsius, validation):
    asr = asr_ohm_cm2(planar(celsius, {"kinetics": "primary"}))
    kappa = LLZO_KAPPA_S_CM * S_M_PER_S_CM * arrhenius(LLZO_EA_KJ_MOL, celsius)
    exact = THICKNESS_UM / UM_PER_M / kappa * OHM_CM2_PER_OHM_M2
    err = abs(asr / exact - 1)
    assert err < 1e-8, (asr, exact)
    validation.record(f"T1 planar bulk ASR, LLZO, {celsius:g} °C", "ASR = L/κ(T), "
                      "κ = κ_ref exp(−E_a/R (1/T − 1/T_ref)), E_a 36.2 kJ/mol",
                      "validation.md T1", "1e-8 rel", f"{asr:.6g} Ω cm², {err:.1e} rel",
                      "plane 20×100 µm, 10 µm", err < 1e-8)


@pytest.mark.parametrize("celsius", TEMPERATURES_C)
def test_t1_charge_transfer_asr_follows_the_arrhenius_i0(celsius, validation):
    """A user i0 (0.5 mA/cm² at 25 °C) with a user E_a (45 kJ/mol, the bulk keeps its
    library 36.2 kJ/mol), at 0.01 mA/cm²."""
    i0_ref, ea = 0.5, 45.0
    case = planar(celsius, {"kinetics": "butler_volmer", "exchange_current_density_mA_cm2": i0_ref,
                            "exchange_current_density_activation_energy_kJ_mol": ea})
    case["protocol"]["current_density_mA_cm2"] = 0.01  # j ≪ i0(0 °C) = 0.1 mA/cm²
    asr = asr_ohm_cm2(case)
    kappa = LLZO_KAPPA_S_CM * S_M_PER_S_CM * arrhenius(LLZO_EA_KJ_MOL, celsius)
    bulk = THICKNESS_UM / UM_PER_M / kappa * OHM_CM2_PER_OHM_M2
    j = 0.01 * A_M2_PER_MA_CM2
    i0 = i0_ref * A_M2_PER_MA_CM2 * arrhenius(ea, celsius)
    rt_f = GAS_CONSTANT * kelvin(celsius) / FARADAY
    exact_ct = 2 * rt_f / j * math.asinh(j / (2 * i0)) * OHM_CM2_PER_OHM_M2
    err = abs((asr - bulk) / exact_ct - 1)
    assert err < 1e-8, (asr - bulk, exact_ct)
    linear_limit = rt_f / i0 * OHM_CM2_PER_OHM_M2
    assert exact_ct == pytest.approx(linear_limit, rel=2e-3)  # j ≪ i0: RT/(F i0)
    validation.record(f"T1 planar charge-transfer ASR, user i0, {celsius:g} °C",
                      "(V − jL/κ)/j = (2RT/Fj) asinh(j/2i0(T)) ≈ RT/(F i0(T)), E_a 45 kJ/mol",
                      "validation.md T1", "1e-8 rel",
                      f"{asr - bulk:.6g} Ω cm² (RT/Fi0 {linear_limit:.6g}), {err:.1e} rel",
                      "plane 20×100 µm, 10 µm", err < 1e-8)


def _region_case(celsius: float, region: str, kappa_s_cm: float, ea: float | None,
                 bulk_s_cm: float | None = None) -> dict:
    """Aligned square grains (boundaries at 1e-8 S/cm) or a 10 µm interlayer (2e-5 S/cm)
    in the planar cell; primary kinetics, so only the conductivities depend on T."""
    spec = ({"size_um": 20, "spread": 0.0, "ionic_conductivity_S_cm": kappa_s_cm}
            if region == "grains" else {"thickness_um": 10, "ionic_conductivity_S_cm": kappa_s_cm})
    if ea is not None:
        spec["ionic_conductivity_activation_energy_kJ_mol"] = ea
    case = planar(celsius, {"kinetics": "primary"}, microstructure={region: spec})
    case["geometry"]["width_um"] = 40
    case["geometry"]["mesh"] = {"size_um": 5, "interface_size_um": 2.5, "edge_size_um": 2.5}
    if bulk_s_cm is not None:
        case["materials"]["electrolyte"] = {"name": "LLZO", "ionic_conductivity_S_cm": bulk_s_cm}
    return case


@pytest.mark.parametrize(("region", "kappa", "ea"), [("grains", 1e-8, 60.0),
                                                      ("interlayer", 2e-5, 20.0)])
def test_t1_region_conductivity_follows_its_own_activation_energy(region, kappa, ea,
                                                                  validation):
    """At 60 °C the cell equals the 25 °C cell whose bulk and region conductivities were
    each scaled by hand with their own E_a (the region's differs from the bulk's)."""
    hot = asr_ohm_cm2(_region_case(60.0, region, kappa, ea))
    scaled = asr_ohm_cm2(_region_case(25.0, region, kappa * arrhenius(ea, 60.0), None,
                                      LLZO_KAPPA_S_CM * arrhenius(LLZO_EA_KJ_MOL, 60.0)))
    with_bulk_ea = asr_ohm_cm2(_region_case(60.0, region, kappa, None))
    err = abs(hot / scaled - 1)
    assert err < 1e-8, (hot, scaled)
    assert abs(with_bulk_ea / hot - 1) > 0.05  # the region's own E_a matters here
    cold = asr_ohm_cm2(_region_case(25.0, region, kappa, ea))
    validation.record(f"T1 {region} conductivity at 60 °C, own E_a {ea:g} kJ/mol",
                      "cell(60 °C) = cell(25 °C, κ_bulk·f_bulk, κ_region·f_region)",
                      "validation.md T1", "1e-8 rel",
                      f"{cold:.5g} → {hot:.5g} Ω cm² (bulk E_a: {with_bulk_ea:.5g}), "
                      f"{err:.1e} rel", "plane 40×100 µm, 5 µm", err < 1e-8)


def test_t1_demo_asr_falls_with_temperature_as_its_inputs(tmp_path, validation):
    """Issue 13 acceptance: the demo's ASR at 0, 25, 60 °C falls with temperature; its
    full-contact ASR is the closed form of the library inputs."""
    rows = []
    for celsius in TEMPERATURES_C:
        result = lisse.run(ROOT / "configs" / "demo.yaml",
                           [*SMALL, f"temperature_C={celsius:g}", "output.fields=false",
                            "output.plots=false"], output=tmp_path / f"T{celsius:g}")
        s = result.summary
        kappa = LLZO_KAPPA_S_CM * S_M_PER_S_CM * arrhenius(LLZO_EA_KJ_MOL, celsius)
        i0 = LLZO_I0_MA_CM2 * A_M2_PER_MA_CM2 * arrhenius(LLZO_EA_KJ_MOL, celsius)
        j = s["current_density_A_m2"]
        eta = 2 * GAS_CONSTANT * kelvin(celsius) / FARADAY * math.asinh(j / (2 * i0))
        exact = (150 / UM_PER_M / kappa + 2 * eta / j) * OHM_CM2_PER_OHM_M2  # both sides BV
        err = abs(s["asr_full_contact_ohm_cm2"] / exact - 1)
        assert err < 1e-10, (celsius, s["asr_full_contact_ohm_cm2"], exact)
        config = json.dumps(resolved_dict(lisse.load_case(
            ROOT / "configs" / "demo.yaml", [*SMALL, f"temperature_C={celsius:g}"])))
        assert f'"reference_temperature_C": {celsius}' in config
        rows.append((celsius, s["asr_total_ohm_cm2"], s["asr_full_contact_ohm_cm2"], err))
    totals = [r[1] for r in rows]
    assert totals[0] > totals[1] > totals[2]
    # bulk and i0 share E_a = 36.2 kJ/mol: the total ASR follows their Arrhenius factor up
    # to the RT/F of the kinetics and the constriction's dependence on it (a few %)
    for celsius, total, _, _ in rows:
        assert total * arrhenius(LLZO_EA_KJ_MOL, celsius) == pytest.approx(totals[1], rel=0.05)
    worst = max(r[3] for r in rows)
    validation.record("T1 demo ASR at 0, 25, 60 °C (issue 13)",
                      "ASR falls with T; ASR_full = L/κ(T) + 2η(i0(T))/j",
                      "validation.md T1", "1e-10 rel (full contact)",
                      ", ".join(f"{c:g} °C: {t:.4g} Ω cm²" for c, t, _, _ in rows)
                      + f"; full contact {worst:.1e} rel", "demo, size 30/4/0.5 µm",
                      totals[0] > totals[1] > totals[2] and worst < 1e-10)


def test_t1_resolution_round_trips_at_temperature():
    """config_resolved.yaml at 60 °C runs the same case again, also when its
    temperature is then changed back to 25 °C (it moves from its own T_ref)."""
    case = validate_case(planar(60.0, {"kinetics": "butler_volmer"}))
    again = validate_case(resolved_dict(case))
    assert resolve(again) == resolve(case)
    back = validate_case({**resolved_dict(case), "temperature_C": 25.0})
    room = resolve(validate_case(planar(25.0, {"kinetics": "butler_volmer"})))
    assert resolve(back).electrolyte.ionic_conductivity == pytest.approx(
        room.electrolyte.ionic_conductivity, rel=1e-12)
    assert resolve(back).working.exchange_current_density == pytest.approx(
        room.working.exchange_current_density, rel=1e-12)


@pytest.mark.slow
def test_t1_mpi_matches_serial(tmp_path):
    case = tmp_path / "t1.yaml"
    case.write_text(yaml.safe_dump(planar(60.0, {"kinetics": "butler_volmer"})))
    voltages = []
    for n in (1, 2):
        out = tmp_path / f"n{n}"
        proc = run_lisse(["run", str(case), "-o", str(out), "--set", "output.fields=false",
                          "--set", "output.plots=false"], n=n)
        assert proc.returncode == 0, proc.stderr
        voltages.append(json.loads((out / "summary.json").read_text())["cell_voltage_V"])
    assert voltages[1] == pytest.approx(voltages[0], rel=1e-10)


def test_t1_activation_energy_defaults_and_bounds():
    """Regions and interfaces default to the electrolyte's E_a; E_a ≥ 0, T_ref in range."""
    case = validate_case(_region_case(25.0, "grains", 1e-8, None))
    assert case.microstructure.grains.ionic_conductivity_activation_energy_kJ_mol == 36.2
    assert case.interface.exchange_current_density_activation_energy_kJ_mol is None  # primary
    bv = validate_case(planar(25.0, {"kinetics": "butler_volmer"}))
    assert bv.interface.exchange_current_density_activation_energy_kJ_mol == 36.2
    zero = planar(60.0, {"kinetics": "primary"})
    zero["materials"]["electrolyte"] = {
        "name": "LLZO", "ionic_conductivity_activation_energy_kJ_mol": 0}
    assert resolve(validate_case(zero)).electrolyte.ionic_conductivity == pytest.approx(
        LLZO_KAPPA_S_CM * S_M_PER_S_CM, rel=1e-15)
    for key, value, message in [
            ("ionic_conductivity_activation_energy_kJ_mol", -1, "must be >= 0"),
            ("reference_temperature_C", 400, "must be in [-50, 300]")]:
        bad = planar(25.0, {"kinetics": "primary"})
        bad["materials"]["electrolyte"] = {"name": "LLZO", key: value}
        with pytest.raises(ConfigError, match=f"{key}: {message}".replace("[", r"\[")):
            validate_case(bad)
