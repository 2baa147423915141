"""A growing interphase (validation I1): the parabolic law, the Li it binds, its arc in the
spectrum and its place in an evolution's Li bookkeeping (lisse.solver.physics.interphase)."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.config.schema import resolve, validate_case
from lisse.solver.physics.interphase import Interphase, film_state
from lisse.units import (
    C_M2_PER_MAH_CM2,
    FARADAY,
    GAS_CONSTANT,
    NM_PER_M,
    OHM_CM2_PER_OHM_M2,
    SECONDS_PER_HOUR,
    UM_PER_M,
)

T = 298.15
FILM = Interphase(rate_constant=5e-20, activation_energy=38.6e3, reference_temperature=T,
                  initial_thickness=2e-9, conductivity=1e-5, permittivity=10 * 8.854e-12,
                  li_per_volume=4.1e4)


def test_i1_thickness_grows_as_root_time(validation):
    """Uneven steps in contact give L² = L0² + 2 k_p t exactly; from L0 = 0 the thickness
    doubles when the time quadruples; the rate follows its Arrhenius law."""
    rng = np.random.default_rng(0)
    steps = rng.uniform(1.0, 5000.0, 40)
    film = np.full(3, FILM.initial_thickness)
    for dt in steps:
        film, _ = FILM.grow(film, np.ones(3), dt, T)
    exact = FILM.thickness(steps.sum(), T)
    error = float(np.max(np.abs(film / exact - 1)))
    bare = Interphase(**{**FILM.__dict__, "initial_thickness": 0.0})
    ratio = bare.thickness(4 * SECONDS_PER_HOUR, T) / bare.thickness(SECONDS_PER_HOUR, T)
    validation.record("I1 parabolic interphase growth", "L² = L0² + 2 k_p t over 40 uneven "
                      "steps; L(4t)/L(t) = 2 from L0 = 0", "validation.md I1", "1e-12",
                      f"relative error {error:.1e}; ratio {ratio:.15g}", "no mesh",
                      error < 1e-12 and abs(ratio - 2) < 1e-12)
    assert error < 1e-12
    assert ratio == pytest.approx(2.0, rel=1e-12)
    hot = FILM.rate(T + 30) / FILM.rate(T)
    assert hot == pytest.approx(np.exp(38.6e3 / GAS_CONSTANT * (1 / T - 1 / (T + 30))),
                                rel=1e-12)


def test_i1_no_growth_without_contact():
    """A node that lost contact keeps its film; a half-touching node grows the same film
    on half its area (half the volume)."""
    film = np.array([10e-9, 10e-9, 10e-9])
    new, volume = FILM.grow(film, np.array([1.0, 0.0, 0.5]), 3600.0, T)
    assert new[1] == film[1] and volume[1] == 0.0
    assert new[0] == new[2] > film[0]
    assert volume[2] == pytest.approx(0.5 * volume[0], rel=1e-15)


def test_i1_li_per_volume_of_the_argyrodite_interphase(validation):
    """The library's Li6PS5Cl interphase (8 Li per 5 Li2S + Li3P + LiCl, ρ/M from handbook
    densities) against the conversion of the CTTA measurement (seed 003, Aktekin et al.
    2023): 1 µAh/cm² of side reaction, 3.7e-8 mol/cm² of Li, gives about 9 nm of SEI."""
    case = validate_case({"geometry": {"width_um": 10, "lithium_thickness_um": 5,
                                       "electrolyte_thickness_um": 20},
                          "materials": {"electrolyte": "Li6PS5Cl"},
                          "protocol": {"current_density_mA_cm2": 0.1}, "interphase": {}})
    film = resolve(case).interphase
    li = 1e-3 * C_M2_PER_MAH_CM2 / FARADAY  # 1 µAh/cm² of Li [mol/m²]
    thickness_nm = li / film.li_per_volume * NM_PER_M
    ratio = thickness_nm / 9.0
    validation.record("I1 Li bound per interphase volume, Li|Li6PS5Cl",
                      "1 µAh/cm² ↔ about 9 nm of Li2S + Li3P + LiCl",
                      "seed 003 (Aktekin et al., Nat. Commun. 2023, CTTA)", "5 %",
                      f"{thickness_nm:.2f} nm (ratio {ratio:.3f})", "no mesh",
                      abs(ratio - 1) < 0.05)
    assert abs(ratio - 1) < 0.05
    assert film.li_consumed(thickness_nm / NM_PER_M) == pytest.approx(li, rel=1e-12)


def planar_film_spectrum(frequencies, thickness):
    """Z [Ω m²] of a planar Li|electrolyte cell with an interphase of ``thickness`` [m]."""
    from lisse.solver.config.params import Kinetics, Numerics
    from lisse.solver.physics.current import CurrentDistribution
    from lisse.solver.physics.impedance import Impedance
    from tests.helpers import rectangle_domain

    domain = rectangle_domain(MPI.COMM_WORLD, 20e-6, 100e-6, 4, 12)
    working = Kinetics("butler_volmer", exchange_current_density=50.0, alpha_a=0.5,
                       alpha_c=0.5)
    cd = CurrentDistribution(domain, 0.04, working, Kinetics("ideal"), T, Numerics())
    nodes = cd.interface_nodes
    cd.set_interface(film_state(cd.interface, nodes, np.full(len(nodes), thickness), FILM))
    eis = Impedance(cd, None, 0.1)
    return np.array([eis.solve(f) for f in frequencies])


def test_i1_spectrum_shows_the_growing_arc(validation):
    """A planar cell with the film after 10 h and after 40 h in contact: Z = R_b +
    R_s/(1 + iωR_sC_s) + R_ct/(1 + iωR_ctC_dl) with R_s = L/κ_f, C_s = ε_f/L, to 1e-6; the
    interface arcs (Re Z from 1 GHz down to 0.1 Hz) grow by the film's ΔL/κ_f."""
    frequencies = np.geomspace(1e-1, 1e9, 31)
    r_b, r_ct = 100e-6 / 0.04, GAS_CONSTANT * T / (FARADAY * 50.0)
    errors, arcs, thicknesses = [], [], []
    for hours in (10.0, 40.0):
        thickness = FILM.thickness(hours * SECONDS_PER_HOUR, T)
        z = planar_film_spectrum(frequencies, thickness)
        r_s, c_s = thickness / FILM.conductivity, FILM.permittivity / thickness
        w = 2 * np.pi * frequencies
        exact = r_b + r_s / (1 + 1j * w * r_s * c_s) + r_ct / (1 + 1j * w * r_ct * 0.1)
        errors.append(float(np.max(np.abs(z - exact) / np.abs(exact))))
        arcs.append(float(z[0].real - z[-1].real))  # the arcs between bulk and dc
        thicknesses.append(thickness)
    growth = (arcs[1] - arcs[0]) / ((thicknesses[1] - thicknesses[0]) / FILM.conductivity)
    cm2 = OHM_CM2_PER_OHM_M2
    validation.record("I1 interphase arc in the spectrum", "R_b + R_s‖C_s + R_ct‖C_dl at 10 h "
                      "and 40 h; the arcs grow by ΔL/κ_f", "validation.md I1, Z1", "1e-6",
                      f"max relative error {max(errors):.1e}; arcs {arcs[0] * cm2:.4g} → "
                      f"{arcs[1] * cm2:.4g} Ω cm² (growth / (ΔL/κ_f) = {growth:.5f})",
                      "4×12 P1 rectangle", max(errors) < 1e-6)
    assert max(errors) < 1e-6
    assert growth == pytest.approx(1.0, rel=1e-4)
    assert thicknesses[1] / thicknesses[0] == pytest.approx(2.0, rel=2e-3)  # L ≈ √t (L0 small)


