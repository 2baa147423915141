"""Impedance spectra (validation Z1, Z2): the small-signal solve of lisse.solver.physics.
impedance against the closed form of a planar cell and the limits of a voided cell."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.config.params import Kinetics, Numerics
from lisse.solver.physics.current import CurrentDistribution
from lisse.solver.physics.impedance import Impedance
from lisse.units import FARADAY, GAS_CONSTANT, OHM_CM2_PER_OHM_M2
from tests.helpers import rectangle_domain

T = 298.15
KAPPA = 0.04  # S/m (0.4 mS/cm)
L = 100e-6  # m
I0 = 50.0  # A/m² (5 mA/cm²)
C_DL = 0.1  # F/m² (10 µF/cm²)
WORKING = Kinetics("butler_volmer", exchange_current_density=I0, alpha_a=0.4, alpha_c=0.6)


def planar_spectrum(frequencies, numerics: Numerics | None = None):
    numerics = numerics or Numerics()
    domain = rectangle_domain(MPI.COMM_WORLD, 20e-6, L, 4, 12)
    cd = CurrentDistribution(domain, KAPPA, WORKING, Kinetics("ideal"), T, numerics)
    eis = Impedance(cd, None, C_DL)
    return np.array([eis.solve(f) for f in frequencies])


def test_z1_planar_cell(validation):
    """Z(ω) = R_b + R_ct/(1 + iωR_ct C_dl), R_b = L/κ, R_ct = RT/(F i0 (αa + αc)), to 1e-6
    over six decades around the interface arc (the discretisation is exact here)."""
    frequencies = np.geomspace(1e-1, 1e5, 25)
    z = planar_spectrum(frequencies)
    r_b, r_ct = L / KAPPA, GAS_CONSTANT * T / (FARADAY * I0)
    exact = r_b + r_ct / (1 + 2j * np.pi * frequencies * r_ct * C_DL)
    error = float(np.max(np.abs(z - exact) / np.abs(exact)))
    validation.record(
        "Z1 planar cell impedance", "R_b + R_ct‖C_dl over 0.1 Hz–100 kHz", "validation.md Z1",
        "1e-6", f"max relative error {error:.1e} (R_b {r_b * OHM_CM2_PER_OHM_M2:.3g}, "
        f"R_ct {r_ct * OHM_CM2_PER_OHM_M2:.3g} Ω cm²)", "4×12 P1 rectangle", error < 1e-6)
    assert error < 1e-6
    # the arc's top sits at ω R_ct C_dl = 1
    top = frequencies[np.argmax(-z.imag)]
    assert top == pytest.approx(1 / (2 * np.pi * r_ct * C_DL), rel=0.3)


def test_z1_iterative_solver_matches_direct():
    frequencies = [1.0, 1e3]
    direct = planar_spectrum(frequencies)
    iterative = planar_spectrum(frequencies, Numerics(linear_solver="iterative"))
    assert iterative == pytest.approx(direct, rel=1e-8)


VOIDED = {
    "name": "voided",
    "geometry": {"width_um": 40, "lithium_thickness_um": 10, "electrolyte_thickness_um": 60,
                 "voids": [{"center_um": 0, "radius_um": 12, "height_um": 3}],
                 "mesh": {"size_um": 6, "interface_size_um": 1, "edge_size_um": 0.2}},
    "protocol": {"current_density_mA_cm2": 1e-4},
    "impedance": {"double_layer_capacitance_uF_cm2": 10, "min_frequency_Hz": 1e-2,
                  "max_frequency_Hz": 1e9, "points_per_decade": 1},
    "output": {"fields": False, "plots": False},
}


def voided_limits(tmp):
    """(Z at 0.01 Hz, Z at 1 GHz, steady ASR at 1e-4 mA/cm², primary ASR) [Ω cm²]."""
    import copy

    import lisse

    z = lisse.eis(VOIDED, output=tmp / "eis").spectrum
    steady = lisse.run(VOIDED, output=tmp / "steady").summary["asr_total_ohm_cm2"]
    primary = copy.deepcopy(VOIDED)
    primary["interface"] = {"kinetics": "primary"}
    del primary["impedance"]
    bulk = lisse.run(primary, output=tmp / "primary").summary["asr_total_ohm_cm2"]
    return (complex(z["z_real_ohm_cm2"][0], z["z_imag_ohm_cm2"][0]),
            complex(z["z_real_ohm_cm2"][-1], z["z_imag_ohm_cm2"][-1]), steady, bulk)


def test_z2_limits_of_a_voided_cell(tmp_path, validation):
    """Z(ω → 0) is the steady small-current ASR with the constriction; above the interface
    arc the contact is an equipotential, so Z tends to the bulk plus the primary
    constriction resistance (E2/E3), not to the bulk alone."""
    low, high, steady, primary = voided_limits(tmp_path)
    low_error, high_error = abs(low.real / steady - 1), abs(high.real / primary - 1)
    validation.record(
        "Z2 low-frequency limit, voided cell", "Z(0.01 Hz) = steady ASR at 1e-4 mA/cm²",
        "validation.md Z2", "1e-6", f"{low.real:.6g} vs {steady:.6g} Ω cm² "
        f"({low_error:.1e})", "2D plane, one void, P1", low_error < 1e-6)
    validation.record(
        "Z2 high-frequency limit, voided cell",
        "Re Z(1 GHz) = bulk + primary constriction (ε = 0)", "validation.md Z2, E2/E3",
        "1e-4", f"{high.real:.6g} vs {primary:.6g} Ω cm² ({high_error:.1e})",
        "2D plane, one void, P1", high_error < 1e-4)
    assert low_error < 1e-6 and abs(low.imag) < 1e-3 * low.real
    assert high_error < 1e-4
    assert high.real > 60e-6 / KAPPA * OHM_CM2_PER_OHM_M2 * 1.01  # above the bulk alone


@pytest.mark.slow
def test_cli_writes_the_spectrum(tmp_path):
    import csv

    from tests.helpers import ROOT, run_lisse

    out = tmp_path / "eis"
    proc = run_lisse(["eis", str(ROOT / "configs" / "examples" / "llzo_voids_eis.yaml"), "-o",
                      str(out), "--set", "impedance.points_per_decade=2"])
    assert proc.returncode == 0, proc.stderr
    with open(out / "impedance.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["frequency_Hz", "z_real_ohm_cm2", "z_imag_ohm_cm2", "z_abs_ohm_cm2",
                       "phase_deg"]
    z = np.array(rows[1:], dtype=float)
    assert len(z) == 17 and np.all(z[:, 2] <= 0)  # capacitive: Z″ ≤ 0
    assert np.all(np.diff(z[:, 1]) <= 1e-12)  # Z′ falls with frequency
    assert (out / "nyquist.png").exists() and (out / "bode.png").exists()


@pytest.mark.slow
def test_mpi_matches_serial(tmp_path):
    import json
    import sys

    from tests.helpers import run_mpi

    script = ("import json, pathlib, tempfile; from mpi4py import MPI; "
              "from tests.verification.test_impedance import voided_limits; "
              "tmp = pathlib.Path(MPI.COMM_WORLD.bcast(tempfile.mkdtemp() "
              "if MPI.COMM_WORLD.rank == 0 else None)); out = voided_limits(tmp); "
              "MPI.COMM_WORLD.rank or print(json.dumps([out[0].real, out[0].imag, "
              "out[1].real, out[1].imag]))")
    proc = run_mpi([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    parallel = json.loads(proc.stdout.strip().splitlines()[-1])
    low, high, _, _ = voided_limits(tmp_path)
    for z, (re, im) in ((low, parallel[:2]), (high, parallel[2:])):
        assert abs(complex(re, im) - z) <= 1e-8 * abs(z)  # solver tolerance


EPS0 = 8.8541878128e-12  # F/m


def brick_layer_case() -> dict:
    """Aligned square grains (validation G1) with permittivities: bulk, grain-boundary and
    interface arcs three decades apart."""
    return {
        "name": "brick",
        "geometry": {"width_um": 8, "lithium_thickness_um": 2, "electrolyte_thickness_um": 8,
                     "mesh": {"size_um": 0.5, "interface_size_um": 0.5, "edge_size_um": 0.5}},
        "materials": {"electrolyte": {"name": "LLZO", "ionic_conductivity_S_cm": 1e-3}},
        "interface": {"kinetics": "linear", "resistance_ohm_cm2": 0.5},
        "protocol": {"current_density_mA_cm2": 1.0},
        "microstructure": {"grains": {"size_um": 2, "spread": 0.0, "band_width_um": 0.1,
                                      "boundary_width_nm": 2, "ionic_conductivity_S_cm": 1e-6}},
        "impedance": {"double_layer_capacitance_uF_cm2": 1000, "relative_permittivity": 60,
                      "min_frequency_Hz": 1, "max_frequency_Hz": 1e9, "points_per_decade": 3},
        "output": {"fields": False, "plots": False},
    }


@pytest.mark.slow
def test_z2_brick_layer_two_arcs(tmp_path, validation):
    """Bulk, grain-boundary and interface arcs of aligned square grains against the
    brick-layer model Z = Σ R_k/(1 + iωR_kC_k): R_g = L/κ_g, C_g = ε/L; R_gb = n δ/κ_gb,
    C_gb = ε/(n δ) for the n boundaries crossed; R_ct = Z, C_dl (van Dijk & Burggraaf
    1981; Haile et al. 1998). Tolerance 2 %."""
    import lisse

    result = lisse.eis(brick_layer_case(), output=tmp_path / "brick")
    f = result.spectrum["frequency_Hz"]
    z = (result.spectrum["z_real_ohm_cm2"] + 1j * result.spectrum["z_imag_ohm_cm2"])
    z /= OHM_CM2_PER_OHM_M2
    L, d, delta, eps = 8e-6, 2e-6, 2e-9, 60 * EPS0
    n = L / d - 1
    arcs = [(L / 0.1, eps / L), (n * delta / 1e-4, eps / (n * delta)), (0.5e-4, 10.0)]
    omega = 2 * np.pi * f
    exact = sum(r / (1 + 1j * omega * r * c) for r, c in arcs)
    error = float(np.max(np.abs(z - exact) / np.abs(exact)))
    validation.record(
        "Z2 brick-layer polycrystal", "three arcs of the brick-layer model, 1 Hz–1 GHz",
        "validation.md Z2 (van Dijk & Burggraaf; Haile et al.)", "2 %",
        f"max |Z − Z_bl|/|Z_bl| = {error:.2%}", "aligned 2 µm grains, 0.5 µm mesh", error < 0.02)
    assert error < 0.02
    # three separate arcs: −Z″ has three maxima at the three relaxation frequencies
    peaks = [k for k in range(1, len(f) - 1)
             if -z[k].imag > -z[k - 1].imag and -z[k].imag > -z[k + 1].imag]
    assert len(peaks) == 3
