"""The sub-grid pores against resolved pores (issue 13): electrical equivalence.

The sub-grid contact share u of the coupled model (``evolution.vacancy.nucleation: cavity``,
``contact_stress: real``, ``initial_contact_fraction`` u₀; solver.physics.coupled_cavities)
enters the current solve as the node's lumped contact weight w_c = u w (``CurrentDistribution
.set_interface``): the node's current is u w j_BV(V − φ), i.e. i0 × u, and on a flat cell the
current density on the real contact is I/u. The flat cell with u₀ = f therefore has

    V_sub = η_BV(I/f) + I L/κ                                                     [V]

(ideal counter electrode, electrolyte thickness L). The resolved cell is E2's (validation E2,
configs/verification/e2_strips_f05.yaml): a half period [0, λ/2] whose Li touches the
electrolyte on the strip [0, fλ/2] and stands a gap above it elsewhere, no pores (u₀ = 1).
Both are the first (short) step of a coupled run at the same current I, below the vacancy
limit (the resolved strips take I/f = 0.2 mA/cm² < j_vac(2 MPa) = 0.43 mA/cm²; the sub-grid
pores heal, U(f) > I); the cell voltage of that record is solved at the step start.

The difference R(λ) = (V_res(λ) − V_sub)/I [Ω m²] is the constriction of the strips with
kinetics. For linear kinetics (Butler–Volmer at I/f ≪ i0: the slope R_ct = dη/dj at I/f)
the current distribution minimizes the dissipation (Thomson), so with the uniform flux I/f
on the strips as a trial distribution and the bound of the correction δj it allows

    a_u λ − β λ² ≤ R(λ) ≤ a_u λ,    a_u = Σ_n sin²(πnf)/n³ / (π³ f² κ),
    β λ² = (2/(λ R_ct I²)) ∫_0^{fλ/2} (φ_u − φ̄_u)² dx = B(f) λ²/(κ² R_ct)

(φ_u the interface potential of the uniform flux, φ̄_u its strip mean: the upper bound is
the uniform flux's constriction, the lower one drops the ohmic cost of δj = −(φ_u − φ̄_u)/R_ct).
Both bounds tend to 0 as λ → 0 with R(λ)/(a_u λ) → 1: the resolved cell's voltage converges
to the sub-grid one at first order in λ, and the ratio of successive differences
D(λ) = R(λ) − R(λ/2) is D(λ)/D(λ/2) = 2 + 3bλ/(2a_u) + O(λ²) with b ∈ [−β, 0]. (Primary
kinetics, E2's (λ/(πκ)) ln(1/sin(πf/2)), is the other lower bound; it is ≤ a_u λ − β λ² here.)

Primary kinetics has no sub-grid counterpart to compare: evolution runs refuse it (they need
a local current law), and in the current solve a primary contact node with any share u > 0
is the Dirichlet node φ = V, so u drops out: the flat cell with u = f is the flat cell, and
resolved minus flat is E2's constriction itself, → 0 with λ (test_constriction.py).

Measured (λ = 20, 10, 5 µm): R = 0.66407, 0.33487, 0.16807 Ω cm² (bounds [0.66336,
0.67844], [0.33545, 0.33922], [0.16867, 0.16961]); ratio 1.9737; 2R(λ/4) − R(λ/2) =
1.3e-3 Ω cm² = 3.2e-4 η_BV(I/f)/I (three-point, second order: −1.8e-4 Ω cm²).

Cell: LLZO (κ = 0.04 S/m, i0 = 12.8 mA/cm²: R_ct/f = 4.01 Ω cm²), L = 80 µm, f = 0.5,
λ = 20, 10, 5 µm (L ≥ 4λ: the modes' decay e^{−4πL/λ} is negligible), I = 0.1 mA/cm², p =
2 MPa, ℓ_eff = 0.05 µm (a test value, as in test_cavitation_coupled.py). The Li is rigid
(``supply.creep: false``): with the Li's creep law the first Li step at the strips' sharp
corners had not ended after 15 min (λ = 20 µm, in the Li flow's Newton), and the voltage at
the step start does not depend on the Li's flow.
The meshes scale with λ near the interface (interface λ/200, strip edges λ/20000, bulk
4 µm), so their relative errors are the same at every λ.

Discretization: the coupled model's contact share is nodal, so the node at a strip edge
counts whole, with half of the void-floor element beside it (h_e/2 of extra contact per
strip): R(λ) is shifted by −(h_e/(fλ)) R_ct/f = −4.0e-4 Ω cm² at h_e = λ/20000, the same at
every λ (it cancels in the differences). Halving every mesh size changes R by ≤ 3.8e-4 Ω cm²
(measured: 0.66407 → 0.66444, 0.33487 → 0.33515, 0.16807 → 0.16832 Ω cm²) and the ratio by
2e-5; MESH_ERROR = 1e-3 Ω cm² (and 1e-3 on the ratio) holds both with margin.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from mpi4py import MPI

from lisse.units import (
    A_M2_PER_MA_CM2,
    OHM_CM2_PER_OHM_M2,
    PA_PER_MPA,
    SECONDS_PER_HOUR,
    UM_PER_M,
)
from tests.helpers import mpi_numbers, print_numbers

FRACTION, PERIOD_UM, LEVELS = 0.5, 20.0, 3  # f, the coarsest λ, λ, λ/2, λ/4
THICKNESS_UM, CURRENT_MA_CM2, PRESSURE_MPA = 80.0, 0.1, 2.0
STEP_S = 1e-3  # the first step: its voltage is solved at its start
MESH_UM = 4.0  # bulk element size; near the interface (λ/200, λ/20000) with λ
MESH_ERROR = 1e-3 / OHM_CM2_PER_OHM_M2  # [Ω m²]: discretization allowance on R (docstring)
EXTRAPOLATION_TOL = 1e-3  # |V_res(0) − V_sub| / η_BV(I/f) (test docstring)
OHM_CM2 = 1 / OHM_CM2_PER_OHM_M2  # Ω m² per Ω cm²


def case(period_um: float, resolved: bool, refine: float = 1.0) -> dict:
    """The cell of period λ = ``period_um``: resolved strips (u₀ = 1) or flat with u₀ = f."""
    lam = period_um
    geometry = {"dimension": "plane", "width_um": lam / 2, "lithium_thickness_um": lam / 2,
                "electrolyte_thickness_um": THICKNESS_UM,
                "mesh": {"size_um": MESH_UM * refine, "interface_size_um": lam / 200 * refine,
                         "edge_size_um": lam / 20000 * refine, "growth_rate": 0.1}}
    vacancy = {"nucleation": "cavity", "diffusion_length_um": 0.05, "pore_radius_um": 0.5,
               "surface_energy_J_m2": 0.5, "contact_stress": "real"}
    if resolved:
        geometry |= {"contact_spot_radius_um": FRACTION * lam / 2, "gap_height_um": lam / 40}
    else:
        vacancy["initial_contact_fraction"] = FRACTION
    return {
        "name": "subgrid_resolved", "geometry": geometry,
        "materials": {"electrolyte": "LLZO"},
        "interface": {"kinetics": "butler_volmer"}, "counter_electrode": {"kinetics": "ideal"},
        "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": CURRENT_MA_CM2},
        "output": {"fields": False, "plots": False},
        "evolution": {"interface_model": "coupled", "stack_pressure_MPa": PRESSURE_MPA,
                      "supply": {"creep": False}, "vacancy": vacancy,
                      "steps": [{"current_density_mA_cm2": CURRENT_MA_CM2,
                                 "duration_h": STEP_S / SECONDS_PER_HOUR}]}}


def _params(c: dict):
    from lisse.solver.config.schema import resolve, validate_case

    return resolve(validate_case(c))


@cache
def first_step(period_um: float, resolved: bool, refine: float = 1.0) -> dict:
    """The first step of the coupled run: the cell voltage at its start [V], the mean contact
    pressure after it (contact force / contact area) [Pa], and Σ_k λ_k w_k / A [Pa] of the
    pressure transferred to the interface nodes (``SubgridPores.contact_pressure``)."""
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    params = _params(case(period_um, resolved, refine))
    evo = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution)
    first = evo.run().records[0]
    transferred = evo._mean(evo.cavities.contact_pressure(evo))
    return {"voltage": first.cell_voltage, "pressure": first.mean_contact_pressure,
            "transferred": transferred, "contact": first.contact_fraction}


def uniform_flux_slope(f: float, kappa: float, modes: int = 200000) -> float:
    """a_u = Σ_n sin²(πnf)/n³ / (π³ f² κ) [Ω m² per m of period]: the constriction of a
    uniform current density on strips of fraction f per unit period."""
    n = np.arange(1, modes + 1)
    return float(np.sum(np.sin(np.pi * n * f) ** 2 / n**3)) / (math.pi**3 * f**2 * kappa)


def curvature_factor(f: float, modes: int = 4000, points: int = 801) -> float:
    """B(f) [-] of β = B/(κ² R_ct): at λ = 1, κ = 1, I = 1 the uniform flux's interface
    potential φ_u(x) = Σ_n c_n cos(k_n x)/k_n (k_n = 2πn, c_n = (4/f) sin(k_n f/2)/k_n) and
    B = 2 ∫_0^{f/2} (φ_u − φ̄_u)² dx (φ̄_u its strip mean; series error < 1e-4)."""
    k = 2 * np.pi * np.arange(1, modes + 1)
    x = np.linspace(0.0, f / 2, points)
    phi = (4 / f * np.sin(k * f / 2) / k**2) @ np.cos(np.outer(k, x))
    mean = np.trapezoid(phi, x) / (f / 2)
    return float(2 * np.trapezoid((phi - mean) ** 2, x))


@cache
def comparison(refine: float = 1.0) -> dict:
    """R(λ) [Ω m²] at λ, λ/2, λ/4, the bounds, the ratio of differences and the Richardson
    extrapolations, with the sub-grid voltage and its closed form."""
    from lisse.solver.physics.kinetics import charge_transfer, potential_step

    params = _params(case(PERIOD_UM, False))
    kappa, current = params.electrolyte.ionic_conductivity, CURRENT_MA_CM2 * A_M2_PER_MA_CM2
    eta = float(potential_step(current / FRACTION, params.working, params.temperature))
    r_ct = 1 / float(charge_transfer(eta, params.working, params.temperature)[1])  # dη/dj
    sub = first_step(PERIOD_UM, False, refine)["voltage"]
    periods = [PERIOD_UM / 2**k for k in range(LEVELS)]
    r = np.array([(first_step(lam, True, refine)["voltage"] - sub) / current
                  for lam in periods])
    lam = np.array(periods) / UM_PER_M
    slope, beta = uniform_flux_slope(FRACTION, kappa), curvature_factor(FRACTION) / (
        kappa**2 * r_ct)
    d = -np.diff(r)
    return {"R": r, "upper": slope * lam, "lower": slope * lam - beta * lam**2,
            "ratio": d[0] / d[1], "ratio_low": 2 - 3 * beta * lam[0] / (2 * slope)
            / (1 - 3 * beta * lam[0] / (4 * slope)),
            "first": 2 * r[2] - r[1], "second": (8 * r[2] - 6 * r[1] + r[0]) / 3,
            "eta": eta, "current": current, "sub": sub,
            "closed": eta + current * THICKNESS_UM / UM_PER_M / kappa,
            "primary": lam / (math.pi * kappa) * math.log(1 / math.sin(math.pi * FRACTION / 2)),
            "r_ct": r_ct}


def test_subgrid_voltage_is_the_closed_form():
    """The flat cell with u₀ = f: V_sub = η_BV(I/f) + I L/κ (1e-9 relative: P1 is exact for
    the linear potential, Newton to 1e-10); u₀ = 1 would be 2 Ω cm² × I lower."""
    c = comparison()
    assert c["sub"] == pytest.approx(c["closed"], rel=1e-9)


def test_resolved_strips_converge_to_the_subgrid_share(validation):
    """R(λ) lies in the bounds [a_u λ − β λ², a_u λ] (± MESH_ERROR) at λ = 20, 10, 5 µm;
    the ratio of successive differences lies in [2 + 3bλ/(2a_u)]_{b = −β..0} = [1.966, 2]
    (± 1e-3: fifty times its change on halving the mesh); the first-order Richardson
    extrapolation 2R(λ/4) − R(λ/2) times I is within EXTRAPOLATION_TOL = 1e-3 of the kinetic
    overpotential η_BV(I/f). Its budget: the Richardson residual |b|(λ/2)²/2 ≤ βλ²/8
    (4.7e-4 η/I), the strip-edge lumping (1.0e-4 η/I), mesh (≤ 1e-4 η/I)."""
    c = comparison()
    scale = c["eta"] / c["current"]  # η_BV(I/f)/I [Ω m²]
    inside = bool(np.all((c["R"] >= c["lower"] - MESH_ERROR) & (c["R"] <= c["upper"] + MESH_ERROR)))
    ratio_ok = c["ratio_low"] - 1e-3 <= c["ratio"] <= 2 + 1e-3
    extrapolated = abs(c["first"]) / scale
    ok = inside and ratio_ok and extrapolated < EXTRAPOLATION_TOL
    per = ", ".join(f"{v / OHM_CM2:.4f}" for v in c["R"])
    validation.record(
        "Sub-grid share u = f against resolved strips (f = 0.5, BV, λ = 20, 10, 5 µm)",
        "R(λ) = ΔV/I ∈ [a_uλ − βλ², a_uλ] → 0, first order; ΔV(λ → 0) = 0",
        "uniform-flux bounds; validation E2 geometry",
        "bounds ± 0.001 Ω cm²; ratio ∈ [1.966, 2]; Richardson 1e-3 η",
        f"R {per} Ω cm², ratio {c['ratio']:.4f}, Richardson {extrapolated:.1e} η",
        "interface λ/200, edges λ/20000", ok)
    assert inside, (c["R"], c["lower"], c["upper"])
    assert ratio_ok, (c["ratio"], c["ratio_low"])
    assert extrapolated < EXTRAPOLATION_TOL, (c["first"], scale)
    assert np.all(c["R"] >= c["primary"])  # the primary constriction is a lower bound too


def test_strips_carry_the_load_at_p_over_f(validation):
    """Force balance on the resolved strips after the first Li step: the mean contact
    pressure (contact force / contact area) is p/f, and the pressure transferred to the
    interface nodes integrates to p (Σ λ_k w_k = p A), which is what the sub-grid share's
    real contact stress σ_c = λ/u assumes (λ = p, u = f). 1e-6 relative."""
    res = first_step(PERIOD_UM, True)
    p = PRESSURE_MPA * PA_PER_MPA
    ok = (res["pressure"] == pytest.approx(p / FRACTION, rel=1e-6)
          and res["transferred"] == pytest.approx(p, rel=1e-6))
    validation.record(
        "Resolved strips (f = 0.5): mean contact pressure vs the real contact stress",
        "p/f (σ_c = λ/u of contact_stress: real)", "force balance", "1e-6",
        f"{res['pressure'] / PA_PER_MPA:.6f} MPa (p/f = {p / FRACTION / PA_PER_MPA:g} MPa)",
        "rigid Li, λ = 20 µm", ok)
    assert ok, res


@pytest.mark.slow
def test_mesh_converged():
    """Halving every mesh size changes R(λ) by < MESH_ERROR and the ratio by < 1e-3."""
    coarse, fine = comparison(), comparison(0.5)
    assert np.all(np.abs(fine["R"] - coarse["R"]) < MESH_ERROR), (coarse["R"], fine["R"])
    assert abs(fine["ratio"] - coarse["ratio"]) < 1e-3


def main() -> None:
    """Under mpirun: the sub-grid and the coarsest resolved voltages as JSON on rank 0."""
    print_numbers({"sub": first_step(PERIOD_UM, False)["voltage"],
                   "resolved": first_step(PERIOD_UM, True)["voltage"]})


@pytest.mark.slow
def test_parallel_equals_serial():
    """mpirun -n 2 gives the serial voltages (1e-9 relative: the Newton tolerance)."""
    parallel = mpi_numbers("tests.verification.test_subgrid_resolved")
    assert parallel["sub"] == pytest.approx(first_step(PERIOD_UM, False)["voltage"], rel=1e-9)
    assert parallel["resolved"] == pytest.approx(first_step(PERIOD_UM, True)["voltage"],
                                                 rel=1e-9)
