"""The pore step of the coupled model (solver.physics.coupled_cavities): exact in h with the
node's nominal current I_k = s_k j_k held, against a numerical solution of the node's ODE

    ḣ = (Ω/F)(I − b (1 − h/h_cover) j_vac),

stopped at h_cover; the step bound Δh_k ≤ PORE_STEP h_cover, met with equality at the
binding node; the pores never take more than the Li stripped, (Ω/F) I Δt."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from lisse.solver.physics import coupled_cavities
from lisse.solver.physics.cavitation import CavityCriterion
from lisse.solver.physics.coupled_cavities import SubgridPores
from lisse.solver.physics.vacancy import VacancySupply
from lisse.units import FARADAY

OMEGA, T, P = 1.3e-5, 298.15, 1e6  # m³/mol, K, Pa
CRITERION = CavityCriterion(VacancySupply(1e-15, 53e3, 0.05e-6), pore_radius=0.5e-6,
                            surface_energy=0.5)
COVER = CRITERION.cover_height
BAND = np.array([1.0, 0.7, 1.0, 1.0, 1.0, 0.0])  # b_k: share without pores (band, contact)
START = COVER * np.array([0.1, 0.3, 0.2, 1.0, 0.8, 0.0])  # h_k⁰
NOMINAL = np.array([1.5, 1.2, 0.5, 1.0, 6.0, 1.0])  # I_k / j_vac


def engine(pores: np.ndarray) -> SimpleNamespace:
    """The engine's state that ``SubgridPores.step`` reads: at rest before the first Li
    step (λ = p), shares b_k max(0, 1 − h_k/h_cover)."""
    settings = SimpleNamespace(stack_pressure=P, pore_height=COVER)
    params = SimpleNamespace(temperature=T, electrode=SimpleNamespace(molar_volume=OMEGA))
    share = BAND * np.clip(1 - pores / COVER, 0, 1)
    return SimpleNamespace(body=SimpleNamespace(up=1), last=None, nodes=np.arange(6),
                           settings=settings, params=params, pores=pores,
                           contact_share=lambda: share, _min=np.min)


def test_pore_step_is_exact_in_h_with_the_nominal_current_held():
    """h_k(Δt) of the step against solve_ivp (rtol 1e-12) of the node's ODE with I_k
    fixed, to 1e-9 h_cover, at κΔt = 0.5 for the flat node (where explicit Euler is off by
    > 10 % of the growth): growing nodes, a band node (b = 0.7), a node below j_vac and a
    covered node that stay, a node that reaches h_cover within the step and stops there, a
    node off the contact."""
    jv = CRITERION.limit(P, T, OMEGA)
    share = BAND * np.clip(1 - START / COVER, 0, 1)
    current = np.where(share > 0, NOMINAL * jv / np.where(share > 0, share, 1), 0.0)
    pores, _ = SubgridPores(CRITERION).step(engine(START.copy()), current)
    dt = 0.5 / (OMEGA / FARADAY * jv / COVER)
    got = pores(dt)
    for k in range(6):
        growing = share[k] > 0 and current[k] > jv

        def ode(_t, h, k=k):
            return OMEGA / FARADAY * (NOMINAL[k] * jv - BAND[k] * (1 - h / COVER) * jv)

        ref = min(solve_ivp(ode, (0, dt), [START[k]], rtol=1e-12, atol=1e-20).y[0, -1],
                  COVER) if growing else START[k]
        assert got[k] == pytest.approx(ref, abs=1e-9 * COVER), k
    assert got[4] == COVER and got[0] < COVER  # node 4 covers within the step
    euler = START[0] + dt * OMEGA / FARADAY * share[0] * (current[0] - jv)
    assert got[0] - START[0] > 1.1 * (euler - START[0])
    stripped = OMEGA / FARADAY * NOMINAL * jv * dt
    assert np.all(got - START <= stripped * (1 + 1e-12))


def test_pore_step_bound():
    """At the bound the binding node's pores grow by PORE_STEP h_cover (to 1e-12), the
    others by no more; no node above j_vac: no bound."""
    jv = CRITERION.limit(P, T, OMEGA)
    share = BAND * np.clip(1 - START / COVER, 0, 1)
    current = np.where(share > 0, NOMINAL * jv / np.where(share > 0, share, 1), 0.0)
    pores, bound = SubgridPores(CRITERION).step(engine(START.copy()), current)
    grown = (pores(bound) - START) / COVER
    assert grown.max() == pytest.approx(coupled_cavities.PORE_STEP, rel=1e-12)
    assert np.all(grown <= coupled_cavities.PORE_STEP * (1 + 1e-12))
    _, none = SubgridPores(CRITERION).step(engine(START.copy()), np.full(6, 0.9 * jv))
    assert none == np.inf
