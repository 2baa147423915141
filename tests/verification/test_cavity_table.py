"""The cavity criterion's CCD at the blind table's points (docs/ccd_validation.md, "The cavity
criterion"; issue 13), and which assumed parameters reach those numbers.

Prediction: the closed form j_vac(p, T) = F D_eff(T) s(p)/(f Ω ℓ_eff),
s(p) = exp[(p + 2γ/r_p) Ω/(RT)] − 1, of a flat interface at the stack pressure p (the coupled
model reproduces it within its search bracket: test_cavitation_coupled.py, and on the table's
cells scripts/cavity_ccd_table.py), with the parameters of the table's cells
(configs/studies/ccd_*_axisymmetric.yaml, ``evolution.vacancy.nucleation: cavity``): D*, its
activation energy, γ and r_p from the Li's materials library entry. ℓ_eff is the one named
calibration: fitted so that j_vac(2 MPa, 25 °C) = 0.4 mA/cm² on Li/LLZO (Wang 2019).

Assumptions. A number of the table depends on a library value marked "assumption" if changing
that value (×2 and ÷2), with ℓ_eff fitted again at the calibration point as the calibration
prescribes, changes the number (beyond 1e-9 relative). The test finds that set exactly, through
the whole config path (``materials.electrode`` overrides, load_case, resolve), and asserts
what docs/ccd_validation.md says: the pore radius r_p reaches every blind row (the capillary
term 2γ/r_p adds to p, and one calibration of ℓ_eff cannot absorb an offset of p), nothing
else does (the activation energies cancel at 25 °C, the electrolytes' values do not enter
j_vac), and the calibration row is fixed by construction. γ is sourced (secondary), no longer
an assumption.

Blind table and figures. ``test_blind_table_and_figures`` writes the table "Blind CCD
validation" of docs/validation.md (the closed form, its ratio to the measurement, the role,
the assumptions reaching the row, and the coupled cavity CCD searches as recorded by
scripts/cavity_ccd_table.py in configs/experiments/cavity_ccd_recorded.csv, not recomputed)
and the figures CCD against stack pressure, build/ccd_prediction_<electrolyte>.png (with
LISSE_WRITE_DOCS=1 also docs/figures/). It asserts the ratios at the table's points against
the values recorded in docs/ccd_validation.md (``RECORDED_RATIO``, to ``RATIO_RTOL``).
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.config import materials
from lisse.solver.io import evolution_plots
from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA, UM_PER_M
from tests.helpers import ROOT, figure_folders
from tests.verification.test_ccd_validation import (
    FACTORS,
    MEASURED,
    STUDY,
    assumptions,
    params_at,
    perturbed,
)

CAVITY = ("evolution.interface_model=coupled", "evolution.vacancy.nucleation=cavity")
CALIBRATION = ("LLZO", 2.0, 25.0)  # Wang 2019, Li/LLZO 2 MPa, 25 °C: fits ℓ_eff
CALIBRATION_CCD_MA_CM2 = 0.4
# what docs/ccd_validation.md says reaches the blind rows: (material, library key)
REACH_KEY = ("Li", "pore_radius_um")
REACHING = {REACH_KEY}
# ... and above 25 °C the activation energy of D* (an assumption) too
HOT_KEY = ("Li", "self_diffusion_activation_energy_kJ_mol")
POINTS = sorted({(m.electrolyte, m.pressure_MPa, m.temperature_C) for m in MEASURED})
HOT = ("LLZO", 2.0, 60.0)  # a prediction without a measurement (the temperature rise)
# the coupled cavity CCD searches, as recorded by scripts/cavity_ccd_table.py (not rerun here)
RECORDED_SEARCHES = ROOT / "configs" / "experiments" / "cavity_ccd_recorded.csv"
# predicted/measured of the closed form per (electrolyte, p [MPa], measured [mA/cm²]), as
# recorded in docs/ccd_validation.md ("Where the CCD prediction stands") on 2026-12-04
RECORDED_RATIO = {("LLZO", 0.0, 0.1): 1.759, ("LLZO", 0.0, 0.28): 0.6281,
                  ("LLZO", 2.0, 0.4): 1.0, ("Li6PS5Cl", 3.0, 0.2): 2.565,
                  ("Li6PS5Cl", 7.0, 1.0): 0.9707,
                  # the second temperature (2026-12-05): ACS AMI 2021, 1 MPa, 60 and 80 °C
                  ("Li6PS5Cl", 1.0, 0.25): 9.725, ("Li6PS5Cl", 1.0, 0.5): 13.55}
RATIO_RTOL = 1e-3  # the recorded ratios' four digits
# the coupled CCD of 0.2 mAh/cm² trials over the closed form, at most (docs/ccd_validation.md:
# "up to 7 % above it"; recorded: 1.039 at Li6PS5Cl 7 MPa, 1.056 at LLZO 2 MPa 60 °C)
FINITE_TRIAL_EXCESS = 1.07
# from this stack pressure the shipped cells' voids close by creep within ~200 s of a trial,
# so a search fails above the flat interface's closed form; at 1 MPa they stay open, the
# current crowds at their rims and the coupled CCD lies below it (docs/ccd_validation.md,
# "The second temperature")
CLOSING_MPA = 2.0
PRESSURES_MPA = np.linspace(0.0, 8.0, 33)  # the figures' closed-form curves


def _limit(params, pressure_mpa: float) -> float:
    """j_vac [A/m²] of a flat interface at the stack pressure, the case's temperature."""
    return float(params.evolution.cavity.limit(pressure_mpa * PA_PER_MPA, params.temperature,
                                               params.electrode.molar_volume))


