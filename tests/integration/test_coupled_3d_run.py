"""The coupled interface model in 3D by ``lisse run`` on a 12 × 12 µm cell with two quarter
voids (``small_cell3d()``: a coarse mesh, 6 µm with 4 µm at the interface and 2 µm at the
void edges, time steps from 0.04 s with a 0.5 µm gap increment) through strip–rest–plate
under 2 MPa (``CYCLE3D``: 1 mA/cm² for 0.36 s, a rest of 10 s, −1 mA/cm² for 0.36 s; 13 time
steps, the step growing to 4 s in the rest): the void roofs fall from 1.3 µm and the pockets
left under them are closed (li_pockets_3d) by the rest's step ending 0.13 s into it (no void
left, the sub-element contact fraction 1; E5 ≤ 1e-9;
docs/moving_interface.md "Void touchdown in 3D": ~200 s before the P2 vertices followed their
spokes); the Li bookkeeping (E5) within 0.5 % at every step; a run stopped at its 3rd step
and resumed (``--resume``) ends as the uninterrupted one, exactly; ``mpirun -n 2`` gives
serial's timeseries (contact history, void count, contact pressures, E5) and Li fields. One
serial run (with its stopped and resumed twin) serves these four tests. On the cell's strip
alone (``strip_case``, 4–5 steps): a resume under ``mpirun -n 2`` = the uninterrupted 2-rank
run (1e-10), and with Anand Li E5, hardening and a serial resume (exact)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from lisse.units import UM_PER_M
from tests.helpers import ROOT, assert_same_timeseries, run_mpi, run_timeseries
from tests.integration.test_coupled_resume import STOP, assert_same_run, last_fields, run_pair
from tests.integration.test_coupled_run import _li_fields
from tests.verification.test_coupled_3d import small_cell3d

# no void from the step ending at 0.49 s, the pockets closed (li_pockets_3d); before: 4.15 s
# and contact fraction 1 only at 31.5 s; 250 s before li_vertex_contact
REST_S = 10.0
TOLERANCE_UM = 1e-3  # the contact tolerance t of small_cell3d (the default 1 nm)
CYCLE3D = [{"current_density_mA_cm2": 1.0, "capacity_mAh_cm2": 0.0001},
           {"current_density_mA_cm2": 0.0, "duration_h": REST_S / 3600},
           {"current_density_mA_cm2": -1.0, "capacity_mAh_cm2": 0.0001}]


def _case() -> dict:
    c = small_cell3d()
    c["evolution"] |= {"steps": CYCLE3D, "field_snapshots": 1}
    c["output"] = {"fields": True, "plots": False}
    return c


def strip_case() -> dict:
    """``small_cell3d``'s strip (1 mA/cm² from 0.04 s steps, 5 steps, the void roofs
    falling) with a field snapshot at the start and the end."""
    c = small_cell3d()
    c["evolution"]["field_snapshots"] = 1
    c["output"] = {"fields": True, "plots": False}
    return c


def _series(folder) -> tuple[list[str], np.ndarray]:
    header = (folder / "timeseries.csv").read_text().splitlines()[0].split(",")
    return header, np.loadtxt(folder / "timeseries.csv", delimiter=",", skiprows=1, ndmin=2)


@pytest.fixture(scope="module")
def serial_runs(tmp_path_factory):
    """(folder of the uninterrupted serial run, folder of the stopped and resumed one)."""
    folder = tmp_path_factory.mktemp("coupled3d")
    run_pair(folder, STOP, c=_case())
    return folder / "whole", folder / "part"


@pytest.mark.slow
def test_coupled_3d_li_bookkeeping_at_every_step(serial_runs, validation):
    """E5 in 3D: the Li volume change equals (Ω/F) ∫ i A dt within 0.5 % of the throughput
    at every step through strip–rest–plate while the void roofs fall and touch down (without the
    collector-face correction of ``coupled_3d``: up to 4.5 % of a step's throughput and
    3.3 % cumulative in the stripping, scripts/li_bookkeeping_3d.py)."""
    header, series = _series(serial_runs[0])
    current = series[:, header.index("applied_current_density_mA_cm2")]
    assert len(series) == 13 and set(np.sign(current)) == {1.0, 0.0, -1.0}
    e5 = series[:, header.index("mass_balance_error")]
    assert np.max(e5) < 5e-3
    gap = series[:, header.index("max_gap_um")]
    validation.record("Coupled model E5 strip–rest–plate (3D, every step, void roofs falling)",
                      "ΔV_Li = (Ω/F)∫ i A dt", "validation.md E5", "0.5 %",
                      f"largest E5 {np.max(e5):.0e} in {len(series)} steps; max gap "
                      f"{gap[0]:.2f} → {gap[-1]:.2f} µm",
                      "3D 12 × 12 µm, two quarter voids, h = 4 µm", True)


@pytest.mark.slow
def test_coupled_3d_voids_touch_down_at_rest(serial_runs, validation):
    """A void that touches down in 3D: the two quarter voids, under 2 MPa, are gone by the end
    of the rest (contact fraction 1, the void-free cell's, void count 2 → 0, no gap at the
    electrolyte nodes, a void volume under the Li ≤ t per area, mean contact pressure p)
    with E5 ≤ 1e-9 at every step; touchdown takes 3.8 s at rest (~200 s, the last 0.1 µm of
    the roofs falling at 0.2–4 nm/s, while a P2 triangle vertex, which has no contact force,
    followed only its nearest mid-edge dof; solver/physics/li_vertex_contact.py,
    scripts/li_stall_3d.py; 1.5 s before the Li mesh lost its flat tetrahedron,
    lisse.meshes.flat_tets: the roofs are then 2.8 nm up 0.38 s into the rest, against 88 nm,
    but a few electrolyte nodes stay above t = 1 nm for longer: the pockets left at the
    touchdown close by creep at σ_eq ≈ 0.36 p, reaching 1 nm about 2.2 s into the rest;
    the count registers at the step's end; docs/moving_interface.md, sym3d slice). Since the
    3D pocket closure (li_pockets_3d) the pockets close in the rest's first step (no void
    from 0.49 s); without it the contact fraction (the Li bottom's sub-element contact area,
    li_contact_area_3d) reached 1 only 31.1 s into the rest ("Mesh convergence in 3D")."""
    header, series = _series(serial_runs[0])
    col = {name: k for k, name in enumerate(header)}
    rest = np.flatnonzero(series[:, col["applied_current_density_mA_cm2"]] == 0)
    end = series[rest[-1]]
    assert series[0, col["void_count"]] == 2 and end[col["void_count"]] == 0
    assert end[col["contact_fraction"]] == pytest.approx(1.0, abs=1e-12)
    assert end[col["max_gap_um"]] < 1e-6
    void = series[:, col["li_void_volume_um"]]  # ∫ z dA under the Li bottom / A [µm]
    assert void[0] > 0.1 and abs(void[rest[-1]]) <= TOLERANCE_UM  # within t on average
    assert end[col["mean_contact_pressure_MPa"]] == pytest.approx(2.0, rel=1e-6)
    e5 = np.max(series[:, col["mass_balance_error"]])
    assert e5 <= 1e-9
    down = series[np.flatnonzero(series[:, col["void_count"]] == 0)[0], col["time_s"]]
    validation.record("Coupled model 3D: voids touch down at rest under 2 MPa",
                      "contact fraction 1 (void-free), void count 0, mean contact pressure p",
                      "void-free cell", "1e-12; 1e-6; t = 1 nm; E5 1e-9",
                      f"no void from {down:.2g} s; contact "
                      f"{series[0, col['contact_fraction']]:.3f} → "
                      f"{end[col['contact_fraction']]:.3f}; void volume {void[0]:.3f} → "
                      f"{void[rest[-1]]:.0e} µm (≤ t); E5 ≤ {e5:.0e}",
                      "3D 12 × 12 µm, two quarter voids, h = 4 µm", True)


@pytest.mark.slow
def test_coupled_3d_resume_serial(serial_runs):
    """3D ``--resume`` (studies/coupled_checkpoint.py): stopped at the 3rd of the 13 time steps
    (the void roofs still falling) and resumed = uninterrupted, exactly: every column of
    timeseries.csv, interface.csv, summary.json (but the wall time) and the last snapshot of
    fields.xdmf (electrolyte and Li fields)."""
    assert_same_run(*serial_runs)


@pytest.mark.long  # ~70 s: beyond the suite budget (make test-long)
def test_coupled_3d_resume_mpi(tmp_path):
    """3D ``--resume`` under ``mpirun -n 2``: ``strip_case`` stopped at its 3rd step and
    resumed = the uninterrupted 2-rank run, to 1e-10 (test_coupled_resume's
    ``assert_same_run``, round-off columns absolute)."""
    script = Path(__file__).resolve().parent / "test_coupled_resume.py"
    proc = run_mpi([sys.executable, str(script), str(tmp_path), str(STOP), "3d"], cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert_same_run(tmp_path / "whole", tmp_path / "part", mpi=True)


@pytest.mark.long  # ~40 s: beyond the suite budget (make test-long)
def test_coupled_3d_anand_resume_serial(tmp_path, validation):
    """Anand Li in a 3D void cell (``strip_case`` with ``lithium.creep_law: anand``): E5
    within 0.5 % at every step, the Li hardened around the voids (the largest S of the last
    snapshot > 1.2 S0), and stopped at the 2nd of its 4 steps and resumed (S from the
    checkpoint) = uninterrupted, exactly."""
    from lisse.solver.config.schema import resolve, validate_case

    c = strip_case()
    c["lithium"] = {"creep_law": "anand"}
    run_pair(tmp_path, 2, c=c)
    header, series = _series(tmp_path / "whole")
    e5 = np.max(series[:, header.index("mass_balance_error")])
    strength = np.max(last_fields(tmp_path / "whole")["li_deformation_resistance_Pa"])
    s0 = resolve(validate_case(c)).electrode.creep_reference_stress  # Pa
    assert e5 < 5e-3 and strength > 1.2 * s0, (e5, strength)
    assert_same_run(tmp_path / "whole", tmp_path / "part")
    validation.record("Coupled model 3D with Anand Li: resume, serial", "uninterrupted run; E5",
                      "restart consistency; validation.md E5", "0 (exact); 0.5 %",
                      f"exact; E5 ≤ {e5:.0e}; largest S {strength / s0:.2f} S0 at the end",
                      "3D 12 × 12 µm, two quarter voids, h = 4 µm", True)


def field_scale(fields: dict, name: str) -> float:
    """The scale on which a Li field of the last snapshot is compared: its largest value; for
    the stresses [Pa] the largest of any Li stress field, and for the strain rate [1/s] the
    largest speed over the Li thickness. After the rest the Li is in full contact and
    hydrostatic (mean stress p): its von Mises stress (~3e-7 Pa) and strain rate (~2e-18 /s)
    are round-off, which no partition reproduces to 1e-6 of itself."""
    if name.endswith("_Pa"):
        return max(np.max(np.abs(v)) for k, v in fields.items() if k.endswith("_Pa"))
    if name.endswith("_1_s"):
        thickness = small_cell3d()["geometry"]["lithium_thickness_um"] / UM_PER_M
        return np.max(np.linalg.norm(fields["li_velocity_m_s"], axis=1)) / thickness
    return np.max(np.abs(fields[name]))


@pytest.mark.slow
def test_coupled_3d_serial_and_mpi(serial_runs, tmp_path, validation):
    header, serial = _series(serial_runs[0])
    voids = serial[:, header.index("void_count")]
    assert voids[0] == 2
    _, header2, parallel = run_timeseries(tmp_path, _case(), "out2", 2)
    assert header2 == header
    diff = assert_same_timeseries(header, serial, parallel)
    e5 = np.max(parallel[:, header.index("mass_balance_error")])
    assert e5 < 5e-3
    fields, fields2 = _li_fields(serial_runs[0]), _li_fields(tmp_path / "out2")
    for name, values in fields.items():
        np.testing.assert_allclose(fields2[name], values, rtol=1e-6,
                                   atol=1e-6 * field_scale(fields, name))
    contact = serial[:, header.index("contact_fraction")]
    validation.record("Coupled model 3D by lisse run: mpirun -n 2 vs serial",
                      "serial timeseries and Li fields", "parallel consistency", "1e-6",
                      f"{diff:.0e}; contact {contact[0]:.3f}, min {contact.min():.3f}, "
                      f"end {contact[-1]:.3f}; E5 ≤ {e5:.0e} at every step (2 ranks)",
                      "3D 12 × 12 µm, two quarter voids, h = 4 µm", True)
