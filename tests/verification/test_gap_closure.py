"""Closure of interfacial voids measured on the creep field of the cell (solver.studies.gap_closure)
against the reduced isolated-void law (solver.physics.creep_closure), and the evolution with it.

For a power-law Li at fixed geometry the creep problem is homogeneous in the load: once the
elastic transient is over the closure rate scales as pⁿ and follows the Arrhenius factor of
the creep law exactly. The tests check both (to the settling tolerance of the measurement),
the mesh convergence of the rate, how it compares with the isolated-void rate, and that the
evolution keeps its Li bookkeeping and its pressure trend with the measured rate.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import pytest
from mpi4py import MPI

from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.physics.evolution_settings import ProtocolStep
from lisse.solver.physics.gap_evolution import InterfaceEvolution
from lisse.solver.studies.ccd import ccd_search
from lisse.solver.studies.evolution import _with_closure_rate
from lisse.solver.studies.gap_closure import RATE_RTOL, measure_gap_closure
from lisse.solver.studies.model import build_model
from tests.integration.test_evolution import case, strip

# the measured rate settles to RATE_RTOL between successive steps; ratios of two
# measurements are good to a few times that
SCALING_TOL = 3 * RATE_RTOL


@cache  # the 1 MPa, 25 °C rate is used by four tests: measured once (GapClosure is frozen)
def _rate(pressure_MPa: float = 1.0, celsius: float = 25.0, mesh_scale: float = 1.0):
    data = dict(case(stack_pressure_MPa=pressure_MPa), temperature_C=celsius)
    mesh = data["geometry"]["mesh"]
    for key in mesh:
        mesh[key] *= mesh_scale
    params = resolve(validate_case(data))
    closure = measure_gap_closure(params, pressure_MPa * 1e6, MPI.COMM_WORLD)
    return closure, params


@pytest.mark.slow
def test_closure_rate_scales_as_the_creep_law(validation):
    """k(2p)/k(p) = 2ⁿ and k(60 °C)/k(25 °C) = the Arrhenius factor of ε̇₀."""
    k1, params = _rate(1.0)
    k2, _ = _rate(2.0)
    hot, _ = _rate(1.0, 60.0)
    li = params.electrode
    n, q = li.creep_stress_exponent, li.creep_activation_energy
    by_pressure = k2.rate / k1.rate / 2**n
    by_temperature = hot.rate / k1.rate / math.exp(q / 8.314462618 * (1 / 298.15 - 1 / 333.15))
    assert by_pressure == pytest.approx(1.0, abs=SCALING_TOL)
    assert by_temperature == pytest.approx(1.0, abs=SCALING_TOL)
    validation.record(
        "Creep-field void closure: scaling",
        "k(2p)/k(p) = 2ⁿ, k(T) ∝ exp(−Q/RT)",
        "homogeneity of power-law creep",
        f"{SCALING_TOL:.0%}",
        f"ratio/2ⁿ = {by_pressure:.4f}, ratio/Arrhenius = {by_temperature:.4f}",
        "plane, 2 voids, 1 and 2 MPa, 25 and 60 °C",
        True,
    )


@pytest.mark.slow
def test_closure_rate_mesh_convergence_and_isolated_void_ratio(validation):
    """Halving every element size changes k by < 5 %; the field closes these interfacial
    voids far faster than the isolated-void law (a documented finding, not a tolerance)."""
    coarse, params = _rate(1.0)
    fine, _ = _rate(1.0, mesh_scale=0.5)
    change = abs(fine.rate / coarse.rate - 1)
    assert change < 0.05
    isolated = params.evolution.creep.volume_rate(params.temperature)
    ratio = fine.rate / isolated
    assert ratio > 100
    validation.record(
        "Creep-field void closure: mesh, vs isolated void",
        "h → h/2; k_field / k_M2",
        "convergence; docs/interface_evolution.md",
        "5 %",
        f"k = {coarse.rate:.4g} → {fine.rate:.4g} /s ({change:.1%}); "
        f"k_field/k_isolated = {ratio:.0f}",
        "plane, 2 voids, 1 MPa, 25 °C",
        True,
    )


@pytest.mark.slow
def test_evolution_with_the_creep_field_rate():
    """Li bookkeeping holds with the measured rate, and it raises the CCD above the
    isolated-void value at the same pressure; the CCD still rises with pressure."""
    data = case(
        stack_pressure_MPa=1.0,
        supply={"creep": True, "vacancy": True, "creep_closure": "creep_field"},
    )
    params = resolve(validate_case(data))
    model = build_model(params, MPI.COMM_WORLD, "evolution")
    settings = _with_closure_rate(model, params.evolution)
    assert settings.closure_rate > 0
    steps = (strip(0.5, 0.2), ProtocolStep(0.0, 600.0, "rest"), strip(-0.5, 0.1))
    evo = InterfaceEvolution(
        params,
        dataclasses.replace(settings, steps=steps),
        model.reset(),
    )
    outcome = evo.run()
    assert max(r.mass_balance_error for r in outcome.records) < 5e-3
    # the CCDs are compared only with each other, and differ by far more than the
    # bisection tolerance (×10 and more: CCD ∝ pⁿ, n = 6.67): searched to rtol 0.3
    search = {"capacity_mAh_cm2": 0.5, "start_mA_cm2": 0.1, "rtol": 0.3}
    field = [
        ccd_search(
            resolve(
                validate_case(
                    case(
                        stack_pressure_MPa=p,
                        supply={"creep": True, "vacancy": True, "creep_closure": "creep_field"},
                        ccd=search,
                    )
                )
            ),
            MPI.COMM_WORLD,
        )
        for p in (0.5, 1.0)
    ]
    isolated = ccd_search(resolve(validate_case(case(stack_pressure_MPa=1.0, ccd=search))),
                          MPI.COMM_WORLD)
    # strictly above the whole bracket of the lower CCD: the rise is not the tolerance's
    assert field[1].ccd >= field[0].bracket[1], (field[0].bracket, field[1].ccd)
    assert field[1].ccd >= isolated.bracket[1], (isolated.bracket, field[1].ccd)
    field = [f.ccd for f in field]
    isolated = isolated.ccd
    assert field[1] > field[0]
    assert field[1] > isolated


def test_creep_field_without_voids_is_a_user_error(tmp_path):
    import yaml

    from tests.helpers import run_lisse

    data = case(
        voids=False, supply={"creep": True, "vacancy": True, "creep_closure": "creep_field"}
    )
    path = tmp_path / "planar.yaml"
    path.write_text(yaml.safe_dump(data))
    proc = run_lisse(["ccd", str(path), "-o", str(tmp_path / "out")])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "evolution.supply.creep_closure" in lines[0]
    assert not (tmp_path / "out").exists()


MPI_SCRIPT = """
from mpi4py import MPI
from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.studies.gap_closure import measure_gap_closure
from tests.integration.test_evolution import case
params = resolve(validate_case(case(stack_pressure_MPa=1.0)))
closure = measure_gap_closure(params, 1e6, MPI.COMM_WORLD)
if MPI.COMM_WORLD.rank == 0:
    print("RATE", repr(closure.rate), closure.steps)
"""


@pytest.mark.slow
def test_closure_rate_mpi_matches_serial():
    import sys

    from tests.helpers import run_mpi

    serial, _ = _rate(1.0)
    proc = run_mpi([sys.executable, "-c", MPI_SCRIPT])
    assert proc.returncode == 0, proc.stderr
    rate, steps = proc.stdout.split("RATE")[1].split()
    assert int(steps) == serial.steps
    assert float(rate) == pytest.approx(serial.rate, rel=1e-6)


@pytest.mark.slow
def test_closure_rate_with_an_elastic_interlayer():
    """The elastic regions of the mechanics are used (here a 2 µm, 20 GPa interlayer under
    the Li): an elastic layer much stiffer than creeping Li barely changes the rate."""
    bare, _ = _rate(1.0)
    data = case(stack_pressure_MPa=1.0)
    data["microstructure"] = {"interlayer": {"thickness_um": 2.0, "ionic_conductivity_S_cm": 1e-4,
                                             "youngs_modulus_GPa": 20}}
    params = resolve(validate_case(data))
    layered = measure_gap_closure(params, 1e6, MPI.COMM_WORLD)
    assert layered.rate == pytest.approx(bare.rate, rel=0.05)
