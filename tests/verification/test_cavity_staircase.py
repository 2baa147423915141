"""A current staircase on the coupled model with the cavity criterion (issue 13;
docs/protocols.md "With the coupled model").

The flat cell of test_cavitation_coupled.py (TINY without its void, 1 MPa, j_vac = 0.3238
mA/cm²). Where pores exist the node's share u = 1 − h/h_cover obeys the two-sided balance
h_cover u̇ = (Ω/F)(u j_vac − i) (solver.physics.coupled_cavities, "Healing"): with
ρ = i/j_vac and κ = (Ω/F) j_vac/h_cover a step of length t at i leaves

    u = ρ − (ρ − u₀) e^{κt}    (stopped at 1: closed; no pore nucleates for ρ ≤ u₀ = 1),

so stripping above the share grows the pores (contact loss, u = 0.1, after
κt = ln((ρ − 0.1)/(ρ − u₀)), i.e. x_loss = ρ h_cover ln[(ρ − 0.1)/(ρ − u₀)] of Li
stripped), and rests (ρ = 0) and plating back (ρ < 0) heal them.

* 0.5 mAh/cm² per step (the bisection's charge per trial): a fresh trial fails for
  ε ≳ 1e-3, so the staircase 0.2, 0.3, 0.4 mA/cm² carries 0.3 with no pore and fails by
  contact loss at 0.4; its bracket holds j_vac and agrees with the bisection's.
* 0.1 mAh/cm² per step (x = 1.46 h_cover): a fresh trial fails only above
  j* = j_vac(1 + ε*), x_loss(ε*, 1) = x. Without rests the 0.35 step (above j_vac, below j*)
  leaves pores that the 0.40 step grows: the staircase fails at 0.40 < j*. With 5 min rests
  the 0.35 step's pores close in the rest (in ln(1/u)/κ = 200 s), but the 0.40 step's
  (u = 0.471) need 576 s and the 0.45 step fails from u = 0.697: still below the bisection
  by more than step plus bracket. Rests of 25 min (longer than the 0.50 step's closure,
  1461 s), or plating back (the step's charge at its current) and a 5 min rest, close every
  step's pores: each step starts fresh and the staircase agrees with the bisection (fresh
  trials of 0.1 mAh/cm²) within its step plus the bisection's bracket.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from mpi4py import MPI
from scipy.optimize import brentq

from lisse.units import A_M2_PER_MA_CM2, C_M2_PER_MAH_CM2, FARADAY, PA_PER_MPA
from tests.verification.test_cavitation_coupled import _params, case, flat_ccd

PRESSURE_MPA = 1.0
WIDE = ("Staircase from 0.2 mA/cm2 by 0.1 mA/cm2 to 0.6 mA/cm2, 0.5 mAh/cm2 per step, "
        "plate back, rest 5 min")
FINE = "Staircase from 0.3 mA/cm2 by 0.05 mA/cm2 to 0.7 mA/cm2, 0.1 mAh/cm2 per step"
MA = A_M2_PER_MA_CM2


def staircase_case(line: str, capacity: float) -> dict:
    c = case(PRESSURE_MPA)
    del c["evolution"]["steps"]
    c["evolution"]["protocol"] = [line]
    c["evolution"]["ccd"]["capacity_mAh_cm2"] = capacity
    return c


def run(params):
    """The protocol's outcome and its records by step label."""
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    outcome = _engine(build_model(params, MPI.COMM_WORLD, "evolution"), params.evolution).run()
    steps: dict[str, list] = {}
    for rec in outcome.records:
        steps.setdefault(rec.step, []).append(rec)
    return outcome, steps


def limit(params) -> float:
    """j_vac(p, T) [A/m²], the closed form."""
    return params.evolution.cavity.limit(PRESSURE_MPA * PA_PER_MPA, params.temperature,
                                         params.electrode.molar_volume)


def depth(params, capacity: float) -> float:
    """Li stripped [m] by ``capacity`` mAh/cm²: (Ω/F) q."""
    return params.electrode.molar_volume / FARADAY * capacity * C_M2_PER_MAH_CM2


def x_loss(eps: float, share: float, cover: float) -> float:
    """Li [m] a step at j_vac(1 + ε) strips from the share ``share`` to contact loss."""
    return (1 + eps) * cover * math.log((0.9 + eps) / (1 + eps - share))


def share_after(ratio: float, share: float, seconds: float, kappa: float) -> float:
    """The contact share after ``seconds`` at i = ρ j_vac (ρ = ``ratio``; ≤ 0 rest or
    plating) from ``share``: ρ − (ρ − u₀) e^{κt}, stopped at 1 (no nucleation for ρ ≤ 1
    without pores)."""
    if share >= 1 and ratio <= 1:
        return 1.0
    return min(ratio - (ratio - share) * math.exp(kappa * seconds), 1.0)