@cache
def calibrated_length(extra: tuple[str, ...] = (), calibration: tuple = CALIBRATION,
                      ccd_mA_cm2: float = CALIBRATION_CCD_MA_CM2) -> float:
    """ℓ_eff [m] with j_vac = ``ccd_mA_cm2`` at the point ``calibration`` (j_vac ∝ 1/ℓ_eff);
    by default the table's: 0.4 mA/cm² at ``CALIBRATION``."""
    params = params_at(calibration, CAVITY + extra)
    at_unit = _limit(params, calibration[1]) * params.evolution.cavity.supply.diffusion_length
    return at_unit / (ccd_mA_cm2 * A_M2_PER_MA_CM2)


@cache
def prediction(point: tuple[str, float, float], extra: tuple[str, ...] = (),
               calibration: tuple = (CALIBRATION, CALIBRATION_CCD_MA_CM2)) -> float:
    """The predicted CCD [A/m²] at (electrolyte, p [MPa], T [°C]) with the case overrides
    ``extra`` and ℓ_eff calibrated under the same overrides at ``calibration`` (point,
    CCD [mA/cm²]; by default the table's)."""
    length = calibrated_length(extra, *calibration)
    ell = f"evolution.vacancy.diffusion_length_um={length * UM_PER_M!r}"
    return _limit(params_at(point, CAVITY + (ell, *extra)), point[1])


def test_closed_form_predictions(validation):
    """The predictions at the table's points with p > 0 (the coupled model refuses 0 MPa),
    recorded with the ratio to the measurement; the pressure ratio 7/3 MPa against the
    measured ×5 and the predicted 60/25 °C ratio. Asserted: the calibration point is
    reproduced, the CCD rises with p and T; the misses are reported, not asserted away."""
    mA = A_M2_PER_MA_CM2
    ell = calibrated_length() * UM_PER_M
    for m in MEASURED:
        point = (m.electrolyte, m.pressure_MPa, m.temperature_C)
        if m.pressure_MPa <= 0:
            continue
        j = prediction(point) / mA
        ratio = j / m.ccd_mA_cm2
        role = f"calibration (ℓ_eff = {ell:.3g} µm)" if point == CALIBRATION else "blind"
        warm = "" if m.temperature_C == CALIBRATION[2] else f" {m.temperature_C:g} °C"
        validation.record(
            f"Cavity-criterion CCD, {m.cell} {m.pressure_MPa:g} MPa{warm} ({role})",
            f"measured {m.ccd_mA_cm2:g} mA/cm² ({m.label})", "issue 13 table",
            "within ×2 (reported)", f"{j:.3g} mA/cm² (ratio {ratio:.2f})",
            "closed form = flat coupled CCD; γ library (secondary), r_p assumption",
            0.5 <= ratio <= 2)
        if point == CALIBRATION:
            assert ratio == pytest.approx(1.0, rel=1e-9)
    rise = prediction(("Li6PS5Cl", 7.0, 25.0)) / prediction(("Li6PS5Cl", 3.0, 25.0))
    validation.record("Cavity-criterion CCD(7 MPa)/CCD(3 MPa), Li6PS5Cl",
                      "measured ×5 (Kasemchainan 2019)", "issue 13 table", "within ×2",
                      f"×{rise:.2f}", "closed form", 2.5 <= rise <= 10)
    warm = prediction(("LLZO", 2.0, 60.0)) / prediction(CALIBRATION)
    validation.record("Cavity-criterion CCD(60 °C)/CCD(25 °C), Li/LLZO 2 MPa",
                      "rises with T (no measured ratio in the table)", "issue 13",
                      "> 1", f"×{warm:.2f}", "closed form, D* at 53 kJ/mol", warm > 1)
    hot = prediction(("Li6PS5Cl", 1.0, 80.0)) / prediction(("Li6PS5Cl", 1.0, 60.0))
    validation.record("Cavity-criterion CCD(80 °C)/CCD(60 °C), Li/Li6PS5Cl 1 MPa",
                      "measured ×2 (0.5/0.25 mA/cm², ACS AMI 2021)", "issue 13 table",
                      "within ×2", f"×{hot:.2f}", "closed form, D* at 53 kJ/mol",
                      1 <= hot <= 4)
    assert 1 < rise < 2.5 and warm > 1 and hot > 2


