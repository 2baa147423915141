"""Where the constriction of a partial contact sits in the spectrum (docs/impedance.md, the
comparison with the 3D impedance models of Eckhardt et al., ACS Appl. Mater. Interfaces 14,
42757 (2022)): a circular contact spot of radius a on a cylinder of radius b (contact
fraction f = ε², ε = a/b, axisymmetric, depth 4b), linear charge transfer R_ct in parallel
with C_dl on the contact, no bulk permittivity.

* Above the interface arc the double layer shorts the charge transfer and the contact is an
  equipotential: Re Z → R_b + R_c with R_c = πb² ψ(ε)/(4κa), the Roess/Gibson constriction
  (validation E3). The one-dimensional effective-medium circuit R_b + (R_ct/f)‖(f C_dl) —
  the "physical 1D circuit" Eckhardt et al. show to fail — tends to R_b there: it misses R_c.
* At dc the Thomson (minimum-dissipation) principle brackets the resistance between the
  equipotential and the uniform-flux contact: R_b + R_ct/f + R_c ≤ Z(0) ≤ R_b + R_ct/f + R_u,
  R_u = πb² ψ_u(ε)/(4κa) with the uniform-flux flux-tube series (area-averaged potential)
  ψ_u = (16/(πε)) Σ_n J₁²(δ_n ε)/(δ_n³ J₀²(δ_n)), J₁(δ_n) = 0, whose ε → 0 limit is
  32/(3π²) (checked below). The 1D circuit misses the constriction at every frequency.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lisse.units import OHM_CM2_PER_OHM_M2
from tests.verification.test_constriction import psi

KAPPA = 0.04  # S/m (LLZO, 0.4 mS/cm)
B_UM = 50.0
R_CT = 2.0  # Ω cm² (Li | LLZO order of magnitude, as scripts/eis_constriction.py)
C_DL = 10.0  # µF/cm²


def psi_uniform(eps: float, terms: int = 20000) -> float:
    """ψ_u(ε) of a uniform-flux disk on a semi-infinite circular flux tube, R_u = ψ_u/(4κa)."""
    from scipy.special import j0, j1, jn_zeros

    roots = jn_zeros(1, terms)
    return float(16 / (math.pi * eps) * np.sum(j1(roots * eps) ** 2
                                                / (roots**3 * j0(roots) ** 2)))


def test_uniform_flux_series_has_the_isolated_disk_limit():
    assert psi_uniform(0.005) == pytest.approx(32 / (3 * math.pi**2), rel=1e-2)


def spot_case(eps: float) -> dict:
    return {
        "name": f"spot_{eps:g}",
        "geometry": {"dimension": "axisymmetric", "width_um": B_UM, "lithium_thickness_um": 2,
                     "electrolyte_thickness_um": 4 * B_UM,
                     "contact_spot_radius_um": eps * B_UM, "gap_height_um": 0.2,
                     "mesh": {"size_um": 5.0, "interface_size_um": 0.5,
                              "edge_size_um": 0.02, "growth_rate": 0.1}},
        "interface": {"kinetics": "linear", "resistance_ohm_cm2": R_CT},
        "protocol": {"current_density_mA_cm2": 1.0},
        "impedance": {"double_layer_capacitance_uF_cm2": C_DL, "min_frequency_Hz": 1e-1,
                      "max_frequency_Hz": 1e10, "points_per_decade": 1},
        "output": {"fields": False, "plots": False},
    }


@pytest.mark.parametrize("eps", [0.3, pytest.param(0.6, marks=pytest.mark.slow)])
def test_constriction_in_the_spectrum_of_a_contact_spot(eps, tmp_path, validation):
    import lisse

    result = lisse.eis(spot_case(eps), output=tmp_path / "spot")
    z = result.spectrum["z_real_ohm_cm2"] + 1j * result.spectrum["z_imag_ohm_cm2"]
    f = eps**2
    a, b = eps * B_UM * 1e-6, B_UM * 1e-6
    r_b = 4 * b / KAPPA * OHM_CM2_PER_OHM_M2
    r_c = math.pi * b**2 * psi(eps) / (4 * KAPPA * a) * OHM_CM2_PER_OHM_M2
    high_err = z[-1].real / (r_b + r_c) - 1
    excess_dc = (z[0].real - r_b - R_CT / f) / r_c  # the dc constriction over R_c (≥ 1)
    upper = psi_uniform(eps) / psi(eps)  # the uniform-flux constriction over R_c
    validation.record(
        f"Z3 contact spot ε = {eps}: high-frequency limit", "Re Z(10 GHz) = R_b + πb²ψ(ε)/(4κa)"
        " (1D effective-medium circuit: R_b)", "Roess/Gibson (E3); Eckhardt et al. 2022",
        "1 %", f"{z[-1].real:.4g} vs {r_b + r_c:.4g} Ω cm² ({high_err * 100:+.2f} %); "
        f"1D circuit misses {r_c:.3g} Ω cm²", "axisymmetric, edge a/750–a/1500",
        abs(high_err) < 0.01)
    validation.record(
        f"Z3 contact spot ε = {eps}: dc bracket", "R_c ≤ Z(0) − R_b − R_ct/f ≤ R_u (Thomson)",
        "Roess/Gibson (E3); uniform-flux series", "1 %",
        f"Z(0) − R_b − R_ct/f = {excess_dc:.3f} R_c, R_u = {upper:.3f} R_c", "axisymmetric",
        0.99 < excess_dc < 1.01 * upper)
    assert result.summary["contact_fraction"] == pytest.approx(f, rel=1e-6)
    assert abs(high_err) < 0.01
    assert 0.99 < excess_dc < 1.01 * upper


ECKHARDT_B_UM = 100 / math.sqrt(math.pi)  # the cylinder of their (100 µm)² cell's area


def eckhardt_case(f: float) -> dict:
    """The single-contact-spot model of Eckhardt et al., Adv. Mater. Interfaces 10, 2202354
    (2023), section 2: 100 µm of LLZO at 0.46 mS/cm, R_pol = 0.5 Ω cm², C_DL = 1.77 F/cm²
    (their case τ_Cstr < τ_CT), one contact spot of area fraction f; here axisymmetric (a
    circular spot on the cylinder of equal area, no grain boundaries, ε = 0)."""
    b = ECKHARDT_B_UM
    return {
        "name": f"eckhardt_{f:g}",
        "geometry": {"dimension": "axisymmetric", "width_um": b, "lithium_thickness_um": 2,
                     "electrolyte_thickness_um": 100,
                     "contact_spot_radius_um": math.sqrt(f) * b, "gap_height_um": 0.2,
                     "mesh": {"size_um": 5.0, "interface_size_um": 0.5,
                              "edge_size_um": 0.02, "growth_rate": 0.1}},
        "materials": {"electrolyte": {"name": "LLZO", "ionic_conductivity_S_cm": 0.46e-3}},
        "interface": {"kinetics": "linear", "resistance_ohm_cm2": 0.5},
        "protocol": {"current_density_mA_cm2": 1.0},
        "impedance": {"double_layer_capacitance_uF_cm2": 1.77e6, "min_frequency_Hz": 1e-4,
                      "max_frequency_Hz": 1e8, "points_per_decade": 3},
        "output": {"fields": False, "plots": False},
    }


@pytest.mark.slow
def test_eckhardt_charge_transfer_resistance_scales_with_contact_area(tmp_path, validation):
    """Eckhardt et al. (2023) fit 1D circuits to their 3D network spectra and find, for
    τ_Cstr < τ_CT, R_CT ∝ A^s with s = −1.03 to −1.08 and C_CT ∝ A^s with s = +1.02 to
    +1.08 over their three contact morphologies (their Fig. 5b, c). The same analysis of
    lisse's spectra (R0 − R1‖C1 by impedance.py, f = 0.64, 0.36, 0.16): tolerance ±0.1 on
    each exponent around the middle of their range (−1.055, +1.05)."""
    pytest.importorskip("impedance", reason="optional extra lisse[fit] not installed")
    import lisse
    from lisse.solver.studies.eis_fit import fit_circuit

    fractions, r_ct, c_ct = (0.64, 0.36, 0.16), [], []
    for f in fractions:
        result = lisse.eis(eckhardt_case(f), output=tmp_path / f"f{f:g}")
        z = result.spectrum["z_real_ohm_cm2"] + 1j * result.spectrum["z_imag_ohm_cm2"]
        fit = fit_circuit(result.spectrum["frequency_Hz"], z, "R0-p(R1,C1)",
                          [z[-1].real, z[0].real - z[-1].real, 1.77 * f])
        assert fit.max_relative_misfit < 0.01
        r_ct.append(fit.as_dict()["R1"])
        c_ct.append(fit.as_dict()["C1"])
    s_r = float(np.polyfit(np.log(fractions), np.log(r_ct), 1)[0])
    s_c = float(np.polyfit(np.log(fractions), np.log(c_ct), 1)[0])
    validation.record(
        "Z3 Eckhardt single contact spot: R_CT ∝ A^s", "s = −1.03 to −1.08 (1D fits to their "
        "3D network spectra, τ_Cstr < τ_CT)", "Eckhardt et al., Adv. Mater. Interfaces 10, "
        "2202354 (2023), Fig. 5b", "±0.1 on s", f"s = {s_r:.3f}",
        "axisymmetric spot, edge 0.02 µm", abs(s_r + 1.055) < 0.1)
    validation.record(
        "Z3 Eckhardt single contact spot: C_CT ∝ A^s", "s = +1.02 to +1.08 (same fits)",
        "Eckhardt et al. 2023, Fig. 5c", "±0.1 on s", f"s = {s_c:+.3f}",
        "axisymmetric spot, edge 0.02 µm", abs(s_c - 1.05) < 0.1)
    assert abs(s_r + 1.055) < 0.1
    assert abs(s_c - 1.05) < 0.1
