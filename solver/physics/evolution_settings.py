"""The data of an interface evolution (SI): the protocol steps, the settings (time
integration, supply routes, failure criteria), one record per time step, the outcome and the
time-step controller's state. Shared by the reduced model (``gap_evolution``) and the coupled
model (``coupled_interface``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lisse.solver.physics.cavitation import CavityCriterion
from lisse.solver.physics.creep_closure import CreepClosure
from lisse.solver.physics.failure import FailureCriteria
from lisse.solver.physics.vacancy import VacancySupply
from lisse.solver.studies.ccd_search import CcdSettings


@dataclass(frozen=True)
class ProtocolStep:
    """One galvanostatic step: current density [A/m²] (positive strips the working
    electrode, zero is a rest) held for ``duration`` [s], or until the cell voltage reaches
    ``until_voltage`` [V] in magnitude or the contact fraction falls to
    ``until_contact_fraction`` (checked after every time step, after the failure criteria)."""

    current_density: float
    duration: float
    label: str = ""
    until_voltage: float | None = None
    until_contact_fraction: float | None = None

    def reached(self, rec: Record) -> bool:
        """True once the record meets one of the step's until conditions."""
        return ((self.until_voltage is not None
                 and abs(rec.cell_voltage) >= self.until_voltage)
                or (self.until_contact_fraction is not None
                    and rec.contact_fraction <= self.until_contact_fraction))


REMESH_QUALITY = 0.25  # default Li remeshing trigger (a ratio of cell qualities, li_remesh)


@dataclass(frozen=True)
class EvolutionSettings:
    """Time integration, supply routes and failure criteria (SI).

    min_contact_fraction: the interface has failed below this contact fraction.
    max_voltage: cell-voltage cut-off [V] (|V|).
    max_void_volume: void volume per interface area [m] at which void growth has run away.
    checkpoint_interval, checkpoint_steps: a run (``solver.studies.evolution``) writes a
    checkpoint after the step that ends this much wall time [s] or this many steps after
    the last one; 0 turns either off.
    """

    steps: tuple[ProtocolStep, ...]
    vacancy: VacancySupply | None = None
    # the coupled model's sub-grid vacancy pores (coupled_cavities); pore_height = h_cover
    cavity: CavityCriterion | None = None
    creep: CreepClosure | None = None
    creep_closure: str = "isolated_void"  # or "creep_field" (studies.gap_closure)
    closure_rate: float | None = None  # k [1/s] of gaps and pores measured (creep_field)
    stack_pressure: float = 0.0
    pore_height: float = 0.5e-6
    max_gap_increment: float = 0.05e-6
    initial_time_step: float = 1.0
    max_time_step: float = 600.0
    contact_tolerance: float = 1e-9
    min_contact_fraction: float = 0.1
    max_voltage: float = 1.0
    max_void_volume: float = 20e-6
    max_voltage_rate: float | None = None  # |dV/dt| [V/s] limit within a step (None: off)
    max_voltage_rise: float | None = None  # |V|/|V at the step's start| limit (None: off)
    max_cutbacks: int = 6
    field_snapshots: int = 10
    interface_times: tuple[float, ...] = ()
    ccd: CcdSettings = CcdSettings()
    checkpoint_interval: float = 300.0  # wall time [s] between checkpoints (0: none)
    checkpoint_steps: int = 0  # time steps between checkpoints (0: none)
    interface_model: str = "reduced"  # or "coupled" (solver.physics.coupled_interface)
    interface_model_named: bool = True  # False: the config's default, not named in the case
    stress_coupling: bool = False  # coupled model: Li pressure shifts the contact kinetics
    contact: str = "frictionless"  # coupled model: or "sticking" (solver.physics.li_sticking)
    # coupled model: "rigid" electrolyte, or "elastic" (solver.physics.electrolyte_elastic)
    electrolyte_mechanics: str = "rigid"
    # coupled model: remesh the Li when its smallest cell quality falls below this ×
    # the initial mesh's (li_remesh; 3D: li_remesh_3d); 0: never
    remesh_quality: float = REMESH_QUALITY
    # the config field the steps came from, for messages (li_exhaustion.check_capacity)
    protocol_field: str = "evolution.steps"

    def failure_criteria(self) -> FailureCriteria:
        """The failure limits (``solver.physics.failure``)."""
        return FailureCriteria(self.min_contact_fraction, self.max_voltage,
                               self.max_void_volume, self.max_voltage_rate,
                               self.max_voltage_rise)


@dataclass
class Record:
    """One row of ``timeseries.csv`` (SI; lengths per interface area are thicknesses)."""

    time: float
    applied_current_density: float
    cell_voltage: float
    contact_fraction: float
    void_volume_per_area: float
    max_gap: float
    hotspot_factor: float
    max_local_current_density: float
    li_stripped: float
    collector_recession: float
    mass_balance_error: float
    step: str = ""
    li_interphase: float = 0.0  # Li-metal thickness bound in the interphase grown [m]


@dataclass
class Outcome:
    """A finished (or failed) evolution."""

    records: list[Record] = field(default_factory=list)
    failed: bool = False
    failure_mode: str = ""
    failure_time: float = math.nan
    failure_criterion: str = ""  # solver.physics.failure.CRITERIA
    interface_failure: bool = False  # False: none, or a cut-off of an intact interface
    cutbacks: int = 0
    paused: bool = False  # stopped between steps by ``pause`` (resumable), not finished


@dataclass
class StepControl:
    """The time-step controller of ``InterfaceEvolution.run``: with the interface state and
    the records, all that a restart needs to go on exactly as an uninterrupted run.

    index: the protocol step being run; end: its end time [s] (nan before it starts);
    dt: the next trial step length [s]; cutbacks: step halvings used in this protocol step;
    halved: the last step was a halved one (kept once before growing again);
    previous: the state before the last step and that step's length [s], for a cut-back.
    """

    index: int = 0
    end: float = math.nan
    dt: float = math.nan
    cutbacks: int = 0
    halved: bool = False
    previous: tuple[dict, float] | None = None
