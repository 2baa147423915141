"""A current staircase on the coupled model with the cavity criterion (issue 13;
docs/protocols.md "With the coupled model").

The flat cell of test_cavitation_coupled.py (TINY without its void, 1 MPa, j_vac = 0.3238
mA/cm²). Below j_vac no pore grows; a step at i = j_vac(1 + ε) from the contact share u₀
(u = 1 − h/h_cover) strips x = (Ω/F) i t of Li and leaves

    1 + ε − u = (1 + ε − u₀) exp[x/((1 + ε) h_cover)],

so it loses contact (u = 0.1) after x_loss = (1 + ε) h_cover ln[(0.9 + ε)/(1 + ε − u₀)].
Plating and rests do not change the pores (the law grows h only under stripping current,
j_k > j_vac; nothing shrinks it: solver.physics.coupled_cavities), so the pores of a
survived step above j_vac stay, with or without rests and plating back.

* 0.5 mAh/cm² per step (the bisection's charge per trial): a fresh trial fails for
  ε ≳ 1e-3, so the staircase 0.2, 0.3, 0.4 mA/cm² carries 0.3 with no pore and fails by
  contact loss at 0.4; its bracket holds j_vac and agrees with the bisection's.
* 0.1 mAh/cm² per step (x = 1.46 h_cover): a fresh trial fails only above
  j* = j_vac(1 + ε*), x_loss(ε*, 1) = x; the staircase 0.30, 0.35, 0.40 mA/cm² fails at
  0.40 < j* because the 0.35 step (above j_vac, below j*) left pores: the staircase reads a
  lower CCD than the bisection, by more than its step plus the bisection's bracket.
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


def share_after(eps: float, share: float, x: float, cover: float) -> float:
    """The contact share after a step at j_vac(1 + ε) that strips x [m] (no growth ε ≤ 0)."""
    if eps <= 0:
        return share
    return 1 + eps - (1 + eps - share) * math.exp(x / ((1 + eps) * cover))


@cache
def fresh_search():
    """The bisection of the FINE cell: 0.1 mAh/cm² per fresh trial."""
    from lisse.solver.studies.ccd import ccd_search

    params = _params(staircase_case(FINE, 0.1))
    return ccd_search(params, MPI.COMM_WORLD)


def strip_steps(steps: dict) -> list:
    return [recs for label, recs in steps.items() if label.startswith("staircase")]


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


@pytest.mark.parametrize("tail", ["", ", rest 5 min", ", plate back, rest 5 min"])
def test_survived_pores_fail_the_staircase_early(tail, validation):
    """0.1 mAh/cm² per step: the 0.35 mA/cm² step survives with the closed-form share
    (rel 1e-9; measured 1.3e-11), kept through rests and plating back; the 0.40 step then
    fails by contact loss as the closed form predicts, below the fresh-trial limit j* that
    the bisection (0.1 mAh/cm² per trial) brackets: the staircase reads lower, by more than
    its step plus the bisection's bracket. ``lisse ccd``'s staircase path (protocol_search)
    reads the run's bracket."""
    from lisse.solver.studies.ccd_protocol import protocol_search
    from lisse.solver.studies.protocol_ccd import protocol_ccd

    params = _params(staircase_case(FINE + tail, 0.1))
    j_vac, cover, x = limit(params), params.evolution.pore_height, depth(params, 0.1)
    outcome, steps = run(params)
    assert outcome.failed and outcome.interface_failure
    assert outcome.failure_criterion == "contact_loss"
    # the closed form's staircase: the share after each step, the step it fails in
    share, shares, predicted = 1.0, [], None
    for j in (0.30, 0.35, 0.40, 0.45):
        eps = j * MA / j_vac - 1
        if eps > 0 and x_loss(eps, share, cover) <= x:
            predicted = j
            break
        share = share_after(eps, share, x, cover)
        shares.append(share)
    stair = protocol_ccd(outcome)
    assert stair.failed / MA == pytest.approx(predicted) == pytest.approx(0.40)
    stripped = strip_steps(steps)
    ends = [recs[-1].contact_fraction for recs in stripped[:-1]]
    assert ends == pytest.approx(shares, rel=1e-9)
    assert shares[-1] < 0.8  # the 0.35 step left pores
    for label, recs in steps.items():  # rests and plating back leave the pores as they are
        if not label.startswith("staircase"):
            assert [r.contact_fraction for r in recs] == pytest.approx(
                [shares[-1] if "0.35" in label else 1.0] * len(recs), abs=1e-9)
    eps_fresh = brentq(lambda e: x_loss(e, 1.0, cover) - x, 1e-9, 10.0)
    fresh = j_vac * (1 + eps_fresh)  # a fresh 0.40 mA/cm² trial survives
    assert x_loss(0.40 * MA / j_vac - 1, 1.0, cover) > x
    search = fresh_search()  # the same cell, 0.1 mAh/cm² per fresh trial
    low, high = search.bracket
    assert low <= fresh < high
    assert stair.failed < low
    gap = search.ccd - stair.survived
    assert gap > 0.05 * MA + (high - low)
    if tail == "":
        read = protocol_search(params, MPI.COMM_WORLD)
        assert read.bracket == pytest.approx((stair.survived, stair.failed), rel=1e-12)
        assert read.failure_criterion == "contact_loss" and read.interface_failure
        validation.record(
            "CCD: staircase below bisection by the survived step's pores (coupled flat cell, "
            "cavity criterion, 1 MPa, 0.1 mAh/cm² per step)",
            "staircase fails in the step the closed form predicts; bisection holds fresh j*",
            "closed form u(x) of the pore law", "share 1e-9 rel.",
            f"staircase [{stair.survived / MA:.3g}, {stair.failed / MA:.3g}) (share after "
            f"0.35: {shares[-1]:.4f}), bisection [{low / MA:.4g}, {high / MA:.4g}) ∋ j* "
            f"{fresh / MA:.4g} mA/cm²", "TINY without void, interface 4 µm", True)
