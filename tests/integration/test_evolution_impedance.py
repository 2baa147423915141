"""Impedance spectra during a stripping run (impedance.evolution_times_h,
lisse.solver.studies.evolution_impedance): the constriction arc grows as the contact is lost."""

from __future__ import annotations

import csv

import numpy as np
import pytest

STRIPPING = {
    "name": "strip_eis",
    "geometry": {"width_um": 40, "lithium_thickness_um": 10, "electrolyte_thickness_um": 30,
                 "voids": [{"center_um": 0, "radius_um": 8, "height_um": 2}],
                 "mesh": {"size_um": 6, "interface_size_um": 1, "edge_size_um": 0.5}},
    "protocol": {"current_density_mA_cm2": 0.2},
    "evolution": {"interface_model": "reduced",
                  "steps": [{"current_density_mA_cm2": 0.2, "capacity_mAh_cm2": 0.003}],
                  "supply": {"creep": False, "vacancy": False},
                  "failure": {"min_contact_fraction": 0.0}},
    "impedance": {"double_layer_capacitance_uF_cm2": 10, "min_frequency_Hz": 1,
                  "max_frequency_Hz": 1e9, "points_per_decade": 1,
                  "evolution_times_h": [0, 0.005, 0.015]},
    "output": {"fields": False, "plots": True, "figure_formats": []},
}


def test_constriction_arc_grows_while_voids_grow(tmp_path):
    """A rigid Li stripped at 0.2 mA/cm² recedes where the current flows (no creep, no
    vacancy route): the contact fraction falls, and with it the interface arc
    (Z′ at 1 Hz − Z′ at 1 GHz, charge transfer spread over a smaller contact) and the
    high-frequency constriction resistance both grow, spectrum after spectrum."""
    import lisse

    result = lisse.run(STRIPPING, output=tmp_path / "run")
    out = tmp_path / "run"
    with open(out / "impedance_evolution.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["time_h", "contact_fraction", "z_real_low_frequency_ohm_cm2",
                       "z_real_high_frequency_ohm_cm2", "interface_arc_ohm_cm2"]
    table = np.array(rows[1:], dtype=float)
    assert len(table) == 3
    contact, high, arc = table[:, 1], table[:, 3], table[:, 4]
    assert np.all(np.diff(contact) < 0) and contact[-1] < 0.9 * contact[0]
    assert np.all(np.diff(arc) > 0) and np.all(np.diff(high) > 0)
    # the arc scales about as the inverse contact (charge transfer on the real contact)
    assert 0.5 < (arc[-1] / arc[0]) / (contact[0] / contact[-1]) < 1.5
    for hours in table[:, 0]:
        spectrum = out / f"impedance_{hours:.6g}h.csv"
        with open(spectrum, newline="") as fh:
            head = next(csv.reader(fh))
        assert head == ["frequency_Hz", "z_real_ohm_cm2", "z_imag_ohm_cm2", "z_abs_ohm_cm2",
                        "phase_deg"]
    assert (out / "nyquist_evolution.png").exists()
    assert result.summary["impedance_interface_arc_ohm_cm2"] == list(arc)


@pytest.mark.slow
def test_spectra_during_evolution_mpi_match_serial(tmp_path):
    """mpirun -n 2 writes the serial spectra (with an interphase growing meanwhile)."""
    import yaml

    import lisse
    from tests.helpers import run_lisse

    data = {**STRIPPING, "materials": {"electrolyte": "Li6PS5Cl"},
            "interphase": {"age_h": 1}}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    proc = run_lisse(["run", str(path), "-o", str(tmp_path / "mpi")], n=2)
    assert proc.returncode == 0, proc.stderr
    lisse.run(data, output=tmp_path / "serial")
    tables = []
    for name in ("mpi", "serial"):
        with open(tmp_path / name / "impedance_evolution.csv", newline="") as fh:
            tables.append(np.array(list(csv.reader(fh))[1:], dtype=float))
    assert tables[0].shape == tables[1].shape
    assert np.allclose(tables[0], tables[1], rtol=1e-6, atol=0)
