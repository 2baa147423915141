"""Li pressure in a plated slit flaw over time, with extrusion of the Li out of the mouth by creep.

Geometry: a surface flaw of depth a [m] and width (face separation) w [m], an edge crack
normal to the electrolyte surface, filled with Li connected to the Li electrode at its mouth,
where the Li is at the stack pressure p_s [Pa]. Per unit length of the flaw (out of plane):

Deposition in. Li plates on both faces of the flaw (area 2a per unit length) at the local
current density f·j (j the mean plating current density [A/m²], f ≥ 1 a focusing factor, an
assumed parameter), a volume rate

    Q = 2 a f j Ω / F                                        [m²/s],   Ω Li molar volume.

Extrusion out. The Li creeps as a J2 power-law solid, ε̇_eq = ε̇₀ (σ_eq/S)ⁿ,
ε̇₀ = A exp(−Q_c/RT) (``solver.physics.creep``, library values of Li). In simple shear
σ_eq = √3 τ and γ̇ = √3 ε̇_eq, so γ̇ = C τⁿ with C = 3^((n+1)/2) ε̇₀ / Sⁿ. Fully developed
flow along the slit (coordinate y across the gap, |y| ≤ w/2) under the pressure gradient
G = Δp/a, Δp = p_Li − p_s, has τ = G|y|, hence the velocity
u(y) = C Gⁿ ((w/2)^(n+1) − |y|^(n+1))/(n + 1) and the flux per unit length

    q(Δp) = 2 C (Δp/a)ⁿ (w/2)^(n+2) / (n + 2)                 [m²/s]

(the power-law plane Poiseuille flow; n = 1, C = 1/μ gives q = G w³/12μ; derivation in
docs/fracture.md). Lumped model: the deposition is taken at the flaw tip (where the current
focuses), so the flux is uniform along the slit and the pressure falls linearly from p_Li at
the tip to p_s at the mouth; the faces are loaded with the tip pressure p_Li everywhere (an
upper bound of K_I).

Storage. Under a uniform face pressure Δp the edge crack of a half-plane opens by the area
V = π Y² Δp a² / E' (from G = (Δp/2) dV/da = K_I²/E', K_I = Y Δp sqrt(π a), Y = 1.1215),
so the stored volume changes as (π Y² a² / E') dΔp/dt. The opening's effect on w is left out.

Balance and cap: (π Y² a²/E') dΔp/dt = Q − q(Δp), Δp(0) = 0, with Δp ≤ Fη/Ω, the
overpotential bound (``solver.physics.plating``), η = (2RT/F) asinh(f j / 2 i0) the
Butler–Volmer overpotential of the local current; at the cap the Li stops entering faster
than it leaves. Scaled by the steady pressure Δp_ss = a (Q (n + 2) / (2 C (w/2)^(n+2)))^(1/n)
(Q = q(Δp_ss)) and the time τ = π Y² a² Δp_ss / (E' Q), x = Δp/Δp_ss obeys

    dx/ds = 1 − xⁿ,   s = t/τ,

n = 1: x = 1 − exp(−s); n = 2: x = tanh s (the tests' closed forms). It is separable and
solved by quadrature: with u = −ln(1 − x), s(u) = ∫₀ᵘ e^(−v) / (1 − (1 − e^(−v))ⁿ) dv, whose
integrand is smooth (1 at v = 0, → 1/n as v → ∞), by composite 6-point Gauss–Legendre on
panels of width ≤ 0.02. The flaw advances when
K_I = Y (p_Li − c p_s) sqrt(π a) = K_IC, i.e. at Δp* = p_c − p_s (1 − c), p_c = K_IC/(Y sqrt(π a))
(c: lateral stress ratio, as in ``solver.physics.plating``); never if Δp* ≥ min(Δp_ss, Fη/Ω).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lisse.solver.physics.fracture import EDGE_CRACK_FACTOR
from lisse.solver.physics.plating import critical_li_pressure, li_pressure_bound
from lisse.units import FARADAY, GAS_CONSTANT


@dataclass(frozen=True)
class SlitFlaw:
    """A Li-filled slit flaw and its materials (SI units).

    depth a [m], width w [m]; electrolyte: fracture_toughness K_IC [Pa m^0.5], youngs_modulus E
    [Pa], poisson_ratio ν [-], exchange_current_density i0 [A/m²] of Li with it; Li:
    molar_volume Ω [m³/mol], creep_rate ε̇₀ = A exp(−Q_c/RT) [1/s] at the temperature,
    creep_stress S [Pa], creep_exponent n [-]; temperature T [K]; focusing f ≥ 1 [-];
    stack_pressure p_s [Pa]; lateral_stress_ratio c [-]."""

    depth: float
    width: float
    fracture_toughness: float
    youngs_modulus: float
    poisson_ratio: float
    exchange_current_density: float
    molar_volume: float
    creep_rate: float
    creep_stress: float
    creep_exponent: float
    temperature: float
    focusing: float = 1.0
    stack_pressure: float = 0.0
    lateral_stress_ratio: float = 0.0

    def __post_init__(self):
        if not (self.depth > 0 and self.width > 0):
            raise ValueError("flaw depth and width must be positive")
        if not self.focusing >= 1:
            raise ValueError("focusing must be at least 1")

    @property
    def shear_coefficient(self) -> float:
        """C = 3^((n+1)/2) ε̇₀ / Sⁿ [1/(s Paⁿ)]: γ̇ = C τⁿ in simple shear."""
        n = self.creep_exponent
        return 3 ** ((n + 1) / 2) * self.creep_rate / self.creep_stress**n

    @property
    def storage(self) -> float:
        """dV/dΔp = π Y² a² / E' [m²/Pa], the opening area per unit face pressure."""
        e_plane = self.youngs_modulus / (1 - self.poisson_ratio**2)
        return np.pi * EDGE_CRACK_FACTOR**2 * self.depth**2 / e_plane

    def deposition(self, current_density: float) -> float:
        """Q = 2 a f j Ω / F [m²/s] for the mean plating current density j [A/m²]."""
        return 2 * self.depth * self.focusing * current_density * self.molar_volume / FARADAY

    def extrusion(self, excess_pressure) -> float:
        """q(Δp) = 2 C (Δp/a)ⁿ (w/2)^(n+2) / (n + 2) [m²/s], Δp = p_Li − p_s [Pa] ≥ 0."""
        n = self.creep_exponent
        return (2 * self.shear_coefficient * (np.asarray(excess_pressure) / self.depth) ** n
                * (self.width / 2) ** (n + 2) / (n + 2))

    def steady_pressure(self, current_density: float) -> float:
        """Δp_ss [Pa] with q(Δp_ss) = Q: a (Q (n + 2) / (2 C (w/2)^(n+2)))^(1/n)."""
        n = self.creep_exponent
        return self.depth * (self.deposition(current_density) * (n + 2) / (
            2 * self.shear_coefficient * (self.width / 2) ** (n + 2))) ** (1 / n)

    def pressure_cap(self, current_density: float) -> float:
        """Fη/Ω [Pa], η = (2RT/F) asinh(f j / 2 i0) [V]: the overpotential bound of Δp."""
        eta = 2 * GAS_CONSTANT * self.temperature / FARADAY * math.asinh(
            self.focusing * current_density / (2 * self.exchange_current_density))
        return li_pressure_bound(eta, self.molar_volume)

    @property
    def critical_excess_pressure(self) -> float:
        """Δp* = p_c − p_s (1 − c) [Pa]: K_I = K_IC (≤ 0: cracked without current)."""
        return (critical_li_pressure(self.depth, self.fracture_toughness)
                - self.stack_pressure * (1 - self.lateral_stress_ratio))

    def stress_intensity(self, excess_pressure):
        """K_I = Y (p_s (1 − c) + Δp) sqrt(π a) [Pa m^0.5]."""
        load = self.stack_pressure * (1 - self.lateral_stress_ratio) + np.asarray(excess_pressure)
        return EDGE_CRACK_FACTOR * load * np.sqrt(np.pi * self.depth)


