"""Predicted stripping CCDs against published measurements (docs/validation.md, table
"Stripping CCD: predicted against measured"; discussion in docs/interface_evolution.md).

The measurements, at room temperature (taken as 25 °C):

* Li/LLZO: 0.1 mA/cm² without stack pressure and 0.4 mA/cm² at 2 MPa (Wang, Choudhury &
  Sakamoto, Joule 3, 2165, 2019), as quoted by Roy, Fleck & Deshpande, Extreme Mech. Lett.
  46, 101307 (2021); ~0.1 mA/cm² without pressure (Krauskopf et al., ACS Appl. Mater.
  Interfaces 11, 14463, 2019).
* Li/Li6PS5Cl: 0.2 mA/cm² at 3 MPa (Kasemchainan et al., Nat. Mater. 18, 1105, 2019), as
  quoted in secondary sources (the primary text was not available here).

The model is run with the shipped unit cells and default parameters, for both creep-closure
models. What the tests assert is what the docs claim: the measured rise from 0 to 2 MPa on
LLZO is reproduced in direction by both models; the creep-field closure never predicts less
than the isolated-void law; without pressure (the calibrated vacancy route) the model lies
within a factor 3 of the LLZO measurements; with the isolated-void law it under-predicts
LLZO at 2 MPa and over-predicts Li6PS5Cl at 3 MPa by more than 3; the creep-field closure
over-predicts every measurement under pressure by more than 10.
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

from lisse.solver.config.schema import load_case, resolve
from lisse.solver.studies.ccd import ccd_search
from lisse.units import A_M2_PER_MA_CM2
from tests.helpers import ROOT
from tests.verification.test_ccd_validation import params_at, reduced

WANG = "Wang et al. 2019 (via Roy et al. 2021)"
KRAUSKOPF = "Krauskopf et al. 2019"
KASEMCHAINAN = "Kasemchainan et al. 2019 (secondary quote)"
MEASURED = [  # electrolyte, p [MPa], T [°C], CCD [mA/cm²], source
    ("LLZO", 0.0, 25.0, 0.1, WANG),
    ("LLZO", 0.0, 25.0, 0.1, KRAUSKOPF),
    ("LLZO", 2.0, 25.0, 0.4, WANG),
    ("Li6PS5Cl", 3.0, 25.0, 0.2, KASEMCHAINAN),
]
STUDY = {"LLZO": "ccd_llzo_axisymmetric.yaml", "Li6PS5Cl": "ccd_lpscl_axisymmetric.yaml"}
MODELS = ("isolated_void", "creep_field")


def predicted(electrolyte: str, pressure: float, celsius: float, model: str):
    """The CCD [mA/cm²] of the shipped unit cell and the failure mode just above it.

    The study files' own closure model (isolated_void) is the case of the blind CCD table:
    that search is taken from test_ccd_validation's session cache (``reduced``), run once for
    both tests, after checking that the parameters are the same."""
    params = resolve(load_case(
        ROOT / "configs" / "studies" / STUDY[electrolyte],
        [
            f"evolution.stack_pressure_MPa={pressure}",
            f"temperature_C={celsius}",
            f"evolution.supply.creep_closure={model}",
        ],
    ))
    point = (electrolyte, pressure, celsius)
    if params == params_at(point):
        result = reduced(point)
    else:
        result = ccd_search(params, MPI.COMM_WORLD)
    return result.ccd / A_M2_PER_MA_CM2, result.failure_mode


@pytest.fixture(scope="module")
def predictions() -> dict:
    points = {(e, p, t) for e, p, t, _, _ in MEASURED}
    return {(*point, model): predicted(*point, model) for point in points for model in MODELS}


@pytest.mark.slow
def test_ccd_against_measurements(predictions, validation):
    for electrolyte, p, t, measured, source in MEASURED:
        values = {model: predictions[electrolyte, p, t, model][0] for model in MODELS}
        notes = ["no pressure: vacancy route only"] if p == 0 else []
        notes += [
            f"{model} fails by the voltage cut-off"
            for model in MODELS
            if "cut-off" in predictions[electrolyte, p, t, model][1]
        ]
        note = "; ".join(notes)
        validation.experiment(f"Li/{electrolyte}", p, t, measured, source, values, note)
        assert values["creep_field"] >= values["isolated_void"] * (1 - 1e-9)
        ratio = values["isolated_void"] / measured
        if p == 0:  # the calibrated vacancy route
            assert 1 / 3 < ratio < 3, (electrolyte, p, ratio)
        elif electrolyte == "LLZO":  # the isolated-void law under-predicts at 2 MPa
            assert ratio < 1, (electrolyte, p, ratio)
        else:  # and over-predicts Li6PS5Cl at 3 MPa
            assert ratio > 3, (electrolyte, p, ratio)
        if p > 0:
            assert values["creep_field"] / measured > 10
    for model in MODELS:  # measured: 0.1 → 0.4 mA/cm² from 0 to 2 MPa
        assert predictions["LLZO", 2.0, 25.0, model][0] > predictions["LLZO", 0.0, 25.0, model][0]
