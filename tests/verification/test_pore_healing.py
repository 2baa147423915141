"""Pore healing in the coupled model (issue 13; solver.physics.coupled_cavities, "Healing").

The flat cell of test_cavitation_coupled.py (TINY without its void, 1 MPa, j_vac = 0.3238
mA/cm², λ_k = p and a uniform current on every node) strips 0.05 mAh/cm² at 0.6 mA/cm²
(> j_vac: the pores grow to the contact share u₀ = 1 − h/h_cover ≈ 0.59), then rests or plates
back. Where pores exist the vacancy balance is two-sided, h_cover u̇ = (Ω/F)(u j_vac − I), I
the nominal current (< 0 plating), so with κ = (Ω/F) j_vac/h_cover and r = −I/j_vac:

    u + r = (u₀ + r) e^{κt},    closed (u = 1) at t = ln((1 + r)/(u₀ + r))/κ;

at rest (r = 0) t = ln(1/u₀)/κ = ln(h_cover/(h_cover − h₀))/κ. The step is exact between
records, so each record's contact fraction is the closed form's; the closure falls inside
the step that reaches it (the tolerance is that step). The same rest on the flat cell as a
disk (axisymmetric) and on the flat 3D cell of test_cavitation_coupled_3d.py follows the same
closed form and the plane run's records."""

from __future__ import annotations

import math
from functools import cache

import pytest
from mpi4py import MPI

from lisse.units import A_M2_PER_MA_CM2, FARADAY, PA_PER_MPA
from tests.helpers import mpi_numbers, print_numbers
from tests.verification.test_cavitation_coupled import _params, case
from tests.verification.test_cavitation_coupled_3d import flat_case_3d

PRESSURE_MPA, STRIP_MA_CM2, STRIP_MAH_CM2, AFTER_S = 1.0, 0.6, 0.05, 600.0
PLATE_MA_CM2 = -0.3


@cache
def heal_run(after_ma_cm2: float, dimension: str = "plane") -> dict:
    """Strip above j_vac, then ``after_ma_cm2`` (0: rest) for AFTER_S: the records' times,
    contact fractions, void volume per area and E5 of the second step, and u₀, κ, r.
    ``dimension``: "axisymmetric" the flat cell as a disk; "3d" the flat 12 × 12 µm cell of
    test_cavitation_coupled_3d.py (5 µm Li on 6 µm electrolyte, interface 4 µm) with the
    plane cell's time steps."""
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    c = case(PRESSURE_MPA)
    c["geometry"]["dimension"] = dimension
    if dimension == "3d":
        steps = c["evolution"]["time_step"]
        c = flat_case_3d(PRESSURE_MPA)
        c["evolution"]["time_step"] = steps
    c["evolution"]["steps"] = [
        {"current_density_mA_cm2": STRIP_MA_CM2, "capacity_mAh_cm2": STRIP_MAH_CM2,
         "label": "strip"},
        {"current_density_mA_cm2": after_ma_cm2, "duration_h": AFTER_S / 3600,
         "label": "after"}]
    params = _params(c)
    outcome = _engine(build_model(params, MPI.COMM_WORLD, "evolution"),
                      params.evolution).run()
    jv = params.evolution.cavity.limit(PRESSURE_MPA * PA_PER_MPA, params.temperature,
                                       params.electrode.molar_volume)
    strip = [r for r in outcome.records if r.step == "strip"]
    after = [r for r in outcome.records if r.step == "after"]
    return {"failed": outcome.failed, "u0": strip[-1].contact_fraction,
            "start": strip[-1].time, "times": [r.time for r in after],
            "contact": [r.contact_fraction for r in after],
            "void": [r.void_volume_per_area for r in after],
            "worst": max(r.mass_balance_error for r in outcome.records),
            "kappa": params.electrode.molar_volume / FARADAY * jv / params.evolution.pore_height,
            "r": -after_ma_cm2 * A_M2_PER_MA_CM2 / jv}


def closure(run: dict) -> float:
    """The closed form's closure time [s] after the strip."""
    return math.log((1 + run["r"]) / (run["u0"] + run["r"])) / run["kappa"]


def check_closure(run: dict, round_off: float = 0.0) -> tuple[float, float, float]:
    """Every record of the second step against the closed form u(t) (rel 1e-9 while open;
    1 and no pore content once closed: a void volume ≤ ``round_off`` × the first record's);
    returns (closed form, last open record, first closed record) [s after the strip]."""
    t_close = closure(run)
    opened = closed = None
    for t, u, void in zip(run["times"], run["contact"], run["void"], strict=True):
        t -= run["start"]
        if u < 1 - 1e-12:
            expected = (run["u0"] + run["r"]) * math.exp(run["kappa"] * t) - run["r"]
            assert u == pytest.approx(expected, rel=1e-9), t
            opened = t
        else:
            assert u == pytest.approx(1.0, abs=1e-12), t
            assert abs(void) <= round_off * run["void"][0], t  # no pore left
            closed = t if closed is None else closed
    assert closed is not None and opened is not None and opened < closed  # healed once
    return t_close, opened, closed


