"""One wiring: an evolution (or CCD trial) builds the same model as a steady run.

Regressions of the copied wiring: the evolution used to pass the bulk ionic conductivity,
so grain boundaries, interlayers and films did not change its cell voltage, and the
stress-coupled kinetics of a mechanics hold never reached it. The first step of an
evolution solves the current distribution of the starting interface, so its cell voltage
and local current equal those of the steady run of the same case (to solver tolerance).
"""

from __future__ import annotations

import copy
import json
import sys

import pytest

import lisse
from lisse.solver.config.materials import material_value
from lisse.units import FARADAY, PA_PER_MPA
from tests.helpers import run_mpi

BASE = {
    "geometry": {
        "width_um": 16, "lithium_thickness_um": 8, "electrolyte_thickness_um": 16,
        "mesh": {"size_um": 2, "interface_size_um": 0.5, "edge_size_um": 0.25},
    },
    "protocol": {"current_density_mA_cm2": 0.5},
    "output": {"fields": False, "plots": False},
}
STRIP = {"interface_model": "reduced",
         "steps": [{"current_density_mA_cm2": 0.5, "duration_h": 0.001}],
         "supply": {"creep": False, "vacancy": False}}
VARIANTS = {  # physics -> (section patch, the field scaled tenfold)
    "polycrystal": ({"microstructure": {"grains": {
        "size_um": 4, "spread": 0.3, "band_width_um": 0.2, "ionic_conductivity_S_cm": 1e-6}}},
        ("microstructure", "grains", "ionic_conductivity_S_cm")),
    "interlayer": ({"microstructure": {"interlayer": {
        "thickness_um": 1, "ionic_conductivity_S_cm": 1e-5}}},
        ("microstructure", "interlayer", "ionic_conductivity_S_cm")),
    "film": ({"interface": {"film_resistance_ohm_cm2": 20.0}},
             ("interface", "film_resistance_ohm_cm2")),
}


def _case(name: str, scale: float = 1.0, evolution: bool = False) -> dict:
    patch, path = VARIANTS[name]
    case = copy.deepcopy(BASE) | copy.deepcopy(patch)
    node = case
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] *= scale
    case["name"] = f"{name}-{scale:g}-{'evo' if evolution else 'steady'}"
    if evolution:
        case["evolution"] = copy.deepcopy(STRIP)
    return case


def first_step_voltages(name: str, tmp) -> dict:
    """Steady and first-step evolution voltages [V], and the steady voltage with the
    varied property ×10."""
    steady = lisse.run(_case(name), output=tmp / f"{name}-steady")
    evo = lisse.run(_case(name, evolution=True), output=tmp / f"{name}-evo")
    scaled = lisse.run(_case(name, 10.0, evolution=True), output=tmp / f"{name}-evo10")
    return {"steady": steady.summary["cell_voltage_V"],
            "first_step": float(evo.timeseries["cell_voltage_V"][0]),
            "first_step_x10": float(scaled.timeseries["cell_voltage_V"][0])}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_evolution_uses_the_region_wise_model(name, tmp_path):
    v = first_step_voltages(name, tmp_path)
    assert v["first_step"] == pytest.approx(v["steady"], rel=1e-8)
    # the varied property reaches the evolution: ×10 κ lowers, ×10 film raises the voltage
    change = v["first_step_x10"] / v["first_step"] - 1
    assert abs(change) > 1e-3
    assert (change > 0) == (name == "film")


def mechanics_case(evolution: bool, coupling: bool = True) -> dict:
    """Elastic Li pressed by 5 MPa in full contact: the Li pressure at the contact is
    p(1 + ν)/3(1 − ν) ≠ p, so the stress coupling shifts the kinetics (validation E6)."""
    case = copy.deepcopy(BASE)
    case["name"] = "mech-evo" if evolution else "mech-steady"
    case["mechanics"] = {"enabled": True, "stack_pressure_MPa": 5.0, "li_model": "elastic",
                         "loading": "traction", "element_degree": 1,
                         "stress_coupling": coupling}
    if evolution:
        case["evolution"] = copy.deepcopy(STRIP)
    return case


