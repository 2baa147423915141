"""Evolution of the Li/electrolyte interface under a galvanostatic protocol.

State: the gap g(x) ≥ 0 [m] between the Li and the electrolyte surface at the interface
nodes of the (fixed) electrolyte mesh; the contact is where g ≤ g_tol. Each time step:

1. the current distribution on the present contact gives the local current density j(x);
2. stripping removes Li from the contact at the velocity (Ω/F) j; the part that vacancy
   diffusion carries away to remote sinks (``solver.vacancy``) leaves the interface intact,
   the rest condenses there and the Li surface recedes locally: the local recession
   δ(x) grows;
3. the Li supply closes gaps: a rigid Li translates under the stack pressure until its
   lowest point touches (g = g₀ + δ − U, U = min(g₀ + δ)); a creeping Li flows into them
   (``solver.interface_creep``);
4. the new contact is {g ≤ g_tol}.

Plating (j < 0) deposits Li at the contact: δ decreases and the Li is pushed back.

Li bookkeeping (validation E5): the Li removed, (Ω/F)∫j dt, equals the growth of the void
volume plus the recession of the current collector (rigid translation U plus the volume
carried away by vacancies); the run reports the relative mismatch.

The time step adapts so that no gap changes by more than ``max_gap_increment`` in a step,
and is cut back when a solve fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from mpi4py import MPI

from meshes.geometry import CellGeometry, Void
from meshes.voids import cap_sphere_radius
from solver.errors import SolverError
from solver.params import FARADAY, Resolved
from solver.vacancy import VacancySupply

if TYPE_CHECKING:
    from solver.electrochem import CurrentDistribution

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class ProtocolStep:
    """One galvanostatic step: current density [A/m²] (positive strips the working
    electrode, zero is a rest) held for ``duration`` [s]."""

    current_density: float
    duration: float
    label: str = ""


@dataclass(frozen=True)
class EvolutionSettings:
    """Time integration, supply routes and failure criteria (SI).

    min_contact_fraction: the interface has failed below this contact fraction.
    max_voltage: cell-voltage cut-off [V] (|V|).
    max_void_volume: void volume per interface area [m] at which void growth has run away.
    """

    steps: tuple[ProtocolStep, ...]
    vacancy: VacancySupply | None = None
    creep: bool = False
    max_gap_increment: float = 0.05e-6
    initial_time_step: float = 1.0
    max_time_step: float = 600.0
    min_time_step: float = 1e-3
    contact_tolerance: float = 1e-9
    min_contact_fraction: float = 0.1
    max_voltage: float = 1.0
    max_void_volume: float = 20e-6


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


@dataclass
class Outcome:
    """A finished (or failed) evolution."""

    records: list[Record] = field(default_factory=list)
    failed: bool = False
    failure_mode: str = ""
    failure_time: float = math.nan


def initial_gap(geom: CellGeometry, x: np.ndarray) -> np.ndarray:
    """Gap [m] between the undeformed Li and the electrolyte surface at interface points
    ``x`` (coordinates, shape (n, 3)): the void height above each point, 0 on the contact."""
    gdim = geom.gdim
    planar = x[:, : gdim - 1]
    if geom.contact_spot_radius is not None:
        dist = np.linalg.norm(planar, axis=1)
        return np.where(dist <= geom.contact_spot_radius, 0.0, geom.gap_height)
    gap = np.zeros(len(x))
    for void in geom.voids:
        gap = np.maximum(gap, _void_height(void, planar))
    return gap


def _void_height(void: Void, planar: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(planar - np.asarray(void.center)[None, :], axis=1)
    inside = d < void.radius
    if void.shape == "ellipse":
        h = void.height * np.sqrt(np.clip(1 - (d / void.radius) ** 2, 0, None))
    else:
        rs = cap_sphere_radius(void)
        h = np.sqrt(np.clip(rs**2 - d**2, 0, None)) + void.height - rs
    return np.where(inside, np.maximum(h, 0.0), 0.0)


class InterfaceEvolution:
    """Drives the current distribution and the gap field through a protocol."""

    def __init__(self, params: Resolved, settings: EvolutionSettings,
                 current: CurrentDistribution, comm=MPI.COMM_WORLD):
        self.params, self.settings, self.cd, self.comm = params, settings, current, comm
        cd = current
        plane = cd.w_plane + cd.w_void
        self.nodes = np.flatnonzero(plane > 0)  # the order of CurrentSolution.nodes_*
        self.weights = plane[self.nodes]
        self.area = cd.interface_area
        self.x = cd.space.tabulate_dof_coordinates()[self.nodes]
        self.gap0 = initial_gap(params.geometry, self.x)
        self.gap0[cd.w_plane[self.nodes] > 0] = 0.0  # the meshed contact is the truth
        self.recession = np.zeros(len(self.nodes))  # δ [m]
        self.gap = self.gap0.copy()
        self.translation = 0.0  # U [m]
        self.vacancy_volume = 0.0  # Li volume per area carried off by vacancies [m]
        self.stripped = 0.0  # (Ω/F) ∫ j dt [m]
        self.void0 = self._mean(self.gap0)
        self.time = 0.0
        if settings.creep:
            raise SolverError("creep supply is not available yet: set evolution.creep: false")

    # -- helpers ------------------------------------------------------------------------
    def _mean(self, values: np.ndarray) -> float:
        return self.comm.allreduce(float(np.sum(self.weights * values))) / self.area

    def _min(self, values: np.ndarray) -> float:
        local = float(values.min()) if values.size else math.inf
        return self.comm.allreduce(local, op=MPI.MIN)

    def _max(self, values: np.ndarray) -> float:
        local = float(values.max()) if values.size else -math.inf
        return self.comm.allreduce(local, op=MPI.MAX)

    def contact(self) -> np.ndarray:
        return self.gap <= self.settings.contact_tolerance

    def contact_fraction(self) -> float:
        return self._mean(self.contact().astype(float))

    # -- one step -------------------------------------------------------------------------
    def _solve_current(self, applied: float):
        """Current distribution on the present contact; zero current at rest."""
        mask = np.zeros(self.cd.n, dtype=bool)
        mask[self.nodes] = self.contact()
        if self.comm.allreduce(int(mask.sum())) == 0:
            raise SolverError("the interface has lost all contact")
        self.cd.set_contact(mask)
        if applied == 0.0:
            return None, np.zeros(len(self.nodes))
        sol = self.cd.solve("galvanostatic", applied)
        return sol, sol.nodes_j

    def _recession_rate(self, j: np.ndarray) -> np.ndarray:
        """Local recession velocity of the Li surface [m/s] at contact nodes."""
        omega, temperature = self.params.electrode.molar_volume, self.params.temperature
        vac = self.settings.vacancy
        if vac is None:
            return omega / FARADAY * j
        stripping = vac.condensation_rate(np.maximum(j, 0.0), temperature, omega)
        return np.where(j > 0, stripping, omega / FARADAY * j)

    def _apply_supply(self) -> None:
        """Rigid Li: translate until the lowest point touches."""
        shape = self.gap0 + self.recession
        self.translation = self._min(shape)
        self.gap = shape - self.translation

    def advance(self, applied: float, dt: float):
        """One explicit step at the applied current density [A/m²], of length at most dt,
        shortened so that no gap changes by more than ``max_gap_increment``. Returns the
        step length and the current solution at the start of the step (None at rest)."""
        sol, j = self._solve_current(applied)
        rate = self._recession_rate(j)
        fastest = self._max(np.abs(rate))
        if fastest > 0:
            dt = min(dt, self.settings.max_gap_increment / fastest)
        removed = self.params.electrode.molar_volume / FARADAY * applied * dt
        self.recession += rate * dt
        self.stripped += removed
        self.vacancy_volume += removed - self._mean(rate) * dt
        self._apply_supply()
        self.time += dt
        return dt, sol, j

    def record(self, applied: float, sol, j: np.ndarray, label: str) -> Record:
        jmax = self._max(np.abs(j)) if applied else 0.0
        mean_contact = abs(sol.current / sol.contact_area) if sol is not None else 0.0
        void = self._mean(self.gap)
        recession = self.translation + self.vacancy_volume
        balance = (void - self.void0) + recession
        error = abs(balance - self.stripped) / abs(self.stripped) if self.stripped else 0.0
        return Record(
            time=self.time, applied_current_density=applied,
            cell_voltage=sol.cell_voltage if sol is not None else 0.0,
            contact_fraction=self.contact_fraction(), void_volume_per_area=void,
            max_gap=self._max(self.gap), hotspot_factor=jmax / mean_contact if applied else 0.0,
            max_local_current_density=jmax, li_stripped=self.stripped,
            collector_recession=recession, mass_balance_error=error, step=label)

    # -- the protocol -------------------------------------------------------------------
    def run(self, progress=None) -> Outcome:
        s = self.settings
        outcome = Outcome()
        dt = s.initial_time_step
        for step in s.steps:
            end = self.time + step.duration
            while self.time < end * (1 - 1e-12):
                dt = min(dt, end - self.time, s.max_time_step)
                try:
                    dt, sol, j = self.advance(step.current_density, dt)
                except SolverError as exc:
                    outcome.failed, outcome.failure_mode = True, str(exc)
                    outcome.failure_time = self.time
                    return outcome
                rec = self.record(step.current_density, sol, j, step.label)
                outcome.records.append(rec)
                if progress is not None:
                    progress(rec)
                mode = self._failure(rec)
                if mode:
                    outcome.failed, outcome.failure_mode = True, mode
                    outcome.failure_time = self.time
                    return outcome
                dt = min(2 * dt, s.max_time_step)
        return outcome

    def _failure(self, rec: Record) -> str:
        s = self.settings
        if rec.applied_current_density and rec.contact_fraction < s.min_contact_fraction:
            return (f"contact fraction {rec.contact_fraction:.3f} fell below "
                    f"{s.min_contact_fraction}")
        if abs(rec.cell_voltage) > s.max_voltage:
            return f"cell voltage {rec.cell_voltage:.3f} V beyond the {s.max_voltage} V cut-off"
        if rec.void_volume_per_area > s.max_void_volume:
            return "void growth ran away"
        return ""
