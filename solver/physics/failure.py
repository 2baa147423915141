"""Failure criteria of an interface-evolution run, as critical-current-density papers use
them, and whether a failure is the interface's or only the cell's voltage cut-off.

Checked after every time step on the record ``rec`` (``gap_evolution.Record``), with the
first record of the running protocol step ``first`` and the record before ``previous`` (in
the same step, or None). In order:

* ``contact_loss``: the contact fraction f < ``min_contact_fraction`` under current (or no
  contact left at all);
* ``voltage_rate``: |dV/dt| = |V − V_prev|/(t − t_prev) > ``max_voltage_rate`` [V/s] within
  a galvanostatic step (off when None);
* ``voltage_divergence``: |V| > ``max_voltage_rise`` · |V_first| within a step: the voltage
  has grown by that factor at constant current (off when None);
* ``voltage_cutoff``: |V| > ``max_voltage`` [V];
* ``void_runaway``: void volume per area > ``max_void_volume`` [m].

Interface failure or cut-off: at constant current the voltage of an unchanging interface is
constant (ohmic drop plus kinetic overpotentials), so it rises only because the interface
loses contact. A voltage cut-off counts as an interface failure when the voltage has at least
doubled (``INTERFACE_RISE``) since the step's first record; otherwise the intact cell already
sits at the cut-off at that current (bulk resistance, kinetics) — a "voltage cut-off,
interface intact", which says nothing about the interface's CCD. Contact loss, void runaway,
divergence and dV/dt are interface failures by construction.

The coupled model stops a run also when its Li runs out (``lithium_exhausted``) or its time
step collapses (``time_step_collapse``), checked after these (``li_exhaustion``): failures of
the cell, not of the interface.

Short circuits: in the reduced gap model (``gap_evolution``) Li cannot enter the electrolyte,
so a short cannot occur and is not a criterion; the voltage of a shorted cell would fall
toward zero under current.
"""

from __future__ import annotations

from dataclasses import dataclass

from lisse.units import MV_PER_V, UM_PER_M

INTERFACE_RISE = 2.0  # |V|/|V_first| above which a voltage cut-off is the interface's doing

CRITERIA = ("contact_loss", "voltage_rate", "voltage_divergence", "voltage_cutoff",
            "void_runaway")


@dataclass(frozen=True)
class Failure:
    """criterion: one of ``CRITERIA`` (or ``voltage_cutoff`` of an intact interface);
    interface: True if the interface failed, False for a cut-off of an intact cell;
    message: one line for people, starting with "interface failure (<criterion>)" or
    "voltage cut-off, interface intact"."""

    criterion: str
    interface: bool
    message: str


@dataclass(frozen=True)
class FailureCriteria:
    """The limits (SI): min_contact_fraction [-], max_voltage [V], max_void_volume [m],
    max_voltage_rate [V/s] or None, max_voltage_rise [-] (> 1) or None."""

    min_contact_fraction: float = 0.1
    max_voltage: float = 1.0
    max_void_volume: float = 20e-6
    max_voltage_rate: float | None = None
    max_voltage_rise: float | None = None


def _interface(criterion: str, detail: str) -> Failure:
    return Failure(criterion, True, f"interface failure ({criterion.replace('_', ' ')}): "
                   f"{detail}")


def contact_lost(detail: str) -> Failure:
    """No contact left (the current cannot be solved): an interface failure."""
    return _interface("contact_loss", detail)


def judge(rec, first, previous, limits: FailureCriteria) -> Failure | None:
    """The failure the record ``rec`` shows, or None (see the module docstring)."""
    current = rec.applied_current_density
    if current and rec.contact_fraction < limits.min_contact_fraction:
        return _interface("contact_loss", f"contact fraction {rec.contact_fraction:.3f} fell "
                          f"below {limits.min_contact_fraction:g}")
    volts = abs(rec.cell_voltage)
    if current and previous is not None and limits.max_voltage_rate is not None:
        dt = rec.time - previous.time
        rate = abs(rec.cell_voltage - previous.cell_voltage) / dt if dt > 0 else 0.0
        if rate > limits.max_voltage_rate:
            return _interface("voltage_rate", f"|dV/dt| {rate * MV_PER_V:.3g} mV/s beyond "
                              f"{limits.max_voltage_rate * MV_PER_V:g} mV/s at "
                              f"{volts:.3f} V")
    start = abs(first.cell_voltage) if first is not None else 0.0
    rise = volts / start if start > 0 else 1.0
    if current and limits.max_voltage_rise is not None and rise > limits.max_voltage_rise:
        return _interface("voltage_divergence", f"cell voltage rose ×{rise:.3g} in the step "
                          f"(to {volts:.3f} V; limit ×{limits.max_voltage_rise:g})")
    if volts > limits.max_voltage:
        cut = f"cell voltage {rec.cell_voltage:.3f} V beyond the {limits.max_voltage:g} V cut-off"
        if rise >= INTERFACE_RISE:
            return _interface("voltage_cutoff", f"{cut}, after rising ×{rise:.3g} in the step")
        return Failure("voltage_cutoff", False,
                       f"voltage cut-off, interface intact: {cut} (×{rise:.3g} of the step's "
                       f"start: the ohmic and kinetic voltage of the cell at this current)")
    if rec.void_volume_per_area > limits.max_void_volume:
        return _interface("void_runaway", f"void volume {rec.void_volume_per_area * UM_PER_M:.3g}"
                          f" µm per area beyond {limits.max_void_volume * UM_PER_M:g} µm")
    return None


def step_start(records: list, start: float) -> int:
    """Index of the first record of the protocol step that began at ``start`` [s] (the
    length of ``records`` if it has none yet): the ``first`` of ``judge``."""
    first = len(records)
    while first > 0 and records[first - 1].time > start * (1 + 1e-12):
        first -= 1
    return first
