"""The console headlines of ``lisse run`` and ``lisse ccd``: one line per number, a block
per physics switched on, each number rounded to the digits it carries.

Rounding rules (the numbers in ``summary.json`` stay unrounded):

* ``DIGITS`` significant digits;
* a difference whose magnitude is below the last digit printed of the quantity it is taken
  from is zero (``noise``): the constriction ASR (ASR total − ASR full contact) below
  ½·10⁻⁴ of ASR total, a coordinate below ½·10⁻³ µm (−3.8e-14 µm prints as 0);
* a negative constriction ASR beyond that is printed with a word: the cell voltage of the
  FE solution is below the exact full-contact voltage, which only discretisation error can
  do (refine the mesh);
* a hotspot factor (peak nodal current density over the mean over the contact) is 1 for a
  uniform contact; a value below 1 is explained: the peak sampled at the nodes is under the
  area mean, i.e. the contact is uniform to within the discretisation error.
"""

from __future__ import annotations

import math

from lisse.units import MV_PER_V

DIGITS = 4
COORDINATE_DECIMALS = 3  # coordinates printed to 10⁻³ µm (1 nm)


def number(value: float, digits: int = DIGITS) -> str:
    """``value`` with ``digits`` significant digits, no exponent between 10⁻⁴ and 10⁶, and
    no negative zero."""
    if value is None or not math.isfinite(value):
        return str(value)
    text = f"{value:.{digits}g}"
    if "e+" in text and abs(float(text)) < 1e6:  # 3.61e+04 → 36100
        text = f"{float(text):.0f}"
    return "0" if float(text) == 0 else text


def noise(value: float, scale: float, digits: int = DIGITS) -> float:
    """``value`` or 0 if it is below the last of ``digits`` digits of ``scale``."""
    return 0.0 if abs(value) < 0.5 * 10.0 ** -digits * abs(scale) else value


def coordinates(point_um) -> str:
    """A point [µm] to 1 nm: ``12.5, 0``."""
    return ", ".join(number(round(c, COORDINATE_DECIMALS)) for c in point_um)


def constriction(s: dict) -> str:
    """The constriction ASR [Ω cm²], zero below the precision of the total, a negative value
    explained."""
    value = noise(s["asr_constriction_ohm_cm2"], s["asr_total_ohm_cm2"])
    text = f"{number(value)} Ω cm²"
    if value < 0:
        text += (" (negative: the FE cell voltage is below the exact full-contact voltage, "
                 "a discretisation error; refine the mesh)")
    elif value == 0:
        text += " (none to within the precision of the ASR total)"
    return text


def hotspot(s: dict) -> str:
    """The hotspot factor and where it is, a value of (or below) 1 explained."""
    factor = s["hotspot_factor"]
    text = f"{number(factor)} at {coordinates(s['hotspot_location_um'])} µm"
    if noise(factor - 1.0, 1.0) == 0:
        text += " (uniform current over the contact)"
    elif factor < 1:
        text += (" (below 1: the peak nodal current density is under the mean over the "
                 "contact; the contact is uniform to within the discretisation error)")
    return text


def steady_lines(s: dict) -> list[str]:
    """Headlines of a steady run: the current, then each physics present in ``s``."""
    lines = [f"  cell voltage            {number(s['cell_voltage_V'] * MV_PER_V)} mV",
             f"  current density         {number(s['current_density_mA_cm2'])} mA/cm²",
             f"  ASR total               {number(s['asr_total_ohm_cm2'])} Ω cm²",
             f"  ASR constriction        {constriction(s)}",
             f"  contact fraction        {s['contact_fraction']:.4f}",
             f"  hotspot factor          {hotspot(s)}",
             f"  Newton iterations       {s['newton_iterations']}"]
    if "stack_pressure_MPa" in s:
        lines += ["  mechanics",
                  f"    stack pressure        {number(s['stack_pressure_MPa'])} MPa, held "
                  f"{number(s['mechanics_hold_s'])} s",
                  f"    contact fraction      {s['contact_fraction_mechanical']:.4f}",
                  f"    mean contact pressure {number(s['mean_contact_pressure_MPa'])} MPa",
                  f"    max von Mises, Li     {number(s['max_von_mises_li_MPa'])} MPa",
                  f"    max principal, SSE    {number(s['max_principal_stress_sse_MPa'])} MPa"]
    if "li_nucleation_risk_fraction" in s:
        lines.append(f"  Li nucleation risk      {number(s['li_nucleation_risk_fraction'])} of "
                     f"the electrolyte")
    return lines


def evolution_lines(s: dict) -> list[str]:
    """Headlines of an evolution run: the interface's fate, or, when the run ended by a
    failure that is not the interface's (a voltage cut-off of an intact cell, the Li used
    up), the cell's."""
    who, state = "interface", "survived the protocol"
    if s["failed"]:
        who = "interface" if s["interface_failure"] else "cell     "
        verb = "FAILED" if s["interface_failure"] else "STOPPED"
        state = f"{verb} at {number(s['failure_time_s'])} s: {s['failure_mode']}"
    return [f"  {who}               {state}",
            f"  time                    {number(s['time_s'])} s in {s['time_steps']} steps",
            f"  final contact fraction  {s['final_contact_fraction']:.4f}",
            # net of stripping and plating: below 1e-3 µm's last digit (0.05 pm) it is 0
            f"  Li stripped (net)       {number(noise(s['li_stripped_um'], 1e-3))} µm",
            f"  Li bookkeeping error    {s['max_mass_balance_error']:.2e}"]


def eis_lines(s: dict) -> list[str]:
    """Headlines of an impedance spectrum: the frequency range and Z at both ends, the
    imaginary part zero below the precision of |Z|."""
    lines = [f"  {s['frequencies']} frequencies, {number(s['min_frequency_Hz'], 3)}–"
             f"{number(s['max_frequency_Hz'], 3)} Hz"]
    for end, level in (("min", "low"), ("max", "high")):
        real, imag = s[f"z_{level}_frequency_ohm_cm2"]
        imag = noise(imag, abs(complex(real, imag)))
        sign = "−" if imag < 0 else "+"
        lines.append(f"  Z at {number(s[f'{end}_frequency_Hz'], 3)} Hz".ljust(26)
                     + f"{number(real)} {sign} {number(abs(imag))}i Ω cm²")
    return lines


def ccd_lines(rows: list[dict]) -> list[str]:
    """Headlines of a CCD search: the CCD, its bracket and the failure mode per value."""
    lines = []
    for r in rows:
        where = "" if r["parameter"] is None else f"{r['parameter']} = {r['value']}: "
        low, high = r["bracket_mA_cm2"]
        lines.append(f"  {where}CCD {number(r['ccd_mA_cm2'])} mA/cm² (limit in "
                     f"[{number(low)}, {number(high)}) mA/cm²; fails by {r['failure_mode']})")
    return lines


def plating_ccd_lines(rows: list[dict]) -> list[str]:
    """Headlines of a plating CCD: the CCD, the overpotential-bound CCD, the governing flaw."""
    lines = []
    for r in rows:
        flaw = r["governing_flaw"]
        lines.append(f"  plating CCD {number(r['ccd_mA_cm2'])} mA/cm² (overpotential bound "
                     f"alone {number(r['overpotential_bound_ccd_mA_cm2'])} mA/cm²); governing "
                     f"flaw {number(flaw['depth_um'])} µm deep, {flaw['chosen_as']}")
    return lines
