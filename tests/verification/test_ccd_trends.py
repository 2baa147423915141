"""Issue 13: the stripping CCD rises with stack pressure and with temperature for Li/LLZO and
Li/Li6PS5Cl, and the ratio CCD(high p)/CCD(low p) against the ratio the cited experiments
report (docs/ccd_validation.md, "Trends").

Model: the reduced interface model (fixed mesh, isolated-void creep closure, vacancy route)
on the shipped axisymmetric unit cells (``configs/studies/ccd_*_axisymmetric.yaml``), each
CCD one ``lisse ccd`` bisection to rtol 0.25; the coupled model is not used (its CCDs are
not mesh-converged yet, docs/moving_interface.md). A rise counts only if the two search
brackets are disjoint: CCD(high) ≥ upper end of the bracket of CCD(low); a ratio is within
×2 of a measured one only if its whole range from the two brackets is.

Pressures are those of the measurements the ratio is compared with: LLZO 0 → 2 MPa (Wang,
Choudhury & Sakamoto 2019: 0.1 → 0.4 mA/cm², ratio 4 [S]) and Li6PS5Cl 3 → 7 MPa
(Kasemchainan et al. 2019: 0.2 → 1.0 mA/cm², ratio 5 [S]), plus Li6PS5Cl at 5 MPa, where
the interface still fails (at 7 MPa the search ends at the 1 V cut-off of an intact cell).
Temperature: 25 → 60 °C at the low pressure. At 0 MPa (LLZO) there is no creep and the
CCD is the vacancy limit j_vac ∝ D*(T): the ratio must be the Arrhenius factor of D*
(asserted within the brackets). The temperature rise comes from the Arrhenius
factors of the Li self-diffusivity (its activation energy, 53 kJ/mol, is marked
"assumption" in the library) and of the Li creep law (37 kJ/mol, secondary); no CCD
measured at two temperatures with its stack pressure was found to compare it with.

The pressure ratios miss the measured ones by more than ×2 (the LLZO ratio is too small,
the Li6PS5Cl one far too large: bulk creep makes the supply ∝ pⁿ, n = 6.67); the test that
would accept them is a strict xfail, so a model that fixes the slope turns it into a pass
that must be looked at.
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

from lisse.solver.config.schema import load_case, resolve
from lisse.solver.studies.ccd import ccd_search
from lisse.units import A_M2_PER_MA_CM2, kelvin
from tests.helpers import ROOT

# ~35 s (eleven bisections of the reduced model, superseded by the coupled model's cavity
# criterion, docs/ccd_validation.md): beyond the suite budget (make test-long)
pytestmark = pytest.mark.long

STUDY = {"LLZO": "ccd_llzo_axisymmetric.yaml", "Li6PS5Cl": "ccd_lpscl_axisymmetric.yaml"}
ROOM_C, HOT_C = 25.0, 60.0
RTOL = 0.25
# (low p, high p, measured CCD at low and high p [mA/cm²], source) per electrolyte
MEASURED = {
    "LLZO": (0.0, 2.0, 0.1, 0.4, "Wang, Choudhury & Sakamoto, Joule 2019, "
             "doi:10.1016/j.joule.2019.06.017 [S]"),
    "Li6PS5Cl": (3.0, 7.0, 0.2, 1.0, "Kasemchainan et al., Nat. Mater. 2019, "
                 "doi:10.1038/s41563-019-0438-9 [S]"),
}
EXTRA_PRESSURES = {"LLZO": (), "Li6PS5Cl": (5.0,)}
FACTOR = 2.0  # the "within a factor of 2" applied to the ratio


def points(electrolyte: str) -> list[tuple[float, float]]:
    low, high = MEASURED[electrolyte][:2]
    pressures = sorted({low, high, *EXTRA_PRESSURES[electrolyte]})
    return [(p, ROOM_C) for p in pressures] + [(low, HOT_C)]


@pytest.fixture(scope="module")
def searches():
    """search(electrolyte, pressure [MPa], temperature [°C]) -> CcdResult, each run once."""
    cache = {}

    def search(electrolyte: str, pressure: float, celsius: float):
        key = (electrolyte, pressure, celsius)
        if key not in cache:
            case = load_case(ROOT / "configs" / "studies" / STUDY[electrolyte],
                             [f"evolution.stack_pressure_MPa={pressure}",
                              f"temperature_C={celsius}", f"evolution.ccd.rtol={RTOL}"])
            cache[key] = ccd_search(resolve(case), MPI.COMM_WORLD)
        return cache[key]

    return search


def mA(value: float) -> float:
    return value / A_M2_PER_MA_CM2


def rises(lower, higher) -> bool:
    """The CCD of ``higher`` lies above the whole bracket of ``lower``."""
    return higher.ccd >= lower.bracket[1]


@pytest.mark.slow
@pytest.mark.parametrize("electrolyte", sorted(STUDY))
def test_ccd_rises_with_pressure_and_temperature(electrolyte, searches, validation):
    low = MEASURED[electrolyte][0]
    room = [(p, searches(electrolyte, p, c)) for p, c in points(electrolyte) if c == ROOM_C]
    for (_, a), (_, b) in zip(room, room[1:], strict=False):
        assert rises(a, b), [(p, mA(r.ccd)) for p, r in room]
    cold, hot = searches(electrolyte, low, ROOM_C), searches(electrolyte, low, HOT_C)
    assert rises(cold, hot), (mA(cold.ccd), mA(hot.ccd))
    span = (hot.ccd / cold.bracket[1], hot.bracket[1] / cold.ccd)
    note = ""
    if low == 0:  # no creep without pressure: the CCD is the vacancy limit, ∝ D*(T)
        vacancy = resolve(load_case(ROOT / "configs" / "studies" / STUDY[electrolyte])
                          ).evolution.vacancy
        factor = vacancy.diffusivity(kelvin(HOT_C)) / vacancy.diffusivity(kelvin(ROOM_C))
        assert span[0] <= factor <= span[1], (span, factor)
        note = f", D* Arrhenius factor {factor:.3g} inside the bracket range"
    value = "; ".join(f"{p:g} MPa: {mA(r.ccd):.3g} ({r.failure_criterion.replace('_', ' ')})"
                      for p, r in room)
    validation.record(
        f"CCD trend, Li/{electrolyte} (issue 13)",
        "CCD rises with stack pressure and temperature (disjoint search brackets)",
        "issue 13 acceptance", f"bisection rtol {RTOL}",
        f"25 °C: {value} mA/cm²; {low:g} MPa at {HOT_C:g} °C: {mA(hot.ccd):.3g} mA/cm² "
        f"(×{span[0]:.2g}-{span[1]:.2g} from 25 °C{note})",
        "shipped axisymmetric cell, reduced model", True)


@pytest.mark.slow
@pytest.mark.parametrize("electrolyte", sorted(STUDY))
@pytest.mark.xfail(strict=True, reason="bulk creep gives CCD ∝ pⁿ near the vacancy limit: "
                   "the ratio is off by more than ×2 (docs/ccd_validation.md, Trends)")
def test_pressure_ratio_within_factor_two_of_experiment(electrolyte, searches, validation):
    low, high, measured_low, measured_high, source = MEASURED[electrolyte]
    a, b = searches(electrolyte, low, ROOM_C), searches(electrolyte, high, ROOM_C)
    measured = measured_high / measured_low
    ratio = b.ccd / a.ccd
    # the ratio's range from the two brackets: [b.ccd / a.upper, b.upper / a.ccd]
    span = (b.ccd / a.bracket[1], b.bracket[1] / a.ccd)
    # within ×2 whatever the true CCDs inside their brackets: the whole span inside
    inside = span[0] >= measured / FACTOR and span[1] <= measured * FACTOR
    validation.record(
        f"CCD pressure ratio, Li/{electrolyte} {low:g} → {high:g} MPa (issue 13)",
        f"CCD({high:g})/CCD({low:g}) within ×{FACTOR:g} of the measured {measured:g}",
        source, f"×{FACTOR:g}",
        f"{ratio:.3g} (bracket {span[0]:.3g}-{span[1]:.3g}); predicted/measured "
        f"{ratio / measured:.2g}", "shipped axisymmetric cell, reduced model", inside)
    assert inside, (ratio, span, measured)
