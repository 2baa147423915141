"""The cavity criterion (solver.physics.cavitation) against its closed form, its linear limit
in the stress, its Arrhenius temperature dependence and the pore growth law; the case keys
that switch it on (evolution.vacancy.nucleation: cavity)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lisse.solver.physics.cavitation import CavityCriterion
from lisse.solver.physics.vacancy import BCC_CORRELATION_FACTOR, VacancySupply
from lisse.units import FARADAY, GAS_CONSTANT, PA_PER_MPA, UM_PER_M

OMEGA = 1.3e-5  # m³/mol, Li
D_STAR = 1e-15  # m²/s at 25 °C
Q = 53e3  # J/mol
ELL = 1e-6  # m
CRITERION = CavityCriterion(VacancySupply(D_STAR, Q, ELL), pore_radius=0.5e-6,
                            surface_energy=0.5)


def test_supersaturation_closed_form():
    """s(σ) = exp[(σ + 2γ/r_p) Ω/(RT)] − 1 at 0–10 MPa, 25 °C, to 1e-12."""
    t = 298.15
    for mpa in (0.0, 1.0, 3.0, 10.0):
        sigma = mpa * PA_PER_MPA
        expected = math.exp((sigma + 2 * 0.5 / 0.5e-6) * OMEGA / (GAS_CONSTANT * t)) - 1
        assert CRITERION.supersaturation(sigma, t, OMEGA) == pytest.approx(expected, rel=1e-12)


def test_limit_closed_form_and_linear_limit():
    """j_vac = F D* s/(f Ω ℓ) to 1e-12; within 1.5 % of its linear limit
    F D* (σ + 2γ/r_p)/(f R T ℓ) up to 3 MPa (the first neglected term, x/2 with
    x = (σ + 2γ/r_p) Ω/RT = 0.026 at 3 MPa, is 1.3 %)."""
    t = 298.15
    for mpa in (0.0, 1.0, 3.0):
        sigma = mpa * PA_PER_MPA
        s = CRITERION.supersaturation(sigma, t, OMEGA)
        exact = FARADAY * D_STAR * s / (BCC_CORRELATION_FACTOR * OMEGA * ELL)
        assert CRITERION.limit(sigma, t, OMEGA) == pytest.approx(exact, rel=1e-12)
        linear = (FARADAY * D_STAR * (sigma + CRITERION.capillary_pressure)
                  / (BCC_CORRELATION_FACTOR * GAS_CONSTANT * t * ELL))
        assert CRITERION.limit(sigma, t, OMEGA) == pytest.approx(linear, rel=0.015)
    # 2γ/r_p = 2 MPa and 2/3 r_p
    assert CRITERION.capillary_pressure == pytest.approx(2e6, rel=1e-12)
    assert CRITERION.cover_height == pytest.approx(0.5e-6 * 2 / 3, rel=1e-12)


def test_limit_is_arrhenius_through_the_diffusivity():
    """j_vac(60 °C)/j_vac(25 °C) = exp(Q/R (1/298.15 − 1/333.15)) · s(333.15)/s(298.15),
    to 1e-12 (≈ 8.6 at 0.55 eV and 2 MPa)."""
    sigma = 2 * PA_PER_MPA
    ratio = CRITERION.limit(sigma, 333.15, OMEGA) / CRITERION.limit(sigma, 298.15, OMEGA)
    expected = math.exp(Q / GAS_CONSTANT * (1 / 298.15 - 1 / 333.15)) * (
        CRITERION.supersaturation(sigma, 333.15, OMEGA)
        / CRITERION.supersaturation(sigma, 298.15, OMEGA))
    assert ratio == pytest.approx(expected, rel=1e-12)
    assert 8 < ratio < 9.5


def test_growth_rate():
    """ḣ = b (Ω/F)(u j − u j_vac(λ)) = s_c (Ω/F)(j − j_vac(λ)) with nominal stress, u = 1 −
    h/h_cover, where pores exist (h > 0, either sign), its positive part where h = 0: zero
    below the limit without pores, the excess above it, healing below it with pores, at rest
    and plating."""
    t, sigma = 298.15, np.array([1e6, 1e6, 5e6, 1e6, 1e6, 1e6])
    jv = CRITERION.limit(sigma, t, OMEGA)
    j = np.array([0.5 * jv[0], 2 * jv[1], 2 * jv[2], 0.5 * jv[3], 0.0, -jv[5]])
    band = np.array([1.0, 0.5, 1.0, 0.5, 0.8, 1.0])
    pores = np.array([0.0, 0.0, 1e-7, 1e-7, 1e-7, 1e-7])
    u = 1 - 1e-7 / CRITERION.cover_height  # 0.8
    rate = CRITERION.growth_rate(j, band, sigma, t, OMEGA, pores)
    assert rate[0] == 0.0
    assert rate[1] == pytest.approx(0.5 * OMEGA / FARADAY * jv[1], rel=1e-12)
    assert rate[2] == pytest.approx(u * OMEGA / FARADAY * jv[2], rel=1e-12)
    assert rate[3] == pytest.approx(-0.25 * u * OMEGA / FARADAY * jv[3], rel=1e-12)
    assert rate[4] == pytest.approx(-0.8 * u * OMEGA / FARADAY * jv[4], rel=1e-12)
    assert rate[5] == pytest.approx(-2 * u * OMEGA / FARADAY * jv[5], rel=1e-12)


REAL = CavityCriterion(VacancySupply(D_STAR, Q, ELL), pore_radius=0.5e-6, surface_energy=0.5,
                       strength=131e6, real_contact=True)
FREE = np.array([1.0, 0.8, 0.5, 0.2, 0.1, 0.05, 0.02, 0.0])


def test_real_contact_stress_and_uptake():
    """contact_stress: real min(λ/u, σ_y), σ_y where u = 0; nominal λ. The uptake
    U(u) = u j_vac(σ_c): both laws equal at u = 1 (the same onset), the real one ≥ the
    nominal one below it; in the linear limit U ≈ a(λ + 2γu/r_p) (the load term does not
    fall with u) within 1 % while (λ/u + 2γ/r_p)Ω/(R T) ≤ 0.02; U = u j_vac(σ_y) where capped, 0 at
    u = 0. A real law without a finite strength is refused."""
    t, lam = 298.15, 3e6
    sigma = REAL.contact_stress(lam, FREE)
    assert sigma[:7] == pytest.approx(np.minimum(lam / FREE[:7], 131e6), rel=1e-12)
    assert sigma[-1] == 131e6 and sigma[-2] == 131e6  # 3/0.02 = 150 MPa: capped
    assert np.all(CRITERION.contact_stress(lam, FREE) == lam)
    real, nominal = REAL.uptake(lam, FREE, t, OMEGA), CRITERION.uptake(lam, FREE, t, OMEGA)
    assert real[0] == pytest.approx(nominal[0], rel=1e-12)
    assert real[0] == pytest.approx(CRITERION.limit(lam, t, OMEGA), rel=1e-12)
    assert np.all(real[1:-1] > nominal[1:-1]) and real[-1] == 0.0 and nominal[-1] == 0.0
    a = FARADAY * D_STAR / (BCC_CORRELATION_FACTOR * GAS_CONSTANT * t * ELL)
    low = REAL.uptake(1e6, FREE, t, OMEGA)  # 1 MPa: x ≤ 0.02 down to u = 0.8
    checked = 0
    for k, u in enumerate(FREE):
        x = (1e6 / max(u, 1e-9) + REAL.capillary_pressure) * OMEGA / (GAS_CONSTANT * t)
        if x <= 0.02:  # the first neglected term x/2 ≤ 1 %
            assert low[k] == pytest.approx(a * (1e6 + REAL.capillary_pressure * u), rel=0.01)
            checked += 1
    assert checked == 2
    assert real[-2] == pytest.approx(0.02 * REAL.limit(131e6, t, OMEGA), rel=1e-12)
    with pytest.raises(ValueError, match="strength"):
        CavityCriterion(VacancySupply(D_STAR, Q, ELL), 0.5e-6, 0.5, real_contact=True)


@pytest.mark.parametrize("criterion", [CRITERION, REAL], ids=["nominal", "real"])
def test_uptake_slope_and_convexity(criterion):
    """dU/du against a centred difference (rel 1e-6) on both sides of the cap; U convex in
    u (second differences ≥ 0), so on [u_min, 1] its largest value is at an end: the real
    law's is at u = 0.1 from ~8 MPa up at 25 °C (U(0.1) > U(1)), at u = 1 below."""
    t = 298.15
    for lam in (1e6, 3e6, 10e6):
        for u in (0.9, 0.5, 0.2, 0.1, 0.05):
            h = 1e-6 * u
            numeric = (criterion.uptake(lam, u + h, t, OMEGA)
                       - criterion.uptake(lam, u - h, t, OMEGA)) / (2 * h)
            assert criterion.uptake_slope(lam, u, t, OMEGA) == pytest.approx(numeric, rel=1e-6)
        grid = np.linspace(0.1, 1.0, 91)
        values = criterion.uptake(lam, grid, t, OMEGA)
        assert np.all(np.diff(values, 2) >= -1e-12 * values.max())
    if criterion.real_contact:
        ends = [criterion.uptake(p * 1e6, np.array([0.1, 1.0]), t, OMEGA) for p in (7, 9)]
        assert ends[0][0] < ends[0][1] and ends[1][0] > ends[1][1]


