"""The coupled interface model in 3D by ``lisse run``: ``mpirun -n 2`` gives serial's
timeseries (contact history, void count, contact pressures, Li bookkeeping) and Li fields on
a 12 × 12 µm cell with two quarter voids, stripping at 1 mA/cm² under 2 MPa (a coarse mesh,
6 µm with 4 µm at the interface and 2 µm at the void edges, and time steps from 0.04 s with a
0.5 µm gap increment: 5 steps, in which the contact fraction falls and rises again)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tests.helpers import run_lisse
from tests.integration.test_coupled_run import _li_fields
from tests.verification.test_coupled_3d import case3d


def _run(tmp_path, n: int):
    c = case3d(steps=[{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.0001}],
               increment_um=0.5)
    c["evolution"]["time_step"]["initial_s"] = 0.04
    c["geometry"] |= {"width_um": 12, "depth_um": 12, "lithium_thickness_um": 5,
                      "electrolyte_thickness_um": 6,
                      "mesh": {"size_um": 6, "interface_size_um": 4, "edge_size_um": 2},
                      "voids": [{"center_um": list(v), "radius_um": 5, "height_um": 1.5}
                                for v in ((0, 0), (12, 12))]}
    c["evolution"] |= {"field_snapshots": 1, "checkpoint_interval_s": 0}
    c["output"] = {"fields": True, "plots": False}
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(c))
    out = f"out{n}"
    proc = run_lisse(["run", "case.yaml", "-o", out], n=n, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / out
    header = (folder / "timeseries.csv").read_text().splitlines()[0].split(",")
    table = np.loadtxt(folder / "timeseries.csv", delimiter=",", skiprows=1)
    return header, table, _li_fields(folder)


@pytest.mark.slow
def test_coupled_3d_serial_and_mpi(tmp_path, validation):
    header, serial, fields = _run(tmp_path, 1)
    voids = serial[:, header.index("void_count")]
    assert voids[0] == 2
    header2, parallel, fields2 = _run(tmp_path, 2)
    assert header2 == header and parallel.shape == serial.shape
    balance = header.index("mass_balance_error")
    others = [k for k in range(len(header)) if k != balance]
    diff = float(np.max(np.abs(parallel - serial)[:, others]
                        / (np.abs(serial[:, others]) + 1e-9)))
    np.testing.assert_allclose(parallel[:, others], serial[:, others], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(parallel[:, balance], serial[:, balance], rtol=0, atol=1e-6)
    for name, values in fields.items():
        np.testing.assert_allclose(fields2[name], values, rtol=1e-6,
                                   atol=1e-6 * np.max(np.abs(values)))
    contact = serial[:, header.index("contact_fraction")]
    validation.record("Coupled model 3D by lisse run: mpirun -n 2 vs serial",
                      "serial timeseries and Li fields", "parallel consistency", "1e-6",
                      f"{diff:.0e}; contact {contact[0]:.3f}, min {contact.min():.3f}, "
                      f"end {contact[-1]:.3f}",
                      "3D 12 × 12 µm, two quarter voids, h = 4 µm", True)
