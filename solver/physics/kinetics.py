"""Interface kinetics: the local current density as a function of the potential step.

Sign convention: ``j`` is the anodic current density leaving the electrode into the
electrolyte [A/m²] (positive when Li is stripped, Li → Li⁺ + e⁻), and the potential step
is ``dphi = φ_electrode − φ_electrolyte`` [V]. With a series film of resistance R_f
[Ω m²] the charge-transfer overpotential is η = dphi − j·R_f.

Butler–Volmer:  j = i0 [exp(αa F η / RT) − exp(−αc F η / RT)]
Linear:         j = η / Z
"""

from __future__ import annotations

import numpy as np

from lisse.solver.config.params import FARADAY, GAS_CONSTANT, Kinetics


def butler_volmer(eta, i0: float, alpha_a: float, alpha_c: float, temperature: float):
    """Butler–Volmer current density j(η) [A/m²] and its derivative dj/dη [A/(m² V)]."""
    f = FARADAY / (GAS_CONSTANT * temperature)
    ea = np.exp(alpha_a * f * np.asarray(eta, dtype=float))
    ec = np.exp(-alpha_c * f * np.asarray(eta, dtype=float))
    return i0 * (ea - ec), i0 * f * (alpha_a * ea + alpha_c * ec)


def charge_transfer(eta, kin: Kinetics, temperature: float, i0_factor=1.0):
    """j(η) and dj/dη of the charge-transfer step alone (no film); ``i0_factor`` scales i0
    (the conductance 1/Z for linear kinetics)."""
    if kin.model == "butler_volmer":
        return butler_volmer(eta, kin.exchange_current_density * np.asarray(i0_factor),
                             kin.alpha_a, kin.alpha_c, temperature)
    if kin.model == "linear":
        eta = np.asarray(eta, dtype=float)
        g = np.asarray(i0_factor) / kin.resistance
        return eta * g, np.broadcast_to(g, eta.shape).copy()
    raise ValueError(f"kinetics model {kin.model!r} has no local current law")


def interface_current(dphi, kin: Kinetics, temperature: float, tol: float = 1e-14,
                      i0_factor=1.0, film_resistance=None):
    """Current density j [A/m²] and dj/d(dphi) for a potential step ``dphi`` [V];
    ``i0_factor`` (scalar or per point) scales the exchange current density;
    ``film_resistance`` [Ω m²] (scalar or per point) replaces the kinetics' own R_f.

    With a film, solves dphi = η + R_f·j(η) for η by safeguarded Newton (the left side is
    strictly increasing in η and η lies between 0 and dphi), then
    dj/d(dphi) = j'(η) / (1 + R_f j'(η)).
    """
    dphi = np.asarray(dphi, dtype=float)
    rf = kin.film_resistance if film_resistance is None else np.asarray(film_resistance)
    if np.all(rf == 0.0):
        return charge_transfer(dphi, kin, temperature, i0_factor)
    if kin.model == "linear":
        g = 1.0 / (kin.resistance / np.asarray(i0_factor) + rf)
        return dphi * g, np.broadcast_to(g, dphi.shape).copy()
    lo, hi = np.minimum(dphi, 0.0), np.maximum(dphi, 0.0)
    eta = 0.5 * (lo + hi)
    scale = np.maximum(np.abs(dphi), 1e-300)
    for _ in range(200):
        j, dj = charge_transfer(eta, kin, temperature, i0_factor)
        g = eta + rf * j - dphi
        lo = np.where(g < 0, eta, lo)
        hi = np.where(g > 0, eta, hi)
        step = eta - g / (1.0 + rf * dj)
        outside = (step <= lo) | (step >= hi)
        new = np.where(outside, 0.5 * (lo + hi), step)
        if np.all(np.abs(new - eta) <= tol * scale):
            eta = new
            break
        eta = new
    j, dj = charge_transfer(eta, kin, temperature, i0_factor)
    return j, dj / (1.0 + rf * dj)


def potential_step(j, kin: Kinetics, temperature: float):
    """Inverse law: the potential step dphi [V] that drives current density ``j`` [A/m²]."""
    j = np.asarray(j, dtype=float)
    ohmic = j * kin.film_resistance
    if kin.model in ("primary", "ideal"):
        return ohmic
    if kin.model == "linear":
        return j * kin.resistance + ohmic
    lo = np.full_like(j, -1.0)
    hi = np.full_like(j, 1.0)
    while True:  # widen the bracket until it holds the root
        jl, _ = charge_transfer(lo, kin, temperature)
        jh, _ = charge_transfer(hi, kin, temperature)
        if np.all(jl <= j) and np.all(jh >= j):
            break
        lo, hi = 2 * lo, 2 * hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        jm, _ = charge_transfer(mid, kin, temperature)
        lo, hi = np.where(jm < j, mid, lo), np.where(jm < j, hi, mid)
    return 0.5 * (lo + hi) + ohmic


def planar_cell_voltage(j: float, thickness: float, conductivity: float, working: Kinetics,
                        counter: Kinetics, temperature: float) -> float:
    """Cell voltage [V] of a planar cell in full contact at current density ``j`` [A/m²]:
    V = j L/κ + dphi_w(j) − dphi_c(−j)  (validation target E1). The counter electrode
    carries the anodic current −j, hence the minus signs."""
    return float(j * thickness / conductivity + potential_step(j, working, temperature)
                 - potential_step(-j, counter, temperature))
