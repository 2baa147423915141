"""Distribution of relaxation times (optional dependency pyimpspec): the DRT of a computed
planar spectrum with an interphase, R_b + R_s‖C_s + R_ct‖C_dl, has one peak per arc at
τ = R C, and its area is the polarisation resistance R_s + R_ct."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

pytest.importorskip("pyimpspec", reason="optional extra lisse[drt] not installed")

T = 298.15
EPS0 = 8.8541878128e-12  # F/m
KAPPA_FILM = 1e-3  # S/m: the film arc three decades above the charge-transfer arc
THICKNESS = 100e-9  # m
I0, C_DL = 50.0, 0.1  # A/m², F/m²


def film_spectrum(frequencies):
    """Z [Ω m²] of a planar Li | electrolyte (0.4 mS/cm, 100 µm) cell with a 100 nm film."""
    from lisse.solver.config.params import Kinetics, Numerics
    from lisse.solver.physics.current import CurrentDistribution
    from lisse.solver.physics.impedance import Impedance
    from lisse.solver.physics.interphase import Interphase, film_state
    from tests.helpers import rectangle_domain

    film = Interphase(rate_constant=5e-20, activation_energy=38.6e3, reference_temperature=T,
                      initial_thickness=THICKNESS, conductivity=KAPPA_FILM,
                      permittivity=10 * EPS0, li_per_volume=4.1e4)
    domain = rectangle_domain(MPI.COMM_WORLD, 20e-6, 100e-6, 4, 12)
    working = Kinetics("butler_volmer", exchange_current_density=I0, alpha_a=0.5, alpha_c=0.5)
    cd = CurrentDistribution(domain, 0.04, working, Kinetics("ideal"), T, Numerics())
    nodes = cd.interface_nodes
    cd.set_interface(film_state(cd.interface, nodes, np.full(len(nodes), THICKNESS), film))
    eis = Impedance(cd, None, C_DL)
    return np.array([eis.solve(f) for f in frequencies])


def test_drt_peaks_of_the_film_and_charge_transfer_arcs(validation):
    from lisse.solver.studies.eis_drt import relaxation_times
    from lisse.units import FARADAY, GAS_CONSTANT, OHM_CM2_PER_OHM_M2

    frequencies = np.geomspace(1.0, 1e9, 73)
    z = film_spectrum(frequencies) * OHM_CM2_PER_OHM_M2
    r_s, tau_s = THICKNESS / KAPPA_FILM, 10 * EPS0 / KAPPA_FILM  # Ω m², s
    r_ct = GAS_CONSTANT * T / (FARADAY * I0)
    tau_ct = r_ct * C_DL
    drt = relaxation_times(frequencies, z)
    assert len(drt.peak_time_constants_s) == 2
    tau_err = max(abs(drt.peak_time_constants_s[0] / tau_s - 1),
                  abs(drt.peak_time_constants_s[1] / tau_ct - 1))
    r_err = max(abs(drt.peak_resistances_ohm_cm2[0] / (r_s * OHM_CM2_PER_OHM_M2) - 1),
                abs(drt.peak_resistances_ohm_cm2[1] / (r_ct * OHM_CM2_PER_OHM_M2) - 1))
    area_err = abs(drt.polarisation_ohm_cm2 / ((r_s + r_ct) * OHM_CM2_PER_OHM_M2) - 1)
    ok = tau_err < 0.1 and r_err < 0.1 and area_err < 0.01
    validation.record("Z1 DRT (pyimpspec TR-NNLS)", "peaks at τ = R_sC_s and R_ctC_dl with "
                      "areas R_s, R_ct; total area R_s + R_ct", "validation.md Z1, I1",
                      "τ, R_k 10 %; total 1 %", f"τ {tau_err:.1%}, R_k {r_err:.1%}, total "
                      f"{area_err:.2%}", "4×12 P1 rectangle, 73 frequencies", ok)
    assert tau_err < 0.1
    assert r_err < 0.1
    assert area_err < 0.01
