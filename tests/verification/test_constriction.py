"""Constriction verification (../shared/validation.md E2, E3, E4).

E2: periodic strip contacts, primary distribution, through the CLI on the shipped configs.
E3: a circular contact on a deep cylinder (axisymmetric) and a square cell (3D).
E4: the flux concentration around a debonded patch with linear kinetics.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from tests.helpers import ROOT, run_lisse, run_mpi, solve_case

KAPPA = 0.04  # S/m, LLZO library value (0.4 mS/cm)


def strip_asr(f: float, period: float = 20e-6, kappa: float = KAPPA) -> float:
    """E2: ASR_c = (λ/(πκ)) ln(1/sin(πf/2)) [Ω cm²]."""
    return period / (math.pi * kappa) * math.log(1 / math.sin(math.pi * f / 2)) * 1e4


def psi(eps: float) -> float:
    """Roess/Gibson series for the constriction of a disk in a cylinder, R = ψ/(4κa)."""
    return (1 - 1.40925 * eps + 0.29591 * eps**3 + 0.05254 * eps**5 + 0.02105 * eps**7
            + 0.01107 * eps**9)


def _e2_run(tmp_path, f: float, refine: float = 1.0) -> dict:
    config = ROOT / "configs" / "verification" / f"e2_strips_f{str(f).replace('.', '')}.yaml"
    args = ["run", str(config), "-o", str(tmp_path / f"e2_{f}_{refine}")]
    if refine != 1.0:
        args += [f"--set=geometry.mesh.{k}={v * refine}" for k, v in
                 (("size_um", 0.4), ("interface_size_um", 0.04), ("edge_size_um", 0.002))]
    proc = run_lisse(args)
    assert proc.returncode == 0, proc.stderr
    return json.loads((tmp_path / f"e2_{f}_{refine}" / "summary.json").read_text())


@pytest.mark.parametrize("f", [0.1, pytest.param(0.3, marks=pytest.mark.slow),
                               0.5, pytest.param(0.8, marks=pytest.mark.slow)])
@pytest.mark.slow
def test_e2_periodic_strips(f, tmp_path, validation):
    summary = _e2_run(tmp_path, f)
    err = summary["asr_constriction_ohm_cm2"] / strip_asr(f) - 1
    assert abs(err) < 0.01, (summary["asr_constriction_ohm_cm2"], strip_asr(f))
    assert summary["contact_fraction"] == pytest.approx(f, rel=1e-9)
    validation.record(f"E2 strips f = {f}", "(λ/πκ) ln(1/sin(πf/2))", "validation.md E2",
                      "1 %", f"{err * 100:+.3f} %", f"{summary['unknowns']} P1 dofs, CLI",
                      abs(err) < 0.01)


@pytest.mark.slow
def test_e2_mesh_converged(tmp_path, validation):
    """Halving every element size changes ASR_c by less than a tenth of the tolerance."""
    coarse = _e2_run(tmp_path, 0.8)["asr_constriction_ohm_cm2"]
    fine = _e2_run(tmp_path, 0.8, refine=0.5)["asr_constriction_ohm_cm2"]
    change = abs(fine / coarse - 1)
    assert change < 0.001
    assert abs(fine / strip_asr(0.8) - 1) < abs(coarse / strip_asr(0.8) - 1)  # converging
    validation.record("E2 mesh convergence f = 0.8", "change on halving h < tol/10",
                      "validation.md", "0.1 %", f"{change * 100:.3f} %", "h and h/2", True)


def disk_case(dimension: str, a: float, b: float, sizes: tuple[float, float, float],
              growth: float) -> dict:
    """A contact spot of radius a [µm] on a cell of lateral size b [µm], depth 4b."""
    return {
        "geometry": {"dimension": dimension, "width_um": b, "lithium_thickness_um": 2,
                     "electrolyte_thickness_um": 4 * b, "contact_spot_radius_um": a,
                     "gap_height_um": 0.2,
                     "mesh": {"size_um": sizes[0], "interface_size_um": sizes[1],
                              "edge_size_um": sizes[2], "growth_rate": growth}},
        "interface": {"kinetics": "primary"},
        "protocol": {"current_density_mA_cm2": 1.0},
    }


def disk_resistance(summary: dict, cell_area: float) -> float:
    """Constriction resistance [Ω] of the whole cell from ASR_c [Ω cm²]."""
    return summary["asr_constriction_ohm_cm2"] * 1e-4 / cell_area


def edge_exponent(sol, a: float, lo: float, hi: float) -> float:
    """Exponent of j ∝ (1 − r/a)^p near the contact edge, fitted to j·sqrt(1 + r/a) (the
    exact half-space profile is (1 − ρ²)^(−1/2)) averaged in logarithmic distance bins."""
    x, j, contact = sol.nodes_x, sol.nodes_j, sol.nodes_contact
    gdim = sol.potential.function_space.mesh.geometry.dim
    r = np.hypot(x[:, 0], x[:, 1]) if gdim == 3 else x[:, 0]
    d = 1 - r / a
    keep = contact & (d > lo) & (d < hi)
    y = j[keep] * np.sqrt(2 - d[keep])
    bins = np.digitize(d[keep], np.geomspace(lo, hi, 9))
    centers = [np.mean(np.log(d[keep][bins == k])) for k in range(1, 9) if np.any(bins == k)]
    values = [np.mean(np.log(y[bins == k])) for k in range(1, 9) if np.any(bins == k)]
    return float(np.polyfit(centers, values, 1)[0])


@pytest.mark.parametrize("eps", [0.02, 0.1, 0.3])
def test_e3_disk_axisymmetric(eps, validation):
    a, b = 1.0, 1.0 / eps
    sol, summary, _ = solve_case(disk_case("axisymmetric", a, b, (min(b / 20, 1.0), 0.05,
                                                                   0.001), 0.1))
    resistance = disk_resistance(summary, math.pi * (b * 1e-6) ** 2)
    exact = psi(eps) / (4 * KAPPA * a * 1e-6)
    err = resistance / exact - 1
    assert abs(err) < 0.01
    if eps == 0.02:  # small-contact limit: the Newman/Holm disk resistance 1/(4κa)
        holm = resistance * 4 * KAPPA * a * 1e-6 - 1
        assert abs(holm) < 0.03
        validation.record("E3 disk, small-contact limit (axi, ε = 0.02)", "R = 1/(4κa)",
                          "Newman 1966; validation.md E3", "3 %", f"{holm * 100:+.2f} %",
                          "edge a/1000", True)
    p = edge_exponent(sol, a * 1e-6, 0.005, 0.1)
    assert abs(p + 0.5) < 0.05
    validation.record(f"E3 disk in cylinder (axi, ε = {eps})", "R = ψ(ε)/(4κa)",
                      "Roess/Gibson series; validation.md E3", "1 %",
                      f"{err * 100:+.3f} %, edge exponent {p:.3f}", "edge a/1000", True)


@pytest.mark.slow
def test_e3_disk_3d(validation):
    """A quarter disk at the corner of a quarter square cell of side 2b: compared with the
    cylinder of equal area (ε = a√π / (2b))."""
    a, b = 1.0, 4.0
    eps = a * math.sqrt(math.pi) / (2 * b)
    exact = psi(eps) / (4 * KAPPA * a * 1e-6)
    errors = []
    for sizes, growth in (((1.0, 0.1, 0.02), 0.3), ((0.5, 0.05, 0.01), 0.15)):
        sol, summary, _ = solve_case(disk_case("3d", a, b, sizes, growth))
        errors.append(disk_resistance(summary, 4 * (b * 1e-6) ** 2) / exact - 1)
    assert abs(errors[-1]) < 0.03
    assert abs(errors[-1]) < abs(errors[0])  # converging under refinement
    p = edge_exponent(sol, a * 1e-6, 0.05, 0.5)
    assert abs(p + 0.5) < 0.05
    validation.record("E3 disk, 3D square cell (ε_eq = 0.22)", "R = ψ(ε)/(4κa)",
                      "validation.md E3", "3 %",
                      f"{errors[0] * 100:+.2f} % → {errors[1] * 100:+.2f} % on refining, "
                      f"edge exponent {p:.3f}",
                      f"{sol.potential.function_space.dofmap.index_map.size_global} P1 dofs",
                      True)


def patch_flux_concentration(abar: float, scale: float = 1.0, kappa_S_cm: float = 4e-4):
    """k_J = max(j)/j_far around a debonded patch of radius a = scale µm at ā = a/(κZ)."""
    a = 1.0 * scale
    resistance = a * 1e-6 / (abar * kappa_S_cm * 100) * 1e4  # Ω cm²
    case = {
        "geometry": {"dimension": "axisymmetric", "width_um": 20 * scale,
                     "lithium_thickness_um": 2 * scale, "electrolyte_thickness_um": 20 * scale,
                     "voids": [{"center_um": 0, "radius_um": a, "height_um": 0.2 * scale}],
                     "mesh": {"size_um": 2 * scale, "interface_size_um": 0.05 * scale,
                              "edge_size_um": 0.002 * scale, "growth_rate": 0.1}},
        "materials": {"electrolyte": {"name": "LLZO", "ionic_conductivity_S_cm": kappa_S_cm}},
        "interface": {"kinetics": "linear", "resistance_ohm_cm2": resistance},
        "protocol": {"current_density_mA_cm2": 1.0},
    }
    sol, _, _ = solve_case(case)
    far = sol.nodes_j[np.argmax(sol.nodes_x[:, 0])]
    return float(sol.nodes_j.max() / far)


@pytest.mark.slow
def test_e4_debonded_patch(validation):
    base = patch_flux_concentration(1.0)
    for scale, kappa in ((2.0, 8e-4), (0.5, 2e-4)):  # a and κ scaled together: same ā
        assert patch_flux_concentration(1.0, scale, kappa) == pytest.approx(base, rel=1e-6)
    k = [patch_flux_concentration(abar) for abar in (0.01, 0.1, 1.0, 10.0, 100.0)]
    assert k[0] == pytest.approx(1.0, abs=0.01)
    assert np.all(np.diff(k) > 0)
    validation.record("E4 debonded patch", "k_J depends only on a/(κZ); → 1; increasing",
                      "validation.md E4", "1e-6 invariance",
                      ", ".join(f"k_J({x:g}) = {v:.3f}" for x, v in
                                zip((0.01, 0.1, 1, 10, 100), k, strict=True)),
                      "edge a/500", True)


MPI_SCRIPT = """
import json
from tests.helpers import solve_case
from tests.verification.test_constriction import disk_case
from mpi4py import MPI
_, summary, _ = solve_case(disk_case("axisymmetric", 1.0, 10.0, (0.5, 0.05, 0.001), 0.1))
if MPI.COMM_WORLD.rank == 0:
    print("SUMMARY", json.dumps(summary))
"""


@pytest.mark.slow
def test_e3_mpi_matches_serial():
    _, serial, _ = solve_case(disk_case("axisymmetric", 1.0, 10.0, (0.5, 0.05, 0.001), 0.1))
    proc = run_mpi([sys.executable, "-c", MPI_SCRIPT])
    assert proc.returncode == 0, proc.stderr
    parallel = json.loads(proc.stdout.split("SUMMARY")[1])
    for key in ("cell_voltage_V", "asr_constriction_ohm_cm2", "contact_fraction",
                "max_interface_current_density_A_m2", "hotspot_factor"):
        assert parallel[key] == pytest.approx(serial[key], rel=1e-6), key