@cache
def reaching(point: tuple[str, float, float]) -> tuple[set, dict]:
    """The assumed library values (material, key) that change the prediction at ``point``
    (×2 or ÷2, ℓ_eff fitted again), and per such value the prediction [A/m²] per factor."""
    nominal = prediction(point)
    spread = {}
    for slot, name, key in assumptions(point[0]):
        moved = {f: prediction(point, perturbed(slot, name, key, f)) for f in FACTORS}
        if any(v != pytest.approx(nominal, rel=1e-9) for v in moved.values()):
            spread[(name, key)] = moved
    return set(spread), spread


def test_which_assumptions_reach_the_cavity_rows(validation):
    """Exactly the pore radius r_p reaches every blind row at 25 °C (all its points, 0 MPa
    included), r_p and the activation energy of D* the rows at 60 and 80 °C; no assumption
    reaches the calibration row; γ is not an assumption. The spread of each blind
    prediction over r_p ÷2 … ×2 is recorded."""
    li = materials.get_material("Li")
    assert "assumption" not in li.sources["surface_energy_J_m2"]
    mA = A_M2_PER_MA_CM2
    for point in POINTS:
        nominal = prediction(point)
        reach, spread = reaching(point)
        if point == CALIBRATION:
            assert reach == set(), reach
            continue
        assert reach == (REACHING if point[2] == CALIBRATION[2] else REACHING | {HOT_KEY}), (
            point, reach)
        radius = li.values["pore_radius_um"]
        validation.record(
            f"Cavity-criterion CCD, {point[0]} {point[1]:g} MPa {point[2]:g} °C: the assumed "
            "r_p reaches it", f"r_p {radius * 0.5:g}–{radius * 2:g} µm (library "
            f"{radius:g} µm, assumption), ℓ_eff re-fitted", "issue 13", "reported",
            f"{spread[REACH_KEY][0.5] / mA:.3g}–{spread[REACH_KEY][2.0] / mA:.3g} mA/cm² (nominal "
            f"{nominal / mA:.3g})", "closed form", True)
        if HOT_KEY in reach:
            energy = li.values[HOT_KEY[1]]
            validation.record(
                f"Cavity-criterion CCD, {point[0]} {point[1]:g} MPa {point[2]:g} °C: the "
                "assumed activation energy of D* reaches it", f"{energy * 0.5:g}–"
                f"{energy * 2:g} kJ/mol (library {energy:g}, assumption), ℓ_eff re-fitted",
                "issue 13", "reported", f"{spread[HOT_KEY][0.5] / mA:.3g}–"
                f"{spread[HOT_KEY][2.0] / mA:.3g} mA/cm² (nominal {nominal / mA:.3g})",
                "closed form", True)


def recorded_searches() -> dict:
    """(electrolyte, p [MPa], T [°C]) → the recorded coupled cavity search (CSV row)."""
    with open(RECORDED_SEARCHES, newline="") as f:
        return {(r["electrolyte"], float(r["stack_pressure_MPa"]), float(r["temperature_C"])): r
                for r in csv.DictReader(f)}


def interface_failure(row: dict) -> bool:
    """Whether a recorded search's failing trial failed at the interface (contact loss), not
    by a numerical stop (``time_step_collapse``, ``solver.physics.failure``)."""
    return row["failure_criterion"] == "contact_loss"


