"""The interface picture of a coupled run in a 3D cell (``output.interface_picture_times_h``;
issue 12 item 5; solver.physics.li_map, solver.io.interface_maps): interface_picture.csv and
.png by ``lisse run`` on ``small_cell3d`` (12 × 12 µm, two quarter voids of radius 5 µm and
height 1.5 µm at (0, 0) and (12, 12) µm, interface mesh 4 µm, 2 µm at the void edges) with
the cavity criterion (the test values of test_cavitation_coupled_3d.py), stripping at
1 mA/cm² under 2 MPa for 0.144 s (3 steps), pictures at 0, 0.04 s and the end. The table is
checked against the run's own outputs: the contact fraction Σ w_k s_k / Σ w_k of each time
equals the timeseries' (1e-12), gap, pores and contact share at 0 and at the end equal
interface.csv's initial and final columns (1e-12 µm), the contact pressure carries the
stack pressure over the cell (Σ p_k w_k = p A, the transfer's force balance, 1e-9), the
current density carries the applied current (Σ j_k s_k w_k = i A, 1e-9), and at t = 0 the
gap is the meshed voids. (Serial = ``mpirun -n 2``: test_stress_coupling_3d_cycle.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.io.interface_maps import COLUMNS
from tests.verification.test_cavitation_coupled_3d import VACANCY
from tests.verification.test_coupled_3d import small_cell3d

END_S = 0.144  # 0.00004 mAh/cm² at 1 mA/cm²
TIMES_H = [0, 0.04 / 3600, END_S / 3600]
RADIUS_UM, HEIGHT_UM, SIDE_UM, EDGE_SIZE_UM = 5.0, 1.5, 12.0, 2.0  # small_cell3d
PRESSURE_MPA, CURRENT_MA_CM2 = 2.0, 1.0


def case() -> dict:
    c = small_cell3d()
    c["evolution"].pop("supply")
    c["evolution"] |= {"vacancy": VACANCY, "field_snapshots": 0}
    c["evolution"]["steps"][0]["capacity_mAh_cm2"] = CURRENT_MA_CM2 * END_S / 3600
    c["output"] = {"fields": False, "plots": True, "figure_formats": ["png"],
                   "interface_picture_times_h": TIMES_H}
    return c


def _csv(path) -> tuple[list[str], np.ndarray]:
    header = path.read_text().splitlines()[0].split(",")
    return header, np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


@pytest.fixture(scope="module")
def run3d(tmp_path_factory):
    """The run's folder (serial, in this process: ``lisse.run``)."""
    import lisse

    folder = tmp_path_factory.mktemp("picture3d") / "out"
    lisse.run(case(), output=folder, comm=MPI.COMM_SELF)
    return folder


def _by_time(folder) -> dict[float, np.ndarray]:
    header, table = _csv(folder / "interface_picture.csv")
    assert header == COLUMNS
    return {t: table[table[:, 0] == t] for t in dict.fromkeys(table[:, 0])}


@pytest.mark.slow
def test_files_and_times(run3d):
    assert (run3d / "interface_picture.png").stat().st_size > 50_000
    summary = json.loads((run3d / "summary.json").read_text())
    times = summary["interface_picture_times_s"]
    assert times == pytest.approx([0.0, 0.04, END_S], rel=1e-9)
    assert summary["interface_picture_not_reached_h"] == []
    assert list(_by_time(run3d)) == pytest.approx(times, rel=1e-12)


@pytest.mark.slow
def test_contact_fraction_equals_the_timeseries(run3d, validation):
    """Each picture's ``contact_fraction`` = the timeseries' contact fraction at that time
    (the record of the step ending there; the sub-element measure of ``li_contact_area_3d``);
    Σ w_k = the cell's 144 µm²; the node-share fraction Σ w_k s_k / Σ w_k, first order in h,
    is the larger on this coarse mesh (a rim node counts its whole area)."""
    header, series = _csv(run3d / "timeseries.csv")
    col = {name: k for k, name in enumerate(COLUMNS)}
    worst = 0.0
    for t, part in _by_time(run3d).items():
        area = part[:, col["area_um2"]]
        assert area.sum() == pytest.approx(SIDE_UM**2, rel=1e-12)
        fraction = part[:, col["contact_fraction"]]
        assert np.all(fraction == fraction[0])
        nodes = float(area @ part[:, col["contact_share"]]) / area.sum()
        assert nodes >= fraction[0] - 1e-12
        if t == 0.0:
            assert 0.7 < fraction[0] < 0.75  # the voids cover 27 % (sub-element: 0.735)
            continue
        row = series[np.flatnonzero(series[:, 0] == t)[0]]
        worst = max(worst, abs(fraction[0] - row[header.index("contact_fraction")]))
    validation.record("Interface picture 3D: contact fraction from its maps",
                      "timeseries contact_fraction at the picture times", "same run",
                      "1e-12", f"{worst:.0e}", "3D 12 × 12 µm, two quarter voids", worst <= 1e-12)
    assert worst <= 1e-12


