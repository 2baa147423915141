"""A coupled ``lisse run`` of a 3D cell with ``evolution.contact: sticking``: the small cell
of tests/integration/test_coupled_3d_run.py (12 × 12 µm, two quarter voids, stripping at
1 mA/cm² under 2 MPa, 5 steps). It runs, summary.json names the contact, the two voids stay,
and ``mpirun -n 2`` writes serial's timeseries (the contact history).

Li bookkeeping (E5): the 0.5 % target is **not met** in 3D, with either contact: on this
cell the frictionless run's |ΔV_Li − (Ω/F)∫iA dt| / throughput is 0.9, 2.2, 3.3, 2.5, 2.1 %
at its 5 steps, the sticking run's 0.9, 2.3, 3.6, 2.7, 2.3 % (the O(Δu³) volume defect of the
midpoint motion of a P2 tetrahedral mesh while the void roofs move, docs/moving_interface.md,
"Verified in 3D"; plane strain has none). What is asserted is that sticking adds no defect of
its own: its E5 at every step is within 1.15× the frictionless run's (measured ≤ 1.09×)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from tests.helpers import run_lisse
from tests.verification.test_coupled_3d import case3d


def _run(tmp_path, n: int, contact: str = "sticking"):
    c = case3d(steps=[{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.0001}],
               increment_um=0.5)
    c["evolution"]["time_step"]["initial_s"] = 0.04
    c["geometry"] |= {"width_um": 12, "depth_um": 12, "lithium_thickness_um": 5,
                      "electrolyte_thickness_um": 6,
                      "mesh": {"size_um": 6, "interface_size_um": 4, "edge_size_um": 2},
                      "voids": [{"center_um": list(v), "radius_um": 5, "height_um": 1.5}
                                for v in ((0, 0), (12, 12))]}
    c["evolution"] |= {"contact": contact, "checkpoint_interval_s": 0}
    c["output"] = {"fields": False, "plots": False}
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(c))
    out = f"out{n}{contact}"
    proc = run_lisse(["run", "case.yaml", "-o", out], n=n, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / out
    header = (folder / "timeseries.csv").read_text().splitlines()[0].split(",")
    table = np.loadtxt(folder / "timeseries.csv", delimiter=",", skiprows=1, ndmin=2)
    return header, table, json.loads((folder / "summary.json").read_text())


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("sticking3d"), 1)


@pytest.mark.long  # 57 s in CI (serial + frictionless 3D runs, then mpirun -n 2): make test-long
def test_sticking_3d_lisse_run_and_bookkeeping(serial, tmp_path, validation):
    header, table, summary = serial
    assert summary["interface_model"] == "coupled" and summary["contact"] == "sticking"
    column = {name: k for k, name in enumerate(header)}
    assert table.shape[0] == 5 and np.all(table[:, column["void_count"]] == 2)
    free_header, free, _ = _run(tmp_path, 1, "frictionless")
    assert free_header == header and free.shape == table.shape
    balance = table[:, column["mass_balance_error"]]
    reference = free[:, column["mass_balance_error"]]
    assert np.all(balance <= 1.15 * reference)
    contact = table[:, column["contact_fraction"]]
    validation.record("Coupled model 3D with contact: sticking by lisse run: Li bookkeeping",
                      "E5 (0.5 %) as the frictionless run: the 3D midpoint volume defect",
                      "bookkeeping", "≤ 1.15 × frictionless E5",
                      f"E5 max {balance.max():.1e} (frictionless {reference.max():.1e}): the "
                      f"0.5 % target not met in 3D; contact {contact[0]:.3f} → "
                      f"{contact[-1]:.3f}", "3D 12 × 12 µm, two quarter voids, h = 4 µm",
                      bool(np.all(balance <= 1.15 * reference)))


@pytest.mark.long  # 57 s in CI (serial + frictionless 3D runs, then mpirun -n 2): make test-long
def test_sticking_3d_lisse_run_mpi_matches_serial(serial, tmp_path, validation):
    header, table, _ = serial
    _, parallel, _ = _run(tmp_path, 2)
    assert parallel.shape == table.shape
    balance = header.index("mass_balance_error")
    others = [k for k in range(table.shape[1]) if k != balance]
    np.testing.assert_allclose(parallel[:, others], table[:, others], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(parallel[:, balance], table[:, balance], atol=1e-6)
    diff = float(np.max(np.abs(parallel - table)[:, others] / (np.abs(table[:, others]) + 1e-9)))
    validation.record("Coupled model 3D with contact: sticking by lisse run: mpirun -n 2 vs "
                      "serial", "serial timeseries", "parallel consistency", "1e-6",
                      f"{diff:.0e}", "3D 12 × 12 µm, two quarter voids, h = 4 µm", True)