@cache
def fresh_search():
    """The bisection of the FINE cell: 0.1 mAh/cm² per fresh trial."""
    from lisse.solver.studies.ccd import ccd_search

    params = _params(staircase_case(FINE, 0.1))
    return ccd_search(params, MPI.COMM_WORLD)


def strip_steps(steps: dict) -> list:
    return [recs for label, recs in steps.items() if label.startswith("staircase")]


@pytest.mark.slow
def test_staircase_reads_the_vacancy_limit(validation):
    """0.5 mAh/cm² per step, plate back, rests: one plateau per step rising with the
    current (constant in a step below j_vac), zero in the rests, the plate-back plateau the
    mirror of its step; contact loss in the 0.4 mA/cm² step, bracket [0.3, 0.4) ∋ j_vac,
    agreeing with the bisection (same charge per trial) within step + its bracket."""
    from lisse.solver.studies.protocol_ccd import protocol_ccd

    params = _params(staircase_case(WIDE, 0.5))
    j_vac = limit(params)
    outcome, steps = run(params)
    assert outcome.failed and outcome.interface_failure
    assert outcome.failure_criterion == "contact_loss"
    stripped = strip_steps(steps)
    currents = np.array([recs[0].applied_current_density for recs in stripped]) / MA
    assert currents == pytest.approx([0.2, 0.3, 0.4])
    volts = np.array([recs[0].cell_voltage for recs in stripped])
    assert np.all(np.diff(volts) > 0)
    for recs in stripped[:-1]:  # below j_vac: a flat plateau, no pore
        assert [r.cell_voltage for r in recs] == pytest.approx(
            [recs[0].cell_voltage] * len(recs), rel=1e-9)
        assert recs[-1].contact_fraction == pytest.approx(1.0, abs=1e-12)
    for j in (0.2, 0.3):
        back = steps[f"plate back {j:g} mA/cm²"]
        assert back[0].cell_voltage == pytest.approx(
            -steps[f"staircase {j:g} mA/cm²"][0].cell_voltage, rel=1e-9)
    assert all(r.cell_voltage == 0 for label, recs in steps.items()
               if label.startswith("rest") for r in recs)
    assert stripped[-1][-1].contact_fraction < 0.1  # failed in the 0.4 step, by its pores
    stair = protocol_ccd(outcome)
    assert (stair.survived / MA, stair.failed / MA) == pytest.approx((0.3, 0.4))
    assert stair.survived <= j_vac < stair.failed
    search, _ = flat_ccd(PRESSURE_MPA)  # same cell, 0.5 mAh/cm² per trial
    low, high = search.bracket
    assert low <= j_vac < high
    step = 0.1 * MA
    assert low < stair.failed and stair.survived < high  # the brackets overlap
    ok = abs(stair.survived - search.ccd) <= step + (high - low)
    validation.record(
        "CCD: staircase vs bisection (coupled flat cell, cavity criterion, 1 MPa, "
        "0.5 mAh/cm² per step, plate back)",
        "brackets overlap and hold j_vac(p); |difference| ≤ step + bisection bracket",
        "docs/protocols.md; closed form j_vac", "step 0.1 mA/cm², rtol 0.05",
        f"staircase [{stair.survived / MA:.3g}, {stair.failed / MA:.3g}), bisection "
        f"[{low / MA:.4g}, {high / MA:.4g}) mA/cm² (j_vac {j_vac / MA:.4g})",
        "TINY without void, interface 4 µm", ok)
    assert ok


TAILS = {  # protocol tail: its rests [s], the step it fails in [mA/cm²], agrees w. bisection
    "": (0.0, 0.40, False), ", rest 5 min": (300.0, 0.45, False),
    ", rest 25 min": (1500.0, 0.55, True), ", plate back, rest 5 min": (300.0, 0.55, True)}


