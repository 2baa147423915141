"""Verification of the Anand hardening of the Li body (solver/physics/li_hardening.py).

Homogeneous creep with hardening: a block on the rigid obstacle under the pressure p on its
top (free side; ``block_body`` of test_lithium_body) flows homogeneously with, in plane
strain, σ_eq = (√3/2) p, ε̇_yy = −(√3/2) ε̇p, so the height is H = H0 exp(−(√3/2) εp), and
axisymmetric (a disk, uniaxial compression) σ_eq = p, ε̇_yy = −ε̇p, H = H0 exp(−εp); in 3D
(test_li_sticking_3d's ``slab`` of 1 × 0.5 × 1 with the faces x = 0, y = 0 symmetry planes
and x = 1, y = 0.5 free: uniaxial compression) as axisymmetric; every cell has the same S.
The exact history is the ODE pair

    dεp/dt = ε̇0 (σ_eq/S)^(1/m),   dS/dt = H0 |1 − S/S*|^a sign(1 − S/S*) dεp/dt,
    S* = S̃ (ε̇p/ε̇0)^ns,

integrated by RK4 in fine steps (a single-point Anand creep curve at constant stress). The body
takes S explicitly from the start of each step (first order in Δt): the error must halve when
Δt halves (measured, plane strain: εp 3.5 %, 1.7 %, 0.8 % and S 0.6 %, 0.3 %, 0.14 % at 8,
16, 32 steps; axisymmetric, the hoop strain rate entering ε̇p: εp 2.0 %, 0.95 %, 0.47 % and
S 0.37 %, 0.18 %, 0.09 % at 16, 32, 64 steps; 3D: the axisymmetric errors to 1e-10), and be
below 1 % at 32 steps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpi4py import MPI

from lisse.solver.physics.li_hardening import AnandHardening, Hardening, harden
from tests.verification.test_li_sticking_3d import slab
from tests.verification.test_lithium_body import block_body

N, P, T_END = 3.0, 1.0, 0.8  # σ0 = ε̇0 = 1 (scaled units of block_body; slab's p is 1)
LAW = AnandHardening(modulus=5.0, saturation=2.0, saturation_exponent=0.05, exponent=2.0)


# σ_eq/p and −ε̇_yy/ε̇p of the homogeneous flow (module docstring)
STRESS = {"plane": math.sqrt(3) / 2, "axisymmetric": 1.0, "3d": 1.0}


def exact(t_end: float, geometry: str = "plane", steps: int = 20000) -> tuple[float, float]:
    """(εp, S) at t_end by RK4 on the ODE pair of the module docstring."""
    sigma = STRESS[geometry] * P

    def f(y):
        rate = (sigma / y[1]) ** N
        u = 1 - y[1] / (LAW.saturation * rate**LAW.saturation_exponent)
        return np.array([rate, LAW.modulus * abs(u) ** LAW.exponent * np.sign(u) * rate])

    y, h = np.array([0.0, 1.0]), t_end / steps
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + h * k1 / 2)
        k3 = f(y + h * k2 / 2)
        k4 = f(y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return float(y[0]), float(y[1])


def simulate(steps: int, geometry: str = "plane") -> tuple[float, float, float]:
    """(εp from the height, mean S, S spread) of the block after T_END in ``steps`` steps."""
    body = (slab(1.0, False, plate=False, n=N, uniaxial=True)[0] if geometry == "3d"
            else block_body(geometry, N, P))
    Hardening(body, LAW, 1.0, 1.0)

    def height() -> float:
        return body.comm.allreduce(float(np.max(body.msh.geometry.x[:, body.up])), op=MPI.MAX)

    height0 = height()
    for _ in range(steps):
        body.step(T_END / steps)
    s = body.strength.x.array
    return (-math.log(height() / height0) / STRESS[geometry], float(np.mean(s)),
            float(np.ptp(s)))


def test_harden_is_exact_in_one_step():
    """The closed-form update composes: one step of Δε equals many small ones (S* frozen),
    and S never passes S*."""
    s, rate = np.array([0.95e6, 3e6]), np.array([0.1, 0.1])
    law = AnandHardening(10e6, 2e6, 0.05, 2.0)
    one = harden(s, rate * 10, rate, 0.0139, law)
    many = s.copy()
    for _ in range(1000):
        many = harden(many, rate * 1e-2, rate, 0.0139, law)
    np.testing.assert_allclose(one, many, rtol=1e-12)
    target = 2e6 * (0.1 / 0.0139) ** 0.05
    assert one[0] < target < one[1]  # from below and from above, not past S*
    np.testing.assert_array_equal(harden(s, 0 * rate, 0 * rate, 0.0139, law), s)


@pytest.mark.slow
@pytest.mark.parametrize("geometry", ["plane", "axisymmetric", "3d"])
def test_homogeneous_creep_with_hardening(validation, geometry):
    ep, s_exact = exact(T_END, geometry)
    errors = []
    for steps in (16, 32):
        strain, s, spread = simulate(steps, geometry)
        assert spread <= 1e-9 * s  # homogeneous: one S in every cell
        errors.append((abs(strain / ep - 1), abs(s / s_exact - 1)))
    (e16, s16), (e32, s32) = errors
    assert 1.6 < e16 / e32 < 2.4 and 1.6 < s16 / s32 < 2.4  # first order in Δt
    assert e32 < 0.01 and s32 < 0.01
    assert s_exact > 1.2  # it hardened: S/S0 (the power law would keep 1)
    validation.record(f"Anand hardening, homogeneous creep at constant stress (32 steps, "
                      f"{geometry})",
                      f"εp = {ep:.4f}, S/S0 = {s_exact:.4f}", "RK4 of the Anand ODE pair",
                      "1 %", f"{e32:.1e} (εp), {s32:.1e} (S)",
                      ("2×1×2 P2 box, 3d" if geometry == "3d" else f"8×4 block, {geometry}")
                      + "; error halves with Δt", e32 < 0.01)