def test_pores_close_at_rest_at_the_closed_form_time(validation):
    """After the strip (u₀ < 0.6) the rest heals the pores along u₀ e^{κt} and closes them
    in the step that holds t = ln(1/u₀)/κ; the contact fraction is 1 from then on; E5 ≤ 0.5 %
    throughout (the pores are not part of the Li body's volume)."""
    run = heal_run(0.0)
    assert not run["failed"] and run["u0"] < 0.6
    t_close, opened, closed = check_closure(run)
    ok = opened < t_close <= closed and run["worst"] < 5e-3
    validation.record(
        "Pore healing at rest (coupled flat cell, cavity criterion, 1 MPa)",
        "closure at t = ln(h_cover/(h_cover − h₀))/κ; u(t) = u₀ e^{κt}",
        "solver.physics.coupled_cavities (Healing)", "the closing step; u rel 1e-9",
        f"u₀ {run['u0']:.4f}, closed form {t_close:.1f} s in step ({opened:.1f}, "
        f"{closed:.1f}] s; E5 {run['worst']:.1e}", "TINY without void, interface 4 µm", ok)
    assert ok


def test_plating_closes_the_pores_faster(validation):
    """Plating back at 0.3 mA/cm² heals along (u₀ + r) e^{κt} − r and closes the pores in
    the step that holds ln((1 + r)/(u₀ + r))/κ, before the rest's closed-form time."""
    run, rest = heal_run(PLATE_MA_CM2), heal_run(0.0)
    assert not run["failed"] and run["u0"] == rest["u0"]
    t_close, opened, closed = check_closure(run)
    ok = opened < t_close <= closed < closure(rest) and run["worst"] < 5e-3
    validation.record(
        "Pore healing while plating (coupled flat cell, cavity criterion, 1 MPa, −0.3 mA/cm²)",
        "closure at t = ln((1 + r)/(u₀ + r))/κ, r = −i/j_vac, before the rest's",
        "solver.physics.coupled_cavities (Healing)", "the closing step; u rel 1e-9",
        f"closed form {t_close:.1f} s in step ({opened:.1f}, {closed:.1f}] s (rest: "
        f"{closure(rest):.1f} s)", "TINY without void, interface 4 µm", ok)
    assert ok


@pytest.mark.parametrize("dimension", ["axisymmetric", "3d"])
@pytest.mark.slow
def test_pores_close_at_rest_axisymmetric_and_3d(dimension, validation):
    """The rest after the strip on the flat disk and the flat 3D cell: every record on the
    closed form u(t), closed in the step that holds t = ln(1/u₀)/κ, and the plane run's
    records (times, contact fractions, void volumes; 1e-9 relative; measured 1.1e-10 and
    2e-11); E5 ≤ 0.5 %. Once closed the 3D void volume is the round-off of the Li bottom's
    heights (≤ 1e-15 of the open one's; measured 1.6e-17), the 2D cells' exactly 0."""
    run, plane = heal_run(0.0, dimension), heal_run(0.0)
    assert not run["failed"] and run["u0"] < 0.6
    t_close, opened, closed = check_closure(run, round_off=1e-15 if dimension == "3d" else 0)
    assert len(run["times"]) == len(plane["times"])
    diff = max(abs(a / b - 1) for key in ("times", "contact", "void")
               for a, b in zip(run[key], plane[key], strict=True) if b != 0)
    ok = opened < t_close <= closed and run["worst"] < 5e-3 and diff < 1e-9
    validation.record(
        f"Pore healing at rest (coupled flat cell, cavity criterion, 1 MPa, {dimension})",
        "closure at t = ln(h_cover/(h_cover − h₀))/κ; u(t) = u₀ e^{κt}; the plane run",
        "solver.physics.coupled_cavities (Healing)", "the closing step; u rel 1e-9; 1e-9",
        f"u₀ {run['u0']:.4f}, closed form {t_close:.1f} s in step ({opened:.1f}, "
        f"{closed:.1f}] s; plane records to {diff:.0e}; E5 {run['worst']:.1e}",
        "3D 12 × 12 µm, no void, interface 4 µm" if dimension == "3d"
        else "TINY axisymmetric without void, interface 4 µm", ok)
    assert ok, (opened, t_close, closed, run["worst"], diff)


def main() -> None:
    """Under mpirun: the rest run's numbers on rank 0."""
    print_numbers(heal_run(0.0))


@pytest.mark.slow
def test_parallel_equals_serial():
    """The strip-and-rest run under mpirun -n 2 gives the serial records (same steps;
    times and contact fractions to 1e-9)."""
    parallel, serial = mpi_numbers("tests.verification.test_pore_healing"), heal_run(0.0)
    assert len(parallel["times"]) == len(serial["times"])
    for key in ("times", "contact", "u0"):
        assert parallel[key] == pytest.approx(serial[key], rel=1e-9), key