def closed_form_staircase(tail: str, params) -> tuple[dict[str, float], float]:
    """The closed-form staircase of FINE + ``tail``: {step label: share at its end} up to the
    failing step, and the current [mA/cm²] of the step that loses contact."""
    j_vac, cover, x = limit(params), params.evolution.pore_height, depth(params, 0.1)
    omega_f = params.electrode.molar_volume / FARADAY
    kappa = omega_f * j_vac / cover  # [1/s]
    share, ends = 1.0, {}
    for j in np.arange(0.30, 0.70, 0.05).round(2):
        ratio, seconds = j * MA / j_vac, x / (j * MA * omega_f)
        if ratio > share and x_loss(ratio - 1, share, cover) <= x:
            return ends, j
        phases = [(f"staircase {j:g} mA/cm²", ratio, seconds)]
        if "plate back" in tail:
            phases += [(f"rest after staircase {j:g} mA/cm²", 0.0, TAILS[tail][0]),
                       (f"plate back {j:g} mA/cm²", -ratio, seconds),
                       (f"rest after plate back {j:g} mA/cm²", 0.0, TAILS[tail][0])]
        elif "rest" in tail:
            phases += [(f"rest after staircase {j:g} mA/cm²", 0.0, TAILS[tail][0])]
        for label, rho, t in phases:
            share = ends[label] = share_after(rho, share, t, kappa)
    raise AssertionError("no step fails")


@pytest.mark.parametrize("tail", list(TAILS))
@pytest.mark.slow
def test_staircase_with_pore_healing(tail, validation):
    """0.1 mAh/cm² per step: every step ends at the closed-form share (rel 1e-9), the pores
    heal in rests and plating back along it, and the staircase fails in the step the closed
    form predicts: 0.40 mA/cm² without rests, 0.45 with 5 min rests (the 0.40 step's pores
    only partly heal), 0.55 with 25 min rests (longer than the 0.50 step's closure, 1461 s)
    and with plating back and 5 min rests (every step starts fresh). Against the bisection
    (fresh 0.1 mAh/cm² trials, bracket ∋ j*): the first two read lower by more than the step
    plus the bracket; the last two agree within it and their bracket holds j*. ``lisse
    ccd``'s staircase path (protocol_search) reads the run's bracket."""
    from lisse.solver.studies.ccd_protocol import protocol_search
    from lisse.solver.studies.protocol_ccd import protocol_ccd

    params = _params(staircase_case(FINE + tail, 0.1))
    j_vac, cover, x = limit(params), params.evolution.pore_height, depth(params, 0.1)
    outcome, steps = run(params)
    assert outcome.failed and outcome.interface_failure
    assert outcome.failure_criterion == "contact_loss"
    ends, predicted = closed_form_staircase(tail, params)
    stair = protocol_ccd(outcome)
    assert stair.failed / MA == pytest.approx(predicted) == pytest.approx(TAILS[tail][1])
    assert [label for label in steps][:-1] == list(ends)
    for label, share in ends.items():
        assert steps[label][-1].contact_fraction == pytest.approx(share, rel=1e-9), label
    after = ends["staircase 0.35 mA/cm²"]
    assert after < 0.8  # the 0.35 step left pores
    eps_fresh = brentq(lambda e: x_loss(e, 1.0, cover) - x, 1e-9, 10.0)
    fresh = j_vac * (1 + eps_fresh)  # a fresh 0.40 mA/cm² trial survives
    assert x_loss(0.40 * MA / j_vac - 1, 1.0, cover) > x
    search = fresh_search()  # the same cell, 0.1 mAh/cm² per fresh trial
    low, high = search.bracket
    assert low <= fresh < high
    step, gap = 0.05 * MA, abs(search.ccd - stair.survived)
    agrees = TAILS[tail][2]
    if agrees:  # j* in the staircase's bracket, the brackets overlap, within step + bracket
        ok = (stair.survived <= fresh < stair.failed and low < stair.failed
              and stair.survived < high and gap <= step + (high - low))
    else:  # below the bisection's bracket by more than step + bracket
        ok = stair.failed < low and gap > step + (high - low)
    if tail == "":
        read = protocol_search(params, MPI.COMM_WORLD)
        assert read.bracket == pytest.approx((stair.survived, stair.failed), rel=1e-12)
        assert read.failure_criterion == "contact_loss" and read.interface_failure
    rests = {"": "no rests", ", rest 5 min": "5 min rests", ", rest 25 min": "25 min rests",
             ", plate back, rest 5 min": "plate back, 5 min rests"}[tail]
    validation.record(
        f"CCD: staircase with pore healing vs bisection (coupled flat cell, cavity criterion, "
        f"1 MPa, 0.1 mAh/cm² per step, {rests})",
        "staircase fails in the step the closed form predicts; "
        + ("agrees with the bisection within step + bracket" if agrees
           else "reads lower than the bisection (pores not closed)"),
        "closed form u(t) of the pore law (two-sided)", "share 1e-9 rel.",
        f"staircase [{stair.survived / MA:.3g}, {stair.failed / MA:.3g}) (share after "
        f"0.35: {after:.4f}), bisection [{low / MA:.4g}, {high / MA:.4g}) ∋ j* "
        f"{fresh / MA:.4g} mA/cm²", "TINY without void, interface 4 µm", ok)
    assert ok
