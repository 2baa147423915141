"""Constitutive updates at quadrature points: isotropic elasticity and J2 power-law creep.

Small strain, additive split ε = εᵉ + εᶜ, stress σ = K tr(εᵉ) I + 2G dev(εᵉ). Creep is
isochoric J2 flow with the power law (strain rate in 1/s, stresses in Pa)

    ε̇ᶜ = (3/2) ε̇_eq s / σ_eq,    ε̇_eq = ε̇₀ (σ_eq / S)ⁿ,    ε̇₀ = A exp(−Q / RT),

σ_eq = √(3/2 s:s) the von Mises stress, s = dev σ. Time integration is backward Euler
(radial return): with the elastic trial stress s* = 2G(dev ε − εᶜₙ), σ* = √(3/2 s*:s*), the
updated von Mises stress σ solves the scalar equation

    (σ* − σ) / 3G = Δt ε̇₀ (σ / S)ⁿ,        0 ≤ σ ≤ σ*,

(safeguarded Newton, vectorised over points), then s = (σ/σ*) s*, Δεᶜ = (3/2)(σ*−σ)/(3G)
s*/σ*. The consistent (algorithmic) tangent has the isotropic J2 structure

    C = K 1⊗1 + 2G r I_dev + (4/3) G (β − r) N⊗N,
    r = σ/σ*,  N = (3/2) s*/σ*,  β = 1 / (1 + 3G Δt ε̇₀ n σⁿ⁻¹/Sⁿ).

Tensors are Mandel vectors: (xx, yy, zz, √2 xy) in plane strain and axisymmetric cells (zz
is the out-of-plane or hoop component), (xx, yy, zz, √2 xy, √2 xz, √2 yz) in 3D, so that
double contractions are dot products. ``Constitutive`` is the interface a model offers to
``solver.physics.mechanics``; a hardening (Anand-type) model returns the same ``Tangent`` structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lisse.solver.config.params import GAS_CONSTANT


def identity(ncomp: int) -> np.ndarray:
    """The Mandel vector of the identity tensor."""
    one = np.zeros(ncomp)
    one[:3] = 1.0
    return one


def deviator(v: np.ndarray) -> np.ndarray:
    """dev v = v − (tr v / 3) I for Mandel vectors of shape (m, ncomp)."""
    return v - (v[:, :3].sum(axis=1, keepdims=True) / 3.0) * identity(v.shape[1])


def von_mises(stress: np.ndarray) -> np.ndarray:
    """σ_eq = √(3/2 s:s) [Pa] of Mandel stress vectors, shape (m, ncomp)."""
    s = deviator(stress)
    return np.sqrt(1.5 * np.einsum("ij,ij->i", s, s))


def mandel_to_tensor(v: np.ndarray) -> np.ndarray:
    """Full symmetric 3×3 tensors (m, 3, 3) from Mandel vectors (m, 4) or (m, 6)."""
    t = np.zeros((v.shape[0], 3, 3))
    for k in range(3):
        t[:, k, k] = v[:, k]
    pairs = [(0, 1), (0, 2), (1, 2)][: v.shape[1] - 3]
    for k, (i, j) in enumerate(pairs):
        t[:, i, j] = t[:, j, i] = v[:, 3 + k] / np.sqrt(2.0)
    return t


@dataclass
class Tangent:
    """Stress and algorithmic tangent at m points:
    C = bulk 1⊗1 + shear2 I_dev + rank1 N⊗N (bulk [Pa] scalar; shear2, rank1 [Pa] per point;
    direction N per point, deviatoric Mandel vectors)."""

    stress: np.ndarray  # (m, ncomp) [Pa]
    bulk: float
    shear2: np.ndarray  # (m,)
    rank1: np.ndarray  # (m,)
    direction: np.ndarray  # (m, ncomp)


class Constitutive:
    """A material model at quadrature points. ``update`` returns the stress and tangent for a
    total strain at the end of a step of length ``dt`` [s] without changing the state;
    ``commit`` accepts the last update as the new state (call it once a step has
    converged)."""

    bulk_modulus: float
    shear_modulus: float

    def allocate(self, npoints: int, ncomp: int) -> None:
        """Set up the state for ``npoints`` points (zero strain, stress-free)."""

    def update(self, strain: np.ndarray, dt: float) -> Tangent:
        raise NotImplementedError

    def commit(self) -> None:
        """Accept the state of the last update."""

    def creep_strain(self) -> np.ndarray:
        """Accumulated equivalent creep strain ∫ ε̇_eq dt per point (committed state)."""
        raise NotImplementedError


class LinearElastic(Constitutive):
    """Isotropic linear elasticity: E [Pa], ν."""

    def __init__(self, youngs_modulus: float, poisson_ratio: float):
        self.youngs_modulus, self.poisson_ratio = youngs_modulus, poisson_ratio
        self.bulk_modulus = youngs_modulus / (3.0 * (1.0 - 2.0 * poisson_ratio))
        self.shear_modulus = youngs_modulus / (2.0 * (1.0 + poisson_ratio))
        self._npoints = 0

    def allocate(self, npoints: int, ncomp: int) -> None:
        self._npoints = npoints

    def update(self, strain: np.ndarray, dt: float) -> Tangent:
        m, ncomp = strain.shape
        vol = strain[:, :3].sum(axis=1, keepdims=True)
        stress = self.bulk_modulus * vol * identity(ncomp) + 2 * self.shear_modulus * deviator(
            strain
        )
        return Tangent(
            stress,
            self.bulk_modulus,
            np.full(m, 2 * self.shear_modulus),
            np.zeros(m),
            np.zeros((m, ncomp)),
        )

    def creep_strain(self) -> np.ndarray:
        return np.zeros(self._npoints)


class PowerLawCreep(LinearElastic):
    """Elastic–viscoplastic J2 power-law creep (see the module docstring).

    prefactor A [1/s], activation_energy Q [J/mol], reference_stress S [Pa], exponent n,
    temperature T [K]: ε̇_eq = A exp(−Q/RT) (σ_eq/S)ⁿ.
    """

    def __init__(
        self,
        youngs_modulus: float,
        poisson_ratio: float,
        prefactor: float,
        activation_energy: float,
        reference_stress: float,
        exponent: float,
        temperature: float,
    ):
        super().__init__(youngs_modulus, poisson_ratio)
        self.rate = prefactor * np.exp(-activation_energy / (GAS_CONSTANT * temperature))
        self.reference_stress, self.exponent = reference_stress, exponent
        self.allocate(0, 4)

    def allocate(self, npoints: int, ncomp: int) -> None:
        super().allocate(npoints, ncomp)
        self.eps_creep = np.zeros((npoints, ncomp))
        self.p = np.zeros(npoints)
        self._trial = (self.eps_creep, self.p)

    def equivalent_rate(self, sigma_eq):
        """ε̇_eq(σ_eq) [1/s]."""
        return self.rate * (np.asarray(sigma_eq) / self.reference_stress) ** self.exponent

    def update(self, strain: np.ndarray, dt: float) -> Tangent:
        m, ncomp = strain.shape
        K, G, n = self.bulk_modulus, self.shear_modulus, self.exponent
        s_trial = 2 * G * (deviator(strain) - self.eps_creep)
        q_trial = np.sqrt(1.5 * np.einsum("ij,ij->i", s_trial, s_trial))
        q = self._return_stress(q_trial, dt)
        active = q_trial > 0
        safe = np.where(active, q_trial, 1.0)
        ratio = np.where(active, q / safe, 1.0)
        direction = 1.5 * s_trial / safe[:, None] * active[:, None]
        dp = (q_trial - q) / (3 * G)
        # dφ/dσ of φ(σ) = Δt ε̇₀ (σ/S)ⁿ, written with φ(σ) = Δp to avoid overflow
        slope = np.where(q > 0, n * dp / np.where(q > 0, q, 1.0), 0.0)
        beta = 1.0 / (1.0 + 3 * G * slope)
        self._trial = (self.eps_creep + dp[:, None] * direction, self.p + dp)
        vol = strain[:, :3].sum(axis=1, keepdims=True)
        stress = K * vol * identity(ncomp) + ratio[:, None] * s_trial
        return Tangent(stress, K, 2 * G * ratio, 4.0 / 3.0 * G * (beta - ratio), direction)

    def _return_stress(self, q_trial: np.ndarray, dt: float, rtol: float = 1e-13) -> np.ndarray:
        """σ in [0, σ*] solving f(σ) = (σ* − σ)/3G − Δt ε̇₀ (σ/S)ⁿ = 0 (f decreasing)."""
        if dt <= 0 or q_trial.size == 0:
            return q_trial.copy()
        G3, n, S = 3 * self.shear_modulus, self.exponent, self.reference_stress
        c = dt * self.rate
        lo, hi = np.zeros_like(q_trial), q_trial.copy()
        # start from the smaller of σ* and the purely viscous estimate S (σ*/(3G c))^(1/n)
        q = np.minimum(q_trial, S * (q_trial / (G3 * c)) ** (1.0 / n))
        for _ in range(200):
            creep = c * (q / S) ** n
            f = (q_trial - q) / G3 - creep
            lo = np.where(f > 0, q, lo)
            hi = np.where(f < 0, q, hi)
            df = -1.0 / G3 - n * creep / np.where(q > 0, q, 1.0)
            step = q - f / df
            bad = (step <= lo) | (step >= hi) | ~np.isfinite(step)
            new = np.where(bad, 0.5 * (lo + hi), step)
            if np.all(np.abs(new - q) <= rtol * q_trial):
                return new
            q = new
        raise FloatingPointError("creep return mapping did not converge")

    def commit(self) -> None:
        self.eps_creep, self.p = self._trial

    def creep_strain(self) -> np.ndarray:
        return self.p