def coupled_cells(point: tuple[str, float, float], searches: dict) -> dict:
    """The table's coupled entry at ``point``: the recorded search, or why there is none."""
    row = searches.get(point)
    if row is not None and interface_failure(row):
        return {"ccd_mA_cm2": float(row["ccd_mA_cm2"]),
                "failing_mA_cm2": float(row["failing_mA_cm2"]), "note": ""}
    if row is not None:  # the search ended without an interface failure
        return {"ccd_mA_cm2": None, "failing_mA_cm2": None,
                "note": f"no CCD: survived {float(row['ccd_mA_cm2']):.4g}, stopped by "
                        f"{row['failure_criterion'].replace('_', ' ')} at "
                        f"{float(row['failing_mA_cm2']):.4g} (not an interface failure)"}
    why = "refused (zero stack pressure)" if point[1] <= 0 else "not recorded"
    return {"ccd_mA_cm2": None, "failing_mA_cm2": None, "note": why}


def reaching_text(point: tuple[str, float, float]) -> str:
    """The table's "assumptions" cell: each reaching value with the row's range [mA/cm²]."""
    reach, spread = reaching(point)
    mA = A_M2_PER_MA_CM2
    return "; ".join(f"{name} {key} ({spread[(name, key)][0.5] / mA:.3g} at ÷2 … "
                     f"{spread[(name, key)][2.0] / mA:.3g} at ×2)"
                     for name, key in sorted(reach)) or "none"


def test_blind_table_and_figures(validation):
    """The blind table's rows (the cavity criterion's closed form, its ratio, the role, the
    assumptions reaching it, the recorded coupled search) and the figures; the ratios equal
    the recorded ones; each recorded search that ends in an interface failure has its CCD at
    most ``FINITE_TRIAL_EXCESS`` above the closed form (the 0.2 mAh/cm² trials end before the
    pores cover the contact just above j_vac: docs/ccd_validation.md) and, from
    ``CLOSING_MPA`` up, fails above it; one that ended in a time-step collapse is reported as
    such (no CCD)."""
    mA = A_M2_PER_MA_CM2
    searches = recorded_searches()
    assert set(searches) == {p for p in (*POINTS, HOT) if p[1] > 0}
    ell = calibrated_length() * UM_PER_M
    for m in MEASURED:
        point = (m.electrolyte, m.pressure_MPa, m.temperature_C)
        j = prediction(point) / mA
        assert j / m.ccd_mA_cm2 == pytest.approx(
            RECORDED_RATIO[(m.electrolyte, m.pressure_MPa, m.ccd_mA_cm2)], rel=RATIO_RTOL)
        role = (f"calibration: fits ℓ_eff = {ell:.3g} µm" if point == CALIBRATION else "blind")
        validation.blind_ccd({
            "cell": m.cell, "pressure_MPa": m.pressure_MPa, "temperature_C": m.temperature_C,
            "protocol": m.protocol, "measured_mA_cm2": m.ccd_mA_cm2, "source": m.source,
            "role": role, "closed_form_mA_cm2": j, "coupled": coupled_cells(point, searches),
            "assumptions": reaching_text(point)})
    validation.blind_ccd({
        "cell": "Li/LLZO", "pressure_MPa": HOT[1], "temperature_C": HOT[2], "protocol": "—",
        "measured_mA_cm2": None, "source": "— (no measurement)",
        "role": "prediction (temperature rise)", "closed_form_mA_cm2": prediction(HOT) / mA,
        "coupled": coupled_cells(HOT, searches), "assumptions": reaching_text(HOT)})
    for point, row in searches.items():
        if not interface_failure(row):  # reported as such in the table
            assert row["failure_criterion"] == "time_step_collapse", (point, row)
            continue
        low, high = float(row["ccd_mA_cm2"]), float(row["failing_mA_cm2"])
        closed = prediction(point) / mA
        assert low < high and low <= FINITE_TRIAL_EXCESS * closed, (point, row)
        if point[1] >= CLOSING_MPA:  # the voids close early: the flat limit is the floor
            assert closed < high, (point, row)
    if MPI.COMM_WORLD.rank == 0:  # one writer under mpirun
        for electrolyte in STUDY:
            figure(electrolyte, searches)
        temperature_figure(searches)


