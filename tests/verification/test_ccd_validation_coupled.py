"""The coupled moving-interface model's CCD without the cavity criterion (superseded by it)
at the points of the blind CCD table (issue 13; docs/ccd_validation.md, "The coupled model's
CCD" in "History"; validation rows "Coupled CCD without the cavity criterion", written by
this test when it runs: ``make test-long``).

Same cells as the reduced rows (``configs/studies/ccd_*_axisymmetric.yaml`` at the table's
pressure and temperature), same failure criteria (contact fraction < 0.1, 1 V cut-off), with
``evolution.interface_model: coupled`` and these differences, each forced and stated:

* ``supply.vacancy: false`` — the coupled model has no vacancy route (refused otherwise);
* zero stack pressure is refused by the coupled model (its Li body is loaded only by the
  stack pressure on its collector face): the 0 MPa rows are **not computable** and say so;
  no small positive pressure is put in their place;
* trials strip ``CAPACITY_MAH_CM2`` = 0.01 mAh/cm² (0.05 µm of Li), not 1 mAh/cm²: without
  remeshing the coupled Li mesh does not get far beyond 0.06 mAh/cm² on this cell (Li6PS5Cl,
  3 MPa, 1 mA/cm²: the time steps collapse near 0.063 mAh/cm², 0.0627 → 0.0634 in the last
  100 s of wall time; docs/ccd_validation.md), and a 1 mAh/cm² trial at the rate before the
  collapse would take ~17 min of wall time;
* the search starts at 10 mA/cm² and stops at rtol 0.25 (the search path and its precision,
  not the physics; the bracket is reported).

Nothing here asserts a predicted number against the measurements: the table reports them with
their ratios. Asserted: the refusal of 0 MPa, a proper search bracket, and the recorded trend
and mesh-sensitivity rows (below) state what they find.
"""

from __future__ import annotations

import os
from functools import cache

import pytest
from mpi4py import MPI

from lisse.solver.config.schema import load_case, resolve
from lisse.solver.errors import SolverError, UserError
from lisse.solver.io import evolution_plots
from lisse.solver.studies.ccd import ccd_search
from lisse.solver.studies.model import check_supported
from lisse.units import A_M2_PER_MA_CM2
from tests.helpers import ROOT
from tests.verification.test_ccd_validation import MEASURED, POINTS, STUDY, reduced

CAPACITY_MAH_CM2 = 0.01
COUPLED = ("evolution.interface_model=coupled", "evolution.supply.vacancy=false",
           f"evolution.ccd.capacity_mAh_cm2={CAPACITY_MAH_CM2}",
           "evolution.ccd.start_mA_cm2=10", "evolution.ccd.rtol=0.25")
FINE = ("geometry.mesh.interface_size_um=0.75", "geometry.mesh.edge_size_um=0.25")  # h/2
ZERO_P = ("not computable by the coupled model: zero stack pressure is refused "
          "(evolution.stack_pressure_MPa > 0 required)")


def mA(value: float) -> float:
    """A current density [A/m²] in mA/cm²."""
    return value / A_M2_PER_MA_CM2


def coupled_params(point, extra: tuple[str, ...] = ()):
    electrolyte, pressure, celsius = point
    case = load_case(ROOT / "configs" / "studies" / STUDY[electrolyte],
                     [f"evolution.stack_pressure_MPa={pressure}", f"temperature_C={celsius}",
                      *COUPLED, *extra])
    return resolve(case)


@cache
def coupled(point, extra: tuple[str, ...] = ()):
    """(CcdResult or None, note): the coupled model's CCD search at ``point``."""
    if point[1] <= 0:
        return None, ZERO_P
    try:
        result = ccd_search(coupled_params(point, extra), MPI.COMM_WORLD)
    except SolverError as exc:
        return None, f"not computable by the coupled model: the search stopped ({exc})"
    failure = result.failure_criterion.replace("_", " ").replace("cutoff", "cut-off")
    if not result.interface_failure:
        failure += ", interface intact"
    return result, f"{failure}; {CAPACITY_MAH_CM2:g} mAh/cm² per trial, no vacancy route"


def test_zero_pressure_points_are_refused():
    """The 0 MPa rows are refused (one line naming the field), not silently moved."""
    zero = [p for p in POINTS if p[1] <= 0]
    assert zero
    for point in zero:
        with pytest.raises(UserError, match="evolution.stack_pressure_MPa"):
            check_supported(coupled_params(point), "ccd")


@pytest.mark.long  # ~23 min: the Li6PS5Cl searches end at the cut-off after many trials
def test_coupled_ccd_column(validation):
    for point in POINTS:
        result, note = coupled(point)
        if result is not None:
            assert result.bracket[0] < result.bracket[1]
        for cell in dict.fromkeys(m.cell for m in MEASURED
                                  if (m.electrolyte, m.pressure_MPa, m.temperature_C) == point):
            measured = [m.ccd_mA_cm2 for m in MEASURED if m.cell == cell
                        and (m.electrolyte, m.pressure_MPa, m.temperature_C) == point]
            validation.record(
                f"Coupled CCD without the cavity criterion (superseded), {cell} "
                f"{point[1]:g} MPa", f"measured {', '.join(f'{v:g}' for v in measured)} "
                "mA/cm²", "issue 13 table", "reported",
                "not computable" if result is None else
                f"{mA(result.ccd):.3g} [{mA(result.bracket[0]):.3g}, "
                f"{mA(result.bracket[1]):.3g}) mA/cm²", note, True)