def test_case_keys():
    """nucleation: cavity switches the vacancy route on for the coupled model, sets the
    pore cover height (2/3) r_p, takes γ and r_p from the electrode's library entry unless
    the case sets them (an electrode without them and no case value: ConfigError naming the
    field), and is refused with the reduced model (naming the field); contact_stress: real
    caps the stress at the library's σ_y(2 r_p) (an electrode without the size effect:
    ConfigError naming the field); initial_contact_fraction u₀ < 1 sets pores (1 − u₀)
    h_cover at the start and is refused without the cavity criterion's real contact stress
    and at or below the failure threshold; contact_stress: real without the cavity criterion
    is refused (naming the field)."""
    from lisse.solver.config.evolution import EvolutionSpec, settings
    from lisse.solver.config.materials import get_material
    from lisse.solver.config.schema import validate_case
    from lisse.solver.errors import ConfigError
    from tests.helpers import TINY

    li = get_material("Li").values
    steps = [{"current_density_mA_cm2": 1, "capacity_mAh_cm2": 0.1}]
    spec = EvolutionSpec(vacancy={"nucleation": "cavity", "pore_radius_um": 0.3},
                         supply={"creep": False}, steps=steps)
    assert spec.supply.vacancy is True
    s = settings(spec, li, 2.0)
    assert s.cavity is not None and s.pore_height == pytest.approx(0.2e-6, rel=1e-12)
    assert s.cavity.supply is s.vacancy
    assert s.cavity.surface_energy == li["surface_energy_J_m2"]  # the library's γ
    library = settings(EvolutionSpec(vacancy={"nucleation": "cavity"}, supply={"creep": False},
                                     steps=steps), li, 2.0).cavity
    assert library.pore_radius == pytest.approx(li["pore_radius_um"] / UM_PER_M, rel=1e-12)
    with pytest.raises(ConfigError, match="evolution.vacancy.surface_energy_J_m2"):
        settings(spec, {}, 2.0)
    assert not s.cavity.real_contact and s.cavity.strength == math.inf
    real = EvolutionSpec(vacancy={"nucleation": "cavity", "contact_stress": "real"},
                         supply={"creep": False}, steps=steps)
    cap = settings(real, li, 2.0).cavity  # σ_1 (2 r_p/D_1)^−k, library r_p
    assert cap.real_contact and cap.strength == pytest.approx(
        li["micropillar_strength_MPa"] * PA_PER_MPA * (2 * li["pore_radius_um"]
        / li["micropillar_diameter_um"]) ** -li["size_effect_exponent"], rel=1e-12)
    assert 120e6 < cap.strength < 140e6  # 131 MPa at r_p = 0.5 µm
    start = EvolutionSpec(vacancy={"nucleation": "cavity", "contact_stress": "real",
                                   "initial_contact_fraction": 0.6},
                          supply={"creep": False}, steps=steps)
    assert settings(start, li, 2.0).cavity.initial_pores == pytest.approx(
        0.4 * li["pore_radius_um"] / UM_PER_M * 2 / 3, rel=1e-12)
    assert cap.initial_contact == 1.0 and cap.initial_pores == 0.0
    for wrong in ({"nucleation": "cavity", "initial_contact_fraction": 0.6},  # nominal
                  {"initial_contact_fraction": 0.6},  # no sub-grid pores
                  {"nucleation": "cavity", "contact_stress": "real",
                   "initial_contact_fraction": 0.1}):  # at the failure threshold
        with pytest.raises(ConfigError, match="evolution.vacancy.initial_contact_fraction"):
            validate_case(dict(TINY) | {"evolution": {"vacancy": wrong}})
    with pytest.raises(ConfigError, match="evolution.vacancy.contact_stress"):
        validate_case(dict(TINY) | {"evolution": {"vacancy": {"contact_stress": "real"}}})
    without = {k: v for k, v in li.items() if k != "size_effect_exponent"}
    with pytest.raises(ConfigError, match="evolution.vacancy.contact_stress.*size_effect"):
        settings(real, without, 2.0)
    default = settings(EvolutionSpec(supply={"creep": False}, steps=[{"current_density_mA_cm2": 1,
                                             "capacity_mAh_cm2": 0.1}]), {}, 2.0)
    assert default.cavity is None and default.vacancy is None
    case = dict(TINY) | {"evolution": {"interface_model": "reduced",
                                       "vacancy": {"nucleation": "cavity"}}}
    with pytest.raises(ConfigError, match="evolution.vacancy.nucleation"):
        validate_case(case)