@dataclass(frozen=True)
class PressureHistory:
    """Li pressure history of a flaw at one current density: time [s], excess pressure
    Δp = p_Li − p_s [Pa], K_I [Pa m^0.5]; crack_time [s] of the first crack advance
    (K_I = K_IC) or None; steady [Pa] and cap [Pa] the two limits of Δp."""

    time: np.ndarray
    excess_pressure: np.ndarray
    stress_intensity: np.ndarray
    crack_time: float | None
    steady: float
    cap: float


_GAUSS = np.polynomial.legendre.leggauss(6)
_PANEL = 0.02
_U_MAX = 36.0  # u = −ln(1 − x) at which x = 1 to double precision


def _rate_inverse(v, n: float):
    """ds/du = e^(−v) / (1 − (1 − e^(−v))ⁿ) of the scaled balance, v > 0."""
    return np.exp(-v) / -np.expm1(n * np.log1p(-np.exp(-v)))


def _scaled_time(u0: float, u1: float, n: float) -> float:
    """s(u1) − s(u0) = ∫_{u0}^{u1} ds/du dv (composite Gauss–Legendre)."""
    panels = max(1, math.ceil((u1 - u0) / _PANEL))
    edges = np.linspace(u0, u1, panels + 1)
    half = np.diff(edges)[:, None] / 2
    points = (edges[:-1, None] + edges[1:, None]) / 2 + half * _GAUSS[0]
    return float(np.sum(half * _GAUSS[1] * _rate_inverse(points, n)))