def figure(electrolyte: str, searches: dict) -> None:
    """CCD against stack pressure for one electrolyte: the closed form over 0–8 MPa at 25 °C
    and at the table's other temperatures (LLZO 60 °C, Li6PS5Cl 60 and 80 °C), the recorded
    coupled searches as error bars [CCD, failing), the
    measurements by source and the calibration point circled."""
    mA = A_M2_PER_MA_CM2
    temperatures = sorted({CALIBRATION[2]} | {p[2] for p in (*POINTS, HOT)
                                               if p[0] == electrolyte})
    ell = f"evolution.vacancy.diffusion_length_um={calibrated_length() * UM_PER_M!r}"
    curves, brackets = {}, {}
    for celsius in temperatures:
        params = params_at((electrolyte, CALIBRATION[1], celsius), (*CAVITY, ell))
        ccd = [_limit(params, p) / mA for p in PRESSURES_MPA]
        for point in (*POINTS, HOT):  # the curve is the table's closed form
            if point[0] == electrolyte and point[2] == celsius and point[1] in PRESSURES_MPA:
                k = list(PRESSURES_MPA).index(point[1])
                assert ccd[k] == pytest.approx(prediction(point) / mA, rel=1e-12)
        curves[f"cavity criterion, closed form, {celsius:g} °C"] = (PRESSURES_MPA, ccd)
        done = sorted((p[1], float(r["ccd_mA_cm2"]), float(r["failing_mA_cm2"]))
                      for p, r in searches.items() if p[0] == electrolyte and p[2] == celsius)
        if done:
            brackets[f"coupled cavity CCD [CCD, failing), {celsius:g} °C, recorded"] = (
                [d[0] for d in done], [d[1] for d in done], [d[2] for d in done])
    measured = [(m.pressure_MPa, m.ccd_mA_cm2,
                 f"{m.label.replace(' (calibration)', '')}, {m.temperature_C:g} °C")
                for m in MEASURED if m.electrolyte == electrolyte]
    calibration = ((CALIBRATION[1], CALIBRATION_CCD_MA_CM2,
                    f"calibration (fits ℓ_eff), {CALIBRATION[2]:g} °C")
                   if electrolyte == CALIBRATION[0] else None)
    for folder in figure_folders():
        evolution_plots.ccd_prediction(
            folder / f"ccd_prediction_{electrolyte}.png",
            f"Li/{electrolyte}: predicted and measured stripping CCD", curves, measured,
            brackets, calibration)


TEMPERATURES_C = np.linspace(0.0, 100.0, 41)  # the temperature figure's closed-form curve
WARM = ("Li6PS5Cl", 1.0)  # the table's temperature series (ACS AMI 2021, 1 MPa)
WARM_BOUND = (25.0, 0.25)  # "<0.25 mA cm(-2) at 25 °C": an upper bound, not a row


def temperature_figure(searches: dict) -> None:
    """CCD against temperature, Li/Li6PS5Cl at 1 MPa: the closed form over 0–100 °C (ℓ_eff
    as calibrated at 25 °C; D* Arrhenius at the library's 53 kJ/mol, an assumption), the
    measurements of the table at 1 MPa and the 25 °C bound of the same paper
    (build/ccd_temperature_Li6PS5Cl.png; with LISSE_WRITE_DOCS=1 also docs/figures/)."""
    mA = A_M2_PER_MA_CM2
    electrolyte, pressure = WARM
    ell = f"evolution.vacancy.diffusion_length_um={calibrated_length() * UM_PER_M!r}"
    ccd = [_limit(params_at((electrolyte, pressure, t), (*CAVITY, ell)), pressure) / mA
           for t in TEMPERATURES_C]
    for m in MEASURED:  # the curve is the table's closed form
        if (m.electrolyte, m.pressure_MPa) == WARM and m.temperature_C in TEMPERATURES_C:
            k = list(TEMPERATURES_C).index(m.temperature_C)
            assert ccd[k] == pytest.approx(
                prediction((electrolyte, pressure, m.temperature_C)) / mA, rel=1e-12)
    measured = [(m.temperature_C, m.ccd_mA_cm2, m.label) for m in MEASURED
                if (m.electrolyte, m.pressure_MPa) == WARM]
    measured.append((*WARM_BOUND, "ACS AMI 2021: below this at 25 °C (a bound)"))
    done = sorted((p[2], float(r["ccd_mA_cm2"]), float(r["failing_mA_cm2"]))
                  for p, r in searches.items() if p[:2] == WARM and interface_failure(r))
    brackets = {f"coupled cavity CCD [CCD, failing), {pressure:g} MPa, recorded": (
        [d[0] for d in done], [d[1] for d in done], [d[2] for d in done])} if done else {}
    for folder in figure_folders():
        evolution_plots.ccd_prediction(
            folder / f"ccd_temperature_{electrolyte}.png",
            f"Li/{electrolyte}, {pressure:g} MPa: predicted and measured stripping CCD",
            {f"cavity criterion, closed form, {pressure:g} MPa": (TEMPERATURES_C, ccd)},
            measured, brackets, key="temperature_C")
