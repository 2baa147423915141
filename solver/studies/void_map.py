"""Void-growth map: the sign of void growth over stripping current × stack pressure with the
coupled interface model (``evolution.interface_model: coupled``; issue 12,
docs/void_growth_map.md).

Each point (electrolyte, i, p) is one coupled evolution of the map cell (``cell``: an
axisymmetric cell with one flat interface void on the axis) stripping the capacity
``capacity`` [mAh/cm²] at the current density i under the stack pressure p. The void volume
per interface area V(t) (``void_volume_per_area`` of the timeseries) decides the sign:

    growth   V_end > V_0 (1 + band), or the run ends by contact loss (contact fraction < 0.1);
    closure  V_end < V_0 (1 − band), or the void has closed (V < ``CLOSED`` V_0: the run
             stops there, the rest of the capacity would not reopen it at this pressure);
    neutral  otherwise (band = ``NEUTRAL_BAND``).

Each point also reports the apex descent ratio R = (g_max,0 − g_max,end)/δ, δ = (Ω/F) ∫ i dt
the stripped thickness (``MapPoint.closure_ratio``; R > 0 the Li over the void comes down;
the coupled debonded-patch study's R, ``patch_coupled``, which runs its points here).

A run also stops after ``MAX_STEPS`` time steps (``MapPoint.stopped``; at high pressure the
Li creeps at ε̇ ~ 10²/s and the time step is ≲ 1/ε̇; at low pressure the Li does not follow
and the li_follow bound keeps the consumption per step ≤ the 1 nm contact tolerance, so the
0.24 µm of a point take several hundred steps): the sign is then that of V at the stop.

At a fixed capacity Q the Li stripped, Ω Q/F, is the same at every point, and the time the
creep has to refill the void is Q/i: the map compares the creep rate at p with i.

Analytic estimate of the boundary (creep supply vs stripping flux): the Li over a void of
radius a creeps down at v_c ≈ a ε̇(p), ε̇(p) = A exp(−Q_a/RT) (p/S)ⁿ the library creep law at
the stack pressure (no fitted constant); stripping removes Li at Ω i/F. The void closes when
v_c > Ω i/F, i.e. below

    i*(p) = F a ε̇(p) / Ω   [A/m²],

a line of slope n on log axes. It is an order-of-magnitude estimate (the roof of a flat void
is loaded by about the full stack pressure). It treats the whole stripping flux as opening
the void; but a uniform flux on the contact translates the Li down and the void roof with it
(the void gets thinner): only the excess of the current at the void edge over the mean,
(k_J − 1) i with k_J = max j / mean j on the contact (``hotspot_factor``, validation E4),
opens the contact. With it the estimate is i*_J = i*/(k_J − 1) (``MapPoint.hotspot_factor``
measured in the first step).
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass

from lisse.units import FARADAY, GAS_CONSTANT

NEUTRAL_BAND = 1e-3  # relative change of the void volume counted as no change
CLOSED = 1e-2  # V/V_0 below which the void counts as closed (the run stops)
MAX_STEPS = 2000  # time steps of one point before it stops (a cap, not the capacity)
ELECTROLYTES = ("Li6PS5Cl", "LLZO")


@dataclass(frozen=True)
class MapPoint:
    """One point of the map: inputs (library units) and outcome."""

    electrolyte: str
    current_density_mA_cm2: float
    stack_pressure_MPa: float
    sign: int  # +1 growth, −1 closure, 0 neutral
    void_ratio: float  # V_end / V_0 [–]
    contact_fraction: float  # at the end [–]
    contact_lost: bool
    hotspot_factor: float  # k_J = largest / mean contact current density, first step [–]
    steps: int
    stopped: str  # "" (capacity stripped), "closed" or "steps" (MAX_STEPS reached)
    seconds: float  # wall time [s]
    # R = (g_max,0 − g_max,end)/δ: descent of the void apex (largest gap) over the stripped
    # thickness δ = (Ω/F)∫ i dt; 1 for a rigid Li under a uniform flux [–]
    closure_ratio: float = math.nan


def cell(electrolyte: str, current_mA_cm2: float, pressure_MPa: float,
         capacity_mAh_cm2: float = 0.05, void_radius_um: float = 4.0,
         void_height_um: float = 1.0, interface_um: float = 2.0) -> dict:
    """The case of one map point: 20 µm radius, 6 µm Li on 12 µm of ``electrolyte`` (library
    values), a void of radius ``void_radius_um`` and height ``void_height_um`` on the axis,
    interface mesh ``interface_um`` (a quarter at the void tips), bulk mesh 4 µm; library Li
    creep at 25 °C; Butler–Volmer kinetics; contact loss below 0.1; voltage cut-off 20 V (the
    interface, not the ohmic voltage, ends a run)."""
    return copy.deepcopy({
        "name": f"void_map_{electrolyte}",
        "materials": {"electrolyte": electrolyte},
        "geometry": {
            "dimension": "axisymmetric", "width_um": 20, "lithium_thickness_um": 6,
            "electrolyte_thickness_um": 12,
            "voids": [{"center_um": 0, "radius_um": void_radius_um,
                       "height_um": void_height_um}],
            "mesh": {"size_um": 4, "interface_size_um": interface_um,
                     "edge_size_um": interface_um / 4},
        },
        "interface": {"kinetics": "butler_volmer"},
        "counter_electrode": {"kinetics": "butler_volmer"},
        "protocol": {"mode": "galvanostatic", "current_density_mA_cm2": current_mA_cm2},
        "output": {"fields": False, "plots": False},
        "evolution": {
            "interface_model": "coupled", "stack_pressure_MPa": pressure_MPa,
            "supply": {"creep": True, "vacancy": False},
            "time_step": {"max_gap_increment_um": 0.1},
            "failure": {"max_voltage_V": 20},
            "steps": [{"current_density_mA_cm2": current_mA_cm2,
                       "capacity_mAh_cm2": capacity_mAh_cm2}],
        },
    })


def run_point(case: dict, comm) -> MapPoint:
    """One coupled evolution of ``case`` (``cell``) and the sign of its void growth."""
    import time

    from lisse.solver.config.schema import resolve, validate_case
    from lisse.solver.studies.evolution import _engine
    from lisse.solver.studies.model import build_model

    params = resolve(validate_case(case))
    start = time.perf_counter()
    engine = _engine(build_model(params, comm, "evolution"), params.evolution)
    stop = []

    def pause(control, outcome) -> bool:
        if outcome.records[-1].void_volume_per_area < CLOSED * engine.void0:
            stop.append("closed")
        elif len(outcome.records) >= MAX_STEPS:
            stop.append("steps")
        return bool(stop)

    outcome = engine.run(pause=pause)
    seconds = time.perf_counter() - start
    last = outcome.records[-1]
    ratio = last.void_volume_per_area / engine.void0  # the same interface mean of the gap
    lost = outcome.failed and outcome.failure_criterion == "contact_loss"
    sign = 1 if lost or ratio > 1 + NEUTRAL_BAND else (-1 if ratio < 1 - NEUTRAL_BAND else 0)
    step = case["evolution"]["steps"][0]
    descent = engine._max(engine.gap0) - last.max_gap
    closure = descent / last.li_stripped if last.li_stripped > 0 else math.nan
    return MapPoint(case["materials"]["electrolyte"], step["current_density_mA_cm2"],
                    case["evolution"]["stack_pressure_MPa"], sign, ratio,
                    last.contact_fraction, lost, outcome.records[0].hotspot_factor,
                    len(outcome.records), stop[0] if stop else "", seconds, closure)


def analytic_boundary(pressure_pa: float, electrode, temperature: float,
                      radius_m: float) -> float:
    """i*(p) = F a ε̇(p)/Ω [A/m²] (module docstring); ``electrode`` the resolved Li
    (creep_prefactor, creep_activation_energy, creep_reference_stress,
    creep_stress_exponent, molar_volume)."""
    rate = (electrode.creep_prefactor
            * math.exp(-electrode.creep_activation_energy / (GAS_CONSTANT * temperature))
            * (pressure_pa / electrode.creep_reference_stress) ** electrode.creep_stress_exponent)
    return FARADAY * radius_m * rate / electrode.molar_volume


def run_map(electrolyte: str, currents, pressures, comm, say=None, **cell_options) -> list:
    """The map of one electrolyte over ``currents`` [mA/cm²] × ``pressures`` [MPa]: a list
    of MapPoint; ``say(point)`` after each point."""
    points = []
    for p in pressures:
        for i in currents:
            point = run_point(cell(electrolyte, i, p, **cell_options), comm)
            points.append(point)
            if say is not None:
                say(point)
    return points


def as_row(point: MapPoint) -> dict:
    """A table row with units in the column names."""
    row = asdict(point)
    row["wall_time_s"] = row.pop("seconds")
    return row
