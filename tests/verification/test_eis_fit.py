"""Equivalent-circuit fitting (optional dependency impedance.py): fitting R0-p(R1,C1) to the
computed spectrum of a planar cell (validation Z1) returns R_b, R_ct and C_dl."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("impedance", reason="optional extra lisse[fit] not installed")


def test_fit_recovers_the_planar_cell(validation):
    from lisse.solver.studies.eis_fit import fit_circuit
    from lisse.units import FARADAY, GAS_CONSTANT, OHM_CM2_PER_OHM_M2
    from tests.verification.test_impedance import C_DL, I0, KAPPA, L, T, planar_spectrum

    frequencies = np.geomspace(1e-1, 1e5, 25)
    z = planar_spectrum(frequencies) * OHM_CM2_PER_OHM_M2
    r_b = L / KAPPA * OHM_CM2_PER_OHM_M2
    r_ct = GAS_CONSTANT * T / (FARADAY * I0) * OHM_CM2_PER_OHM_M2
    c_dl = C_DL / OHM_CM2_PER_OHM_M2  # F/cm²
    fit = fit_circuit(frequencies, z, "R0-p(R1,C1)", [1.0, 1.0, 1e-6])
    got = fit.as_dict()
    errors = [abs(got["R0"] / r_b - 1), abs(got["R1"] / r_ct - 1), abs(got["C1"] / c_dl - 1)]
    validation.record("Z1 equivalent-circuit fit (impedance.py)", "R0-p(R1,C1) fitted to the "
                      "computed planar spectrum returns R_b, R_ct, C_dl", "validation.md Z1",
                      "1e-4", f"max relative error {max(errors):.1e}", "4×12 P1 rectangle",
                      max(errors) < 1e-4)
    assert max(errors) < 1e-4
    assert fit.max_relative_misfit < 1e-5
