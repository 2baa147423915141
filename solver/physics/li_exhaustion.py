"""A coupled run that runs out of Li (issue 12, "never hang"; docs/moving_interface.md
"Running out of Li").

The Li electrode of thickness t holds the charge per area Q_Li = t / (Ω/F) [C/m²] (the
layer; 4.85 µm per mAh/cm² at Ω = 1.3e-5 m³/mol, so 10 µm hold 2.06 mAh/cm²); a
quarter-disk Li of radius R over the width w holds (π R²/4)/w / (Ω/F). Voids only lower it.

Up-front refusal (``check_capacity``, at the model's build, before any solve). The net
charge stripped after protocol step k is Q_k = Σ_{i≤k} q_i, q_i = i_i Δt_i (plating
negative); the protocol is refused when its peak max_k Q_k exceeds Q_Li. A step with an
``until`` condition may end at once: it counts 0 if it strips and its whole charge if it
plates, so the peak is the least that every way of running the protocol reaches and nothing
physically possible is refused. A CCD trial (bisection) strips ``evolution.ccd.capacity``
from the fresh Li; a staircase CCD runs the protocol.

The interphase film (``interphase:``, docs/moving_interface.md "Interphase in the coupled
model") takes its Li from the Li body too: grown in contact by its closed form
L(t) = √(L0² + 2 k_p t), it binds the charge per area (``film_charge``)

    Q_f(t) = F c_Li φ0 (L(a + t) − L(a))   [C/m²]

in the first t of a run, a the film's age at the start (``interphase.age_h``) and φ0 the
contact fraction the cell starts with (its void footprints, ``meshes.voids.
contact_fraction``; the contact is taken not to fall below it). ``peak_stripping`` adds the
film's growth over each step without an ``until`` condition, at the latest time the step can
start (all earlier steps run whole: the growth over a given time falls as the film ages),
and 0 over an ``until`` step, so the peak stays a least bound; a CCD trial adds the growth
over its shortest run, the capacity at ``evolution.ccd.max_mA_cm2``.

Runtime stops (``exhausted``, ``collapsed``), checked after every time step of the coupled
model, after the failure criteria; both end the run as a failure that is not the
interface's (``Failure.interface`` False; the run's exit code is 0 as for every physical
failure, summary.json names the criterion):

* ``lithium_exhausted``: the collector face comes within ``EXHAUSTED_TOLERANCES`` contact
  tolerances (10 nm at the default 1 nm) of the electrolyte plane. Li is stripped only at
  the contact, where the Li's bottom lies on the plane, so the collector face's height
  there is the local Li thickness; the Δt cap that keeps the stripped cells from folding
  (``li_strip_limit``: δ ≤ h/4 of the last cell) would otherwise make the steps shrink
  geometrically as the film thins, Δt → 0 without end;
* ``time_step_collapse``: ``COLLAPSE_STEPS`` consecutive time steps of one protocol step
  each advanced the time by less than ``COLLAPSE_FRACTION`` of the time reached, Δt < 1e-9 t:
  the backstop for any other collapse of the step (Δt → 0 while the time no longer moves).
  It is relative to t, not a depth: a slow but progressing run (the creep of Li at 7 MPa
  forces steps of µs–ms under current) is not a collapse; the first version of this check,
  20 steps each stripping less than 1 pm, stopped such a run (docs/ccd_validation.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lisse.meshes.voids import contact_fraction
from lisse.solver.errors import UserError
from lisse.solver.physics.failure import Failure
from lisse.units import A_M2_PER_MA_CM2, C_M2_PER_MAH_CM2, FARADAY, NM_PER_M, UM_PER_M

EXHAUSTED_TOLERANCES = 10.0  # collector face within this many contact tolerances: no Li left
COLLAPSE_FRACTION = 1e-9  # of the time reached: a step shorter than this did not advance
COLLAPSE_STEPS = 20  # consecutive such steps under current: the time step has collapsed


def holding(geometry, molar_volume: float) -> float:
    """Q_Li [C/m²]: the charge per interface area the Li electrode holds (module
    docstring); ``geometry``: a ``CellGeometry``, ``molar_volume``: Ω [m³/mol]."""
    volume = geometry.lithium_thickness  # Li volume per interface area [m]
    if geometry.lithium_shape == "quarter_disk":
        volume = math.pi * geometry.lithium_thickness ** 2 / 4 / geometry.width
    return volume * FARADAY / molar_volume


def film_charge(params) -> Callable[[float], float]:
    """Q_f(t) [C/m²] of the interphase of ``params`` (a ``Resolved``; module docstring), a
    function of the run's time t [s]; 0 without an interphase."""
    film, temperature = params.interphase, params.temperature
    if film is None:
        return lambda elapsed: 0.0
    bound = FARADAY * film.li_per_volume * contact_fraction(params.geometry)  # C per m³ film
    start = float(film.thickness(film.age, temperature))
    return lambda elapsed: bound * (float(film.thickness(film.age + elapsed, temperature))
                                    - start)