def _u_at(s_target: float, n: float) -> float:
    """u with s(u) = s_target (bisection; s rises with u at a rate between 1/n and 1), at
    most ``_U_MAX`` (the steady state reached)."""
    if _scaled_time(0.0, _U_MAX, n) <= s_target:
        return _U_MAX
    low, high = min(s_target, _U_MAX), min(s_target * max(n, 1.0), _U_MAX)
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if _scaled_time(0.0, mid, n) < s_target else (low, mid)
    return (low + high) / 2


def pressure_history(flaw: SlitFlaw, current_density: float, duration: float,
                     samples: int = 200) -> PressureHistory:
    """Solve (π Y² a²/E') dΔp/dt = Q − q(Δp), Δp(0) = 0, Δp ≤ Fη/Ω, for t in [0, duration]
    [s] (scaled: dx/ds = 1 − xⁿ, by quadrature of the separable form), stopping at the first
    crack advance (Δp = Δp*). ``samples`` points evenly spaced in u = −ln(1 − x) up to the
    crack, the cap or the end, plus the end of the plating time if the pressure is capped or
    steady."""
    if not (current_density > 0 and duration > 0):
        raise ValueError("current_density and duration must be positive")
    n = flaw.creep_exponent
    steady = flaw.steady_pressure(current_density)
    cap = flaw.pressure_cap(current_density)
    target = flaw.critical_excess_pressure
    tau = flaw.storage * steady / flaw.deposition(current_density)
    if target <= 0:
        zero = np.zeros(1)
        return PressureHistory(zero, zero, flaw.stress_intensity(zero), 0.0, steady, cap)
    s_end = duration / tau
    u_end = _u_at(s_end, n)
    u_cap = -math.log1p(-cap / steady) if cap < steady else math.inf
    u_crack = -math.log1p(-target / steady) if target < min(steady, cap) else math.inf
    last = min(u_end, u_cap, u_crack)
    u = np.linspace(0.0, last, samples)
    s = np.concatenate([[0.0], np.cumsum([_scaled_time(u[i], u[i + 1], n)
                                          for i in range(samples - 1)])])
    crack_time = None
    if u_crack <= last and s[-1] <= s_end:
        crack_time = s[-1] * tau
    elif s[-1] < s_end:  # capped or steady: the pressure holds to the end
        u, s = np.append(u, u[-1]), np.append(s, s_end)
    dp = np.minimum(-np.expm1(-u) * steady, cap)
    return PressureHistory(s * tau, dp, flaw.stress_intensity(dp), crack_time, steady, cap)


