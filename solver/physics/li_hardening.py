"""Strain hardening of the creeping Li body: the Anand model's deformation resistance S
(``lithium.creep_law: anand``; issue 12, docs/moving_interface.md "Anand hardening").

Flow rule (Anand & Narayan, J. Electrochem. Soc. 2019; the power-law form of the Anand model):

    ε̇p = ε̇0 (σ_eq/S)^(1/m),   ε̇0 = A exp(−Q/RT),

the library's power law with its reference stress S (= S0 at the start, ``creep_reference_
stress_MPa``) turned into a state variable that evolves with the plastic strain,

    Ṡ = H0 |1 − S/S*|^a sign(1 − S/S*) ε̇p,   S* = S̃ (ε̇p/ε̇0)^ns

(hardening towards the rate-dependent saturation S*; H0 = 0 is the power law). The Li body
(``solver.physics.lithium_body``) is a viscous updated-Lagrangian flow whose all strain rate
is plastic, ε̇p = ε̇_eq of the flow; S is its one state variable, stored per cell (DG0) on the
Li mesh, which moves with the material (no transfer). ``LithiumBody.strength`` = S/S0 scales
its flow potential, so within a step the flow is the power law with a per-cell strength.

Update (after each step, on the step's midpoint configuration, ``LithiumBody.step_hooks``):
ε̇p per cell from the converged flow, S* and ε̇p frozen over the step, and the hardening law
integrated exactly in the plastic strain Δε = ε̇p Δt: with u = 1 − S/S*,
du/dε = −(H0/S*)|u|^a sign u, so

    |u₁|^(1−a) = |u₀|^(1−a) + (a − 1) H0 Δε / S*   (a ≠ 1),   u₁ = u₀ exp(−H0 Δε/S*)   (a = 1),

S₁ = S*(1 − u₁): S moves monotonically towards S* and never overshoots it, for any Δt. The
error is the explicit (start-of-step) S in the step's flow: first order in Δt·Ṡ/S.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the config imports this module for AnandHardening: no DOLFINx at load
    from lisse.solver.physics.lithium_body import LithiumBody


@dataclass(frozen=True)
class AnandHardening:
    """Hardening parameters (SI): H0 [Pa], S̃ [Pa], ns, a."""

    modulus: float  # H0
    saturation: float  # S̃
    saturation_exponent: float  # ns
    exponent: float  # a


def harden(s: np.ndarray, strain: np.ndarray, rate: np.ndarray, rate0: float,
           law: AnandHardening) -> np.ndarray:
    """S after a plastic strain increment ``strain`` at the plastic strain rate ``rate``
    [1/s] (S* frozen), exact for the law of the module docstring; S in Pa."""
    moving = strain > 0
    target = law.saturation * (np.maximum(rate, 1e-300) / rate0) ** law.saturation_exponent
    u0 = np.where(moving, 1 - s / target, 0.0)
    step = np.where(moving, law.modulus * strain / target, 0.0)
    if law.exponent == 1:
        u1 = u0 * np.exp(-step)
    else:
        a = law.exponent
        with np.errstate(divide="ignore"):
            base = np.abs(u0) ** (1 - a) + (a - 1) * step if a > 1 else np.maximum(
                np.abs(u0) ** (1 - a) + (a - 1) * step, 0.0)
            u1 = np.sign(u0) * base ** (1 / (1 - a))
    return np.where(moving, target * (1 - u1), s)


class Hardening:
    """The deformation resistance S of a ``LithiumBody`` (per cell), advanced after each of
    its steps. ``s0`` [Pa] is the body's reference stress σ0 (the initial S), ``rate0``
    [1/s] its ε̇0 = A exp(−Q/RT)."""

    def __init__(self, body: LithiumBody, law: AnandHardening, s0: float, rate0: float):
        import ufl
        from dolfinx import fem

        from lisse.solver.physics.lithium_body import strain_rate

        # a weak reference: the body holds this object through its step hook, and a cycle
        # body → hook → Hardening → body would leave the body (its PETSc objects, destroyed
        # collectively) to the cyclic garbage collector, which runs at different times on
        # different ranks (the deadlock of a 2-rank multi-point study; li_output docstring)
        self._body, self.law, self.s0, self.rate0 = weakref.ref(body), law, s0, rate0
        space = body.strength.function_space
        v = ufl.split(body.w)[0]
        eps = strain_rate(v, ufl.SpatialCoordinate(body.msh)[0], body.axisymmetric)
        self._rate = fem.Expression(ufl.sqrt(2.0 / 3.0 * ufl.inner(eps, eps)),
                                    space.element.interpolation_points)
        self._cell_rate = fem.Function(space)
        body.step_hooks.append(self.advance)

    @property
    def body(self) -> LithiumBody:
        return self._body()

    def resistance(self) -> np.ndarray:
        """S per cell (local + ghost) [Pa]."""
        return self.body.strength.x.array * self.s0

    def advance(self, dt: float) -> None:
        """S after the body's step of length dt (its flow solved on the midpoint mesh)."""
        self._cell_rate.interpolate(self._rate)
        rate = np.abs(self._cell_rate.x.array) * self.body.rate_scale
        s = harden(self.resistance(), rate * dt, rate, self.rate0, self.law)
        self.body.strength.x.array[:] = s / self.s0
        self.body.strength.x.scatter_forward()
