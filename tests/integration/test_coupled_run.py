"""The coupled interface model by ``lisse run``: serial and ``mpirun -n 2`` give the same
timeseries (strip–rest–plate with a void at 2 MPa, plane strain) and Li fields in
fields.xdmf (every snapshot, among them the stress while the void closes), with the coupled
columns and the Li bookkeeping within 0.5 % (E5); after the void closed the Li rests under the
stack pressure: its mean stress is p and its von Mises stress 0. The interface picture's
table (interface_picture.csv) is the same on two ranks as serially."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from lisse.units import PA_PER_MPA
from tests.helpers import assert_same_timeseries, run_lisse, run_timeseries
from tests.verification.test_coupled_interface import CYCLE, PRESSURE_MPA, case


def _li_fields(folder, every: bool = False) -> dict:
    """The Li fields of the last snapshot of fields.xdmf (``every``: of all snapshots,
    stacked along a first axis)."""
    import meshio

    reader = meshio.xdmf.TimeSeriesReader(folder / "fields.xdmf")
    reader.read_points_cells()
    steps = range(reader.num_steps) if every else [reader.num_steps - 1]
    snapshots = [reader.read_data(k)[1] for k in steps]
    names = [k for k in snapshots[-1] if k.startswith("li_")]
    if not every:
        return {k: snapshots[-1][k] for k in names}
    return {k: np.stack([snap[k] for snap in snapshots]) for k in names}


PICTURE_TIMES_H = [0, 0.001, 0.02]  # while the void closes; at the end of the rest


def _run(tmp_path, n: int) -> tuple[list[str], np.ndarray, dict, dict]:
    c = case(steps=CYCLE)
    # snapshots 0.025 s apart (written at most once a step): some while the void closes
    c["evolution"] |= {"field_snapshots": 4000, "checkpoint_interval_s": 0}
    c["output"] = {"fields": True, "plots": False,
                   "interface_picture_times_h": PICTURE_TIMES_H}
    folder, header, table = run_timeseries(tmp_path, c, f"out{n}", n)
    summary = json.loads((folder / "summary.json").read_text())
    summary["picture"] = np.loadtxt(folder / "interface_picture.csv", delimiter=",",
                                    skiprows=1)  # interface_picture.csv, for the comparison
    return header, table, summary, _li_fields(folder, every=True)


@pytest.mark.slow
def test_coupled_lisse_run_serial_and_mpi(tmp_path, validation):
    header, serial, summary, fields = _run(tmp_path, 1)
    assert sorted(fields) == ["li_contact_pressure_Pa", "li_displacement_m",
                              "li_equivalent_strain", "li_equivalent_strain_rate_1_s",
                              "li_mean_stress_Pa", "li_velocity_m_s", "li_von_mises_stress_Pa"]
    end = {k: v[-1] for k, v in fields.items()}  # the void closed: the Li rests, hydrostatic
    pressure = PRESSURE_MPA * PA_PER_MPA
    li = end["li_equivalent_strain"] > 0  # the Li's points (the electrolyte's are 0)
    assert np.all(end["li_equivalent_strain"] >= 0) and li.sum() > 10
    hydrostatic = float(np.max(np.abs(end["li_mean_stress_Pa"][li] / pressure - 1)))
    resting = float(np.max(end["li_von_mises_stress_Pa"]) / pressure)
    assert hydrostatic < 1e-6 and resting < 1e-6
    assert np.max(fields["li_von_mises_stress_Pa"]) > 0.1 * pressure  # while the void closed
    validation.record("Coupled model by lisse run: Li stress at rest after the void closed",
                      "mean stress = stack pressure, σ_eq = 0 (fields.xdmf)", "hydrostatic",
                      "1e-6", f"{hydrostatic:.0e}; σ_eq/p {resting:.0e}",
                      "TINY cell, h = 4 µm, 2 MPa", True)
    assert np.max(np.abs(fields["li_displacement_m"])) > 1e-6  # the void roof came down
    assert np.max(fields["li_contact_pressure_Pa"]) > 1e6
    assert header[-3:] == ["mean_contact_pressure_MPa", "max_contact_pressure_MPa",
                           "void_count"]
    assert summary["interface_model"] == "coupled" and not summary["failed"]
    assert summary["max_mass_balance_error"] < 5e-3
    header2, parallel, summary2, fields2 = _run(tmp_path, 2)
    picture, picture2 = summary["picture"], summary2["picture"]  # interface_picture.csv
    assert picture.shape == picture2.shape and len(np.unique(picture[:, 0])) == 3
    gap = float(np.max(np.abs(picture2 - picture)))
    validation.record("Interface picture: mpirun -n 2 vs serial", "serial table",
                      "parallel consistency", "1e-6 relative, 1e-9 absolute",
                      f"largest difference {gap:.0e} (µm, mA/cm², MPa)",
                      "TINY cell, strip–rest–plate, h = 4 µm",
                      np.allclose(picture2, picture, rtol=1e-6, atol=1e-9))
    np.testing.assert_allclose(picture2, picture, rtol=1e-6, atol=1e-9)
    for name, values in fields.items():  # all snapshots; atol: 1e-6 of the run's scale
        np.testing.assert_allclose(fields2[name], values, rtol=1e-6,
                                   atol=1e-6 * np.max(np.abs(values)), err_msg=name)
    assert header2 == header
    diff = assert_same_timeseries(header, serial, parallel)
    assert parallel[:, header.index("mass_balance_error")].max() < 5e-3
    validation.record("Coupled model by lisse run: mpirun -n 2 vs serial",
                      "serial timeseries and Li fields", "parallel consistency", "1e-6",
                      f"{diff:.0e}; E5 {summary['max_mass_balance_error']:.0e}",
                      "TINY cell, h = 4 µm", True)


@pytest.mark.slow
def test_coupled_run_writes_checkpoints(tmp_path):
    """A coupled run that checkpoints after every step (with its Li body state:
    test_coupled_resume.py) finishes."""
    c = case(steps=CYCLE[:1])
    c["evolution"] |= {"field_snapshots": 0, "checkpoint_every_steps": 1}
    c["output"] = {"fields": False, "plots": False}
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(c))
    proc = run_lisse(["run", "case.yaml", "-o", "out"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not json.loads((tmp_path / "out" / "summary.json").read_text())["failed"]