@pytest.mark.slow
def test_gap_pores_share_equal_interface_csv(run3d):
    """At 0 and at the end the picture's nodes carry interface.csv's initial and final gap,
    pores and contact share (matched by their (x, y))."""
    header, nodes = _csv(run3d / "interface.csv")
    col = {name: k for k, name in enumerate(COLUMNS)}
    maps = _by_time(run3d)
    nodes = nodes[np.lexsort((nodes[:, 1], nodes[:, 0]))]
    for label, t in (("initial", 0.0), ("final", END_S)):
        part = maps[min(maps, key=lambda s: abs(s - t))]
        part = part[np.lexsort((part[:, col["y_um"]], part[:, col["x_um"]]))]
        np.testing.assert_allclose(part[:, [1, 2]], nodes[:, :2], rtol=0, atol=1e-12)
        for name in ("gap", "pores"):
            np.testing.assert_allclose(part[:, col[f"{name}_um"]],
                                       nodes[:, header.index(f"{name}_{label}_um")],
                                       rtol=0, atol=1e-12)
        np.testing.assert_allclose(part[:, col["contact_share"]],
                                   nodes[:, header.index(f"contact_share_{label}")],
                                   rtol=0, atol=1e-12)
    assert np.max(maps[END_S][:, col["pores_um"]]) > 0  # the pores grew (j > j_vac)


@pytest.mark.slow
def test_pressure_and_current_carry_the_load(run3d, validation):
    """After a Li step Σ p_k w_k = p A (the transfer carries the Li's contact force, which
    balances the stack pressure on the collector); at t = 0 no flow is solved: p_k = 0.
    Σ j_k s_k w_k = i A at every time (galvanostatic); j = 0 where out of contact."""
    col = {name: k for k, name in enumerate(COLUMNS)}
    worst = {"force": 0.0, "current": 0.0}
    for t, part in _by_time(run3d).items():
        area, share = part[:, col["area_um2"]], part[:, col["contact_share"]]
        pressure, j = part[:, col["contact_pressure_MPa"]], part[:, col["current_density_mA_cm2"]]
        current = float(area @ (share * j)) / area.sum() / CURRENT_MA_CM2 - 1
        worst["current"] = max(worst["current"], abs(current))
        assert np.all(j[part[:, col["in_contact"]] == 0] == 0)
        if t == 0.0:
            assert np.all(pressure == 0)
            continue
        force = float(area @ pressure) / area.sum() / PRESSURE_MPA - 1
        worst["force"] = max(worst["force"], abs(force))
    validation.record("Interface picture 3D: load and current carried by its maps",
                      "Σ p_k w_k = p A; Σ j_k s_k w_k = i A", "force balance; galvanostatic",
                      "1e-9", f"{worst['force']:.0e}; {worst['current']:.0e}",
                      "3D 12 × 12 µm, two quarter voids", max(worst.values()) <= 1e-9)
    assert worst["force"] <= 1e-9 and worst["current"] <= 1e-9


@pytest.mark.slow
def test_gap_at_start_is_the_voids(run3d):
    """At t = 0 the nodes within the void radius less the edge mesh size are out of contact,
    those beyond it plus that size in contact; the gap at the void centres is their height."""
    col = {name: k for k, name in enumerate(COLUMNS)}
    start = _by_time(run3d)[0.0]
    xy = start[:, [col["x_um"], col["y_um"]]]
    r = np.minimum(np.hypot(*xy.T), np.hypot(*(xy - SIDE_UM).T))
    touch = start[:, col["in_contact"]] == 1
    assert not np.any(touch[r < RADIUS_UM - EDGE_SIZE_UM])
    assert np.all(touch[r > RADIUS_UM + EDGE_SIZE_UM])
    centres = start[r < 1e-9, col["gap_um"]]
    assert len(centres) == 2
    np.testing.assert_allclose(centres, HEIGHT_UM, rtol=1e-9)
