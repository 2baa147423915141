"""Mechanics in a cell: stress-coupled kinetics (E6), creep of Li into interfacial voids under
stack pressure (trends), mesh convergence, and ``lisse run`` with mechanics (serial and
``mpirun -n 2``).

E6: a hydrostatic pressure p on the Li working electrode shifts its equilibrium potential
by −Ω p / F (0.1347 mV per MPa; compressed Li strips more easily, so the cell voltage
under a given stripping current drops), and i0 → i0 exp((1 − αa) Ω p / RT).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from mpi4py import MPI

from lisse.solver.config.params import FARADAY, Kinetics, Numerics
from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.kinetics import planar_cell_voltage
from lisse.solver.studies.model import build_model, cell_domains
from lisse.solver.studies.steady import solve_model
from tests.helpers import ROOT, rectangle_domain, run_lisse

T = 298.15
OMEGA = 1.30e-5  # m³/mol


def _case(**mechanics) -> dict:
    return {
        "name": "mech",
        "geometry": {
            "dimension": "plane",
            "width_um": 20,
            "lithium_thickness_um": 10,
            "electrolyte_thickness_um": 10,
            "voids": [{"center_um": 0, "radius_um": 4, "height_um": 1}],
            "mesh": {"size_um": 2, "interface_size_um": 0.5, "edge_size_um": 0.25},
        },
        "protocol": {"current_density_mA_cm2": 0.5},
        "mechanics": {"enabled": True, **mechanics},
    }


# --- E6 ------------------------------------------------------------------------------------


def test_e6_shift_per_MPa(validation):
    """Uniform interface state on a planar cell: the voltage changes by −Ω p/F plus the
    exact change of the kinetic overpotential with the i0 factor."""
    working = Kinetics("butler_volmer", exchange_current_density=50.0, alpha_a=0.3, alpha_c=0.7)
    counter = Kinetics("ideal")
    domain = rectangle_domain(MPI.COMM_WORLD, 40e-6, 100e-6, 4, 8)
    cd = CurrentDistribution(domain, 0.04, working, counter, T, Numerics())
    j, p = 1e-3, 1e6  # A/m² (0.1 µA/cm²: the kinetic term is negligible), Pa
    v0 = cd.solve("galvanostatic", j).cell_voltage
    factor = np.exp(0.7 * OMEGA * p / (8.314462618 * T))
    cd.set_interface(cd.interface.with_(shift=np.full(cd.n, -OMEGA * p / FARADAY),
                                        i0_factor=np.full(cd.n, factor)))
    v1 = cd.solve("galvanostatic", j).cell_voltage
    stressed = Kinetics(
        "butler_volmer", exchange_current_density=50.0 * factor, alpha_a=0.3, alpha_c=0.7
    )
    exact = -OMEGA * p / FARADAY + (
        planar_cell_voltage(j, 100e-6, 0.04, stressed, counter, T)
        - planar_cell_voltage(j, 100e-6, 0.04, working, counter, T)
    )
    per_mpa = (v1 - v0) * 1e3  # mV per MPa
    validation.record(
        "E6 stress shift of the Li potential",
        "−Ω·Δp/F = −0.1347 mV/MPa",
        "validation.md E6; Monroe & Newman 2005",
        "1 % (sign exact)",
        f"{per_mpa:.5f} mV/MPa",
        "planar cell, 4×8 P1",
        abs(per_mpa / -0.13473 - 1) < 0.01,
    )
    assert v1 - v0 == pytest.approx(exact, rel=1e-7)
    assert per_mpa == pytest.approx(-0.13473, rel=0.01)


def test_e6_through_the_mechanics():
    """Elastic Li under a traction p, laterally confined, in full contact: the Li pressure
    at the contact is p_h = p(1+ν)/(3(1−ν)) (uniaxial strain) and, against the reference
    (Li at the stack pressure p, hydrostatic), the coupled voltage shifts by −Ω (p_h − p)/F
    (the i0 term is negligible at this current)."""
    case = _case(li_model="elastic", loading="traction", stack_pressure_MPa=5.0)
    del case["geometry"]["voids"]
    case["protocol"] = {"current_density_mA_cm2": 1e-4}
    params = resolve(validate_case(case))
    model = build_model(params, MPI.COMM_WORLD, "steady")
    hold = model.hold
    nu = params.electrode.poisson_ratio
    p_h = 5e6 * (1 + nu) / (3 * (1 - nu))
    pressures = np.concatenate(MPI.COMM_WORLD.allgather(hold.state.contact_li_pressure))
    assert pressures == pytest.approx(p_h, rel=1e-6)
    coupled = solve_model(model)
    plain = solve_model(build_model(dataclasses.replace(params, mechanics=None),
                                    MPI.COMM_WORLD, "steady"))
    assert coupled.cell_voltage - plain.cell_voltage == pytest.approx(
        -OMEGA * (p_h - 5e6) / FARADAY, rel=1e-3
    )


def _hold(params):
    """The mechanics hold of a case on its cell mesh."""
    from lisse.solver.studies.hold import run_hold

    data, _ = cell_domains(params.geometry, MPI.COMM_WORLD)
    return run_hold(params, data, MPI.COMM_WORLD)


# --- creep into voids ------------------------------------------------------------------------

TIMES = (1.0, 10.0, 100.0, 1000.0)


def _closure(pressure_MPa: float, celsius: float, mesh_scale: float = 1.0) -> list[float]:
    """Mechanical contact fraction at TIMES [s] for a 4 µm half void under 10 µm of Li."""
    case = _case(
        stack_pressure_MPa=pressure_MPa,
        duration_s=TIMES[-1],
        time_steps=4 * len(TIMES) + 1,
        first_step_s=0.1,
    )
    case["temperature_C"] = celsius
    mesh = case["geometry"]["mesh"]
    for key in mesh:
        mesh[key] *= mesh_scale
    params = resolve(validate_case(case))
    hold = _hold(params)
    t, f = np.array(hold.history)[:, :2].T
    return [float(np.interp(np.log(s), np.log(t[1:]), f[1:])) for s in TIMES], hold


@pytest.mark.long  # ~22 s: beyond the suite budget (make test-long); the same hold's mesh
# convergence stays in the suite
def test_creep_into_voids_trends(validation):
    """Contact rises with time under pressure, faster at higher pressure and temperature."""
    base, hold = _closure(1.0, 25.0)
    high_p, hold_p = _closure(2.0, 25.0)
    hot, hold_t = _closure(1.0, 60.0)
    assert base[0] == pytest.approx(0.8, abs=1e-3)  # bonded contact before creep
    for series in (base, high_p, hot):
        assert np.all(np.diff(series) >= 0)
    assert base[-1] > base[0] + 0.05
    for faster in (high_p, hot):
        assert np.all(np.array(faster) >= np.array(base) - 1e-9)
        assert np.any(np.array(faster) > np.array(base) + 0.05)
    ok = base[-1] > base[0]
    validation.record(
        "Creep into voids (trend)",
        "contact fraction rises with time, faster at higher p and T",
        "issue 4; Kasemchainan 2019 (trend)",
        "monotonic",
        f"f(1000 s) = {base[-1]:.3f} (1 MPa, 25 °C), {high_p[2]:.3f} at 100 s "
        f"(2 MPa), {hot[2]:.3f} at 100 s (60 °C)",
        f"{hold.mechanics.ndofs} dofs P2",
        ok,
    )
    if os.environ.get("LISSE_WRITE_DOCS") == "1" and MPI.COMM_WORLD.rank == 0:
        _trend_plot([hold, hold_p, hold_t])


def _trend_plot(holds) -> None:
    """Contact fraction against time of the three holds (every step)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    labels = ("1 MPa, 25 °C", "2 MPa, 25 °C", "1 MPa, 60 °C")
    for hold, label in zip(holds, labels, strict=True):
        t, f = np.array(hold.history)[1:, :2].T
        ax.semilogx(t, f, "o-", ms=3, label=label)
    ax.set_xlabel("time under stack pressure (s)")
    ax.set_ylabel("contact fraction")
    ax.set_title("Li creeping into a 4 µm × 1 µm interfacial void")
    ax.legend()
    out = ROOT / "docs" / "figures"
    out.mkdir(exist_ok=True)
    fig.savefig(out / "mechanics_creep_contact.png", dpi=120)
    plt.close(fig)


