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
which falls as a^(-1/2); small flaws are protected exponentially.

Stack pressure p_s: the Li in a flaw open to the electrode is at p_s before any plating
(Li creeps into open flaws), and the electrolyte around the flaw carries the lateral stress
−c p_s (c = 0 for a pellet free to expand sideways, ν/(1 − ν) in a rigid die), so the net
face loading is p_Li = p_s (1 − c) + F η/Ω and

    η_c = Ω (p_c − p_s (1 − c)) / F,   p_c = K_IC / (Y sqrt(π a));

where p_s (1 − c) ≥ p_c the flaw cracks without current (CCD 0). Temperature enters through
RT and i0(T) (``material_plating_ccd``: the library's Arrhenius E_a of i0).

What the model leaves out: Li extrusion out of the flaw by creep (which lowers p_Li: the
bound is an upper limit of the pressure, so the CCD is a lower limit for a given flaw), the
time to reach the bound, and the ohmic share of η.
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
    stack_pressure: float = 0.0,
    lateral_stress_ratio: float = 0.0,
) -> float:
    """η_c = Ω (p_c − p_s (1 − c)) / F [V], p_c = K_IC / (Y sqrt(π a)): the plating
    overpotential that cracks the flaw (≤ 0: it cracks without current). p_s [Pa], c [-]."""
    p_c = critical_li_pressure(flaw_depth, fracture_toughness, geometry_factor)
    return molar_volume * (p_c - stack_pressure * (1 - lateral_stress_ratio)) / FARADAY


def plating_ccd(
    flaw_depth,
    fracture_toughness: float,
    exchange_current_density: float,
    temperature: float,
    molar_volume: float,
    geometry_factor: float = EDGE_CRACK_FACTOR,
    focusing: float = 1.0,
    stack_pressure: float = 0.0,
    lateral_stress_ratio: float = 0.0,
):
    """Plating CCD [A/m²] of a flaw of depth a [m] (a number or an array):
    i_CCD = (2 i0 / f) sinh(F max(η_c, 0) / 2RT) with η_c the critical overpotential.

    fracture_toughness K_IC [Pa m^0.5]; exchange_current_density i0 [A/m²]; temperature T
    [K]; molar_volume Ω of Li [m³/mol]; geometry_factor Y [-]; focusing f ≥ 1 [-];
    stack_pressure p_s [Pa]; lateral_stress_ratio c in [0, 1) [-]."""
    a = np.asarray(flaw_depth, dtype=float)
    if np.any(a <= 0):
        raise ValueError("flaw_depth must be positive")
    if not focusing >= 1:
        raise ValueError("focusing must be at least 1")
    if not (stack_pressure >= 0 and 0 <= lateral_stress_ratio < 1):
        raise ValueError("stack_pressure must be >= 0 and lateral_stress_ratio in [0, 1)")
    eta = np.maximum(critical_overpotential(a, fracture_toughness, molar_volume,
                                            geometry_factor, stack_pressure,
                                            lateral_stress_ratio), 0.0)
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


def material_plating_ccd(electrolyte: str, flaw_depth, temperature_C: float = 25.0,
                         **options):
    """``plating_ccd`` [A/m²] with the library values of an electrolyte (K_IC, i0 with Li,
    i0 scaled to ``temperature_C`` [°C] by its Arrhenius E_a; K_IC as at 25 °C) and of Li
    (Ω); ``options`` as for ``plating_ccd`` (focusing, stack_pressure, ...)."""
    from lisse.solver.config.materials import get_material, material_value
    from lisse.solver.config.resolve import REFERENCE_TEMPERATURE_C, arrhenius
    from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA, kelvin

    values = get_material(electrolyte, "electrolyte").values
    i0 = values["li_exchange_current_density_mA_cm2"] * A_M2_PER_MA_CM2 * arrhenius(
        values["li_exchange_current_density_activation_energy_kJ_mol"], temperature_C,
        values.get("reference_temperature_C", REFERENCE_TEMPERATURE_C))
    return plating_ccd(
        flaw_depth,
        values["fracture_toughness_MPa_m05"] * PA_PER_MPA,
        i0,
        kelvin(temperature_C),
        material_value("Li", "molar_volume_m3_mol"),
        **options,
    )
