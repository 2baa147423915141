"""The pore step of the coupled model (solver.physics.coupled_cavities): exact in h with the
node's nominal current I_k = s_k j_k held, against a numerical solution of the node's ODE

    ḣ = (Ω/F)(I − b (1 − h/h_cover) j_vac)    (h > 0; at h = 0 only if positive),

stopped at h_cover and at 0: growth while stripping above j_vac, healing while stripping
below it, at rest and while plating; the closure time at rest; the step bound
|Δh_k| ≤ PORE_STEP h_cover in both directions, met with equality at the binding node; the
pores never take more than the Li stripped, (Ω/F) I Δt, and never fall below 0. With the
real contact stress (the pore-free share carries the load) the ODE is nonlinear in h and the
step third-order accurate per step."""

from __future__ import annotations

import math
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
JV = CRITERION.limit(P, T, OMEGA)
KAPPA = OMEGA / FARADAY * JV / COVER  # κ of a node with b = 1 [1/s]
BAND = np.array([1.0, 0.7, 1.0, 1.0, 1.0, 0.0, 1.0])  # b_k: share without pores
START = COVER * np.array([0.12, 0.3, 0.0, 1.0, 0.8, 0.0, 0.4])  # h_k⁰
SHARE = BAND * np.clip(1 - START / COVER, 0, 1)
STRIP = np.array([1.5, 1.2, 0.5, 1.0, 6.0, 1.0, 0.3])  # I_k / j_vac while stripping
CASES = {"strip": STRIP, "rest": np.zeros(7), "plate": np.full(7, -0.5)}


def engine(pores: np.ndarray, pressure: float = P) -> SimpleNamespace:
    """The engine's state that ``SubgridPores.step`` reads: before the first Li step
    (λ = p A/A_c = p: the contact area A_c = A), shares b_k max(0, 1 − h_k/h_cover)."""
    settings = SimpleNamespace(stack_pressure=pressure, pore_height=COVER)
    params = SimpleNamespace(temperature=T, electrode=SimpleNamespace(molar_volume=OMEGA))
    share = BAND * np.clip(1 - pores / COVER, 0, 1)
    return SimpleNamespace(body=SimpleNamespace(up=1), last=None, nodes=np.arange(len(pores)),
                           settings=settings, params=params, pores=pores,
                           contact_share=lambda: share, _min=np.min, area=1.0,
                           contact_area=lambda: 1.0)


def step(nominal: np.ndarray):
    """``SubgridPores.step`` from START with I_k = nominal_k j_vac (j_k = I_k/s_k; 0 where
    s_k = 0)."""
    current = np.where(SHARE > 0, nominal * JV / np.where(SHARE > 0, SHARE, 1), 0.0)
    return SubgridPores(CRITERION).step(engine(START.copy()), current)


def reference(k: int, nominal: float, dt: float) -> float:
    """solve_ivp (rtol 1e-12) of node k's ODE with I fixed, stopped at 0 and h_cover; a node
    without pores stays unless I > b j_vac, a node without contact stays."""
    if SHARE[k] == 0 or (START[k] == 0 and nominal <= BAND[k]):
        return START[k]
    return integrate(lambda h: OMEGA / FARADAY * JV * (nominal - BAND[k] * (1 - h / COVER)),
                     START[k], dt)


def integrate(rate, start: float, dt: float) -> float:
    """h after dt [s] of ḣ = rate(h) from ``start`` (solve_ivp, rtol 1e-12), stopped at 0
    and at h_cover."""
    def closed(_t, h):
        return h[0]

    def covered(_t, h):
        return h[0] - COVER

    closed.terminal = covered.terminal = True
    end = solve_ivp(lambda _t, h: rate(h[0]), (0, dt), [start], rtol=1e-12, atol=1e-20,
                    events=(closed, covered)).y[0, -1]
    return min(max(end, 0.0), COVER)


@pytest.mark.parametrize("kind", CASES)
def test_pore_step_is_exact_in_h_with_the_nominal_current_held(kind):
    """h_k(Δt) of the step against solve_ivp of the node's ODE, to 1e-9 h_cover, at κΔt = 0.5
    for a b = 1 node (where explicit Euler is off by > 10 % of the change). Stripping:
    growing nodes (flat, band b = 0.7), a node without pores below j_vac that stays at 0, a
    covered node that stays, a node that covers within the step, a node off the contact, a
    node with pores below j_vac that heals. At rest and plating (I = −0.5 j_vac): every node
    with pores and contact heals; one (three plating) closes within the step and stops at 0;
    h never < 0."""
    nominal = CASES[kind]
    pores, _ = step(nominal)
    dt = 0.5 / KAPPA
    got = pores(dt)
    for k in range(len(START)):
        assert got[k] == pytest.approx(reference(k, nominal[k], dt), abs=1e-9 * COVER), k
    assert np.all(got >= 0) and np.all(got <= COVER)
    assert got[2] == 0.0 and got[3] == COVER and got[5] == 0.0  # stay
    euler = START[0] + dt * OMEGA / FARADAY * (nominal[0] - SHARE[0]) * JV
    assert abs(got[0] - START[0]) > 1.1 * abs(euler - START[0]) or got[0] == 0.0
    if kind == "strip":  # the pores never take more than the Li stripped
        assert np.all(got - START <= OMEGA / FARADAY * nominal * JV * dt * (1 + 1e-12))
        assert got[4] == COVER and START[0] < got[0] < COVER  # node 4 covers in the step
        assert got[6] < START[6]  # pores below j_vac heal while stripping
    else:
        closed = [0, 1, 6] if kind == "plate" else [0]  # plating closes more in the step
        assert np.all(got[closed] == 0.0) and 0 < got[4] < START[4]
        assert all(0 < got[k] < START[k] for k in {1, 6} - set(closed))
    if kind == "plate":  # plating heals faster than rest
        assert np.all(got <= step(CASES["rest"])[0](dt))
        assert got[4] < step(CASES["rest"])[0](dt)[4]
        long = pores(100 / KAPPA)  # long after closure: at 0, never below
        assert np.all(long[[0, 1, 2, 4, 6]] == 0.0) and long[3] == COVER