def interphase_case(steps) -> dict:
    return {
        "name": "sei",
        "geometry": {"width_um": 20, "lithium_thickness_um": 10,
                     "electrolyte_thickness_um": 20,
                     "voids": [{"center_um": 0, "radius_um": 6, "height_um": 2}],
                     "mesh": {"size_um": 4, "interface_size_um": 1, "edge_size_um": 0.5}},
        "materials": {"electrolyte": "Li6PS5Cl"},
        "protocol": {"current_density_mA_cm2": 0.1},
        "interphase": {"age_h": 2, "initial_thickness_nm": 1},
        "evolution": {"interface_model": "reduced", "steps": steps,
                      "time_step": {"max_s": 1800},
                      "supply": {"creep": False, "vacancy": True}},
        "output": {"fields": False, "plots": False},
    }


def test_i1_li_bookkeeping_of_an_evolution(tmp_path, validation):
    """A 10 h rest with a void: the film grows only on the contact, and the Li it binds
    equals film volume × ν ρ/M (as Li-metal thickness Ω c_Li f ΔL, f the contact fraction,
    ΔL = L(12 h) − L(2 h)) exactly."""
    import lisse

    case = interphase_case([{"current_density_mA_cm2": 0, "duration_h": 10}])
    result = lisse.run(case, output=tmp_path / "rest")
    params = resolve(validate_case(case))
    film = params.interphase
    grown = (film.thickness(12 * SECONDS_PER_HOUR, params.temperature)
             - film.thickness(2 * SECONDS_PER_HOUR, params.temperature))
    fraction = result.summary["final_contact_fraction"]
    assert 0.3 < fraction < 0.9  # the void floor holds no film
    expected = params.electrode.molar_volume * film.li_per_volume * fraction * grown
    got = result.summary["li_interphase_um"] / UM_PER_M
    error = abs(got / expected - 1)
    validation.record("I1 Li consumed by the interphase in an evolution",
                      "Li bound = Ω ν ρ/M × film volume (10 h rest, one void)",
                      "validation.md I1", "1e-9", f"{got * UM_PER_M:.6g} µm of Li "
                      f"({error:.1e})", "2D plane, one void", error < 1e-9)
    assert error < 1e-9
    assert result.timeseries["li_interphase_um"][-1] == pytest.approx(got * UM_PER_M)