@pytest.mark.slow
def test_creep_into_voids_mesh_convergence(validation):
    """Halving the element sizes changes the contact fraction at 100 s and 1000 s by less
    than 0.02 (absolute)."""
    coarse, _ = _closure(2.0, 25.0, 1.0)
    fine, hold = _closure(2.0, 25.0, 0.5)
    change = float(np.max(np.abs(np.array(fine) - np.array(coarse))))
    validation.record(
        "Creep into voids, mesh convergence",
        "h/2 changes f(t) < 0.02",
        "project tolerance",
        "0.02 abs",
        f"{change:.4f}",
        f"{hold.mechanics.ndofs} dofs P2 (fine)",
        change < 0.02,
    )
    assert change < 0.02


# --- lisse run ------------------------------------------------------------------------------


@pytest.mark.slow
def test_lisse_run_with_mechanics_serial_and_mpi(tmp_path):
    case = _case(stack_pressure_MPa=2.0, duration_s=60.0, time_steps=6)
    path = tmp_path / "mech.yaml"
    path.write_text(yaml.safe_dump(case))
    summaries = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        proc = run_lisse(["run", str(path), "-o", str(out)], n=n)
        assert proc.returncode == 0, proc.stderr
        summaries.append(json.loads((out / "summary.json").read_text()))
        for name in (
            "mechanics_history.csv",
            "interface_mechanics.csv",
            "fields.xdmf",
            "mesh.xdmf",
            "contact_pressure.png",
            "stress_field.png",
        ):
            assert (out / name).exists(), name
    serial, parallel = summaries
    keys = (
        "contact_fraction_mechanical",
        "mean_contact_pressure_MPa",
        "max_von_mises_li_MPa",
        "max_principal_stress_sse_MPa",
        "collector_displacement_um",
        "cell_voltage_V",
    )
    for key in keys:
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key
    assert serial["contact_fraction_mechanical"] > 0.8
    # vertical equilibrium: the load over the touching area
    assert serial["mean_contact_pressure_MPa"] == pytest.approx(
        2.0 / serial["contact_fraction_mechanical"], rel=1e-9
    )


