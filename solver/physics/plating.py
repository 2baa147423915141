"""Plating criterion of a Li-filled surface flaw: the Li pressure against the fracture toughness.

Model — the overpotential bound of Porz et al. (Adv. Energy Mater. 7 (2017) 1701003, Mode I
argument) with the pressure–chemical-potential coupling of Monroe & Newman (J. Electrochem.
Soc. 152 (2005) A396): Li plated into a surface flaw of depth a keeps being deposited there
while the electrochemical driving force exceeds the mechanical work of inserting a mole of
Li against the pressure in the flaw, so the largest Li pressure the plating overpotential η
[V] can build is

    p_Li = F η / Ω                                          (Ω molar volume of Li [m³/mol]).

The flaw faces carry p_Li; the flaw is an edge crack normal to the surface of the electrolyte,

    K_I = Y p_Li sqrt(π a),   Y = 1.1215 (half-plane; ``fracture.EDGE_CRACK_FACTOR``, verified
                                          against the finite-element J-integral),

and it advances when K_I ≥ K_IC, i.e. above the critical overpotential

    η_c(a) = Ω K_IC / (F Y sqrt(π a)).

The local current density at the flaw, f·i (i the mean plating current density, f ≥ 1 a
focusing factor: an assumed parameter, 1 = no focusing), follows symmetric Butler–Volmer
kinetics f i = 2 i0 sinh(F η / 2RT), so the plating CCD is

    i_CCD(a) = (2 i0 / f) sinh(Ω K_IC / (2 R T Y sqrt(π a)))     [A/m²].

Its analytic limit for large flaws (F η_c ≪ 2RT): i_CCD → i0 Ω K_IC / (f R T Y sqrt(π a)),
which falls as a^(-1/2); small flaws are protected exponentially. What the model leaves out:
Li extrusion out of the flaw by creep (which lowers p_Li: the bound is an upper limit of
the pressure, so the CCD is a lower limit for a given flaw), the stack pressure (a few MPa
against critical Li pressures of tens to hundreds of MPa) and the ohmic share of η.
"""

from __future__ import annotations

import numpy as np

from lisse.solver.physics.fracture import EDGE_CRACK_FACTOR
from lisse.units import FARADAY, GAS_CONSTANT


def critical_li_pressure(
    flaw_depth: float, fracture_toughness: float, geometry_factor: float = EDGE_CRACK_FACTOR
) -> float:
    """Li pressure [Pa] in a flaw of depth a [m] at which K_I = K_IC [Pa m^0.5]:
    p_c = K_IC / (Y sqrt(π a))."""
    return fracture_toughness / (geometry_factor * np.sqrt(np.pi * flaw_depth))


def li_pressure_bound(overpotential: float, molar_volume: float) -> float:
    """Largest Li pressure [Pa] a plating overpotential η [V] builds: p_Li = F η / Ω."""
    return FARADAY * overpotential / molar_volume


def critical_overpotential(
    flaw_depth: float,
    fracture_toughness: float,
    molar_volume: float,
    geometry_factor: float = EDGE_CRACK_FACTOR,
) -> float:
    """η_c = Ω K_IC / (F Y sqrt(π a)) [V]: the plating overpotential that cracks the flaw."""
    p_c = critical_li_pressure(flaw_depth, fracture_toughness, geometry_factor)
    return molar_volume * p_c / FARADAY


def plating_ccd(
    flaw_depth,
    fracture_toughness: float,
    exchange_current_density: float,
    temperature: float,
    molar_volume: float,
    geometry_factor: float = EDGE_CRACK_FACTOR,
    focusing: float = 1.0,
):
    """Plating CCD [A/m²] of a flaw of depth a [m] (a number or an array):
    i_CCD = (2 i0 / f) sinh(F η_c / 2RT) with η_c the critical overpotential.

    fracture_toughness K_IC [Pa m^0.5]; exchange_current_density i0 [A/m²]; temperature T
    [K]; molar_volume Ω of Li [m³/mol]; geometry_factor Y [-]; focusing f ≥ 1 [-]."""
    a = np.asarray(flaw_depth, dtype=float)
    if np.any(a <= 0):
        raise ValueError("flaw_depth must be positive")
    if not focusing >= 1:
        raise ValueError("focusing must be at least 1")
    eta = critical_overpotential(a, fracture_toughness, molar_volume, geometry_factor)
    ccd = 2 * exchange_current_density / focusing * np.sinh(
        FARADAY * eta / (2 * GAS_CONSTANT * temperature))
    return float(ccd) if ccd.ndim == 0 else ccd


def plating_ccd_large_flaw(
    flaw_depth,
    fracture_toughness: float,
    exchange_current_density: float,
    temperature: float,
    molar_volume: float,
    geometry_factor: float = EDGE_CRACK_FACTOR,
    focusing: float = 1.0,
):
    """The large-flaw limit i0 Ω K_IC / (f R T Y sqrt(π a)) [A/m²] of ``plating_ccd``."""
    a = np.asarray(flaw_depth, dtype=float)
    return (exchange_current_density * molar_volume * fracture_toughness
            / (focusing * GAS_CONSTANT * temperature * geometry_factor * np.sqrt(np.pi * a)))


def material_plating_ccd(electrolyte: str, flaw_depth, temperature: float, focusing: float = 1.0):
    """``plating_ccd`` [A/m²] with the library values of an electrolyte (K_IC, i0 with Li)
    and of Li (Ω); at 25 °C values (the i0 is not corrected for temperature here)."""
    from lisse.solver.config.materials import material_value
    from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA

    return plating_ccd(
        flaw_depth,
        material_value(electrolyte, "fracture_toughness_MPa_m05") * PA_PER_MPA,
        material_value(electrolyte, "li_exchange_current_density_mA_cm2") * A_M2_PER_MA_CM2,
        temperature,
        material_value("Li", "molar_volume_m3_mol"),
        focusing=focusing,
    )