def test_evolution_applies_the_stress_coupled_kinetics(tmp_path):
    coupled = lisse.run(mechanics_case(False), output=tmp_path / "steady")
    evo = lisse.run(mechanics_case(True), output=tmp_path / "evo")
    uncoupled = lisse.run(mechanics_case(True, coupling=False), output=tmp_path / "plain")
    s = coupled.summary
    assert evo.timeseries["cell_voltage_V"][0] == pytest.approx(s["cell_voltage_V"], rel=1e-8)
    jmax = evo.timeseries["max_local_current_density_mA_cm2"][0] * 10  # A/m²
    assert jmax == pytest.approx(s["max_interface_current_density_A_m2"], rel=1e-8)
    # the coupling is not neutral: it shifts the first step by −Ω (p_h − p)/F (E6), plus a
    # small change of the kinetic overpotential through the i0 factor at this current
    shift = s["cell_voltage_V"] - uncoupled.timeseries["cell_voltage_V"][0]
    nu, omega = (material_value("Li", k) for k in ("poisson_ratio", "molar_volume_m3_mol"))
    p = 5 * PA_PER_MPA
    p_h = p * (1 + nu) / (3 * (1 - nu))
    assert shift == pytest.approx(-omega * (p_h - p) / FARADAY, rel=0.05)


MPI_SCRIPT = """
import json, pathlib, tempfile
from mpi4py import MPI
from tests.integration.test_one_wiring import first_step_voltages
tmp = pathlib.Path(MPI.COMM_WORLD.bcast(tempfile.mkdtemp() if MPI.COMM_WORLD.rank == 0
                                        else None))
out = first_step_voltages("polycrystal", tmp)
if MPI.COMM_WORLD.rank == 0:
    print(json.dumps(out))
"""


@pytest.mark.slow
def test_mpi_matches_serial(tmp_path):
    proc = run_mpi([sys.executable, "-c", MPI_SCRIPT])
    assert proc.returncode == 0, proc.stderr
    parallel = json.loads(proc.stdout.strip().splitlines()[-1])
    assert parallel["first_step"] == pytest.approx(parallel["steady"], rel=1e-8)
    serial = first_step_voltages("polycrystal", tmp_path)
    for key, value in serial.items():
        assert parallel[key] == pytest.approx(value, rel=1e-6), key


def test_ccd_trials_start_from_the_same_interface():
    """Each CCD trial starts from the model's starting interface: before the one wiring a
    trial inherited the contact its predecessor ended with (voids closed by creep in one
    trial started the next one closed), so the CCD depended on the order of the trials."""
    import dataclasses

    from mpi4py import MPI

    from lisse.solver.config.schema import resolve
    from lisse.solver.physics.evolution_settings import ProtocolStep
    from lisse.solver.physics.gap_evolution import InterfaceEvolution
    from lisse.solver.studies.model import build_model

    case = copy.deepcopy(BASE)
    case["geometry"]["voids"] = [{"center_um": 0, "radius_um": 4, "height_um": 1}]
    case["evolution"] = {"interface_model": "reduced", "stack_pressure_MPa": 8.0,
                         "supply": {"creep": True, "vacancy": False}}
    params = resolve(lisse.load_case(case))
    model = build_model(params, MPI.COMM_WORLD, "ccd")

    def trial(j: float, hours: float):
        settings = dataclasses.replace(params.evolution,
                                       steps=(ProtocolStep(j, hours * 3600, "strip"),))
        evo = InterfaceEvolution(params, settings, model.reset(), MPI.COMM_WORLD)
        outcome = evo.run()
        return [(r.contact_fraction, r.cell_voltage) for r in outcome.records]

    first = trial(5.0, 0.02)
    slow = trial(0.0, 2.0)  # a rest: creep closes the void meanwhile
    assert slow[-1][0] > slow[0][0] + 0.05  # the void closed: contact was gained
    assert trial(5.0, 0.02) == first