def test_closure_time_at_rest():
    """At rest a node with pores h⁰ and band share b closes at
    t = ln(h_cover/(h_cover − h⁰))/κ, κ = (Ω/F) j_vac b/h_cover: the ODE's event time to
    1e-9 rel.; the step's h just before it is c − (c − h⁰)e^{κt} > 0, 0 from then on."""
    pores, _ = step(CASES["rest"])
    for k in (0, 1, 4, 6):
        kappa = KAPPA * BAND[k]
        close = math.log(COVER / (COVER - START[k])) / kappa

        def ode(_t, h, k=k):
            return -OMEGA / FARADAY * JV * BAND[k] * (1 - h / COVER)

        def closed(_t, h):
            return h[0]

        closed.terminal = True
        event = solve_ivp(ode, (0, 2 * close), [START[k]], rtol=1e-12, atol=1e-20,
                          events=closed).t_events[0][0]
        assert event == pytest.approx(close, rel=1e-9), k
        before = 0.999 * close
        assert pores(before)[k] == pytest.approx(
            COVER - (COVER - START[k]) * math.exp(kappa * before), abs=1e-9 * COVER)
        assert pores(before)[k] > 0
        assert pores(close)[k] == pytest.approx(0.0, abs=1e-9 * COVER)
        assert pores(1.001 * close)[k] == 0.0


@pytest.mark.parametrize("kind", CASES)
def test_pore_step_bound(kind):
    """At the bound the binding node's pores change by PORE_STEP h_cover (to 1e-12), the
    others by no more, growing (strip) or healing (rest, plating); no node that grows or
    heals: no bound."""
    pores, bound = step(CASES[kind])
    changed = np.abs(pores(bound) - START) / COVER
    assert changed.max() == pytest.approx(coupled_cavities.PORE_STEP, rel=1e-12)
    assert np.all(changed <= coupled_cavities.PORE_STEP * (1 + 1e-12))
    _, none = SubgridPores(CRITERION).step(engine(np.zeros(7)), np.full(7, 0.9 * JV))
    assert none == np.inf


REAL = CavityCriterion(VacancySupply(1e-15, 53e3, 0.05e-6), pore_radius=0.5e-6,
                       surface_energy=0.5, strength=131e6, real_contact=True)


@pytest.mark.parametrize("kind", CASES)
@pytest.mark.parametrize(("pressure", "tolerance"), [(3e6, 1e-4), (10e6, 1e-3)])
def test_real_contact_step_is_third_order(kind, pressure, tolerance):
    """contact_stress: real makes the node's ODE ḣ = (Ω/F)(I − b U(u)), U(u) = u j_vac(
    min(λ/u, σ_y)), nonlinear in h; the step holds U's slope of the step start (exponential
    Euler with the exact slope). Against solve_ivp (rtol 1e-12) at the step bound: within
    ``tolerance`` h_cover at every node (measured 6.6e-5 at 3 MPa, 7.7e-4 at 10 MPa, both at
    the node at u = 0.2), and each halving of Δt divides the error by ≥ 6 (local error
    O(Δt³): 8); stays in [0, h_cover]; nodes without pores below U(1) and covered nodes
    stay."""
    jv = REAL.limit(pressure, T, OMEGA)
    nominal = CASES[kind]
    current = np.where(SHARE > 0, nominal * jv / np.where(SHARE > 0, SHARE, 1), 0.0)
    pores, bound = SubgridPores(REAL).step(engine(START.copy(), pressure), current)

    def exact(k: int, dt: float) -> float:
        if SHARE[k] == 0 or (START[k] == 0 and nominal[k] <= BAND[k]):
            return START[k]
        return integrate(lambda h: OMEGA / FARADAY * (nominal[k] * jv - BAND[k] * REAL.uptake(
            pressure, min(max(1 - h / COVER, 0.0), 1.0), T, OMEGA)), START[k], dt)

    errors = [np.array([abs(pores(dt)[k] - exact(k, dt)) / COVER for k in range(len(START))])
              for dt in (bound, bound / 2, bound / 4)]
    assert errors[0].max() <= tolerance and errors[0].max() > 1e-3 * tolerance
    for coarse, fine in zip(errors[:-1], errors[1:], strict=True):
        resolved = coarse > 1e-9  # above solve_ivp's own error
        assert np.all(fine[resolved] <= coarse[resolved] / 6)
    got = pores(bound)
    assert np.all(got >= 0) and np.all(got <= COVER)
    assert got[2] == 0.0 and got[3] == COVER and got[5] == 0.0