TREND = {"Li6PS5Cl": (3.0, 7.0), "LLZO": (1.0, 2.0)}  # MPa; LLZO 0 MPa is not computable


@pytest.mark.long  # LLZO ~3 min idle (5.4 min at load 4): the table's cells at 1 V cut-off;
# (the suite's small-cell pressure trend at 0.05/0.1 MPa was a step artefact and is gone:
# tests/integration/test_coupled_ccd.py::test_coupled_ccd_keeps_contact_at_low_pressure)
@pytest.mark.parametrize("electrolyte", [
    pytest.param("LLZO", marks=pytest.mark.xfail(
        strict=True, reason="rerun 2026-12-04 on main 199269a: 1 and 2 MPa both end at the "
        "same 1 V cut-off of an intact cell, 33.6 [33.6, 40) mA/cm² (the 1 MPa search gave "
        "28.3 before; docs/ccd_validation.md)")),
    pytest.param("Li6PS5Cl", marks=[pytest.mark.long, pytest.mark.xfail(
        strict=True, reason="3 and 7 MPa both end at the same 1 V cut-off of an intact cell, "
        "56.6 [56.6, 67.3) mA/cm² (docs/ccd_validation.md)")])])
def test_coupled_ccd_against_pressure(electrolyte, validation):
    """Issue 13: does the coupled CCD rise with stack pressure? A rise counts only if the
    brackets are disjoint (CCD(high) ≥ the failing end of the bracket at low pressure).
    LLZO 1 → 2 MPa: it did by one bisection step (brackets touching) until the 1 MPa search
    reached the same 1 V cut-off bracket as 2 MPa (strict xfail now); Li6PS5Cl 3 → 7 MPa: it
    does not (same cut-off bracket; strict xfail)."""
    low, high = ((electrolyte, p, 25.0) for p in TREND[electrolyte])
    (a, note_a), (b, note_b) = coupled(low), coupled(high)
    assert a is not None and b is not None, (note_a, note_b)
    rises = b.ccd >= a.bracket[1]
    validation.record(
        f"Coupled CCD against pressure, Li/{electrolyte} (issue 13)",
        "CCD rises with stack pressure (disjoint search brackets)", "issue 13 acceptance",
        "bisection rtol 0.25",
        f"{low[1]:g} MPa: {mA(a.ccd):.3g} [{mA(a.bracket[0]):.3g}, {mA(a.bracket[1]):.3g}) "
        f"({note_a.split(';')[0]}); {high[1]:g} MPa: {mA(b.ccd):.3g} "
        f"[{mA(b.bracket[0]):.3g}, {mA(b.bracket[1]):.3g}) mA/cm² ({note_b.split(';')[0]})",
        "shipped axisymmetric cell, coupled model", rises)
    assert rises, (a, b)


@pytest.mark.long  # the h/2 search alone takes ~3 min
def test_coupled_ccd_mesh_sensitivity(validation):
    """The coupled CCD at Li/LLZO, 2 MPa on the shipped mesh (interface 1.5 µm, 0.5 µm at
    the void edges) and on h/2 (0.75, 0.25 µm)."""
    point = ("LLZO", 2.0, 25.0)
    (h, _), (h2, _) = coupled(point), coupled(point, FINE)
    assert h is not None and h2 is not None
    overlap = h.bracket[0] < h2.bracket[1] and h2.bracket[0] < h.bracket[1]
    validation.record(
        "Coupled CCD mesh sensitivity, Li/LLZO 2 MPa (issue 13)",
        "CCD on h and h/2 within the search precision (overlapping brackets)", "issue 13",
        "bisection rtol 0.25",
        f"h: {mA(h.ccd):.3g} [{mA(h.bracket[0]):.3g}, {mA(h.bracket[1]):.3g}); h/2: "
        f"{mA(h2.ccd):.3g} [{mA(h2.bracket[0]):.3g}, {mA(h2.bracket[1]):.3g}) mA/cm²; "
        f"h/2 vs h {h2.ccd / h.ccd - 1:+.2g}",
        "interface 1.5/0.5 µm vs 0.75/0.25 µm", overlap)
    assert overlap, (h.bracket, h2.bracket)


@pytest.mark.long
def test_ccd_figure_reduced_and_coupled():
    """CCD against stack pressure: measurements, the reduced model's and the coupled model's
    predictions (the points each can compute): build/ccd_models_<electrolyte>.png, with
    LISSE_WRITE_DOCS=1 also docs/figures/."""
    folders = [ROOT / "build"]
    if os.environ.get("LISSE_WRITE_DOCS") == "1":
        folders.append(ROOT / "docs" / "figures")
    for electrolyte in STUDY:
        points = [p for p in POINTS if p[0] == electrolyte]
        models = {}
        for label, search in (("reduced model", reduced),
                              (f"coupled model ({CAPACITY_MAH_CM2:g} mAh/cm² trials)",
                               lambda p: coupled(p)[0])):
            done = [(p[1], r) for p in points if (r := search(p)) is not None]
            models[label] = ([x for x, _ in done], [mA(r.ccd) for _, r in done],
                             [tuple(mA(v) for v in r.bracket) for _, r in done])
        measured = [(m.pressure_MPa, m.ccd_mA_cm2, m.label) for m in MEASURED
                    if m.electrolyte == electrolyte]
        for folder in folders:
            folder.mkdir(exist_ok=True)
            evolution_plots.ccd_models(folder / f"ccd_models_{electrolyte}.png",
                                       "evolution.stack_pressure_MPa", models, measured,
                                       formats=("png",))
