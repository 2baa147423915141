"""Li pressure in a plated slit flaw with creep extrusion (solver.physics.flaw_extrusion):
the ODE against its closed forms (n = 1, n = 2), its steady state and the CCD limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lisse.solver.physics.flaw_extrusion import (
    SlitFlaw,
    cracks_within,
    extrusion_ccd,
    material_slit_flaw,
    pressure_history,
    steady_ccd,
)
from lisse.solver.physics.fracture import EDGE_CRACK_FACTOR
from lisse.solver.physics.plating import material_plating_ccd
from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA, kelvin


def flaw(n: float, **options) -> SlitFlaw:
    """A 10 µm deep, 1 µm wide flaw in an LLZO-like electrolyte with Li creep of exponent n."""
    return SlitFlaw(depth=10e-6, width=1e-6, fracture_toughness=1.25 * PA_PER_MPA,
                    youngs_modulus=150e9, poisson_ratio=0.26,
                    exchange_current_density=12.8 * A_M2_PER_MA_CM2, molar_volume=1.30e-5,
                    creep_rate=1e-2, creep_stress=0.95 * PA_PER_MPA, creep_exponent=n,
                    temperature=kelvin(25.0), **options)


def test_power_law_slit_flux_newtonian_limit():
    """n = 1: q = G w³/(12 μ) with the shear viscosity μ = S/(3 ε̇₀) (Trouton)."""
    f = flaw(1.0)
    mu = f.creep_stress / (3 * f.creep_rate)
    dp = 3e6
    assert float(f.extrusion(dp)) == pytest.approx(dp / f.depth * f.width**3 / (12 * mu),
                                                   rel=1e-12)


@pytest.mark.parametrize("n, closed_form", [(1.0, lambda s: 1 - np.exp(-s)),
                                            (2.0, np.tanh)])
def test_pressure_history_closed_forms(n, closed_form, validation):
    """Uncapped, uncracked (huge K_IC, tiny i0 so Fη/Ω ≫ Δp_ss): Δp/Δp_ss = 1 − exp(−t/τ)
    (n = 1), tanh(t/τ) (n = 2), τ = (π Y² a²/E') Δp_ss/Q; to 1e-7; crack time at
    Δp* = 0.6 Δp_ss: −τ ln 0.4 (n = 1), τ atanh 0.6 (n = 2) to 1e-9."""
    f = flaw(n)
    f = SlitFlaw(**{**f.__dict__, "fracture_toughness": 1e12, "exchange_current_density": 1e-6})
    j = 10 * A_M2_PER_MA_CM2
    steady = f.steady_pressure(j)
    tau = f.storage * steady / f.deposition(j)
    h = pressure_history(f, j, 5 * tau, samples=50)
    assert h.crack_time is None and h.cap > steady
    error = np.max(np.abs(h.excess_pressure / steady - closed_form(h.time / tau)))
    assert float(f.extrusion(steady)) == pytest.approx(f.deposition(j), rel=1e-12)
    validation.record(
        f"Li pressure in a plated slit flaw with creep extrusion, n = {n:g}",
        "Δp/Δp_ss = 1 − exp(−t/τ)" if n == 1 else "Δp/Δp_ss = tanh(t/τ)",
        "docs/fracture.md (closed form of the ODE)", "1e-7",
        f"max error {error:.1e}", "none (ODE, Radau rtol 1e-10)", error < 1e-7)
    assert error < 1e-7
    target = 0.6 * steady
    tough = SlitFlaw(**{**f.__dict__, "fracture_toughness": EDGE_CRACK_FACTOR * target
                        * math.sqrt(math.pi * f.depth)})
    expected = -tau * math.log(0.4) if n == 1 else tau * math.atanh(0.6)
    assert pressure_history(tough, j, 5 * tau).crack_time == pytest.approx(expected, rel=1e-9)
    assert pressure_history(tough, j, 0.99 * expected).crack_time is None


def test_steady_state_and_crack_time_library_creep():
    """Li creep (n = 6.67): Δp → min(Δp_ss, Fη/Ω) at long times; the crack time at
    Δp* = 0.5 Δp_ss equals τ Σ_k x*^(kn+1)/(kn+1) (the series of ∫₀^{x*} dx/(1 − xⁿ)) to 1e-9;
    it cracks just above the steady CCD and never just below it."""
    f = material_slit_flaw("LLZO", 10e-6, 1e-6)
    j = 10 * A_M2_PER_MA_CM2
    big = SlitFlaw(**{**f.__dict__, "fracture_toughness": 1e12})
    steady = big.steady_pressure(j)
    tau = big.storage * steady / big.deposition(j)
    h = pressure_history(big, j, 50 * tau)
    assert h.excess_pressure[-1] == pytest.approx(min(steady, h.cap), rel=1e-6)
    n = f.creep_exponent
    target = 0.5 * steady
    tough = SlitFlaw(**{**big.__dict__, "fracture_toughness": EDGE_CRACK_FACTOR * target
                        * math.sqrt(math.pi * f.depth), "exchange_current_density": 1e-3})
    assert tough.pressure_cap(j) > target
    expected = tau * sum(0.5 ** (k * n + 1) / (k * n + 1) for k in range(40))
    crack = pressure_history(tough, j, 10 * tau).crack_time
    assert crack == pytest.approx(expected, rel=1e-9)
    assert not cracks_within(tough, steady_ccd(tough) * 0.999, None)
    assert cracks_within(tough, steady_ccd(tough) * 1.001, None)


def test_extrusion_ccd_limits():
    """Unlimited time: the CCD is max(overpotential-bound CCD, extrusion CCD); the bound CCD
    is plating.material_plating_ccd's; a finite plating time raises the CCD; every CCD is at
    least the overpotential-bound CCD (extrusion only lowers p_Li)."""
    f = material_slit_flaw("LLZO", 10e-6, 0.05e-6)
    bound = material_plating_ccd("LLZO", 10e-6)
    unlimited = extrusion_ccd(f, None)
    assert unlimited >= bound * (1 - 1e-12)
    one_second = extrusion_ccd(f, 1.0)
    assert one_second >= unlimited
    assert cracks_within(f, one_second * 1.001, 1.0)
    assert not cracks_within(f, one_second * 0.999, 1.0)
    wide = material_slit_flaw("LLZO", 10e-6, 1e-6)
    assert extrusion_ccd(wide, None) > unlimited  # a wider slit extrudes more