def peak_stripping(steps, film: Callable[[float], float] = lambda elapsed: 0.0
                   ) -> tuple[float, float]:
    """(max_k Q_k [C/m²] (≥ 0) of the ``ProtocolStep`` list with the film's Li ``film``
    (``film_charge``), the film's share of it [C/m²]) (module docstring)."""
    net, bound, start, peak = 0.0, 0.0, 0.0, (0.0, 0.0)
    for step in steps:
        until = step.until_voltage is not None or step.until_contact_fraction is not None
        charge = step.current_density * step.duration
        if not until:  # the film grown over the step, started as late as it can be
            bound += film(start + step.duration) - film(start)
        net += min(charge, 0.0) if until else charge
        start += step.duration
        peak = max(peak, (net + bound, bound))
    return peak


def check_capacity(params, kind: str) -> None:
    """UserError (one line naming the field) if the coupled run or CCD of ``params``
    strips more charge per area than its Li holds, its interphase film's Li included
    (module docstring)."""
    settings, film = params.evolution, film_charge(params)
    if kind == "ccd" and settings.ccd.method == "bisection":
        bound = film(settings.ccd.capacity / settings.ccd.maximum)  # the shortest trial's
        field, charge = "evolution.ccd.capacity_mAh_cm2", settings.ccd.capacity + bound
        what = "each CCD trial strips"
    else:
        field, (charge, bound) = settings.protocol_field, peak_stripping(settings.steps, film)
        what = "the protocol strips (net, at its peak)"
    film_note = f" ({bound / C_M2_PER_MAH_CM2:.4g} of it bound in the interphase film)" if (
        bound > 0) else ""
    limit = holding(params.geometry, params.electrode.molar_volume)
    if charge > limit * (1 + 1e-9):
        raise UserError(
            f"{field}: {what} {charge / C_M2_PER_MAH_CM2:.4g} mAh/cm²{film_note} but the "
            f"{params.geometry.lithium_thickness * UM_PER_M:g} µm Li electrode holds "
            f"{limit / C_M2_PER_MAH_CM2:.4g} mAh/cm² (thickness / (Ω/F)); strip less or "
            "make geometry.lithium_thickness_um thicker")


def exhausted(evo) -> Failure | None:
    """``lithium_exhausted`` if the collector face of the coupled engine ``evo`` is within
    ``EXHAUSTED_TOLERANCES`` contact tolerances of the plane, else None. Where: the lowest
    collector node (the same on every rank: ties go to the smaller coordinates). Collector
    nodes that are also nodes of the Li bottom are left out: there the collector face meets
    the electrolyte by construction (the corner of a quarter-disk Li), not by stripping."""
    body = evo.body
    x = body.msh.geometry.x
    nodes = np.setdiff1d(evo.top.nodes, evo.bottom.nodes)
    points = x[nodes][:, [body.up, *range(body.up)]]  # (height, coordinates along the plane)
    first = np.lexsort(points.T[::-1])[:1]  # the lowest, ties to the smaller coordinates
    local = [tuple(map(float, points[k])) for k in first]
    lowest = min((p for part in evo.comm.allgather(local) for p in part), default=None)
    limit = EXHAUSTED_TOLERANCES * evo.settings.contact_tolerance
    if lowest is None or lowest[0] > limit:
        return None
    names = ("r" if body.axisymmetric else "x",) if body.up == 1 else ("x", "y")
    where = ", ".join(f"{n} = {v * UM_PER_M:.4g} µm" for n, v in zip(names, lowest[1:],
                                                                        strict=True))
    return Failure("lithium_exhausted", False,
                   f"lithium exhausted: the collector face at {where} is "
                   f"{lowest[0] * NM_PER_M:.3g} nm above the electrolyte (limit "
                   f"{limit * NM_PER_M:g} nm) after {evo.stripped * FARADAY / evo.params.
                   electrode.molar_volume / C_M2_PER_MAH_CM2:.4g} mAh/cm² stripped (net); "
                   "the Li there is used up, not an interface failure")


def collapsed(records: list, first: int) -> Failure | None:
    """``time_step_collapse`` if the last ``COLLAPSE_STEPS`` records (all after index
    ``first``, the protocol step's first record) each advanced the time by less than
    ``COLLAPSE_FRACTION`` of the time they reached, else None."""
    if len(records) - first <= COLLAPSE_STEPS:
        return None
    tail = records[-COLLAPSE_STEPS - 1:]
    if any(r.time - p.time >= COLLAPSE_FRACTION * r.time
           for p, r in zip(tail[:-1], tail[1:], strict=True)):
        return None
    rec = records[-1]
    return Failure("time_step_collapse", False,
                   f"time step collapsed: {COLLAPSE_STEPS} steps at "
                   f"{rec.applied_current_density / A_M2_PER_MA_CM2:.4g} mA/cm² each "
                   f"advanced the time by < {COLLAPSE_FRACTION:g} of t = {rec.time:.6g} s "
                   f"(last Δt {rec.time - tail[-2].time:.3g} s); the run stops instead of "
                   "stepping on, not an interface failure")