def test_mechanics_config_errors(tmp_path):
    from lisse.solver.errors import ConfigError

    with pytest.raises(ConfigError, match="mechanics.first_step_s"):
        validate_case(_case(duration_s=1.0, first_step_s=2.0))
    with pytest.raises(ConfigError, match="mechanics.stack_pressure_MPa"):
        validate_case(_case(stack_pressure_MPa=0))
    with pytest.raises(ConfigError, match="mechanics.loading"):
        validate_case(_case(loading="glue"))
    assert Path(ROOT / "docs" / "mechanics.md").exists()


@pytest.mark.parametrize("dimension", ["axisymmetric", pytest.param("3d", marks=pytest.mark.slow)])
def test_hold_in_axisymmetric_and_3d_cells(dimension):
    """The hold runs on axisymmetric and 3D cells: at loading the contact fraction is the
    meshed bonded fraction and the collector carries p·A; creep then closes part of the
    void and lowers the collector."""
    from lisse.meshes.voids import contact_fraction

    case = _case(stack_pressure_MPa=2.0, duration_s=600.0, time_steps=3, first_step_s=50.0)
    case["numerics"] = {"linear_solver": "direct"}
    geometry = case["geometry"]
    geometry["dimension"] = dimension
    if dimension == "3d":
        geometry.update(width_um=12, lithium_thickness_um=6, electrolyte_thickness_um=4)
        geometry["voids"] = [{"center_um": [0, 0], "radius_um": 4, "height_um": 1}]
        geometry["mesh"] = {"size_um": 3, "interface_size_um": 1.5, "edge_size_um": 1.0}
    params = resolve(validate_case(case))
    hold = _hold(params)
    loaded, final = hold.history[0], hold.history[-1]
    expected = contact_fraction(params.geometry)
    assert loaded[1] == pytest.approx(expected, rel=1e-6 if dimension != "3d" else 0.02)
    assert final[1] > loaded[1] + 0.01
    assert final[2] < loaded[2] < 0
    assert hold.state.mean_contact_pressure == pytest.approx(
        2e6 / hold.state.contact_fraction, rel=1e-12
    )
