"""The linear tolerances of the mechanics' inexact Newton (``Mechanics._forcing``): a tenth of
the last contraction, at most ETA_MAX; the iteration expected to be the last one solved to a
tenth of the Newton tolerance (uncapped, below 0.1); the elastic response to krylov_rtol."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lisse.solver.config.params import Numerics
from lisse.solver.physics.mechanics import ETA_MAX, SHARE, Mechanics

TOL = 1e-8  # Newton tolerance (absolute, in units of the load)


def _eta(dt, norm, previous, krylov_rtol=1e-8):
    mech = SimpleNamespace(numerics=Numerics(linear_solver="iterative",
                                             krylov_rtol=krylov_rtol))
    return Mechanics._forcing(mech, dt, norm, previous, TOL)


def test_first_iterations():
    assert _eta(0.0, 1.0, None) == 1e-8  # elastic response: krylov_rtol
    assert _eta(1.0, 5e-2, None) == ETA_MAX  # first iteration of a creep step


def test_a_tenth_of_the_contraction():
    assert _eta(1.0, 2e-3, 5e-2) == pytest.approx(SHARE * 0.04)  # pre-asymptotic: c = 0.04
    assert _eta(1.0, 4e-2, 5e-2) == ETA_MAX  # slow contraction: capped
    assert _eta(1.0, 2e-3, 5e-2, krylov_rtol=1e-2) == 1e-2  # never below krylov_rtol


def test_expected_last_iteration():
    # ‖R‖²/‖R_prev‖ ≤ 10 tol: solved to 0.1 tol/‖R‖ (a tenth of the Newton tolerance)
    assert _eta(1.0, 2.3e-6, 6.1e-5) == pytest.approx(0.1 * TOL / 2.3e-6)
    # just above the tolerance: looser than ETA_MAX, still a tenth of the tolerance
    assert _eta(1.0, 1.1e-8, 2.3e-6) == pytest.approx(0.1 / 1.1)
