"""3D polycrystals (../shared/validation.md G1): Voronoi grains in a 3D electrolyte with
grain-boundary bands carrying the laminate conductivity tensor reproduce the brick-layer
resistance R = L/κ_g + (N − 1) δ/κ_gb of N grains in series (exact to 1 % for aligned
cubes, within 15 % for a Voronoi polycrystal); serial and ``mpirun -n 2`` agree; bad 3D
grain input fails before solving with one line naming the field.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from lisse.solver.errors import GeometryError
from lisse.solver.physics.conductivity import analyse
from tests.helpers import run_lisse, solve_case

KAPPA_G = 0.1  # S/m (1e-3 S/cm)
KAPPA_GB = 1e-4  # S/m (1e-6 S/cm)
DELTA = 2e-9  # m
L, D = 6e-6, 2e-6  # electrolyte thickness and grain size: 3 grains, 2 boundaries in series
BRICK = L / KAPPA_G + (L / D - 1) * DELTA / KAPPA_GB  # Ω m²


def polycrystal(spread: float, seed: int = 0, band_size_um: float = 1.0) -> dict:
    """A 4 × 4 × 6 µm electrolyte of 2 µm grains (12 grains), bands 0.4 µm wide meshed at
    min(0.2 µm, ``band_size_um``) (the interface size), 1 µm elsewhere."""
    return {
        "seed": seed,
        "geometry": {
            "dimension": "3d",
            "width_um": 4,
            "lithium_thickness_um": 1,
            "electrolyte_thickness_um": 6,
            "mesh": {
                "size_um": 1,
                "interface_size_um": band_size_um,
                "edge_size_um": band_size_um,
            },
        },
        "materials": {"electrolyte": {"name": "LLZO", "ionic_conductivity_S_cm": 1e-3}},
        "interface": {"kinetics": "primary"},
        "protocol": {"current_density_mA_cm2": 1.0},
        "microstructure": {
            "grains": {
                "size_um": 2,
                "spread": spread,
                "band_width_um": 0.4,
                "boundary_width_nm": 2,
                "ionic_conductivity_S_cm": 1e-6,
            }
        },
    }


@pytest.mark.long  # ~20 s: beyond the suite budget (make test-long); 2D aligned G1 at 1 % and
# the 3D Voronoi G1 rows stay in the suite
def test_g1_aligned_cubic_grains_3d(validation):
    resistance = {}
    for band_size in (0.2, 0.1):
        sol, summary, params = solve_case(polycrystal(0.0, band_size_um=band_size))
        resistance[band_size] = summary["asr_total_ohm_cm2"] / 1e4
        extra, _ = analyse(sol, params)
        assert extra["effective_conductivity_S_m"] == pytest.approx(
            L / resistance[band_size], rel=1e-9
        )
        assert 0 < extra["grain_boundary_current_share"] < 1e-4  # boundaries block, not carry
    err = resistance[0.1] / BRICK - 1
    change = abs(resistance[0.1] / resistance[0.2] - 1)
    assert abs(err) < 0.01 and change < 0.001, (err, change)
    validation.record(
        "G1 brick layer, aligned cubes (3D)",
        "R = L/κ_g + (N−1)δ/κ_gb",
        "validation.md G1",
        "1 %",
        f"{err * 100:+.3f} % (band mesh 0.2 → 0.1 µm change {change * 100:.4f} %)",
        "12 grains, band 0.4 µm at 0.1 µm, P1 tets",
        True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_g1_voronoi_polycrystal_3d(seed, validation):
    _, summary, _ = solve_case(polycrystal(1.0, seed))
    err = summary["asr_total_ohm_cm2"] / 1e4 / BRICK - 1
    assert abs(err) < 0.15, err
    validation.record(
        f"G1 brick layer, 3D Voronoi (spread 1, seed {seed})",
        "R = L/κ_g + (N−1)δ/κ_gb",
        "validation.md G1",
        "15 %",
        f"{err * 100:+.2f} %",
        "12 grains, band 0.4 µm at 0.2 µm, P1 tets",
        True,
    )


@pytest.mark.long  # ~18 s: beyond the suite budget (make test-long); 3D mpirun = serial stays
# checked by the coupled and current 3D runs
def test_3d_polycrystal_with_slot_mpi_matches_serial(tmp_path, validation):
    """A Voronoi polycrystal with a kinked-angle Li-filled slot crossing its bands."""
    case = polycrystal(1.0, 0)
    case["microstructure"]["cracks"] = [
        {"start_um": 1.3, "length_um": 3, "angle_deg": 20, "opening_um": 0.2}
    ]
    config = tmp_path / "voronoi3d.yaml"
    config.write_text(yaml.safe_dump(case))
    out = {}
    for n in (1, 2):
        proc = run_lisse(["run", str(config), "-o", str(tmp_path / f"n{n}")], n=n)
        assert proc.returncode == 0, proc.stderr
        out[n] = json.loads((tmp_path / f"n{n}" / "summary.json").read_text())
    for key in (
        "effective_conductivity_S_m",
        "grain_boundary_current_share",
        "cell_voltage_V",
        "max_crack_tip_current_density_A_m2",
    ):
        assert out[2][key] == pytest.approx(out[1][key], rel=1e-6), key
    diff = abs(out[2]["effective_conductivity_S_m"] / out[1]["effective_conductivity_S_m"] - 1)
    validation.record(
        "3D Voronoi polycrystal with a Li-filled slot, mpirun -n 2 vs serial",
        "same κ_eff, boundary share, voltage, tip current",
        "house rule",
        "1e-6",
        f"{diff:.1e}",
        "12 grains, band 0.4 µm at 0.2 µm, slot tip 1 µm",
        True,
    )


@pytest.mark.parametrize(
    ("grains", "message"),
    [
        ({"size_um": 5}, "geometry.microstructure.grains.size_um: grain size 5 µm exceeds"),
        ({"band_width_um": 0.6}, "geometry.microstructure.grains.band_width_um: 0.6 µm"),
    ],
)
def test_bad_3d_grains_fail_before_solving(grains, message, tmp_path):
    case = polycrystal(1.0)
    case["microstructure"]["grains"].update(grains)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(case))
    proc = run_lisse(["validate", str(path)])
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    with pytest.raises(GeometryError, match=message):
        solve_case(case)


def slot_case(refine: float = 1.0) -> dict:
    """A Li-filled slot through a 1 µm deep 3D cell: the 2D G3 crack extruded along y."""
    return {
        "geometry": {
            "dimension": "3d",
            "width_um": 40,
            "depth_um": 1,
            "lithium_thickness_um": 5,
            "electrolyte_thickness_um": 60,
            "mesh": {
                "size_um": 4 * refine,
                "interface_size_um": refine,
                "edge_size_um": 0.04 * refine,
                "growth_rate": 0.1,
            },
        },
        "interface": {"kinetics": "primary"},
        "protocol": {"current_density_mA_cm2": 1.0},
        "microstructure": {"cracks": [{"start_um": 20, "length_um": 20, "opening_um": 0.2}]},
    }


def slot_tip_exponent(sol) -> float:
    """Slope of log j against log r (distance to the tip line x = 20, z = −20 µm) on the
    slot faces for 0.4 µm < r < 2 µm."""
    x, j = sol.nodes_x, sol.nodes_j
    on_crack = sol.nodes_contact & (x[:, 2] < -1e-9)
    r = np.linalg.norm(x[on_crack][:, [0, 2]] - np.array([20e-6, -20e-6]), axis=1)
    window = (r > 0.4e-6) & (r < 2e-6)
    return float(np.polyfit(np.log(r[window]), np.log(j[on_crack][window]), 1)[0])


@pytest.mark.slow
def test_g3_li_filled_slot_tip_exponent_3d(validation):
    exponents = []
    for refine in (1.0, 0.5):
        sol, summary, params = solve_case(slot_case(refine))
        exponents.append(slot_tip_exponent(sol))
        extra, _ = analyse(sol, params)
        assert (
            extra["max_crack_tip_current_density_A_m2"]
            > 10 * (summary["mean_contact_current_density_A_m2"])
        )
        assert extra["crack_tip_location_um"][2] == pytest.approx(-20.1, abs=0.05)
    change = abs(exponents[1] - exponents[0])
    assert abs(exponents[1] + 0.5) < 0.05 and change < 0.005, exponents
    validation.record(
        "G3 Li-filled slot tip (3D)",
        "j ∝ r^(−1/2)",
        "validation.md G3",
        "±0.05",
        f"{exponents[1]:.4f} (h/2 change {change:.4f})",
        "1 µm deep slot, tip line 0.02 µm, graded 0.1, P1 tets",
        True,
    )


@pytest.mark.parametrize(
    ("crack", "message"),
    [
        ({"start_um": 20, "length_um": 70, "opening_um": 0.2}, "longer than the electrolyte"),
        ({"start_um": [20, -5], "length_um": 5, "opening_um": 0.2}, "cracks.0.start_um"),
    ],
)
def test_bad_3d_cracks_fail_before_solving(crack, message, tmp_path):
    case = slot_case()
    case["microstructure"]["cracks"] = [crack]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(case))
    proc = run_lisse(["validate", str(path)])
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