def cracks_within(flaw: SlitFlaw, current_density: float, duration: float | None) -> bool:
    """Whether the flaw advances within ``duration`` [s] (None: ever) at the current
    density j [A/m²]: Δp* < min(Δp_ss, Fη/Ω) and, for a finite duration, the crack time ≤
    duration."""
    target = flaw.critical_excess_pressure
    if target <= 0:
        return True
    if target >= min(flaw.steady_pressure(current_density), flaw.pressure_cap(current_density)):
        return False
    if duration is None:
        return True
    return pressure_history(flaw, current_density, duration, samples=2).crack_time is not None


def steady_ccd(flaw: SlitFlaw) -> float:
    """The plating CCD [A/m²] for an unlimited plating time: the flaw cracks when both
    limits exceed Δp*, so i_CCD = max(i_bound, i_ss) with the overpotential-bound CCD
    i_bound = (2 i0/f) sinh(F η_c/2RT), η_c = Ω Δp*/F, and the extrusion CCD i_ss = F q(Δp*) /
    (2 a f Ω) (deposition = extrusion at Δp*)."""
    target = flaw.critical_excess_pressure
    if target <= 0:
        return 0.0
    i_bound = 2 * flaw.exchange_current_density / flaw.focusing * math.sinh(
        flaw.molar_volume * target / (2 * GAS_CONSTANT * flaw.temperature))
    i_ss = FARADAY * float(flaw.extrusion(target)) / (
        2 * flaw.depth * flaw.focusing * flaw.molar_volume)
    return max(i_bound, i_ss)


def extrusion_ccd(flaw: SlitFlaw, duration: float | None, rtol: float = 1e-6) -> float:
    """The plating CCD [A/m²]: the largest j for which the flaw does not advance within
    ``duration`` [s] (None: ever, = ``steady_ccd``). Bisection in log j between
    ``steady_ccd`` (below it the flaw never cracks) and a bracket that cracks, to ``rtol``."""
    low = steady_ccd(flaw)
    if duration is None or low == 0.0:
        return low
    high = 2 * low
    while not cracks_within(flaw, high, duration):
        low, high = high, 4 * high
    while high / low - 1 > rtol:
        mid = math.sqrt(low * high)
        low, high = (low, mid) if cracks_within(flaw, mid, duration) else (mid, high)
    return low


def material_slit_flaw(electrolyte: str, depth: float, width: float,
                       temperature_C: float = 25.0, **options) -> SlitFlaw:
    """A ``SlitFlaw`` with the library values of an electrolyte (K_IC, E, ν, i0 with Li scaled
    to ``temperature_C`` [°C] by its Arrhenius E_a; K_IC as at 25 °C) and of Li (Ω, creep
    A, Q_c, n, S); depth, width [m]; ``options``: focusing, stack_pressure [Pa],
    lateral_stress_ratio."""
    from lisse.solver.config.materials import get_material
    from lisse.solver.config.resolve import REFERENCE_TEMPERATURE_C, arrhenius
    from lisse.units import A_M2_PER_MA_CM2, J_PER_KJ, PA_PER_GPA, PA_PER_MPA, kelvin

    values = get_material(electrolyte, "electrolyte").values
    li = get_material("Li").values
    i0 = values["li_exchange_current_density_mA_cm2"] * A_M2_PER_MA_CM2 * arrhenius(
        values["li_exchange_current_density_activation_energy_kJ_mol"], temperature_C,
        values.get("reference_temperature_C", REFERENCE_TEMPERATURE_C))
    temperature = kelvin(temperature_C)
    creep_rate = li["creep_prefactor_1_s"] * math.exp(
        -li["creep_activation_energy_kJ_mol"] * J_PER_KJ / (GAS_CONSTANT * temperature))
    return SlitFlaw(
        depth=depth, width=width,
        fracture_toughness=values["fracture_toughness_MPa_m05"] * PA_PER_MPA,
        youngs_modulus=values["youngs_modulus_GPa"] * PA_PER_GPA,
        poisson_ratio=values["poisson_ratio"],
        exchange_current_density=i0,
        molar_volume=li["molar_volume_m3_mol"],
        creep_rate=creep_rate,
        creep_stress=li["creep_reference_stress_MPa"] * PA_PER_MPA,
        creep_exponent=li["creep_stress_exponent"],
        temperature=temperature, **options)
