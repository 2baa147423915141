"""The interface picture of a coupled run (``output.interface_picture_times_h``; issue 12 item
5): interface_picture.csv and .png by ``lisse run`` on the TINY cell (a void of radius 8 µm
and height 2 µm at x = 0, interface mesh 4 µm, 1 µm at the void tips) stripping at
1 mA/cm² under 2 MPa; a flat interface at rest (axisymmetric) is flat at the electrolyte's
height and wholly in contact. (Serial = ``mpirun -n 2``: tests/integration/test_coupled_run.py
compares the table of its strip–rest–plate run.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
from mpi4py import MPI

from lisse.units import PA_PER_MPA, UM_PER_M
from tests.verification.test_coupled_interface import case

TIMES_H = [0, 0.001, 0.002]  # the strip below lasts 7.2 s = 0.002 h
VOID_RADIUS_UM, VOID_HEIGHT_UM, EDGE_SIZE_UM, WIDTH_UM = 8.0, 2.0, 1.0, 40.0
COLUMNS = ["time_s", "x_um", "li_height_um", "electrolyte_height_um", "in_contact",
           "current_density_mA_cm2", "contact_pressure_MPa"]
PRESSURE_MPA = 2.0  # the stack pressure of test_coupled_interface.case


def _case(n: int) -> dict:
    c = case(steps=[{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.002}])
    c["evolution"] |= {"field_snapshots": 0, "checkpoint_interval_s": 0}
    c["output"] = {"fields": False, "plots": n == 1, "figure_formats": ["png"],
                   "interface_picture_times_h": TIMES_H}
    return c


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """(folder, header, table) of the serial run (in this process: ``lisse.run``)."""
    import lisse

    folder = tmp_path_factory.mktemp("picture") / "out1"
    lisse.run(_case(1), output=folder, comm=MPI.COMM_SELF)
    with open(folder / "interface_picture.csv") as f:
        header = f.readline().strip().split(",")
    return folder, header, np.loadtxt(folder / "interface_picture.csv", delimiter=",",
                                      skiprows=1)


def test_files_times_and_summary(serial):
    folder, header, table = serial
    assert header == COLUMNS
    assert (folder / "interface_picture.png").stat().st_size > 10_000
    summary = json.loads((folder / "summary.json").read_text())
    times = summary["interface_picture_times_s"]
    assert times[0] == 0.0 and times[-1] == pytest.approx(7.2, rel=1e-9)
    assert len(times) == 3 and times[1] >= 3.6 and summary["interface_picture_not_reached_h"] == []
    assert sorted(set(table[:, 0])) == pytest.approx(times, rel=1e-12)
    assert np.all(table[:, 3] == 0.0)  # the rigid flat electrolyte


def test_gap_at_start_is_the_void(serial, validation):
    """At t = 0 the gap spans the void: out of contact from the axis to the void's radius
    (within the mesh size at the void tip), 2 µm high at the axis, contact beyond."""
    _, _, table = serial
    start = table[table[:, 0] == 0.0]
    x, height, touch = start[:, 1], start[:, 2], start[:, 4] > 0
    edge = x[np.argmax(touch)]  # the first point in contact
    validation.record("Interface picture: gap at t = 0 (coupled model, plane)",
                      f"void radius {VOID_RADIUS_UM:g} µm", "meshed void",
                      f"{EDGE_SIZE_UM:g} µm (tip mesh size)", f"contact from {edge:.3g} µm",
                      "TINY cell, h = 4 µm, 1 µm at the tips",
                      abs(edge - VOID_RADIUS_UM) <= EDGE_SIZE_UM)
    assert abs(edge - VOID_RADIUS_UM) <= EDGE_SIZE_UM
    assert np.all(touch[x >= edge]) and not np.any(touch[x < edge])
    assert height[0] == pytest.approx(VOID_HEIGHT_UM, rel=1e-9) and x[0] == pytest.approx(0)
    assert x[-1] == pytest.approx(WIDTH_UM, rel=1e-12)


def test_current_density_carries_the_applied_current(serial, validation):
    """At t = 0 (the first step's current, solved on the starting contact): 0 on the void,
    and its mean along the interface is the applied 1 mA/cm² (galvanostatic)."""
    _, _, table = serial
    start = table[table[:, 0] == 0.0]
    x, j = start[:, 1], start[:, 5]
    assert j[0] == 0.0 and j.max() > 1.2  # the hot spot at the void edge
    mean = np.sum(0.5 * (j[1:] + j[:-1]) * np.diff(x)) / WIDTH_UM
    validation.record("Interface picture: mean of the t = 0 current density",
                      "applied 1 mA/cm²", "galvanostatic", "1e-6", f"{abs(mean - 1):.0e}",
                      "TINY cell, h = 4 µm", abs(mean - 1) <= 1e-6)
    assert mean == pytest.approx(1.0, rel=1e-6)


def test_closed_void_carries_the_stack_pressure(serial, validation):
    """At the end (7.2 s; the void closes within ~1 s at 2 MPa) the Li lies on the
    electrolyte everywhere, and the contact pressure is the stack pressure."""
    _, _, table = serial
    end = table[table[:, 0] == table[:, 0].max()]
    assert np.all(end[:, 4] == 1.0) and np.max(end[:, 2]) < 1e-9
    error = float(np.max(np.abs(end[:, 6] / PRESSURE_MPA - 1)))
    validation.record("Interface picture: contact pressure after the void closed",
                      "stack pressure 2 MPa", "equilibrium, full contact", "1e-6",
                      f"{error:.0e}", "TINY cell, h = 4 µm", error <= 1e-6)
    np.testing.assert_allclose(end[:, 6], PRESSURE_MPA, rtol=1e-6)
    np.testing.assert_allclose(table[table[:, 0] == 0.0][:, 6], 0.0)  # no flow solved yet


def test_flat_interface_at_rest_is_flat_and_in_contact():
    """No void, axisymmetric, 1 s at rest under 2 MPa: at 0 and 1 s the Li bottom lies on
    the electrolyte (height < 1e-12 µm), in contact everywhere, no current; at 1 s the
    contact pressure is the stack pressure (0 at the start: no Li flow solved yet)."""
    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.interface_picture import InterfacePictures
    from lisse.solver.studies.model import build_model

    c = case("axisymmetric", void=False,
             steps=[{"current_density_mA_cm2": 0.0, "duration_h": 1 / 3600}])
    c["output"] |= {"interface_picture_times_h": [0, 1 / 3600]}
    params = resolve(validate_case(c))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    pictures = InterfacePictures(evo, params.output)
    evo.run(lambda rec, sol, j: pictures.step(j, rec.applied_current_density))
    pictures._fill(pictures.last_j)
    profiles = [p for _, p in pictures.taken]
    assert [p.time for p in profiles] == pytest.approx([0.0, 1.0], rel=1e-12)
    for p in profiles:
        assert np.max(np.abs(p.li_height - p.electrolyte_height)) * UM_PER_M < 1e-12
        assert np.all(p.in_contact) and np.all(p.current_density == 0.0)
        assert p.x[0] == pytest.approx(0.0, abs=1e-15) and p.x[-1] == pytest.approx(40e-6)
    assert np.all(profiles[0].contact_pressure == 0.0)
    np.testing.assert_allclose(profiles[1].contact_pressure, PRESSURE_MPA * PA_PER_MPA,
                               rtol=1e-6)
